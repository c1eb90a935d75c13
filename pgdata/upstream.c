/*
 * upstream.c — copy and streaming sources (see upstream.h).
 */
#include "upstream.h"

#define UPSTREAM_SLOT_MS (30 * 1000)	/* making a slot on the primary */
#define UPSTREAM_PROBE_MS 3000		/* is there a primary already? */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "identity.h"
#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "barman.h"
#include "pgbackrest.h"
#include "pgdata.h"
#include "status.h"
#include "roles.h"
#include "tls.h"
#include "certs.h"

static void
describe_auth(struct upstream *u, const struct conn_files *f)
{
	if (f->ssl_cert != NULL && f->password != NULL)
		snprintf(u->auth, sizeof(u->auth), "TLS client certificate and password");
	else if (f->ssl_cert != NULL)
		snprintf(u->auth, sizeof(u->auth), "TLS client certificate");
	else if (f->password != NULL)
		snprintf(u->auth, sizeof(u->auth), "password");
	else
		snprintf(u->auth, sizeof(u->auth), "no credentials (trust or peer)");
}

bool
upstream_external(const struct settings *set, const struct spec *s, const struct inputs *in,
		  const char *name, struct upstream *u)
{
	const struct spec_external *e = spec_external_find(s, name);
	const struct input_source *src = inputs_source(in, name);
	struct conn_files f = { 0 };
	char dir[PATH_MAX];
	const char *user;

	memset(u, 0, sizeof(*u));
	if (e == NULL) {
		log_error("external cluster \"%s\" is not defined in externalClusters",
			  name ? name : "");
		return false;
	}
	if (!file_name_safe(name)) {
		log_error("external cluster \"%s\": its files are kept in a directory named after it, "
			  "and the name has '/', \"..\" or control characters", name);
		return false;
	}
	u->kind = UPSTREAM_EXTERNAL;
	snprintf(u->name, sizeof(u->name), "%s", name);
	/* the replica cluster's source's object store: WAL by pgpod wal-restore */
	if (e->store.destination != NULL && s->standby_enabled == 1 && s->standby_source != NULL
	    && strcmp(s->standby_source, name) == 0
	    && (!barman_store_write(set, BARMAN_SOURCE, &e->store, src ? &src->store
				    : &(struct input_store) { 0 }, name)
		|| !barman_restore_command(set, u->restore_command, sizeof(u->restore_command))))
		return false;
	if (e->conn.n == 0 && u->restore_command[0])
		return true;	/* the archive only: no streaming */
	user = kvlist_get(&e->conn, "user");
	snprintf(u->user, sizeof(u->user), "%s", user ? user : set->os_user);
	if (src != NULL)
		f = (struct conn_files) { src->password, src->ssl_key, src->ssl_cert, src->ssl_root_cert };
	describe_auth(u, &f);
	conninfo_add_params(&u->conn, &e->conn);
	if (kvlist_get(&e->conn, "application_name") == NULL)
		conninfo_add(&u->conn, "application_name", set->pod_name);
	snprintf(dir, sizeof(dir), "%s/external/%s", set->run_dir, name);
	if (!conninfo_write_files(dir, &f, &u->conn)) {
		log_error("cannot write the connection files of the external cluster \"%s\"", name);
		return false;
	}
	return true;
}

bool
upstream_create_slot(PGconn *c, const char *where, const char *slot, enum log_level level,
		     bool *existed)
{
	char sql[160];
	const char *state;
	PGresult *r;
	bool ok, timed_out;

	*existed = false;
	snprintf(sql, sizeof(sql), "CREATE_REPLICATION_SLOT \"%s\" PHYSICAL RESERVE_WAL", slot);
	r = pgconn_query_deadline(c, sql, UPSTREAM_SLOT_MS, &timed_out);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (!ok && state != NULL && strcmp(state, "42710") == 0)	/* duplicate_object */
		ok = *existed = true;
	if (!ok) {
		char msg[PGCONN_ERR_MAX];

		if (timed_out)
			snprintf(msg, sizeof(msg), "no answer within %d s", UPSTREAM_SLOT_MS / 1000);
		else
			pgconn_error_text(r, c, msg, sizeof(msg));
		log_msg(level, "pgpod", "cannot create the replication slot \"%s\" on the %s: %s", slot,
			where, msg);
	}
	PQclear(r);
	return ok;
}

/* A replica with a client certificate checks the primary's with the
 * server CA: its name too when the certificate (the same Secret is mounted
 * on every instance) names the host the replica connects to. */
