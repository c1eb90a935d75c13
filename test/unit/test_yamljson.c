/*
 * test_yamljson.c — cmocka tests for lib/yamljson.c: scalar resolution,
 * structure, multi-document streams, JSON input, error positions, anchors
 * and merge keys, tags and the nesting limit. Fixtures live in
 * test/fixtures/yaml/ (the runner starts from the repository root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yamljson.h"

#define FIXTURE(name) "test/fixtures/yaml/" name

/* Parsed documents, freed by each test. */
struct parsed {
	struct json_object **docs;
	size_t n;
	char err[512];
};

static void
parse_ok(const char *text, struct parsed *p)
{
	bool ok = yamljson_parse(text, strlen(text), &p->docs, &p->n, p->err, sizeof(p->err));

	if (!ok)
		print_error("unexpected error: %s\n", p->err);
	assert_true(ok);
}

static void
parse_file_ok(const char *path, struct parsed *p)
{
	bool ok = yamljson_parse_file(path, &p->docs, &p->n, p->err, sizeof(p->err));

	if (!ok)
		print_error("unexpected error: %s\n", p->err);
	assert_true(ok);
}

/* Parse text that must fail; the message must be exactly `want`. */
static void
parse_fails(const char *text, const char *want)
{
	struct parsed p = { 0 };

	assert_false(yamljson_parse(text, strlen(text), &p.docs, &p.n, p.err, sizeof(p.err)));
	assert_null(p.docs);
	assert_int_equal(p.n, 0);
	assert_string_equal(p.err, want);
}

static void
parse_file_fails(const char *path, const char *want)
{
	struct parsed p = { 0 };

	assert_false(yamljson_parse_file(path, &p.docs, &p.n, p.err, sizeof(p.err)));
	assert_null(p.docs);
	assert_int_equal(p.n, 0);
	assert_string_equal(p.err, want);
}

static void
done(struct parsed *p)
{
	yamljson_free_docs(p->docs, p->n);
	p->docs = NULL;
	p->n = 0;
}

/* The node at a JSON pointer ("/spec/storage/size"); must exist. */
static struct json_object *
at(struct json_object *doc, const char *ptr)
{
	struct json_object *o = NULL;

	if (json_pointer_get(doc, ptr, &o) != 0)
		fail_msg("no node at %s", ptr);
	return o;
}

static void
assert_absent(struct json_object *doc, const char *ptr)
{
	struct json_object *o = NULL;

	assert_int_not_equal(json_pointer_get(doc, ptr, &o), 0);
}

static void
assert_str(struct json_object *doc, const char *ptr, const char *want)
{
	struct json_object *o = at(doc, ptr);

	if (!json_object_is_type(o, json_type_string))
		fail_msg("%s is a %s, not a string", ptr, json_type_to_name(json_object_get_type(o)));
	assert_string_equal(json_object_get_string(o), want);
}

static void
assert_int(struct json_object *doc, const char *ptr, int64_t want)
{
	struct json_object *o = at(doc, ptr);

	if (!json_object_is_type(o, json_type_int))
		fail_msg("%s is a %s, not an int", ptr, json_type_to_name(json_object_get_type(o)));
	assert_true(json_object_get_int64(o) == want);
}

static void
assert_bool(struct json_object *doc, const char *ptr, bool want)
{
	struct json_object *o = at(doc, ptr);

	if (!json_object_is_type(o, json_type_boolean))
		fail_msg("%s is a %s, not a bool", ptr, json_type_to_name(json_object_get_type(o)));
	assert_int_equal(json_object_get_boolean(o), want);
}

static void
assert_double(struct json_object *doc, const char *ptr, double want)
{
	struct json_object *o = at(doc, ptr);

	if (!json_object_is_type(o, json_type_double))
		fail_msg("%s is a %s, not a double", ptr, json_type_to_name(json_object_get_type(o)));
	assert_true(json_object_get_double(o) == want);
}

/* json-c stores null as a NULL pointer, which json_pointer_get reports as
 * missing: look the last step up by hand (keys without '~' escapes). */
