/*
 * fuzz_yamljson.c — libFuzzer target: the YAML/JSON reader
 * (lib/yamljson.c) on arbitrary bytes. Every input must end in trees or in
 * one error message; never a crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object **docs = NULL;
	size_t ndocs = 0;
	char err[512];

	if (yamljson_parse((const char *)data, size, &docs, &ndocs, err, sizeof err)) {
		for (size_t i = 0; i < ndocs; i++)
			(void)json_object_to_json_string_ext(docs[i], JSON_C_TO_STRING_PLAIN);
		yamljson_free_docs(docs, ndocs);
	} else if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL) {
		__builtin_trap();	/* a failure always says why */
	}
	return 0;
}
