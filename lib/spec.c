/*
 * spec.c — what walks the model's field tables (spec_fields.c): defaults,
 * list helpers, the normalized JSON dump, freeing and the reload
 * comparison. Dialect readers live in dialect.c, rules in validate.c; all
 * of them walk the same tables.
 */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


_Static_assert(sizeof(enum spec_bootstrap) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum spec_source_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum spec_target_kind) == sizeof(int), "enums are stored as int");

const char *const spec_bootstrap_names[] = { "initdb", "pg_basebackup", "recovery", NULL };

/* ---- allocation ---- */

static void
spec_oom(void)
{
	fputs("pgpod: out of memory\n", stderr);
	abort();
}

/* calloc that never returns NULL (a zero size still gets a block). */
void *
spec_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		spec_oom();
	return p;
}

/* realloc that never returns NULL. */
void *
spec_xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (p == NULL)
		spec_oom();
	return p;
}

/* strdup that never returns NULL. */
char *
spec_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		spec_oom();
	return d;
}

/* ---- fields and paths ---- */

int
spec_field_index(const char *key)
{
	for (size_t i = 0; i < spec_nfields; i++)
		if (strcmp(spec_fields[i].key, key) == 0)
			return (int) i;
	return -1;
}

void
spec_set_origin(struct spec *s, int field, const char *path)
{
	if (field < 0 || (size_t) field >= spec_nfields)
		return;
	free(s->origin[field]);
	s->origin[field] = spec_xstrdup(path);
}

const char *
spec_path(const struct spec *s, const char *key)
{
	int i = spec_field_index(key);

	if (i >= 0 && s->origin[i] != NULL)
		return s->origin[i];
	return key;
}

/* The member a field describes, inside base (the spec or an item). */
static void *
spec_member(const struct spec_field *f, const void *base)
{
	return (char *) base + f->offset;
}

/* The path an item was read from; NULL for an item built by hand. */
static char *
spec_item_origin(const struct spec_list *l, const void *item)
{
	return *(char *const *) ((const char *) item + l->origin);
}

void
spec_item_path(const struct spec_list *l, const void *item, const struct spec_field *f,
	       const char *fallback, size_t index, char *buf, size_t cap)
{
	const char *origin = spec_item_origin(l, item);
	const char *rel = f->paths[0] != NULL ? f->paths[0] : f->key;

	if (origin != NULL)
		snprintf(buf, cap, "%s.%s", origin, rel);
	else
		snprintf(buf, cap, "%s[%zu].%s", fallback, index, rel);
}

const struct spec_external *
spec_external_find(const struct spec *s, const char *name)
{
	for (size_t i = 0; name != NULL && i < s->n_externals; i++)
		if (s->externals[i].name != NULL && strcmp(s->externals[i].name, name) == 0)
			return &s->externals[i];
	return NULL;
}

const char *
spec_external_path(const struct spec *s, const char *name, char *buf, size_t cap)
{
	const struct spec_external *e = spec_external_find(s, name);
	const char *list = spec_path(s, "externalClusters");

	if (e != NULL && e->origin != NULL)
		snprintf(buf, cap, "%s (\"%s\")", e->origin, name);
	else if (e != NULL)
		snprintf(buf, cap, "%s[%td] (\"%s\")", list, e - s->externals, name);
	else
		snprintf(buf, cap, "%s", list);
	return buf;
}

/* ---- creation and freeing ---- */

/* Unset ints are -1 (0 is a value); everything else starts zeroed. */
static void
spec_init_fields(const struct spec_field *fields, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		if (fields[i].type == SPEC_T_INT || fields[i].type == SPEC_T_BOOL)
			*(int *) spec_member(&fields[i], base) = -1;
		else if (fields[i].type == SPEC_T_OBJECT)
			spec_item_init(fields[i].list, spec_member(&fields[i], base));
	}
}

void
spec_item_init(const struct spec_list *l, void *item)
{
	memset(item, 0, l->size);
	spec_init_fields(l->fields, l->nfields, item);
}