static void
assert_jnull(struct json_object *doc, const char *ptr)
{
	const char *slash = strrchr(ptr, '/');
	char parent_ptr[256];
	struct json_object *parent = doc;
	struct json_object *o = NULL;
	const char *last = slash + 1;

	assert_non_null(slash);
	assert_true((size_t) (slash - ptr) < sizeof(parent_ptr));
	memcpy(parent_ptr, ptr, (size_t) (slash - ptr));
	parent_ptr[slash - ptr] = '\0';
	if (parent_ptr[0] != '\0')
		parent = at(doc, parent_ptr);
	if (json_object_is_type(parent, json_type_array)) {
		size_t i = strtoul(last, NULL, 10);

		if (i >= json_object_array_length(parent))
			fail_msg("no node at %s", ptr);
		o = json_object_array_get_idx(parent, i);
	} else if (!json_object_object_get_ex(parent, last, &o)) {
		fail_msg("no node at %s", ptr);
	}
	if (o != NULL)
		fail_msg("%s is a %s, not null", ptr, json_type_to_name(json_object_get_type(o)));
}

static size_t
len_at(struct json_object *doc, const char *ptr)
{
	return json_object_array_length(at(doc, ptr));
}

/* ---- scalars ----------------------------------------------------------- */

static void
test_scalar_null(void **state)
{
	struct parsed p = { 0 };

	(void) state;
	parse_file_ok(FIXTURE("scalars.yaml"), &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(len_at(p.docs[0], "/nulls"), 4);
	for (int i = 0; i < 4; i++) {
		char ptr[32];

		snprintf(ptr, sizeof(ptr), "/nulls/%d", i);
		assert_jnull(p.docs[0], ptr);
	}
	assert_jnull(p.docs[0], "/empty");
	done(&p);
}

static void
test_scalar_bool(void **state)
{
	static const bool want[] = {
		true, true, true, false, false, false, true, true, true,
		false, false, false, true, true, true, false, false, false
	};
	struct parsed p = { 0 };

	(void) state;
	parse_file_ok(FIXTURE("scalars.yaml"), &p);
	assert_int_equal(len_at(p.docs[0], "/bools"), 18);
	for (int i = 0; i < 18; i++) {
		char ptr[32];

		snprintf(ptr, sizeof(ptr), "/bools/%d", i);
		assert_bool(p.docs[0], ptr, want[i]);
	}
	/* quoted booleans are strings; y and n are not booleans */
	assert_str(p.docs[0], "/strings/1", "true");
	assert_str(p.docs[0], "/strings/2", "yes");
	assert_str(p.docs[0], "/strings/9", "y");
	assert_str(p.docs[0], "/strings/10", "n");
	done(&p);
}

static void
test_scalar_int(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("scalars.yaml"), &p);
	d = p.docs[0];
	assert_int(d, "/ints/0", 0);
	assert_int(d, "/ints/1", 42);
	assert_int(d, "/ints/2", -17);
	assert_int(d, "/ints/3", 8);
	assert_int(d, "/ints/4", 0x1F);
	assert_int(d, "/ints/5", -16);
	assert_int(d, "/ints/6", 15);
	assert_int(d, "/ints/7", 0755);
	assert_int(d, "/ints/8", INT64_MAX);
	assert_int(d, "/ints/9", INT64_MIN);
	/* overflow, bad octal, bare prefix, underscores, junk: strings */
	assert_str(d, "/not_ints/0", "9223372036854775808");
	assert_str(d, "/not_ints/1", "08");
	assert_str(d, "/not_ints/2", "0x");
	assert_str(d, "/not_ints/3", "1_000");
	assert_str(d, "/not_ints/4", "12abc");
	done(&p);
}

static void
test_scalar_float(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("scalars.yaml"), &p);
	d = p.docs[0];
	assert_double(d, "/floats/0", 1.5);
	assert_double(d, "/floats/1", -0.25);
	assert_double(d, "/floats/2", 0.5);
	assert_double(d, "/floats/3", 1.0);
	assert_double(d, "/floats/4", 1000.0);
	assert_double(d, "/floats/5", 0.025);
	assert_double(d, "/floats/6", 3.0);
	assert_double(d, "/floats/7", INFINITY);
	assert_double(d, "/floats/8", -INFINITY);
	assert_double(d, "/floats/9", INFINITY);
	assert_true(isnan(json_object_get_double(at(d, "/floats/10"))));
	assert_true(json_object_is_type(at(d, "/floats/11"), json_type_double));
	assert_str(d, "/not_floats/0", "1.2.3");
	assert_str(d, "/not_floats/1", "1e");
	assert_str(d, "/not_floats/2", ".");
	assert_str(d, "/not_floats/3", "1e400");
	assert_str(d, "/not_floats/4", "16.2.1");
	done(&p);
}

