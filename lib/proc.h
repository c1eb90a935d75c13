/*
 * proc.h — run child processes the way a PID 1 must: no shell, an explicit
 * environment, stdin from /dev/null, the signal mask restored, stdout and
 * stderr captured line by line into the JSON log under a logger name.
 * Every child is forked by one thread that lives as long as pgpod, so any
 * thread may start a long-lived child and end (the parent-death signal
 * follows the forking thread, not the process).
 */
#ifndef PGPOD_PROC_H
#define PGPOD_PROC_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "argv.h"

#define PROC_LAST_MAX 512

/* The name of the thread that forks every child (see proc.c). */
#define PROC_SPAWNER_NAME "pgpod-spawner"

/* A line filter: true when it took the line (it is not logged then). */
typedef bool (*proc_filter)(void *arg, const char *line, size_t len);

struct proc {
	proc_filter filter;
	void     *filter_arg;
	pid_t     pid;
	int       out_fd;		/* read end of the output pipe */
	pthread_t reader;
	bool      has_reader;
	char      logger[32];
	char      last[PROC_LAST_MAX];	/* last error-looking output line */
	pthread_mutex_t lock;
};

/* Start argv[0] (an absolute path) with envp; new_pgroup puts the child in
 * its own process group. */
bool proc_spawn(const struct argv *args, const struct argv *envp,
		const char *logger, bool new_pgroup, struct proc *p)
	__attribute__((warn_unused_result));

/* proc_spawn with every output line offered to filter first (from the
 * reader thread). */
bool proc_spawn_filtered(const struct argv *args, const struct argv *envp, const char *logger,
			 bool new_pgroup, proc_filter filter, void *arg, struct proc *p)
	__attribute__((warn_unused_result));

/* proc_spawn_filtered with stdin read from in_path (a FIFO: the child's
 * open waits for the writer, the parent does not). */
bool proc_spawn_reading(const struct argv *args, const struct argv *envp, const char *logger,
			bool new_pgroup, proc_filter filter, void *arg, const char *in_path,
			struct proc *p) __attribute__((warn_unused_result));
/* Wait for the child (blocking, EINTR-safe), then drain its output.
 * *code is like a shell's: exit status, or 128+n when killed by signal n. */
bool proc_wait(struct proc *p, int *code) __attribute__((warn_unused_result));

/* Non-blocking: true and *code set when the child has exited. */
bool proc_poll(struct proc *p, int *code);

/* Finish the output reader after the child was reaped elsewhere. */
void proc_finish(struct proc *p);

/* spawn + wait. */
bool proc_run(const struct argv *args, const struct argv *envp,
	      const char *logger, int *code, char *last, size_t lastcap)
	__attribute__((warn_unused_result));

/* fork() for a process of pgpod's own that goes on apart (a detached
 * helper): the child starts with no children, no spawner thread and fresh
 * locks, and can spawn processes itself; it must end with _exit() (the
 * parent's atexit handlers are not its own). Returns as fork() does. */
pid_t proc_fork_process(void);

/* An installed tool (pgbackrest, barman-cloud-*) by name: its path in
 * /usr/local/bin, /usr/bin or /bin into buf; false when in none. */
bool proc_find_tool(const char *name, char *buf, size_t cap);

/* Run and capture stdout+stderr into buf (NUL-terminated, truncated to
 * cap) instead of the log. */
bool proc_capture(const struct argv *args, const struct argv *envp, char *buf,
		  size_t cap, int *code) __attribute__((warn_unused_result));

/* Central reaping (the supervisor): while on, only proc_reap_all calls
 * waitpid; proc_wait/proc_poll/instance code pick statuses up from it. */
void proc_reap_central(bool on);

/* waitpid(-1) until nothing is left to reap; children pgpod did not start
 * (re-parented orphans) go to orphan (may be NULL). Returns how many. */
size_t proc_reap_all(void (*orphan)(pid_t pid, int code));

/* Send sig to every child of this process that pgpod did not start and
 * that match (NULL: any) says is wanted: re-parented orphans (pgpod is a
 * subreaper), such as the backends of a postmaster that died — postgres
 * puts each child in a session of its own, so a process-group kill does
 * not reach them. Returns how many there are, zombies not yet reaped
 * included. */
size_t proc_kill_strays(int sig, bool (*match)(pid_t pid, void *arg), void *arg);

/* What /proc/<pid>/stat says of a process. */
struct proc_stat {
	char  state;	/* R, S, Z, ... */
	pid_t ppid;
	pid_t pgrp;
};

bool proc_stat_of(const char *pid, struct proc_stat *st) __attribute__((warn_unused_result));

/* /proc/<pid>/cmdline: the arguments, each ending in '\0', into buf (at
 * most cap - 1 bytes, then a '\0'); their length in *len. False when the
 * process is gone or has no arguments (a zombie, a kernel thread). */
bool proc_cmdline_of(const char *pid, char *buf, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

/* Send sig to every running child started under that logger name (e.g.
 * "pgbackrest"); how many were signalled. */
size_t proc_signal_logger(const char *logger, int sig);

/* Send sig to every registered child that is still running. */
void proc_signal_all(int sig);

/* Secrets are about to be in memory: pgpod becomes non-dumpable (no
 * ptrace by others, no /proc/<pid>/mem) and writes no core; the children
 * it starts get the core limit back. */
void proc_protect_secrets(void);

/* A shell-like exit code from a waitpid status. */
int proc_status_code(int status);

#endif
