/*
 * yamljson.h — turn a spec file's text (YAML 1.1 as Kubernetes reads it, or
 * JSON, told apart by content) into json-c trees, one per document.
 * Plain YAML scalars are resolved the way go-yaml v2 does it; quoted and
 * block scalars stay strings. No global state: safe to call from anywhere.
 */
#ifndef PGPOD_YAMLJSON_H
#define PGPOD_YAMLJSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Deepest nesting of mappings/sequences (YAML) or objects/arrays (JSON). */
#define YAMLJSON_MAX_DEPTH 256
/* Largest file yamljson_parse_file reads. */
#define YAMLJSON_MAX_FILE (64u * 1024u * 1024u)

/* The bytes of all scalars of a YAML stream with its aliases expanded may
 * be at most this many times the text's length, at least _MIN and at most
 * _MAX: aliases cannot multiply memory. */
#define YAMLJSON_EXPANSION     16u
#define YAMLJSON_EXPANSION_MIN (1024u * 1024u)
#define YAMLJSON_EXPANSION_MAX (64u * 1024u * 1024u)

/* Parse text (YAML 1.1 as Kubernetes reads it, or JSON) into one json-c tree per
 * document. On success *docs is a malloc'd array of *ndocs trees (caller frees
 * with yamljson_free_docs). On failure returns false and writes one message
 * into err ("line L, column C: what is wrong"; 1-based). */
bool yamljson_parse(const char *text, size_t len, struct json_object ***docs,
		    size_t *ndocs, char *err, size_t errlen) __attribute__((warn_unused_result));
void yamljson_free_docs(struct json_object **docs, size_t ndocs);
/* Parse a whole file (reads it, then yamljson_parse); errors name the file. */
bool yamljson_parse_file(const char *path, struct json_object ***docs,
			 size_t *ndocs, char *err, size_t errlen) __attribute__((warn_unused_result));

/* A value's kind for messages: "a string", "a mapping", "null", ... */
const char *yamljson_type_label(struct json_object *v);

#endif