static void
test_scalar_strings(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("scalars.yaml"), &p);
	d = p.docs[0];
	assert_str(d, "/strings/0", "hello");
	assert_str(d, "/strings/3", "42");
	assert_str(d, "/strings/4", "1.5");
	assert_str(d, "/strings/5", "null");
	assert_str(d, "/strings/6", "~");
	assert_str(d, "/strings/7", "postgres:16.2");
	assert_str(d, "/strings/8", "");
	/* literal and folded block scalars are never resolved */
	assert_str(d, "/literal", "true\n");
	assert_str(d, "/folded", "42\n");
	done(&p);
}

static void
test_keys_as_is(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("scalars.yaml"), &p);
	d = p.docs[0];
	assert_str(d, "/on", "switch");
	assert_str(d, "/yes", "affirmative");
	assert_int(d, "/quoted key", 1);
	assert_absent(d, "/true");
	done(&p);

	parse_ok("1: one\nnull: nothing\n0x10: hex\n", &p);
	assert_str(p.docs[0], "/1", "one");
	assert_str(p.docs[0], "/null", "nothing");
	assert_str(p.docs[0], "/0x10", "hex");
	done(&p);
}

static void
test_embedded_nul(void **state)
{
	struct parsed p = { 0 };
	struct json_object *o;

	(void) state;
	parse_ok("a: \"x\\0y\"\n", &p);
	o = at(p.docs[0], "/a");
	assert_int_equal(json_object_get_string_len(o), 3);
	assert_memory_equal(json_object_get_string(o), "x\0y", 3);
	done(&p);
}

/* ---- structure --------------------------------------------------------- */

static void
test_nested(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("nested.yaml"), &p);
	assert_int_equal(p.n, 1);
	d = p.docs[0];
	assert_int_equal(len_at(d, "/top/list"), 4);
	assert_str(d, "/top/list/0/name", "a");
	assert_int(d, "/top/list/0/ports/1", 8000);
	assert_str(d, "/top/list/1/labels/app", "pg");
	assert_str(d, "/top/list/1/labels/tier", "db");
	assert_str(d, "/top/list/2/1", "inner2");
	assert_jnull(d, "/top/list/3");
	assert_str(d, "/top/map/deeper/deepest", "value");
	assert_true(json_object_is_type(at(d, "/top/emptyMap"), json_type_object));
	assert_int_equal(json_object_object_length(at(d, "/top/emptyMap")), 0);
	assert_int_equal(len_at(d, "/top/emptyList"), 0);
	done(&p);
}

static void
test_multidoc(void **state)
{
	struct parsed p = { 0 };

	(void) state;
	parse_file_ok(FIXTURE("multidoc.yaml"), &p);
	assert_int_equal(p.n, 2);
	assert_str(p.docs[0], "/kind", "Secret");
	assert_str(p.docs[0], "/stringData/password", "s3cr3t");
	assert_str(p.docs[1], "/kind", "Cluster");
	assert_int(p.docs[1], "/spec/instances", 1);
	assert_str(p.docs[1], "/spec/bootstrap/initdb/secret/name", "app-user");
	done(&p);
}

static void
test_empty_inputs(void **state)
{
	struct parsed p = { 0 };

	(void) state;
	parse_file_ok(FIXTURE("empty.yaml"), &p);
	assert_int_equal(p.n, 0);
	done(&p);

	parse_file_ok(FIXTURE("comments.yaml"), &p);
	assert_int_equal(p.n, 0);
	done(&p);

	assert_true(yamljson_parse("", 0, &p.docs, &p.n, p.err, sizeof(p.err)));
	assert_int_equal(p.n, 0);
	done(&p);

	/* explicit but empty (or null) documents are skipped */
	parse_ok("---\n---\n...\n# c\n--- ~\n---\nx: 1\n---\n", &p);
	assert_int_equal(p.n, 1);
	assert_int(p.docs[0], "/x", 1);
	done(&p);
}

/* ---- JSON -------------------------------------------------------------- */

