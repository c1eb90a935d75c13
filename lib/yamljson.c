/*
 * yamljson.c — YAML/JSON text to json-c trees (see yamljson.h).
 * JSON goes through json_tokener. YAML goes through libyaml's event parser;
 * the tree is built on an explicit stack of open collections, so the depth
 * of the input never becomes depth of the C stack.
 */
#include "yamljson.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define YJ_TAG_PREFIX "tag:yaml.org,2002:"
#define YJ_READ_CHUNK (64u * 1024u)

/* One open mapping or sequence. */
struct yj_frame {
	struct json_object *obj;	/* the collection being filled */
	struct json_object *merged;	/* entries brought by "<<", added when the map closes */
	struct json_object *keylines;	/* key -> line where it was set (maps) */
	char *anchor;			/* registered when the collection closes */
	char *key;			/* pending key (maps); NULL while a key is expected */
	yaml_mark_t key_mark;
	bool is_map;
	bool key_is_merge;
	size_t size;			/* scalar bytes within, aliases expanded */
};

/* State of one YAML stream being turned into trees. */
struct yj_builder {
	struct yj_frame stack[YAMLJSON_MAX_DEPTH];
	size_t depth;
	struct json_object *anchors;	/* name -> node, current document only */
	struct json_object *anchor_text; /* name -> source text, scalar anchors only */
	struct json_object *anchor_sizes; /* name -> its scalar bytes, aliases expanded */
	size_t expanded;		/* scalar bytes of the stream, aliases expanded */
	size_t budget;			/* the most expanded may grow to */
	struct json_object *root;	/* root of the current document */
	struct json_object **docs;
	size_t ndocs;
	size_t capdocs;
	char *err;
	size_t errlen;
};

/* What a scalar resolves to before a json-c object is made for it. */
enum yj_kind { YJ_NULL, YJ_BOOL, YJ_INT, YJ_FLOAT, YJ_STRING };

struct yj_scalar {
	enum yj_kind kind;
	bool b;
	int64_t i;
	double d;
};