static void
upstream_primary_tls(const struct inputs *in, const char *host, struct conn_files *f,
		     struct conninfo *c)
{
	bool named;

	if (!inputs_replication_by_cert(in))
		return;
	f->ssl_cert = in->tls.repl_cert;
	f->ssl_key = in->tls.repl_key;
	f->ssl_root_cert = in->tls.server_ca;
	named = in->tls.server_cert != NULL && certs_names_host(in->tls.server_cert, host);
	conninfo_add(c, "sslmode", named ? "verify-full" : "verify-ca");
	if (!named)
		log_debug("the server certificate does not name \"%s\": replicas check it with "
			  "sslmode=verify-ca (the CA only)", host);
}

bool
upstream_primary(const struct settings *set, const struct spec *s, const struct inputs *in,
		 struct upstream *u)
{
	struct conn_files f = { .password = in->replication_password };
	char host[300], port[16], dir[PATH_MAX];

	memset(u, 0, sizeof(*u));
	u->kind = UPSTREAM_PRIMARY;
	if (set->primary_host[0])
		snprintf(host, sizeof(host), "%s", set->primary_host);
	else
		snprintf(host, sizeof(host), "%s-rw", s->name ? s->name : "pgpod");
	snprintf(port, sizeof(port), "%d", set->primary_port);
	snprintf(u->name, sizeof(u->name), "primary %s:%s", host, port);
	snprintf(u->user, sizeof(u->user), "%s", ROLES_REPLICATION_USER);
	identity_slot_name(set->pod_name, u->slot, sizeof(u->slot));
	conninfo_add(&u->conn, "host", host);
	conninfo_add(&u->conn, "port", port);
	conninfo_add(&u->conn, "user", ROLES_REPLICATION_USER);
	conninfo_add(&u->conn, "dbname", "postgres");
	conninfo_add(&u->conn, "application_name", set->pod_name);
	upstream_primary_tls(in, host, &f, &u->conn);
	describe_auth(u, &f);
	snprintf(dir, sizeof(dir), "%s/replication", set->run_dir);
	if (!conninfo_write_files(dir, &f, &u->conn)) {
		log_error("cannot write the connection files of the replica's primary");
		return false;
	}
	return true;
}

/* PGO's spec.standby with a repoName: WAL from this cluster's repository
 * (archive-get), and streaming from spec.standby.host as well when given,
 * as streaming_replica with the replication Secret's password. */
static bool
upstream_repo(const struct settings *set, const struct spec *s, const struct inputs *in,
	      struct upstream *u)
{
	struct conn_files f = { .password = in->replication_password };
	const char *repo = s->standby_source;
	struct pgbr_target t;
	char port[16], dir[PATH_MAX];

	memset(u, 0, sizeof(*u));
	u->kind = UPSTREAM_REPO;
	pgbr_own(set, &t);
	t.repo = repo != NULL && strlen(repo) == 5 ? repo[4] - '0' : 1;
	snprintf(u->name, sizeof(u->name), "repo%d", t.repo);
	if (!pgbr_restore_command(&t, set->pgdata, u->restore_command, sizeof(u->restore_command))) {
		log_error("the restore_command of the standby does not fit");
		return false;
	}
	if (s->standby_host == NULL)
		return true;
	snprintf(u->name, sizeof(u->name), "repo%d and %s:%d", t.repo, s->standby_host,
		 s->standby_port > 0 ? s->standby_port : 5432);
	snprintf(port, sizeof(port), "%d", s->standby_port > 0 ? s->standby_port : 5432);
	snprintf(u->user, sizeof(u->user), "%s", ROLES_REPLICATION_USER);
	describe_auth(u, &f);
	conninfo_add(&u->conn, "host", s->standby_host);
	conninfo_add(&u->conn, "port", port);
	conninfo_add(&u->conn, "user", ROLES_REPLICATION_USER);
	conninfo_add(&u->conn, "dbname", "postgres");
	conninfo_add(&u->conn, "application_name", set->pod_name);
	snprintf(dir, sizeof(dir), "%s/standby", set->run_dir);
	return conninfo_write_files(dir, &f, &u->conn);
}

void
upstream_standby(const struct upstream *u, struct config_recovery *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->mode = CONFIG_STANDBY;
	if (u->restore_command[0])
		rec->restore_command = u->restore_command;
	if (u->kind == UPSTREAM_NONE || u->conn.text == NULL)
		return;
	rec->primary_conninfo = u->conn.text;
	rec->primary_slot_name = u->slot[0] ? u->slot : NULL;
	rec->min_apply_delay = u->min_apply_delay;
}