static void
test_json_object(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("cluster.json"), &p);
	assert_int_equal(p.n, 1);
	d = p.docs[0];
	assert_str(d, "/kind", "Cluster");
	assert_str(d, "/metadata/labels/on", "yes");
	assert_int(d, "/spec/instances", 1);
	assert_bool(d, "/spec/enableSuperuserAccess", true);
	assert_str(d, "/spec/postgresql/parameters/max_connections", "200");
	assert_jnull(d, "/spec/storage/storageClass");
	assert_double(d, "/spec/ratio", 0.5);
	assert_str(d, "/spec/list/1", "two");
	done(&p);

	/* comments and a BOM before the value; a top-level array */
	parse_ok("\xEF\xBB\xBF# generated\n  [1, \"yes\", true]\n", &p);
	assert_int_equal(p.n, 1);
	assert_int(p.docs[0], "/0", 1);
	assert_str(p.docs[0], "/1", "yes");
	done(&p);
}

static void
test_json_errors(void **state)
{
	(void) state;
	/* "storage": {"size": 10Gi} — the G of 10Gi is line 6, column 27 */
	parse_file_fails(FIXTURE("bad.json"), FIXTURE("bad.json") ": line 6, column 27: "
			 "invalid JSON: number expected");
	parse_fails("{\"a\": 1}\n{\"b\": 2}\n",
		    "line 2, column 1: invalid JSON: unexpected character");
	parse_fails("{\"a\": 1} x", "line 1, column 10: invalid JSON: unexpected character");
	parse_fails("{\"a\": [1,\n 2\n", "line 3, column 1: invalid JSON: unexpected end of input");
	parse_fails("# c\n{\"a\": 1,}", "line 2, column 9: invalid JSON: unexpected character");
	/* flow YAML that starts with '{' is read as JSON */
	parse_fails("{a: 1}", "line 1, column 2: invalid JSON: quoted object property name expected");
}

/* ---- YAML errors ------------------------------------------------------- */

static void
test_yaml_syntax_error(void **state)
{
	(void) state;
	/* "   storageClass" is indented under neither mapping: line 7, column 4 */
	parse_file_fails(FIXTURE("syntax_error.yaml"),
			 FIXTURE("syntax_error.yaml") ": line 7, column 4: did not find "
			 "expected key (while parsing a block mapping that starts at line 4, "
			 "column 3)");
	parse_fails("a: b: c\n",
		    "line 1, column 5: mapping values are not allowed in this context");
	parse_fails("a:\n\tb: 1\n", "line 2, column 1: found character that cannot start "
		    "any token (while scanning for the next token that starts at line 2, column 1)");
	parse_fails("a: [1, 2\n", "line 2, column 1: did not find expected ',' or ']' "
		    "(while parsing a flow sequence that starts at line 1, column 4)");
	parse_fails("ok: 1\nbad: \xff\n", "line 2, column 6: invalid leading UTF-8 octet (byte 0xff)");
}

static void
test_duplicate_key(void **state)
{
	(void) state;
	parse_file_fails(FIXTURE("duplicate.yaml"), FIXTURE("duplicate.yaml")
			 ": line 7, column 3: duplicate key \"instances\" (first at line 4)");
	parse_fails("x: {a: 1, a: 2}\n", "line 1, column 11: duplicate key \"a\" (first at line 1)");
	/* "on" and "true" are different keys; a quoted key equals the plain one */
	parse_fails("on: 1\n\"on\": 2\n", "line 2, column 1: duplicate key \"on\" (first at line 1)");
}

static void
test_complex_key(void **state)
{
	(void) state;
	parse_fails("? [a, b]\n: v\n", "line 1, column 3: mapping keys must be scalars");
	parse_fails("? {a: 1}\n: v\n", "line 1, column 3: mapping keys must be scalars");
	parse_fails("l: &l [1]\n*l : v\n",
		    "line 2, column 1: mapping keys must be scalars (alias \"*l\" is a collection)");
}

/* ---- anchors, aliases, merge keys ------------------------------------- */

static void
test_anchors_aliases(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("anchors.yaml"), &p);
	d = p.docs[0];
	/* the alias shares the anchored tree */
	assert_ptr_equal(at(d, "/copy"), at(d, "/shared"));
	assert_str(d, "/copy/1", "b");
	assert_str(d, "/again", "hello");
	/* an alias used as a key keys by the anchored text */
	assert_str(d, "/hello", "keyed by alias");
	done(&p);

	/* a scalar alias as a key keeps the source text ("on", not "true") */
	parse_ok("a: &k on\n*k : 1\n", &p);
	assert_bool(p.docs[0], "/a", true);
	assert_int(p.docs[0], "/on", 1);
	done(&p);

	/* a later anchor of the same name wins */
	parse_ok("a: &x 1\nb: &x 2\nc: *x\n", &p);
	assert_int(p.docs[0], "/c", 2);
	done(&p);
}