static const char *const yj_nulls[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const yj_trues[] = {
	"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL
};
static const char *const yj_falses[] = {
	"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL
};
static const char *const yj_infs[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL };
static const char *const yj_neginfs[] = { "-.inf", "-.Inf", "-.INF", NULL };
static const char *const yj_nans[] = { ".nan", ".NaN", ".NAN", NULL };

/* ---- messages ---------------------------------------------------------- */

static void yj_vmessage(char *err, size_t errlen, size_t line, size_t col,
			const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void yj_message(char *err, size_t errlen, size_t line, size_t col,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static bool yj_error(struct yj_builder *b, yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write "line L, column C: <message>" into err (both 1-based). */
static void
yj_vmessage(char *err, size_t errlen, size_t line, size_t col, const char *fmt, va_list ap)
{
	int n;

	if (err == NULL || errlen == 0)
		return;
	n = snprintf(err, errlen, "line %zu, column %zu: ", line, col);
	if (n < 0 || (size_t) n >= errlen)
		return;
	(void) vsnprintf(err + n, errlen - (size_t) n, fmt, ap);
}

static void
yj_message(char *err, size_t errlen, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yj_vmessage(err, errlen, line, col, fmt, ap);
	va_end(ap);
}

/* Record an error at a libyaml mark (0-based); always returns false. */
static bool
yj_error(struct yj_builder *b, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yj_vmessage(b->err, b->errlen, mark.line + 1, mark.column + 1, fmt, ap);
	va_end(ap);
	return false;
}

static bool
yj_oom(struct yj_builder *b, yaml_mark_t mark)
{
	return yj_error(b, mark, "out of memory");
}

/* 1-based line and column (in characters) of a byte offset into text. */
static void
yj_line_col(const char *text, size_t len, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char) text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

/* ---- scalar resolution (go-yaml v2 rules, simplified) ------------------ */

static bool
yj_in(const char *s, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return true;
	return false;
}

static bool
yj_parse_bool(const char *s, size_t n, bool *out)
{
	if (yj_in(s, n, yj_trues)) {
		*out = true;
		return true;
	}
	if (yj_in(s, n, yj_falses)) {
		*out = false;
		return true;
	}
	return false;
}

static int
yj_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* [-+]?[0-9]+, [-+]?0x[0-9a-fA-F]+, [-+]?0o[0-7]+, [-+]?0[0-7]+; false on
 * anything else and on int64 overflow. */
static bool
yj_parse_int(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	unsigned base = 10;
	uint64_t v = 0;
	uint64_t limit;
	size_t i = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
		base = 8;
		i += 2;
	} else if (n - i > 1 && s[i] == '0') {
		base = 8;
		i += 1;
	}
	if (i >= n)
		return false;
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; i < n; i++) {
		int d = yj_digit(s[i]);

		if (d < 0 || (unsigned) d >= base)
			return false;
		if (v > (limit - (uint64_t) d) / base)
			return false;
		v = v * base + (uint64_t) d;
	}
	if (neg)
		*out = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
	else
		*out = (int64_t) v;
	return true;
}

static size_t
yj_skip_digits(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* Does s match [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? with a
 * dot or an exponent? */
static bool
yj_float_syntax(const char *s, size_t n)
{
	size_t i = 0;
	size_t j;
	bool dot_or_exp = false;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		j = yj_skip_digits(s, n, i + 1);
		if (j == i + 1)
			return false;
		dot_or_exp = true;
		i = j;
	} else {
		j = yj_skip_digits(s, n, i);
		if (j == i)
			return false;
		i = j;
		if (i < n && s[i] == '.') {
			dot_or_exp = true;
			i = yj_skip_digits(s, n, i + 1);
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		j = yj_skip_digits(s, n, i);
		if (j == i)
			return false;
		dot_or_exp = true;
		i = j;
	}
	return i == n && dot_or_exp;
}

/* A YAML float (see yj_float_syntax, .inf, -.inf, .nan); false when the
 * text is not one, or overflows a double. s is a scalar's value, which
 * libyaml ends with a NUL at n: it is parsed in place (a copy that could
 * not be allocated made the scalar a string). */
static bool
yj_parse_float(const char *s, size_t n, double *out)
{
	locale_t c;
	char *end;
	double v;
	bool overflow;

	if (yj_in(s, n, yj_infs) || yj_in(s, n, yj_neginfs) || yj_in(s, n, yj_nans)) {
		*out = yj_in(s, n, yj_nans) ? NAN : yj_in(s, n, yj_infs) ? INFINITY : -INFINITY;
		return true;
	}
	if (!yj_float_syntax(s, n))
		return false;
	assert(s[n] == '\0');
	/* the text is ASCII and checked; the C locale only guards the '.' */
	c = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
	errno = 0;
	v = c != (locale_t) 0 ? strtod_l(s, &end, c) : strtod(s, &end);
	overflow = errno == ERANGE && isinf(v);
	if (c != (locale_t) 0)
		freelocale(c);
	if (overflow)
		return false;
	*out = v;
	return true;
}

/* An untagged plain scalar: null, bool, int, float, or else a string. */
static void
yj_resolve_plain(const char *s, size_t n, struct yj_scalar *sc)
{
	memset(sc, 0, sizeof(*sc));
	if (yj_in(s, n, yj_nulls))
		sc->kind = YJ_NULL;
	else if (yj_parse_bool(s, n, &sc->b))
		sc->kind = YJ_BOOL;
	else if (yj_parse_int(s, n, &sc->i))
		sc->kind = YJ_INT;
	else if (yj_parse_float(s, n, &sc->d))
		sc->kind = YJ_FLOAT;
	else
		sc->kind = YJ_STRING;
}

/* A scalar with an explicit tag. !!str/!!int/!!bool/!!float/!!null force the
 * type (false when the text does not fit); any other tag gives a string. */
static bool
yj_resolve_tagged(const char *tag, const char *s, size_t n, struct yj_scalar *sc)
{
	const char *t;
	int64_t i;

	memset(sc, 0, sizeof(*sc));
	sc->kind = YJ_STRING;
	if (strncmp(tag, YJ_TAG_PREFIX, strlen(YJ_TAG_PREFIX)) != 0)
		return true;
	t = tag + strlen(YJ_TAG_PREFIX);
	if (strcmp(t, "int") == 0) {
		sc->kind = YJ_INT;
		return yj_parse_int(s, n, &sc->i);
	}
	if (strcmp(t, "float") == 0) {
		sc->kind = YJ_FLOAT;
		if (yj_parse_float(s, n, &sc->d))
			return true;
		if (!yj_parse_int(s, n, &i))
			return false;
		sc->d = (double) i;
		return true;
	}
	if (strcmp(t, "bool") == 0) {
		sc->kind = YJ_BOOL;
		return yj_parse_bool(s, n, &sc->b);
	}
	if (strcmp(t, "null") == 0) {
		sc->kind = YJ_NULL;
		return yj_in(s, n, yj_nulls);
	}
	return true;
}

/* The json-c node of a scalar event (NULL for null). */
static bool
yj_scalar_node(struct yj_builder *b, const yaml_event_t *ev, struct json_object **out)
{
	const char *s = (const char *) ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *tag = (const char *) ev->data.scalar.tag;
	struct yj_scalar sc;

	*out = NULL;
	if (tag != NULL) {
		if (!yj_resolve_tagged(tag, s, n, &sc))
			return yj_error(b, ev->start_mark, "\"%s\" is not a valid !!%s", s,
					tag + strlen(YJ_TAG_PREFIX));
	} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		yj_resolve_plain(s, n, &sc);
	} else {
		memset(&sc, 0, sizeof(sc));
		sc.kind = YJ_STRING;
	}
	switch (sc.kind) {
	case YJ_NULL:
		return true;
	case YJ_BOOL:
		*out = json_object_new_boolean(sc.b);
		break;
	case YJ_INT:
		*out = json_object_new_int64(sc.i);
		break;
	case YJ_FLOAT:
		*out = json_object_new_double(sc.d);
		break;
	case YJ_STRING:
		if (n > INT_MAX)
			return yj_error(b, ev->start_mark, "scalar longer than %d bytes", INT_MAX);
		*out = json_object_new_string_len(s, (int) n);
		break;
	}
	return *out != NULL || yj_oom(b, ev->start_mark);
}

/* ---- building the tree ------------------------------------------------- */

static struct yj_frame *
yj_top(struct yj_builder *b)
{
	return b->depth > 0 ? &b->stack[b->depth - 1] : NULL;
}

/* Remember node under an anchor name (a later anchor of the same name wins);
 * text is a scalar's source text (NULL for a collection), used when the
 * alias is a mapping key, so that "*k" keys by "on" rather than "true". */
static bool
yj_register_anchor(struct yj_builder *b, const char *name, struct json_object *node,
		   const char *text, size_t textlen, size_t size, yaml_mark_t mark)
{
	struct json_object *t = NULL, *sz;

	if (b->anchors == NULL && (b->anchors = json_object_new_object()) == NULL)
		return yj_oom(b, mark);
	if (b->anchor_sizes == NULL && (b->anchor_sizes = json_object_new_object()) == NULL)
		return yj_oom(b, mark);
	if ((sz = json_object_new_int64((int64_t) size)) == NULL
	    || json_object_object_add(b->anchor_sizes, name, sz) != 0) {
		json_object_put(sz);
		return yj_oom(b, mark);
	}
	if (b->anchor_text == NULL && (b->anchor_text = json_object_new_object()) == NULL)
		return yj_oom(b, mark);
	if (json_object_object_add(b->anchors, name, json_object_get(node)) != 0) {
		json_object_put(node);	/* undo the reference taken above */
		return yj_oom(b, mark);
	}
	if (text == NULL) {
		json_object_object_del(b->anchor_text, name);
		return true;
	}
	if (textlen > INT_MAX || (t = json_object_new_string_len(text, (int) textlen)) == NULL ||
	    json_object_object_add(b->anchor_text, name, t) != 0) {
		json_object_put(t);
		return yj_oom(b, mark);
	}
	return true;
}

/* Copy into `into` every entry of src whose key `into` does not have yet. */
static bool
yj_merge_into(struct json_object *into, struct json_object *src)
{
	json_object_object_foreach(src, k, v) {
		if (json_object_object_get_ex(into, k, NULL))
			continue;
		if (json_object_object_add(into, k, json_object_get(v)) != 0) {
			json_object_put(v);
			return false;
		}
	}
	return true;
}

static bool
yj_merge_source(struct yj_builder *b, struct yj_frame *f, struct json_object *src)
{
	if (f->merged == NULL && (f->merged = json_object_new_object()) == NULL)
		return yj_oom(b, f->key_mark);
	if (!yj_merge_into(f->merged, src))
		return yj_oom(b, f->key_mark);
	return true;
}

/* The value of a "<<" key: a mapping or a sequence of mappings, earlier ones
 * winning. Consumes val. */
static bool
yj_merge_value(struct yj_builder *b, struct yj_frame *f, struct json_object *val)
{
	bool ok = true;

	if (json_object_is_type(val, json_type_object)) {
		ok = yj_merge_source(b, f, val);
	} else if (json_object_is_type(val, json_type_array)) {
		size_t n = json_object_array_length(val);

		for (size_t i = 0; i < n && ok; i++) {
			struct json_object *el = json_object_array_get_idx(val, i);

			if (!json_object_is_type(el, json_type_object))
				ok = yj_error(b, f->key_mark, "merge key \"<<\": element %zu of the "
					      "sequence is not a mapping", i + 1);
			else
				ok = yj_merge_source(b, f, el);
		}
	} else {
		ok = yj_error(b, f->key_mark, "merge key \"<<\" needs a mapping or a "
			      "sequence of mappings");
	}
	json_object_put(val);
	return ok;
}

/* Put a finished node where it belongs: the open collection or the document
 * root. Consumes val on every path. */
static bool
yj_add_value(struct yj_builder *b, struct json_object *val, yaml_mark_t mark)
{
	struct yj_frame *f = yj_top(b);
	char *key;
	bool ok = true;

	if (f == NULL) {
		json_object_put(b->root);
		b->root = val;
		return true;
	}
	if (!f->is_map) {
		if (json_object_array_add(f->obj, val) != 0) {
			json_object_put(val);
			return yj_oom(b, mark);
		}
		return true;
	}
	key = f->key;
	f->key = NULL;
	if (key == NULL) {
		/* libyaml always sends a key first; never reached */
		json_object_put(val);
		return yj_error(b, mark, "value without a key");
	}
	if (f->key_is_merge) {
		ok = yj_merge_value(b, f, val);
	} else if (json_object_object_add(f->obj, key, val) != 0) {
		json_object_put(val);
		ok = yj_oom(b, mark);
	}
	free(key);
	return ok;
}

/* A scalar in key position: refuse a duplicate, then wait for its value. */
static bool
yj_take_key(struct yj_builder *b, struct yj_frame *f, const char *key, bool is_merge,
	    yaml_mark_t mark)
{
	struct json_object *line;

	if (!is_merge) {
		if (f->keylines == NULL && (f->keylines = json_object_new_object()) == NULL)
			return yj_oom(b, mark);
		if (json_object_object_get_ex(f->keylines, key, &line))
			return yj_error(b, mark, "duplicate key \"%s\" (first at line %" PRId64 ")",
					key, json_object_get_int64(line));
		line = json_object_new_int64((int64_t) mark.line + 1);
		if (line == NULL || json_object_object_add(f->keylines, key, line) != 0) {
			json_object_put(line);
			return yj_oom(b, mark);
		}
	}
	f->key = strdup(key);
	if (f->key == NULL)
		return yj_oom(b, mark);
	f->key_mark = mark;
	f->key_is_merge = is_merge;
	return true;
}

static bool
yj_expects_key(struct yj_builder *b)
{
	struct yj_frame *f = yj_top(b);

	return f != NULL && f->is_map && f->key == NULL;
}

/* The expansion budget: every scalar counts its bytes, every alias the
 * bytes of what it repeats; past the budget the stream is refused (a few
 * kilobytes of nested aliases would otherwise become gigabytes). */
static bool
yj_count(struct yj_builder *b, size_t cost, yaml_mark_t mark)
{
	if (b->depth > 0)
		b->stack[b->depth - 1].size += cost;
	b->expanded = cost > SIZE_MAX - b->expanded ? SIZE_MAX : b->expanded + cost;
	if (b->expanded <= b->budget)
		return true;
	return yj_error(b, mark, "aliases expand the document to more than %zu bytes (%u times "
			"the file, at least %u and at most %u bytes): pgpod refuses it", b->budget,
			YAMLJSON_EXPANSION, YAMLJSON_EXPANSION_MIN, YAMLJSON_EXPANSION_MAX);
}

static bool
yj_on_scalar(struct yj_builder *b, const yaml_event_t *ev)
{
	const char *s = (const char *) ev->data.scalar.value;
	const char *anchor = (const char *) ev->data.scalar.anchor;
	struct json_object *val;
	bool merge;

	if (!yj_scalar_node(b, ev, &val))
		return false;
	if (!yj_count(b, ev->data.scalar.length, ev->start_mark)) {
		json_object_put(val);
		return false;
	}
	if (anchor != NULL && !yj_register_anchor(b, anchor, val, s, ev->data.scalar.length,
						  ev->data.scalar.length, ev->start_mark)) {
		json_object_put(val);
		return false;
	}
	if (yj_expects_key(b)) {
		json_object_put(val);
		merge = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			ev->data.scalar.tag == NULL && strcmp(s, "<<") == 0;
		return yj_take_key(b, yj_top(b), s, merge, ev->start_mark);
	}
	return yj_add_value(b, val, ev->start_mark);
}

static bool
yj_on_alias(struct yj_builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *) ev->data.alias.anchor;
	struct json_object *target;
	struct json_object *text, *size;

	if (b->anchors == NULL || !json_object_object_get_ex(b->anchors, name, &target))
		return yj_error(b, ev->start_mark, "unknown alias \"*%s\"", name);
	if (json_object_object_get_ex(b->anchor_sizes, name, &size)
	    && !yj_count(b, (size_t) json_object_get_int64(size), ev->start_mark))
		return false;
	if (yj_expects_key(b)) {
		if (json_object_is_type(target, json_type_object) ||
		    json_object_is_type(target, json_type_array))
			return yj_error(b, ev->start_mark, "mapping keys must be scalars "
					"(alias \"*%s\" is a collection)", name);
		if (!json_object_object_get_ex(b->anchor_text, name, &text))
			return yj_error(b, ev->start_mark, "unknown alias \"*%s\"", name);
		return yj_take_key(b, yj_top(b), json_object_get_string(text), false,
				   ev->start_mark);
	}
	return yj_add_value(b, json_object_get(target), ev->start_mark);
}

static bool
yj_open(struct yj_builder *b, const yaml_event_t *ev, bool is_map)
{
	const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor :
					     ev->data.sequence_start.anchor;
	struct yj_frame *f;

	if (yj_expects_key(b))
		return yj_error(b, ev->start_mark, "mapping keys must be scalars");
	if (b->depth == YAMLJSON_MAX_DEPTH)
		return yj_error(b, ev->start_mark, "nesting deeper than %d levels",
				YAMLJSON_MAX_DEPTH);
	f = &b->stack[b->depth];
	memset(f, 0, sizeof(*f));
	f->is_map = is_map;
	f->obj = is_map ? json_object_new_object() : json_object_new_array();
	if (f->obj == NULL)
		return yj_oom(b, ev->start_mark);
	if (anchor != NULL && (f->anchor = strdup((const char *) anchor)) == NULL) {
		json_object_put(f->obj);
		return yj_oom(b, ev->start_mark);
	}
	b->depth++;
	return true;
}

/* The open collection is complete: apply merges, register its anchor and
 * hand it to its parent. */
static bool
yj_close(struct yj_builder *b, const yaml_event_t *ev)
{
	struct yj_frame f = b->stack[--b->depth];
	bool ok = true;

	if (f.merged != NULL)
		ok = yj_merge_into(f.obj, f.merged) || yj_oom(b, ev->start_mark);
	json_object_put(f.merged);
	json_object_put(f.keylines);
	free(f.key);
	if (b->depth > 0)
		b->stack[b->depth - 1].size += f.size;
	if (ok && f.anchor != NULL)
		ok = yj_register_anchor(b, f.anchor, f.obj, NULL, 0, f.size, ev->start_mark);
	free(f.anchor);
	if (!ok) {
		json_object_put(f.obj);
		return false;
	}
	return yj_add_value(b, f.obj, ev->start_mark);
}

/* A document ended: keep its tree unless it is empty (null); anchors do not
 * cross documents. */
static bool
yj_end_document(struct yj_builder *b, const yaml_event_t *ev)
{
	struct json_object *root = b->root;

	b->root = NULL;
	json_object_put(b->anchors);
	b->anchors = NULL;
	json_object_put(b->anchor_text);
	b->anchor_text = NULL;
	json_object_put(b->anchor_sizes);
	b->anchor_sizes = NULL;
	if (root == NULL)
		return true;
	if (b->ndocs == b->capdocs) {
		size_t cap = b->capdocs ? b->capdocs * 2 : 4;
		struct json_object **d = realloc(b->docs, cap * sizeof(*d));

		if (d == NULL) {
			json_object_put(root);
			return yj_oom(b, ev->start_mark);
		}
		b->docs = d;
		b->capdocs = cap;
	}
	b->docs[b->ndocs++] = root;
	return true;
}

static bool
yj_dispatch(struct yj_builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_END_EVENT:
		return yj_end_document(b, ev);
	case YAML_SCALAR_EVENT:
		return yj_on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return yj_on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return yj_open(b, ev, false);
	case YAML_MAPPING_START_EVENT:
		return yj_open(b, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return yj_close(b, ev);
	default:
		return true;
	}
}

/* Turn libyaml's own error into our one-line message. */
static void
yj_parser_error(struct yj_builder *b, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	size_t line;
	size_t col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		yj_message(b->err, b->errlen, 1, 1, "out of memory");
		break;
	case YAML_READER_ERROR:
		yj_line_col(text, len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			yj_message(b->err, b->errlen, line, col, "%s (byte 0x%02x)", problem,
				   (unsigned) p->problem_value & 0xFFu);
		else
			yj_message(b->err, b->errlen, line, col, "%s", problem);
		break;
	default:
		if (p->context != NULL)
			yj_message(b->err, b->errlen, p->problem_mark.line + 1,
				   p->problem_mark.column + 1, "%s (%s that starts at line %zu, column %zu)",
				   problem, p->context, p->context_mark.line + 1,
				   p->context_mark.column + 1);
		else
			yj_message(b->err, b->errlen, p->problem_mark.line + 1,
				   p->problem_mark.column + 1, "%s", problem);
		break;
	}
}

static bool
yj_parse_yaml(struct yj_builder *b, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool ok = true;
	bool done = false;

	if (!yaml_parser_initialize(&parser)) {
		yj_message(b->err, b->errlen, 1, 1, "out of memory");
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
	while (ok && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yj_parser_error(b, &parser, text, len);
			ok = false;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ok = yj_dispatch(b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return ok;
}

static void
yj_builder_free(struct yj_builder *b)
{
	while (b->depth > 0) {
		struct yj_frame *f = &b->stack[--b->depth];

		json_object_put(f->obj);
		json_object_put(f->merged);
		json_object_put(f->keylines);
		free(f->anchor);
		free(f->key);
	}
	json_object_put(b->root);
	json_object_put(b->anchors);
	json_object_put(b->anchor_text);
	json_object_put(b->anchor_sizes);
	yamljson_free_docs(b->docs, b->ndocs);
	free(b);
}

/* ---- JSON -------------------------------------------------------------- */

static bool
yj_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Offset of the first byte that is not a BOM, whitespace or a # comment. */
static size_t
yj_skip_blank(const char *text, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		if (yj_is_space(text[i]))
			i++;
		else if (text[i] == '#')
			while (i < len && text[i] != '\n')
				i++;
		else
			break;
	}
	return i;
}

/* Parse text[start..len) as exactly one JSON value. */
static bool
yj_parse_json(const char *text, size_t len, size_t start, struct json_object **out,
	      char *err, size_t errlen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	const char *what;
	size_t end;
	size_t line;
	size_t col;

	*out = NULL;
	if (len - start > INT_MAX) {
		yj_message(err, errlen, 1, 1, "JSON text longer than %d bytes", INT_MAX);
		return false;
	}
	tok = json_tokener_new_ex(YAMLJSON_MAX_DEPTH);
	if (tok == NULL) {
		yj_message(err, errlen, 1, 1, "out of memory");
		return false;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	*out = json_tokener_parse_ex(tok, text + start, (int) (len - start));
	jerr = json_tokener_get_error(tok);
	end = start + json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (*out == NULL) {
		yj_line_col(text, len, jerr == json_tokener_continue ? len : end, &line, &col);
		if (jerr == json_tokener_error_depth) {
			yj_message(err, errlen, line, col, "invalid JSON: nesting deeper than %d "
				   "levels", YAMLJSON_MAX_DEPTH);
			return false;
		}
		what = jerr == json_tokener_continue ? "unexpected end of input" :
						       json_tokener_error_desc(jerr);
		yj_message(err, errlen, line, col, "invalid JSON: %s", what);
		return false;
	}
	while (end < len && yj_is_space(text[end]))
		end++;
	if (end < len) {
		json_object_put(*out);
		*out = NULL;
		yj_line_col(text, len, end, &line, &col);
		yj_message(err, errlen, line, col, "invalid JSON: unexpected text after the value");
		return false;
	}
	return true;
}

static bool
yj_json_docs(const char *text, size_t len, size_t start, struct json_object ***docs,
	     size_t *ndocs, char *err, size_t errlen)
{
	struct json_object *obj;

	if (!yj_parse_json(text, len, start, &obj, err, errlen))
		return false;
	*docs = malloc(sizeof(**docs));
	if (*docs == NULL) {
		json_object_put(obj);
		yj_message(err, errlen, 1, 1, "out of memory");
		return false;
	}
	(*docs)[0] = obj;
	*ndocs = 1;
	return true;
}

/* ---- public API -------------------------------------------------------- */

bool
yamljson_parse(const char *text, size_t len, struct json_object ***docs, size_t *ndocs,
	       char *err, size_t errlen)
{
	struct yj_builder *b;
	size_t start;
	bool ok;

	*docs = NULL;
	*ndocs = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len == 0)
		return true;
	start = yj_skip_blank(text, len);
	if (start < len && (text[start] == '{' || text[start] == '['))
		return yj_json_docs(text, len, start, docs, ndocs, err, errlen);

	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		yj_message(err, errlen, 1, 1, "out of memory");
		return false;
	}
	b->err = err;
	b->errlen = errlen;
	b->budget = len > YAMLJSON_EXPANSION_MAX / YAMLJSON_EXPANSION ? YAMLJSON_EXPANSION_MAX
		: len * YAMLJSON_EXPANSION;
	if (b->budget < YAMLJSON_EXPANSION_MIN)
		b->budget = YAMLJSON_EXPANSION_MIN;
	ok = yj_parse_yaml(b, text, len);
	if (ok) {
		*docs = b->docs;
		*ndocs = b->ndocs;
		b->docs = NULL;
		b->ndocs = 0;
	}
	yj_builder_free(b);
	return ok;
}

void
yamljson_free_docs(struct json_object **docs, size_t ndocs)
{
	for (size_t i = 0; i < ndocs; i++)
		json_object_put(docs[i]);
	free(docs);
}

/* Make room to read more: up to one byte past YAMLJSON_MAX_FILE, which
 * tells a file of exactly the limit from a larger one. */
static bool
yj_read_grow(char **buf, size_t *cap, char *msg, size_t msglen)
{
	size_t ncap = *cap ? *cap * 2 : YJ_READ_CHUNK;
	char *nbuf;

	if (*cap >= YAMLJSON_MAX_FILE + 1) {
		snprintf(msg, msglen, "file larger than %u bytes", YAMLJSON_MAX_FILE);
		return false;
	}
	if (ncap > YAMLJSON_MAX_FILE + 1)
		ncap = YAMLJSON_MAX_FILE + 1;
	nbuf = realloc(*buf, ncap);
	if (nbuf == NULL) {
		snprintf(msg, msglen, "out of memory");
		return false;
	}
	*buf = nbuf;
	*cap = ncap;
	return true;
}

/* Read fd to its end into *buf (malloc'ed; the caller frees it, also on
 * failure). */
static bool
yj_read_fd(int fd, char **buf, size_t *len, char *msg, size_t msglen)
{
	size_t cap = 0;

	for (;;) {
		ssize_t n;

		if (*len == cap && !yj_read_grow(buf, &cap, msg, msglen))
			return false;
		n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(msg, msglen, "cannot read: %s", strerror(errno));
			return false;
		}
		if (n == 0)
			break;
		*len += (size_t) n;
	}
	if (*len > YAMLJSON_MAX_FILE) {
		snprintf(msg, msglen, "file larger than %u bytes", YAMLJSON_MAX_FILE);
		return false;
	}
	return true;
}

/* Read a whole regular file of at most YAMLJSON_MAX_FILE bytes. A FIFO,
 * a device or a directory is refused without blocking on it (a FIFO with
 * no writer would hold pgpod for ever). */
static bool
yj_read_file(const char *path, char **out, size_t *outlen, char *msg, size_t msglen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	*out = NULL;
	*outlen = 0;
	if (fd < 0) {
		snprintf(msg, msglen, "cannot open: %s", strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "is %s, not a regular file", S_ISDIR(st.st_mode) ? "a directory"
			 : S_ISFIFO(st.st_mode) ? "a FIFO" : "a device or special file");
		close(fd);
		return false;
	}
	if (!yj_read_fd(fd, &buf, &len, msg, msglen)) {
		free(buf);
		close(fd);
		return false;
	}
	close(fd);
	*out = buf;
	*outlen = len;
	return true;
}

bool
yamljson_parse_file(const char *path, struct json_object ***docs, size_t *ndocs,
		    char *err, size_t errlen)
{
	char msg[512];
	char *text;
	size_t len;
	bool ok;

	*docs = NULL;
	*ndocs = 0;
	if (!yj_read_file(path, &text, &len, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", path, msg);
		return false;
	}
	ok = yamljson_parse(text, len, docs, ndocs, msg, sizeof(msg));
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(text);
	return ok;
}

const char *
yamljson_type_label(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number";
	case json_type_int: return "an integer";
	case json_type_object: return "a mapping";
	case json_type_array: return "a list";
	case json_type_string: return "a string";
	}
	return "a value";
}