struct spec *
spec_new(void)
{
	struct spec *s = spec_xcalloc(1, sizeof(*s));

	s->origin = spec_xcalloc(spec_nfields, sizeof(char *));
	spec_init_fields(spec_fields, spec_nfields, s);
	return s;
}

static void spec_free_member(const struct spec_field *f, void *base);

void
spec_item_clear(const struct spec_list *l, void *item)
{
	for (size_t i = 0; i < l->nfields; i++)
		spec_free_member(&l->fields[i], item);
	free(spec_item_origin(l, item));
	spec_item_init(l, item);
}

static void spec_copy_member(const struct spec_field *f, void *dst, const void *src);

void
spec_item_copy(const struct spec_list *l, void *dst, const void *src)
{
	const char *origin = *(char *const *) ((const char *) src + l->origin);

	spec_item_init(l, dst);
	*(char **) ((char *) dst + l->origin) = origin ? spec_xstrdup(origin) : NULL;
	for (size_t i = 0; i < l->nfields; i++)
		spec_copy_member(&l->fields[i], dst, src);
}

/* A list of objects, item by item (dst's is empty). */
static void
spec_copy_list(const struct spec_field *f, void *dst, const void *src)
{
	const struct spec_list *l = f->list;
	char *const *from = spec_member(f, src);
	char **to = spec_member(f, dst);
	size_t n = *(const size_t *) ((const char *) src + l->count);

	*to = n ? spec_xcalloc(n, l->size) : NULL;
	for (size_t i = 0; i < n; i++)
		spec_item_copy(l, *to + i * l->size, *from + i * l->size);
	*(size_t *) ((char *) dst + l->count) = n;
}

/* One member of an item, deep (dst's is in its initial state). */
static void
spec_copy_member(const struct spec_field *f, void *dst, const void *src)
{
	const void *m = spec_member(f, src);
	void *t = spec_member(f, dst);

	switch (f->type) {
	case SPEC_T_STRING:
		*(char **) t = *(char *const *) m ? spec_xstrdup(*(char *const *) m) : NULL;
		break;
	case SPEC_T_STRLIST:
		for (size_t i = 0; i < ((const struct strlist *) m)->n; i++)
			strlist_add(t, ((const struct strlist *) m)->items[i]);
		break;
	case SPEC_T_KVLIST:
		for (size_t i = 0; i < ((const struct kvlist *) m)->n; i++)
			kvlist_set(t, ((const struct kvlist *) m)->items[i].key,
				   ((const struct kvlist *) m)->items[i].value);
		break;
	case SPEC_T_REF:
		((struct spec_ref *) t)->name = ((const struct spec_ref *) m)->name
			? spec_xstrdup(((const struct spec_ref *) m)->name) : NULL;
		((struct spec_ref *) t)->key = ((const struct spec_ref *) m)->key
			? spec_xstrdup(((const struct spec_ref *) m)->key) : NULL;
		break;
	case SPEC_T_OBJECT:
		spec_item_copy(f->list, t, m);
		break;
	case SPEC_T_OBJLIST:
		spec_copy_list(f, dst, src);
		break;
	case SPEC_T_INT:
	case SPEC_T_BOOL:
	case SPEC_T_ENUM:
		*(int *) t = *(const int *) m;
		break;
	case SPEC_T_PRESENT:
		*(bool *) t = *(const bool *) m;
		break;
	default:
		break;	/* targets and ref lists are no members of items */
	}
}

/* Free every item of a list and the list itself. */
static void
spec_free_list(const struct spec_field *f, void *base)
{
	char **items = spec_member(f, base);
	size_t *n = (size_t *) ((char *) base + f->list->count);

	for (size_t i = 0; i < *n; i++)
		spec_item_clear(f->list, *items + i * f->list->size);
	free(*items);
	*items = NULL;
	*n = 0;
}

