/*
 * watch.c — watching the spec, its Secrets and postmaster.pid (see
 * watch.h).
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fileio.h"
#include "inputs.h"
#include "log.h"

#define WATCH_MAX_KEYS 256	/* keys hashed per Secret */

void
watch_init(struct watch *w)
{
	memset(w, 0, sizeof(*w));
	w->wd_pgdata = -1;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0)
		log_debug("no inotify (%s): changes are seen by polling", strerror(errno));
}

void
watch_inputs(struct watch *w, const struct settings *set, const struct spec *s)
{
	const uint32_t change = IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE
		| IN_ATTRIB;
	struct strlist names = { 0 };
	char dir[PATH_MAX];

	if (w->ifd < 0)
		return;
	file_dirname(set->spec, dir, sizeof(dir));
	(void) inotify_add_watch(w->ifd, dir, change);
	inputs_secret_names(s, &names);
	for (size_t i = 0; i < names.n; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", set->secrets_dir, names.items[i]);
		(void) inotify_add_watch(w->ifd, dir, change);
	}
	strlist_free(&names);
}

void
watch_pgdata(struct watch *w, const char *pgdata)
{
	if (w->ifd >= 0 && w->wd_pgdata < 0)
		w->wd_pgdata = inotify_add_watch(w->ifd, pgdata, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE
						 | IN_MOVED_TO);
}

void
watch_drain(struct watch *w, bool *pidfile)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	*pidfile = false;
	while (w->ifd >= 0 && (n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *) p;

			if (ev->wd != w->wd_pgdata)
				w->next_ms = 0;
			else if (ev->len > 0 && strcmp(ev->name, "postmaster.pid") == 0)
				*pidfile = true;
			p += sizeof(*ev) + ev->len;
		}
	}
}

static void
hash_file(EVP_MD_CTX *ctx, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int err;

	EVP_DigestUpdate(ctx, path, strlen(path) + 1);
	if (file_read(path, INPUT_MAX_BYTES, &text, &len, &err)) {
		EVP_DigestUpdate(ctx, text, len);
		OPENSSL_cleanse(text, len);
		free(text);
	} else {
		EVP_DigestUpdate(ctx, &err, sizeof(err));
	}
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every key of a mounted Secret, in name order (Kubernetes' "..data"
 * bookkeeping entries are skipped; the keys are symlinks into it). */
static void
hash_dir(EVP_MD_CTX *ctx, const char *dir)
{
	char *names[WATCH_MAX_KEYS];
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	EVP_DigestUpdate(ctx, dir, strlen(dir) + 1);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && n < WATCH_MAX_KEYS) {
		if (e->d_name[0] == '.')
			continue;
		if ((names[n++] = strdup(e->d_name)) == NULL)
			abort();	/* out of memory */
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 256];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		hash_file(ctx, path);
		free(names[i]);
	}
}

/* The hash of what a reload reads: the spec and its Secrets. */
static void
watch_hash(const struct settings *set, const struct spec *s, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct strlist names = { 0 };

	hex[0] = '\0';
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return;
	}
	hash_file(ctx, set->spec);
	inputs_secret_names(s, &names);
	for (size_t i = 0; i < names.n; i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/%s", set->secrets_dir, names.items[i]);
		hash_dir(ctx, dir);
	}
	strlist_free(&names);
	if (EVP_DigestFinal_ex(ctx, md, &n) == 1)
		for (unsigned int i = 0; i < n && i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
}

void
watch_baseline(struct watch *w, const struct settings *set, const struct spec *s)
{
	watch_hash(set, s, w->hash);
}

bool
watch_changed(struct watch *w, const struct settings *set, const struct spec *s, long long now)
{
	char hash[65];
	bool first;

	if (now < w->next_ms)
		return false;
	w->next_ms = now + WATCH_MS;
	watch_hash(set, s, hash);
	if (hash[0] == '\0' || strcmp(hash, w->hash) == 0)
		return false;
	first = w->hash[0] == '\0';
	memcpy(w->hash, hash, sizeof(hash));
	return !first;
}

void
watch_close(struct watch *w)
{
	if (w->ifd >= 0)
		close(w->ifd);
	w->ifd = -1;
}