static void
test_merge_keys(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("anchors.yaml"), &p);
	d = p.docs[0];
	/* explicit keys win over merged ones, wherever "<<" stands */
	assert_str(d, "/single/tier", "gold");
	assert_str(d, "/single/cpu", "1");
	assert_str(d, "/single/memory", "1Gi");
	assert_absent(d, "/single/<<");
	assert_str(d, "/several/tier", "silver");
	/* in a sequence of merges the earlier mapping wins */
	assert_str(d, "/several/memory", "4Gi");
	assert_str(d, "/several/zone", "a");
	assert_str(d, "/several/cpu", "1");
	assert_int(d, "/inline/x", 1);
	assert_int(d, "/inline/y", 3);
	/* the anchored mapping itself is untouched */
	assert_int_equal(json_object_object_length(at(d, "/defaults")), 3);
	assert_str(d, "/defaults/tier", "base");
	done(&p);

	/* a quoted "<<" is an ordinary key */
	parse_ok("m:\n  \"<<\": {a: 1}\n", &p);
	assert_int(p.docs[0], "/m/<</a", 1);
	done(&p);
}

static void
test_alias_errors(void **state)
{
	(void) state;
	parse_fails("a: *nope\n", "line 1, column 4: unknown alias \"*nope\"");
	/* an anchor exists once its node is complete: no cycles */
	parse_fails("a: &x [1, *x]\n", "line 1, column 11: unknown alias \"*x\"");
	/* anchors do not cross documents */
	parse_fails("a: &x 1\n---\nb: *x\n", "line 3, column 4: unknown alias \"*x\"");
	parse_fails("a:\n  <<: 5\n",
		    "line 2, column 3: merge key \"<<\" needs a mapping or a sequence of mappings");
	parse_fails("a:\n  <<: [{x: 1}, 3]\n",
		    "line 2, column 3: merge key \"<<\": element 2 of the sequence is not a mapping");
}

/* ---- tags -------------------------------------------------------------- */

static void
test_tags(void **state)
{
	struct parsed p = { 0 };
	struct json_object *d;

	(void) state;
	parse_file_ok(FIXTURE("tags.yaml"), &p);
	d = p.docs[0];
	assert_str(d, "/str_int", "42");
	assert_str(d, "/str_bool", "true");
	assert_str(d, "/str_null", "null");
	assert_int(d, "/int_quoted", 42);
	assert_int(d, "/int_hex", 16);
	assert_bool(d, "/bool_quoted", true);
	assert_double(d, "/float_int", 3.0);
	assert_double(d, "/float_quoted", 2.5);
	assert_jnull(d, "/null_tilde");
	assert_jnull(d, "/null_empty");
	assert_str(d, "/nonspecific", "12");
	assert_str(d, "/custom", "12");
	assert_str(d, "/timestamp", "2024-01-01");
	done(&p);
}

static void
test_tag_errors(void **state)
{
	(void) state;
	parse_file_fails(FIXTURE("bad_tag.yaml"), FIXTURE("bad_tag.yaml")
			 ": line 2, column 14: \"three\" is not a valid !!int");
	parse_fails("a: !!int 99999999999999999999\n",
		    "line 1, column 4: \"99999999999999999999\" is not a valid !!int");
	parse_fails("a: !!bool maybe\n", "line 1, column 4: \"maybe\" is not a valid !!bool");
	parse_fails("a: !!float abc\n", "line 1, column 4: \"abc\" is not a valid !!float");
	parse_fails("a: !!null x\n", "line 1, column 4: \"x\" is not a valid !!null");
}

/* ---- nesting limit ----------------------------------------------------- */

/* "x: " followed by `levels - 1` nested flow sequences: `levels` in all. */
static char *
deep_yaml(int levels)
{
	size_t inner = (size_t) levels - 1;
	char *s = malloc(3 + 2 * inner + 2);
	size_t n = 0;

	assert_non_null(s);
	memcpy(s, "x: ", 3);
	n = 3;
	memset(s + n, '[', inner);
	n += inner;
	memset(s + n, ']', inner);
	n += inner;
	s[n++] = '\n';
	s[n] = '\0';
	return s;
}