/* Free one member described by a table (base: the spec or an item). */
static void
spec_free_member(const struct spec_field *f, void *base)
{
	void *m = spec_member(f, base);

	switch (f->type) {
	case SPEC_T_STRING:
		free(*(char **) m);
		*(char **) m = NULL;
		break;
	case SPEC_T_STRLIST:
		strlist_free(m);
		break;
	case SPEC_T_KVLIST:
		kvlist_free(m);
		break;
	case SPEC_T_REFLIST:
		reflist_free(m);
		break;
	case SPEC_T_REF:
		spec_ref_free(m);
		break;
	case SPEC_T_TARGET:
		/* several keys share the target: the first frees its value */
		free(((struct spec_target *) m)->value);
		((struct spec_target *) m)->value = NULL;
		break;
	case SPEC_T_OBJECT:
		spec_item_clear(f->list, m);
		break;
	case SPEC_T_OBJLIST:
		spec_free_list(f, base);
		break;
	default:
		break;
	}
}

void
spec_free(struct spec *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < spec_nfields; i++) {
		spec_free_member(&spec_fields[i], s);
		free(s->origin[i]);
	}
	free(s->origin);
	free(s->source_file);
	free(s);
}

/* ---- list helpers ---- */

void
strlist_add(struct strlist *l, const char *v)
{
	l->items = spec_xrealloc(l->items, (l->n + 1) * sizeof(char *));
	l->items[l->n++] = spec_xstrdup(v);
}

bool
strlist_has(const struct strlist *l, const char *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], v) == 0)
			return true;
	return false;
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void
kvlist_set(struct kvlist *l, const char *key, const char *value)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].key, key) == 0) {
			free(l->items[i].value);
			l->items[i].value = spec_xstrdup(value);
			return;
		}
	}
	l->items = spec_xrealloc(l->items, (l->n + 1) * sizeof(struct kv));
	l->items[l->n].key = spec_xstrdup(key);
	l->items[l->n].value = spec_xstrdup(value);
	l->n++;
}

const char *
kvlist_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

bool
spec_key_is_secret(const char *key)
{
	static const char *const words[] = { "pass", "secret", "key", "token", "credential" };
	char low[128];
	size_t n = 0;

	for (; key[n] && n < sizeof(low) - 1; n++)
		low[n] = (char) tolower((unsigned char) key[n]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]) != NULL)
			return true;
	return false;
}

void
kvlist_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void
reflist_add(struct reflist *l, const char *name, const char *key)
{
	l->items = spec_xrealloc(l->items, (l->n + 1) * sizeof(struct spec_ref));
	l->items[l->n].name = name ? spec_xstrdup(name) : NULL;
	l->items[l->n].key = key ? spec_xstrdup(key) : NULL;
	l->n++;
}

void
spec_ref_free(struct spec_ref *r)
{
	free(r->name);
	free(r->key);
	r->name = r->key = NULL;
}

