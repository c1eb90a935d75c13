/*
 * privs.c — dropping root for the postgres user (see privs.h).
 */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

static bool
privs_dirs(const char *const *dirs, int ndirs, bool chown_them, uid_t uid, gid_t gid)
{
	for (int i = 0; i < ndirs; i++) {
		char created[PATH_MAX];

		if (!file_mkdir_p(dirs[i], 0700, created, sizeof(created)))
			return false;	/* errors have already been logged */
		if (chown_them && created[0] != '\0'
		    && !file_chown_path(created, dirs[i], uid, gid))
			return false;
		if (chown_them && created[0] == '\0') {
			struct stat st;

			/* an existing, empty leaf (a mounted volume) is handed over too */
			if (stat(dirs[i], &st) == 0 && st.st_uid == 0
			    && file_dir_state(dirs[i]) != FILE_DIR_NOT_EMPTY
			    && chown(dirs[i], uid, gid) != 0) {
				log_error("cannot chown \"%s\": %s", dirs[i], strerror(errno));
				return false;
			}
		}
	}
	return true;
}

bool
privs_prepare(const char *user, const char *const *dirs, int ndirs, bool *dropped,
	      char *os_user, size_t cap)
{
	struct passwd *pw;

	*dropped = false;
	if (geteuid() != 0) {
		pw = getpwuid(geteuid());
		snprintf(os_user, cap, "%s", pw ? pw->pw_name : "postgres");
		return privs_dirs(dirs, ndirs, false, 0, 0);
	}
	pw = getpwnam(user);
	if (pw == NULL) {
		log_error("started as root but user \"%s\" does not exist; postgres refuses to run "
			  "as root: create the user or pass --user", user);
		return false;
	}
	if (pw->pw_uid == 0) {
		log_error("--user \"%s\" is root; postgres refuses to run as root", user);
		return false;
	}
	if (!privs_dirs(dirs, ndirs, true, pw->pw_uid, pw->pw_gid))
		return false;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0
	    || setuid(pw->pw_uid) != 0) {
		log_error("cannot switch to user \"%s\": %s", user, strerror(errno));
		return false;
	}
	if (setuid(0) == 0) {
		log_error("dropping root failed: could regain root");
		return false;
	}
	if (setenv("HOME", pw->pw_dir, 1) != 0 || setenv("USER", pw->pw_name, 1) != 0)
		log_warn("cannot set HOME/USER for \"%s\"", user);
	snprintf(os_user, cap, "%s", pw->pw_name);
	*dropped = true;
	log_info("started as root; now running as \"%s\" (uid %d)", pw->pw_name, (int) pw->pw_uid);
	return true;
}