static char *
deep_json(int levels)
{
	char *s = malloc(2 * (size_t) levels + 1);

	assert_non_null(s);
	memset(s, '[', (size_t) levels);
	memset(s + levels, ']', (size_t) levels);
	s[2 * levels] = '\0';
	return s;
}

static void
test_nesting_limit(void **state)
{
	struct parsed p = { 0 };
	char *s;

	(void) state;
	s = deep_yaml(YAMLJSON_MAX_DEPTH);
	parse_ok(s, &p);
	assert_int_equal(p.n, 1);
	done(&p);
	free(s);

	s = deep_yaml(YAMLJSON_MAX_DEPTH + 1);
	/* the 257th collection opens at column 4 + 255 */
	parse_fails(s, "line 1, column 259: nesting deeper than 256 levels");
	free(s);

	s = deep_json(YAMLJSON_MAX_DEPTH);
	parse_ok(s, &p);
	done(&p);
	free(s);

	s = deep_json(YAMLJSON_MAX_DEPTH + 1);
	parse_fails(s, "line 1, column 257: invalid JSON: nesting deeper than 256 levels");
	free(s);

	/* block style, far deeper than the limit: refused, no stack trouble */
	{
		size_t levels = 5000;
		char *y = malloc(levels * 2 + 4);
		size_t n = 0;

		assert_non_null(y);
		for (size_t i = 0; i < levels; i++) {
			y[n++] = '-';
			y[n++] = ' ';
		}
		memcpy(y + n, "x\n", 3);
		assert_false(yamljson_parse(y, strlen(y), &p.docs, &p.n, p.err, sizeof(p.err)));
		assert_non_null(strstr(p.err, "nesting deeper than 256 levels"));
		free(y);
	}
}

/* ---- a real manifest --------------------------------------------------- */

static void
test_cnpg_cluster(void **state)
{
	struct parsed p = { 0 };
	struct json_object *c;

	(void) state;
	parse_file_ok(FIXTURE("cnpg_cluster.yaml"), &p);
	assert_int_equal(p.n, 2);
	assert_str(p.docs[0], "/kind", "Secret");
	assert_str(p.docs[0], "/metadata/labels/cnpg.io~1reload", "true");
	c = p.docs[1];
	assert_str(c, "/apiVersion", "postgresql.cnpg.io/v1");
	assert_str(c, "/kind", "Cluster");
	assert_str(c, "/metadata/name", "cluster-example");
	assert_str(c, "/spec/imageName", "ghcr.io/cloudnative-pg/postgresql:16.2");
	assert_int(c, "/spec/instances", 3);
	assert_bool(c, "/spec/enableSuperuserAccess", false);
	assert_str(c, "/spec/postgresql/parameters/shared_buffers", "256MB");
	assert_str(c, "/spec/postgresql/parameters/max_connections", "200");
	assert_str(c, "/spec/postgresql/parameters/pg_stat_statements.max", "10000");
	assert_str(c, "/spec/postgresql/parameters/auto_explain.log_min_duration", "10s");
	/* unquoted values resolve the way Kubernetes would read them */
	assert_bool(c, "/spec/postgresql/parameters/log_checkpoints", true);
	assert_double(c, "/spec/postgresql/parameters/random_page_cost", 1.1);
	assert_str(c, "/spec/postgresql/pg_hba/0", "host all all 10.244.0.0/16 md5");
	assert_int_equal(len_at(c, "/spec/postgresql/shared_preload_libraries"), 0);
	assert_str(c, "/spec/bootstrap/initdb/database", "app");
	assert_str(c, "/spec/bootstrap/initdb/secret/name", "cluster-example-app-user");
	assert_bool(c, "/spec/bootstrap/initdb/dataChecksums", true);
	assert_int(c, "/spec/bootstrap/initdb/walSegmentSize", 32);
	assert_str(c, "/spec/bootstrap/initdb/postInitApplicationSQL/0",
		   "CREATE TABLE numbers (\n  i integer\n);\n");
	assert_str(c, "/spec/bootstrap/initdb/postInitApplicationSQL/1",
		   "INSERT INTO numbers SELECT generate_series(1, 10);");
	assert_str(c, "/spec/storage/size", "1Gi");
	assert_str(c, "/spec/walStorage/size", "512Mi");
	assert_str(c, "/spec/resources/requests/cpu", "1");
	assert_int(c, "/spec/resources/limits/cpu", 2);
	assert_str(c, "/spec/affinity/tolerations/0/effect", "NoSchedule");
	done(&p);
}