void
reflist_free(struct reflist *l)
{
	for (size_t i = 0; i < l->n; i++)
		spec_ref_free(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

const char *
spec_dialect_name(enum spec_dialect d)
{
	static const char *const names[] = {
		[SPEC_DIALECT_CNPG] = "cloudnative-pg",
		[SPEC_DIALECT_CHART] = "cnpg-database-chart",
		[SPEC_DIALECT_PGO] = "crunchy-pgo",
		[SPEC_DIALECT_PERCONA] = "percona",
	};

	return names[d];
}

const char *
spec_bootstrap_name(enum spec_bootstrap b)
{
	return spec_bootstrap_names[b];
}

const char *
spec_target_name(enum spec_target_kind k)
{
	return *spec_target_names[k] ? spec_target_names[k] : NULL;
}

/* ---- defaults ---- */

/* Defaults from the table, then the derived ones (owner = database). */
void
spec_apply_defaults(struct spec *s)
{
	/* a superuser secret given without enableSuperuserAccess means "use it" */
	if (s->enable_superuser_access < 0 && s->superuser_secret != NULL)
		s->enable_superuser_access = 1;
	for (size_t i = 0; i < spec_nfields; i++) {
		const struct spec_field *f = &spec_fields[i];
		void *m = spec_member(f, s);

		if (f->dflt == NULL)
			continue;
		if (f->type == SPEC_T_STRING && *(char **) m == NULL)
			*(char **) m = spec_xstrdup(f->dflt);
		else if (f->type == SPEC_T_INT && *(int *) m < 0)
			*(int *) m = atoi(f->dflt);
		else if (f->type == SPEC_T_BOOL && *(int *) m < 0)
			*(int *) m = strcmp(f->dflt, "true") == 0;
	}
	/* LC_COLLATE and LC_CTYPE default to C unless a locale is given */
	if (s->locale == NULL && s->locale_collate == NULL)
		s->locale_collate = spec_xstrdup("C");
	if (s->locale == NULL && s->locale_ctype == NULL)
		s->locale_ctype = spec_xstrdup("C");
	if (s->app_owner == NULL && s->app_database != NULL)
		s->app_owner = spec_xstrdup(s->app_database);
	if (s->name == NULL)
		s->name = spec_xstrdup(SPEC_DEFAULT_NAME);
}

/* ---- normalized dump ---- */

static struct json_object *
spec_json_at(struct json_object *root, const char *key, char *leaf, size_t cap)
{
	struct json_object *cur = root;
	const char *p = key;
	const char *dot;

	while ((dot = strchr(p, '.')) != NULL) {
		char part[64];
		struct json_object *next;

		snprintf(part, sizeof(part), "%.*s", (int) (dot - p), p);
		if (!json_object_object_get_ex(cur, part, &next)) {
			next = json_object_new_object();
			json_object_object_add(cur, part, next);
		}
		cur = next;
		p = dot + 1;
	}
	snprintf(leaf, cap, "%s", p);
	return cur;
}

static struct json_object *
spec_json_ref(const struct spec_ref *r)
{
	struct json_object *o;

	if (r->name == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "key", json_object_new_string(r->key ? r->key : ""));
	return o;
}

static struct json_object *
spec_json_refs(const struct reflist *l)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(l->items[i].name ? l->items[i].name : ""));
		json_object_object_add(o, "key", json_object_new_string(l->items[i].key ? l->items[i].key : ""));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *
spec_json_strlist(const struct strlist *l)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(a, json_object_new_string(l->items[i]));
	return a;
}

/* Secret-looking keys are redacted unless the field says its values are
 * never secrets (postgresql.parameters). */
static struct json_object *
spec_json_kvlist(const struct kvlist *l, bool clear)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < l->n; i++) {
		bool hide = !clear && spec_key_is_secret(l->items[i].key);

		json_object_object_add(o, l->items[i].key,
			json_object_new_string(hide ? "[redacted]" : l->items[i].value));
	}
	return o;
}

static struct json_object *spec_json_value(const struct spec_field *f, const void *base, bool item);

/* An item's fields; NULL when it has none to show. */
static struct json_object *
spec_json_item(const struct spec_list *l, const void *item)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < l->nfields; i++) {
		struct json_object *v = spec_json_value(&l->fields[i], item, true);

		if (v != NULL)
			json_object_object_add(o, l->fields[i].key, v);
	}
	if (json_object_object_length(o) == 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A list of objects as an array; NULL when empty unless the list is always dumped. */
static struct json_object *
spec_json_list(const struct spec_field *f, const void *base)
{
	const struct spec_list *l = f->list;
	char *const *items = spec_member(f, base);
	size_t n = *(const size_t *) ((const char *) base + l->count);
	struct json_object *a;

	if (n == 0 && !l->dump_empty)
		return NULL;
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = spec_json_item(l, *items + i * l->size);

		json_object_array_add(a, o != NULL ? o : json_object_new_object());
	}
	return a;
}

