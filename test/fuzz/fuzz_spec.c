/*
 * fuzz_spec.c — libFuzzer target: a spec the whole way that `pgpod spec
 * check` takes it, without the files it names: parse, every document
 * through the dialect readers, defaults, validation against PostgreSQL 15,
 * and the dump. Findings are expected; crashes, leaks and UB are not.
 */
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>

#include "dialect.h"
#include "diag.h"
#include "log.h"
#include "spec.h"
#include "validate.h"
#include "yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int null = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	log_init(null >= 0 ? null : 2, LOG_ERROR);	/* the readers log; keep the run quiet */
	return 0;
}

static void read_one(struct json_object *doc)
{
	struct diag d = {0};
	struct spec *s = NULL;

	if (dialect_read(doc, "fuzz", &s, &d) && s != NULL) {
		spec_apply_defaults(s);
		validate_spec(s, 15, &d);
		free(spec_to_json(s));
	}
	spec_free(s);
	diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object **docs = NULL;
	size_t ndocs = 0;
	char err[512];

	if (!yamljson_parse((const char *)data, size, &docs, &ndocs, err, sizeof err))
		return 0;
	for (size_t i = 0; i < ndocs; i++)
		read_one(docs[i]);
	yamljson_free_docs(docs, ndocs);
	return 0;
}