/* ---- files and buffers ------------------------------------------------- */

static void
test_file_errors(void **state)
{
	struct parsed p = { 0 };

	(void) state;
	parse_file_fails(FIXTURE("no-such-file.yaml"),
			 FIXTURE("no-such-file.yaml") ": cannot open: No such file or directory");
	parse_file_fails("test/fixtures/yaml", "test/fixtures/yaml: is a directory, not a regular file");
	/* neither blocks: a FIFO with no writer, an endless device */
	{
		char fifo[] = "/tmp/pgpod-unit-fifo.XXXXXX";
		char path[64];

		assert_non_null(mkdtemp(fifo));
		snprintf(path, sizeof(path), "%s/spec.yaml", fifo);
		assert_int_equal(mkfifo(path, 0600), 0);
		{
			char want[128];

			snprintf(want, sizeof(want), "%s: is a FIFO, not a regular file", path);
			parse_file_fails(path, want);
		}
		assert_int_equal(unlink(path), 0);
		assert_int_equal(rmdir(fifo), 0);
	}
	parse_file_fails("/dev/zero", "/dev/zero: is a device or special file, not a regular file");

	/* a short or absent error buffer is never overrun */
	assert_false(yamljson_parse("a: *x\n", 6, &p.docs, &p.n, p.err, 8));
	assert_string_equal(p.err, "line 1,");
	assert_false(yamljson_parse("a: *x\n", 6, &p.docs, &p.n, NULL, 0));
	assert_false(yamljson_parse_file(FIXTURE("bad.json"), &p.docs, &p.n, NULL, 0));
}

/* Aliases may repeat what an anchor holds, but not without bound: the
 * scalar bytes after expansion are held to 16 times the text (at least
 * 1 MiB); the refusal names the line of the alias that went over. */
static void
test_alias_expansion_budget(void **state)
{
	struct parsed p = { 0 };
	char text[4096];
	size_t n = 0;

	(void) state;
	/* a few aliases of a short anchor: fine */
	snprintf(text, sizeof(text), "a: &x hello\nb: [*x, *x, *x]\n");
	assert_true(yamljson_parse(text, strlen(text), &p.docs, &p.n, p.err, sizeof(p.err)));
	done(&p);
	/* nested aliases nine deep: 9^9 scalars */
	n += (size_t) snprintf(text + n, sizeof(text) - n, "a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
	for (int i = 1; i < 10; i++) {
		n += (size_t) snprintf(text + n, sizeof(text) - n, "a%d: &a%d [", i, i);
		for (int k = 0; k < 9; k++)
			n += (size_t) snprintf(text + n, sizeof(text) - n, "%s*a%d", k ? "," : "", i - 1);
		n += (size_t) snprintf(text + n, sizeof(text) - n, "]\n");
	}
	assert_false(yamljson_parse(text, n, &p.docs, &p.n, p.err, sizeof(p.err)));
	assert_non_null(strstr(p.err, "aliases expand the document"));
	assert_non_null(strstr(p.err, "line 6,"));
	done(&p);
}

/* Text that is not NUL-terminated: only len bytes are read. */
static void
test_length_bounded(void **state)
{
	struct parsed p = { 0 };
	const char text[] = "a: 1\nb: [";

	(void) state;
	assert_true(yamljson_parse(text, 5, &p.docs, &p.n, p.err, sizeof(p.err)));
	assert_int_equal(p.n, 1);
	assert_int(p.docs[0], "/a", 1);
	assert_absent(p.docs[0], "/b");
	done(&p);
	assert_true(yamljson_parse("{\"a\": 1} junk", 8, &p.docs, &p.n, p.err, sizeof(p.err)));
	assert_int(p.docs[0], "/a", 1);
	done(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalar_null),
		cmocka_unit_test(test_scalar_bool),
		cmocka_unit_test(test_scalar_int),
		cmocka_unit_test(test_scalar_float),
		cmocka_unit_test(test_scalar_strings),
		cmocka_unit_test(test_keys_as_is),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_multidoc),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_json_object),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_yaml_syntax_error),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_complex_key),
		cmocka_unit_test(test_anchors_aliases),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_alias_errors),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_tag_errors),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_cnpg_cluster),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_alias_expansion_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