/* A target key shows the target when it stands for the target's kind. */
static struct json_object *
spec_json_target(const struct spec_field *f, const struct spec_target *t)
{
	if ((int) t->kind != f->arg)
		return NULL;
	if (f->arg == SPEC_TARGET_IMMEDIATE)
		return json_object_new_boolean(true);
	return t->value != NULL ? json_object_new_string(t->value) : NULL;
}

/* One member as JSON; NULL when unset. Lists and maps of an item are shown
 * even when empty. */
static struct json_object *
spec_json_value(const struct spec_field *f, const void *base, bool item)
{
	const void *m = spec_member(f, base);
	const int *i = m;

	switch (f->type) {
	case SPEC_T_STRING:
		return *(char *const *) m ? json_object_new_string(*(char *const *) m) : NULL;
	case SPEC_T_INT:
		return *i >= 0 ? json_object_new_int(*i) : NULL;
	case SPEC_T_BOOL:
		return *i >= 0 ? json_object_new_boolean(*i) : NULL;
	case SPEC_T_ENUM:
		return *f->names[*i] ? json_object_new_string(f->names[*i]) : NULL;
	case SPEC_T_PRESENT:
		return json_object_new_boolean(*(const bool *) m);
	case SPEC_T_STRLIST:
		return item || ((const struct strlist *) m)->n ? spec_json_strlist(m) : NULL;
	case SPEC_T_KVLIST:
		return item || ((const struct kvlist *) m)->n ? spec_json_kvlist(m, f->clear) : NULL;
	case SPEC_T_REFLIST:
		return ((const struct reflist *) m)->n ? spec_json_refs(m) : NULL;
	case SPEC_T_REF:
		return spec_json_ref(m);
	case SPEC_T_TARGET:
		return spec_json_target(f, m);
	case SPEC_T_OBJECT:	/* an object the document does not have is not shown */
		return spec_item_origin(f->list, m) != NULL ? spec_json_item(f->list, m) : NULL;
	case SPEC_T_OBJLIST:
		return spec_json_list(f, base);
	}
	return NULL;
}

char *
spec_to_json(const struct spec *s)
{
	struct json_object *root = json_object_new_object();
	char *out;

	json_object_object_add(root, "dialect", json_object_new_string(spec_dialect_name(s->dialect)));
	if (s->source_file)
		json_object_object_add(root, "source", json_object_new_string(s->source_file));
	for (size_t i = 0; i < spec_nfields; i++) {
		char leaf[64];
		struct json_object *v = spec_json_value(&spec_fields[i], s, false);
		struct json_object *parent;

		if (v == NULL)
			continue;
		parent = spec_json_at(root, spec_fields[i].key, leaf, sizeof(leaf));
		json_object_object_add(parent, leaf, v);
	}
	out = spec_xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY
							   | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}

/* ---- what changed since bootstrap ---- */

static bool
spec_str_equal(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
spec_strlist_equal(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

static bool
spec_kvlist_equal(const struct kvlist *a, const struct kvlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].key, b->items[i].key) != 0
		    || strcmp(a->items[i].value, b->items[i].value) != 0)
			return false;
	return true;
}

static bool
spec_ref_equal(const struct spec_ref *a, const struct spec_ref *b)
{
	return spec_str_equal(a->name, b->name) && spec_str_equal(a->key, b->key);
}

static bool
spec_reflist_equal(const struct reflist *a, const struct reflist *b)
{
	if (a->n != b->n || a->single != b->single)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!spec_ref_equal(&a->items[i], &b->items[i]))
			return false;
	return true;
}

/* Whether the target stands at this key's kind in both, with one value. */
static bool
spec_target_equal(const struct spec_field *f, const struct spec_target *a,
		  const struct spec_target *b)
{
	bool ha = (int) a->kind == f->arg;
	bool hb = (int) b->kind == f->arg;

	return ha == hb && (!ha || spec_str_equal(a->value, b->value));
}

