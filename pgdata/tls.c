/*
 * tls.c — postgres' TLS files in the run dir (see tls.h).
 */
#include "tls.h"

#include <limits.h>
#include <stdio.h>

#include "fileio.h"

void
tls_path(const struct settings *set, const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/" TLS_DIR "/%s", set->run_dir, name);
}

bool
tls_write_server(const struct settings *set, const struct inputs *in)
{
	char dir[PATH_MAX], created[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/" TLS_DIR, set->run_dir);
	if (!file_mkdir_p(dir, 0700, created, sizeof(created)))
		return false;	/* errors have already been logged */
	/* the certificate before its key: postgres reads them only when told
	 * (start, SIGHUP), after both are in place */
	return file_put_in(dir, TLS_SERVER_CERT, in->tls.server_cert)
		&& file_put_in(dir, TLS_SERVER_KEY, in->tls.server_key)
		&& file_put_in(dir, TLS_CLIENT_CA, in->tls.client_ca);
}