bool
upstream_recovery(const struct settings *set, const struct spec *s, const struct inputs *in,
		  bool standby, struct upstream *u, struct config_recovery *rec)
{
	struct pgdata_marker m;

	memset(u, 0, sizeof(*u));
	memset(rec, 0, sizeof(*rec));
	rec->mode = CONFIG_PRIMARY;
	if (!standby)
		return true;
	/* a replica by its ordinal, or one that joined (instance 1 whose
	 * volume was lost joins the cluster that lives on) */
	if (identity_is_replica(set)
	    || (pgdata_read_marker(set->pgdata, &m) && strcmp(m.method, "join") == 0)) {
		if (!upstream_primary(set, s, in, u))
			return false;
	} else if (s->standby_enabled == 1 && s->standby_source_kind == SPEC_SOURCE_REPO) {
		if (!upstream_repo(set, s, in, u))
			return false;
	} else if (s->standby_enabled == 1 && s->standby_source != NULL) {
		if (!upstream_external(set, s, in, s->standby_source, u))
			return false;
		u->min_apply_delay = s->standby_min_apply_delay;
	} else {
		/* replica mode was switched off: the supervisor promotes it */
		log_info("PGDATA is a standby but spec.replica is off: it follows no source and is "
			 "promoted (by `pgpod run` once postgres is up, or by `pgpod promote`)");
	}
	upstream_standby(u, rec);
	return true;
}

/* Whether libpq's message comes from a server (it answered, and refused)
 * rather than from the network (nobody there). */
static bool
upstream_server_said(const char *msg)
{
	static const char *const server[] = {
		"authentication failed", "no pg_hba.conf entry", "password", "FATAL",
		"permission denied", "replication",
	};

	for (size_t i = 0; i < sizeof(server) / sizeof(server[0]); i++)
		if (strstr(msg, server[i]) != NULL)
			return true;
	return false;
}

bool
upstream_primary_answers(const struct settings *set, const struct spec *s,
			 const struct inputs *in, char *what, size_t cap)
{
	struct upstream u;
	struct conninfo c = { 0 };
	enum pgconn_end end;
	PGconn *conn;
	bool answers = false;

	what[0] = '\0';
	if (!upstream_primary(set, s, in, &u)) {
		upstream_free(&u);
		return false;
	}
	conninfo_put_text(&c, u.conn.text);
	conninfo_add(&c, "connect_timeout", "3");
	conninfo_add(&c, "replication", "true");
	conn = pgconn_connect_until(c.text, mono_ms() + UPSTREAM_PROBE_MS, NULL, &end);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
		PGresult *r = pgconn_query_deadline(conn, "IDENTIFY_SYSTEM", UPSTREAM_PROBE_MS, &(bool){ 0 });

		answers = true;
		snprintf(what, cap, "the %s answers (system %s)", u.name,
			 r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
			 ? PQgetvalue(r, 0, 0) : "unknown");
		PQclear(r);
	} else if (conn != NULL && end == PGCONN_BROKEN && PQerrorMessage(conn)[0]
		   && upstream_server_said(PQerrorMessage(conn))) {
		/* a server refused us: a cluster is there all the same */
		answers = true;
		snprintf(what, cap, "a server answers as the %s (and refuses %s: %.200s)", u.name,
			 ROLES_REPLICATION_USER, PQerrorMessage(conn));
		what[strcspn(what, "\n")] = '\0';
	}
	PQfinish(conn);
	conninfo_free(&c);
	upstream_free(&u);
	return answers;
}

void
upstream_free(struct upstream *u)
{
	conninfo_free(&u->conn);
}

bool
upstream_configure(const struct settings *set, const struct spec *s, const struct inputs *in,
		   char *hash)
{
	struct upstream u;
	struct config_recovery rec;
	bool ok;

	ok = upstream_recovery(set, s, in, pgdata_has(set->pgdata, "standby.signal"), &u, &rec)
		&& pgbr_write_conf(set, s, in) && barman_write_own(set, s, in)
		&& tls_write_server(set, in) && config_write_all(set, s, &rec, hash);
	if (ok) {
		struct status *st = status_lock();

		st->archive_fed = rec.mode == CONFIG_STANDBY && rec.restore_command != NULL
			&& rec.primary_conninfo == NULL;
		status_unlock();
	}
	upstream_free(&u);
	return ok;
}