/* Whether a member (not a list of objects) is the same in a and b. */
static bool
spec_member_equal(const struct spec_field *f, const void *a, const void *b)
{
	const void *ma = spec_member(f, a);
	const void *mb = spec_member(f, b);

	switch (f->type) {
	case SPEC_T_STRING:
		return spec_str_equal(*(char *const *) ma, *(char *const *) mb);
	case SPEC_T_INT:
	case SPEC_T_BOOL:
	case SPEC_T_ENUM:
		return *(const int *) ma == *(const int *) mb;
	case SPEC_T_PRESENT:
		return *(const bool *) ma == *(const bool *) mb;
	case SPEC_T_STRLIST:
		return spec_strlist_equal(ma, mb);
	case SPEC_T_KVLIST:
		return spec_kvlist_equal(ma, mb);
	case SPEC_T_REFLIST:
		return spec_reflist_equal(ma, mb);
	case SPEC_T_REF:
		return spec_ref_equal(ma, mb);
	case SPEC_T_TARGET:
		return spec_target_equal(f, ma, mb);
	default:
		return true;
	}
}

/* Append path unless it is there already. */
static void
spec_add_path(struct strlist *paths, const char *path)
{
	if (!strlist_has(paths, path))
		strlist_add(paths, path);
}

/* The fields of one item that differ and may not change: every field of
 * an immutable list (lf), the immutable fields of a mutable one. */
static void
spec_changed_item(const struct spec_field *lf, const void *a, const void *b, const char *lpath,
		  size_t index, struct strlist *paths)
{
	const struct spec_list *l = lf->list;

	for (size_t i = 0; i < l->nfields; i++) {
		const struct spec_field *f = &l->fields[i];
		char path[512];

		if ((lf->mutable_ && f->mutable_) || spec_member_equal(f, a, b))
			continue;
		spec_item_path(l, spec_item_origin(l, b) ? b : a, f, lpath, index, path, sizeof(path));
		spec_add_path(paths, path);
	}
}

/* Items of a list: field by field where both have one; an item only one
 * has is listed whole when the list may not change. */
static void
spec_changed_list(const struct spec_field *f, const struct spec *a, const struct spec *b,
		  const char *lpath, struct strlist *paths)
{
	const struct spec_list *l = f->list;
	char *const *ia = spec_member(f, a);
	char *const *ib = spec_member(f, b);
	size_t na = *(const size_t *) ((const char *) a + l->count);
	size_t nb = *(const size_t *) ((const char *) b + l->count);

	for (size_t i = 0; i < na && i < nb; i++)
		spec_changed_item(f, *ia + i * l->size, *ib + i * l->size, lpath, i, paths);
	for (size_t i = na < nb ? na : nb; !f->mutable_ && i < (na > nb ? na : nb); i++) {
		const void *it = i < nb ? *ib + i * l->size : *ia + i * l->size;
		const char *origin = spec_item_origin(l, it);
		char path[512];

		if (origin != NULL)
			snprintf(path, sizeof(path), "%s", origin);
		else
			snprintf(path, sizeof(path), "%s[%zu]", lpath, i);
		spec_add_path(paths, path);
	}
}

/* The new spec's path of a member, else the old one's. */
static const char *
spec_changed_path(const struct spec *old, const struct spec *nw, const char *key)
{
	const char *p = spec_path(nw, key);

	return p != key ? p : spec_path(old, key);
}

/* Scalars and lists compared whole, lists of objects item by item. */
void
spec_changed_immutable(const struct spec *old, const struct spec *nw, struct strlist *paths)
{
	for (size_t i = 0; i < spec_nfields; i++) {
		const struct spec_field *f = &spec_fields[i];
		const char *path = spec_changed_path(old, nw, f->key);

		if (f->type == SPEC_T_OBJLIST)
			spec_changed_list(f, old, nw, path, paths);
		else if (f->type == SPEC_T_OBJECT)
			spec_changed_item(f, spec_member(f, old), spec_member(f, nw), path, 0, paths);
		else if (!f->mutable_ && !spec_member_equal(f, old, nw))
			spec_add_path(paths, path);
	}
}

/* ---- sizes and words ---- */

bool
spec_parse_size(const char *text, long long *bytes)
{
	static const struct {
		const char *unit;
		long long   mult;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "kB", 1LL << 10 }, { "MB", 1LL << 20 }, { "GB", 1LL << 30 }, { "TB", 1LL << 40 },
		{ "Ki", 1LL << 10 }, { "Mi", 1LL << 20 }, { "Gi", 1LL << 30 }, { "Ti", 1LL << 40 },
		{ "k", 1000LL }, { "M", 1000000LL }, { "G", 1000000000LL }, { "T", 1000000000000LL },
	};
	char *end;
	long long n;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return false;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0 && n <= LLONG_MAX / units[i].mult) {
			*bytes = n * units[i].mult;
			return true;
		}
	}
	return false;
}

/* The inside of a double-quoted string, from just after its quote; *p is
 * left after the closing quote. False when there is none. */
static bool
spec_split_dquote(const char **p, char *word, size_t *n)
{
	const char *c = *p;

	for (; *c != '"'; c++) {
		if (*c == '\0')
			return false;
		if (*c == '\\' && c[1] == '\n') {
			c++;
			continue;
		}
		if (*c == '\\' && c[1] != '\0' && strchr("\"\\$`", c[1]) != NULL)
			c++;
		word[(*n)++] = *c;
	}
	*p = c + 1;
	return true;
}

/* One word starting at *p (not a blank); false with *why on a bad quote. */
static bool
spec_split_word(const char **p, char *word, size_t *n, const char **why)
{
	const char *c = *p;

	while (*c != '\0' && strchr(" \t\n", *c) == NULL) {
		const char *end;

		if (*c == '\'') {
			if ((end = strchr(c + 1, '\'')) == NULL) {
				*why = "a single quote is not closed";
				return false;
			}
			memcpy(word + *n, c + 1, (size_t) (end - c - 1));
			*n += (size_t) (end - c - 1);
			c = end + 1;
		} else if (*c == '"') {
			c++;
			if (!spec_split_dquote(&c, word, n)) {
				*why = "a double quote is not closed";
				return false;
			}
		} else if (*c == '\\') {
			if (c[1] == '\0') {
				*why = "it ends in a lone backslash";
				return false;
			}
			if (c[1] != '\n')
				word[(*n)++] = c[1];
			c += 2;
		} else {
			word[(*n)++] = *c++;
		}
	}
	*p = c;
	return true;
}

bool
spec_split_words(const char *text, struct strlist *out, const char **why)
{
	char *word = spec_xcalloc(strlen(text) + 1, 1);
	const char *p = text;
	bool ok = true;

	while (ok && *p != '\0') {
		size_t n = 0;

		if (strchr(" \t\n", *p) != NULL) {
			p++;
			continue;
		}
		if (p[0] == '\\' && p[1] == '\n') {
			p += 2;
			continue;
		}
		ok = spec_split_word(&p, word, &n, why);
		word[n] = '\0';
		if (ok)
			strlist_add(out, word);
	}
	free(word);
	return ok;
}

void
spec_repo_move(struct spec_repo *dst, struct spec_repo *src)
{
	spec_item_clear(spec_fields[spec_field_index("repos")].list, dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void
spec_projections_move(struct spec *dst, struct spec *src)
{
	const struct spec_list *l =
		spec_fields[spec_field_index("bootstrap.restore.pgbackrest.configuration")].list;

	for (size_t i = 0; i < dst->n_restore_config; i++)
		spec_item_clear(l, &dst->restore_config[i]);
	free(dst->restore_config);
	dst->restore_config = src->pgbackrest_config;
	dst->n_restore_config = src->n_pgbackrest_config;
	src->pgbackrest_config = NULL;
	src->n_pgbackrest_config = 0;
}
