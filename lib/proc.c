/*
 * proc.c — spawning children and capturing their output (see proc.h).
 */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pglog.h"

#define PROC_READ_BUF 65536
#define PROC_LINE_MAX 65536	/* a longer line becomes several records */

/*
 * Every child pgpod starts is registered here. Normally its starter waits
 * for it with waitpid(pid). Under the supervisor ("central" reaping) the
 * supervisor loop alone calls waitpid(-1) - it must, to reap re-parented
 * orphans - and deposits each registered child's status here, where its
 * starter (possibly another thread) picks it up.
 */
#define PROC_TABLE_MAX 64

static struct {
	pid_t pid;
	int   status;
	bool  exited;
	char  logger[32];	/* what the child is (its logger name) */
} proc_table[PROC_TABLE_MAX];
static pthread_mutex_t proc_table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  proc_table_cond = PTHREAD_COND_INITIALIZER;
static bool            proc_central;

/* Fork with the child registered before anyone can reap it. */
static pid_t
proc_fork_registered(const char *logger)
{
	pid_t pid;
	int slot = -1;

	pthread_mutex_lock(&proc_table_lock);
	for (int i = 0; i < PROC_TABLE_MAX && slot < 0; i++)
		if (proc_table[i].pid == 0)
			slot = i;
	if (slot < 0) {
		pthread_mutex_unlock(&proc_table_lock);
		errno = EAGAIN;
		return -1;
	}
	pid = fork();
	if (pid > 0) {
		proc_table[slot].pid = pid;
		proc_table[slot].exited = false;
		snprintf(proc_table[slot].logger, sizeof(proc_table[slot].logger), "%s", logger);
	}
	if (pid != 0)
		pthread_mutex_unlock(&proc_table_lock);
	return pid;
}

static int
proc_slot(pid_t pid)
{
	for (int i = 0; i < PROC_TABLE_MAX; i++)
		if (proc_table[i].pid == pid)
			return i;
	return -1;
}

/* Forget pid: its status was collected. Called with proc_table_lock held. */
static void
proc_unregister_locked(int slot)
{
	if (slot >= 0)
		proc_table[slot].pid = 0;
}

/* Wait up to 10 ms for proc_reap_all to deposit a status, or for central
 * reaping to end. Called with proc_table_lock held. */
static void
proc_table_wait_tick(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 10 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	(void) pthread_cond_timedwait(&proc_table_cond, &proc_table_lock, &until);
}

/* waitpid(pid) itself, outside central reaping (EINTR-safe). */
static bool
proc_waitpid(pid_t pid, int *status, bool block)
{
	for (;;) {
		pid_t r = waitpid(pid, status, block ? 0 : WNOHANG);

		if (r < 0 && errno == EINTR)
			continue;
		if (r != pid)
			return false;
		break;
	}
	pthread_mutex_lock(&proc_table_lock);
	proc_unregister_locked(proc_slot(pid));
	pthread_mutex_unlock(&proc_table_lock);
	return true;
}

/* Collect pid's exit status; block waits for it. A status deposited by
 * proc_reap_all is taken first, also after central reaping ended. */
static bool
proc_reap_pid(pid_t pid, int *status, bool block)
{
	bool reaped = false;
	int slot;

	pthread_mutex_lock(&proc_table_lock);
	for (;;) {
		slot = proc_slot(pid);
		if (slot >= 0 && proc_table[slot].exited) {
			*status = proc_table[slot].status;
			reaped = true;
			break;
		}
		if (!proc_central) {
			pthread_mutex_unlock(&proc_table_lock);
			return proc_waitpid(pid, status, block);
		}
		if (slot < 0) {
			errno = ECHILD;
			break;
		}
		/* whichever waitpid gets it first: ours, or the supervisor's
		 * (which deposits it); the caller may be the supervisor itself */
		if (waitpid(pid, status, WNOHANG) == pid) {
			reaped = true;
			break;
		}
		if (!block) {
			errno = EAGAIN;
			break;
		}
		proc_table_wait_tick();
	}
	if (reaped)
		proc_unregister_locked(slot);
	pthread_mutex_unlock(&proc_table_lock);
	return reaped;
}

void
proc_reap_central(bool on)
{
	pthread_mutex_lock(&proc_table_lock);
	proc_central = on;
	pthread_cond_broadcast(&proc_table_cond);
	pthread_mutex_unlock(&proc_table_lock);
}

size_t
proc_reap_all(void (*orphan)(pid_t pid, int code))
{
	size_t n = 0;

	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		int slot;

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		n++;
		pthread_mutex_lock(&proc_table_lock);
		slot = proc_slot(pid);
		if (slot >= 0) {
			proc_table[slot].status = status;
			proc_table[slot].exited = true;
			pthread_cond_broadcast(&proc_table_cond);
		}
		pthread_mutex_unlock(&proc_table_lock);
		if (slot < 0 && orphan != NULL)
			orphan(pid, proc_status_code(status));
	}
	return n;
}

bool
proc_stat_of(const char *pid, struct proc_stat *st)
{
	char path[300], buf[512];
	const char *paren;
	int fd, ppid_i, pgrp_i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "pid (comm) S ppid pgrp ...": comm may hold anything, parse after
	 * its last ')' */
	paren = strrchr(buf, ')');
	if (paren == NULL || sscanf(paren + 1, " %c %d %d", &st->state, &ppid_i, &pgrp_i) != 3)
		return false;
	st->ppid = (pid_t) ppid_i;
	st->pgrp = (pid_t) pgrp_i;
	return true;
}

/* stat(2) says 0 bytes for a /proc file: read until its end, not st_size
 * (file_read's way, which got nothing here). */
bool
proc_cmdline_of(const char *pid, char *buf, size_t cap, size_t *len)
{
	char path[300];
	size_t got = 0;
	int fd;

	*len = 0;
	if (cap == 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (got < cap - 1) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				got = 0;
			break;
		}
		got += (size_t) n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return got > 0;
}

size_t
proc_kill_strays(int sig, bool (*match)(pid_t pid, void *arg), void *arg)
{
	pid_t self = getpid();
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct proc_stat st;
		pid_t pid;
		bool ours;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' || !proc_stat_of(e->d_name, &st)
		    || st.ppid != self)
			continue;
		pid = (pid_t) strtol(e->d_name, NULL, 10);
		pthread_mutex_lock(&proc_table_lock);
		ours = proc_slot(pid) >= 0;
		pthread_mutex_unlock(&proc_table_lock);
		if (ours || (match != NULL && !match(pid, arg)))
			continue;
		n++;
		if (st.state != 'Z')
			(void) kill(pid, sig);
	}
	closedir(d);
	return n;
}

size_t
proc_signal_logger(const char *logger, int sig)
{
	size_t n = 0;

	pthread_mutex_lock(&proc_table_lock);
	for (int i = 0; i < PROC_TABLE_MAX; i++)
		if (proc_table[i].pid > 0 && !proc_table[i].exited
		    && strcmp(proc_table[i].logger, logger) == 0 && kill(proc_table[i].pid, sig) == 0)
			n++;
	pthread_mutex_unlock(&proc_table_lock);
	return n;
}

void
proc_signal_all(int sig)
{
	pthread_mutex_lock(&proc_table_lock);
	for (int i = 0; i < PROC_TABLE_MAX; i++)
		if (proc_table[i].pid > 0 && !proc_table[i].exited)
			(void) kill(proc_table[i].pid, sig);
	pthread_mutex_unlock(&proc_table_lock);
}

/* A line's severity, from postgres' "LOG:/ERROR:/FATAL:" or a tool's
 * "error:"/"warning:" prefix. */
static enum log_level
proc_line_level(const char *line, size_t len)
{
	static const struct {
		const char *tag;
		enum log_level level;
	} tags[] = {
		{ "PANIC:", LOG_ERROR }, { "FATAL:", LOG_ERROR },
		{ "ERROR:", LOG_ERROR }, { "error:", LOG_ERROR },
		{ "WARNING:", LOG_WARN }, { "warning:", LOG_WARN },
	};

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (memmem(line, len, tags[i].tag, strlen(tags[i].tag)) != NULL)
			return tags[i].level;
	return LOG_INFO;
}

static void
proc_emit_line(struct proc *p, const char *line, size_t len)
{
	enum log_level level;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len == 0 || (p->filter != NULL && p->filter(p->filter_arg, line, len)))
		return;
	level = proc_line_level(line, len);
	if (strcmp(p->logger, "postgres") == 0) {
		level = pglog_emit(p->logger, line, len, level);
	} else {
		log_text(level, p->logger, line, len);
	}
	if (level >= LOG_WARN) {
		size_t n = len < PROC_LAST_MAX - 1 ? len : PROC_LAST_MAX - 1;

		pthread_mutex_lock(&p->lock);
		memcpy(p->last, line, n);
		p->last[n] = '\0';
		pthread_mutex_unlock(&p->lock);
	}
}

/* Read fd to its end and drop what comes: the child must never block on
 * a full pipe. */
static void
proc_discard(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
}

/* The reader thread: split the pipe into lines until EOF. */
static void *
proc_reader(void *arg)
{
	struct proc *p = arg;
	char *buf = malloc(PROC_READ_BUF);
	char *line = malloc(PROC_LINE_MAX);
	size_t llen = 0;

	if (buf == NULL || line == NULL) {
		log_error("cannot log the output of %s: out of memory; it is discarded", p->logger);
		free(buf);
		free(line);
		proc_discard(p->out_fd);
		return NULL;
	}
	for (;;) {
		ssize_t n = read(p->out_fd, buf, PROC_READ_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || llen == PROC_LINE_MAX - 1) {
				proc_emit_line(p, line, llen);
				llen = 0;
				if (buf[i] == '\n')
					continue;
			}
			line[llen++] = buf[i];
		}
	}
	proc_emit_line(p, line, llen);
	free(buf);
	free(line);
	return NULL;
}

/* The core-size limit pgpod had before proc_protect_secrets lowered it:
 * children (postgres) get it back. */
static struct rlimit proc_core_limit;
static bool          proc_core_saved;

void
proc_protect_secrets(void)
{
	struct rlimit none;

	if (prctl(PR_SET_DUMPABLE, 0) != 0)
		log_warn("cannot make pgpod non-dumpable: %s", strerror(errno));
	if (!proc_core_saved && getrlimit(RLIMIT_CORE, &proc_core_limit) == 0) {
		proc_core_saved = true;
		none = (struct rlimit) { 0, proc_core_limit.rlim_max };
		if (setrlimit(RLIMIT_CORE, &none) != 0)
			log_warn("cannot turn off core dumps of pgpod: %s", strerror(errno));
	}
}

/* Close every descriptor from lowfd up, in a forked child (async-signal-safe):
 * glibc has closefrom(); musl (`make static`) has not, so there the
 * close_range system call (Linux 5.9), and on an older kernel a loop up to
 * the descriptor limit. */
static void
proc_closefrom(int lowfd)
{
#if defined(__GLIBC__)
	closefrom(lowfd);
#else
	struct rlimit rl;
	long max = 65536;

	if (syscall(SYS_close_range, (unsigned) lowfd, ~0U, 0) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long) rl.rlim_cur;
	for (long fd = lowfd; fd < max; fd++)
		(void) close((int) fd);
#endif
}

/* In the child: never returns. */
static void __attribute__((noreturn))
proc_child(const struct argv *args, const struct argv *envp, int out_fd,
	   bool new_pgroup, pid_t parent, const char *in_path)
{
	sigset_t none;
	int devnull;

	if (proc_core_saved)
		(void) setrlimit(RLIMIT_CORE, &proc_core_limit);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void) signal(sig, SIG_DFL);
	if (new_pgroup)
		(void) setpgid(0, 0);
	/* if pgpod dies, postgres stops (immediate) and tools end */
	(void) prctl(PR_SET_PDEATHSIG, new_pgroup ? SIGQUIT : SIGTERM);
	if (getppid() != parent)
		_exit(126);
	/* a FIFO's open waits here, in the child, for its writer */
	devnull = open(in_path != NULL ? in_path : "/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	proc_closefrom(3);
	execve(args->v[0], args->v, envp->v);
	{
		int code = (errno == ENOENT) ? 127 : 126;
		char msg[512];
		int n = snprintf(msg, sizeof(msg), "error: cannot execute %s: %s\n",
				 args->v[0], strerror(errno));

		if (n > 0)
			(void) !write(2, msg, (size_t) n);
		_exit(code);
	}
}

/*
 * Every fork happens in one thread, the spawner, which lives as long as
 * pgpod. Linux sends a child its parent-death signal when the *thread*
 * that forked it ends, not the process, and children are started from
 * short-lived task threads (bootstrap, promotion, restore): forked there,
 * postgres would get SIGQUIT as soon as the task is over. A caller hands
 * its request to the spawner and waits for the pid; one request at a time.
 * At exit the spawner is ended and joined, so that sanitizers and valgrind
 * find no thread left behind.
 */
struct proc_fork_req {
	const struct argv *args;
	const struct argv *envp;
	const char *logger;
	int   out_fd;		/* the child's stdout and stderr */
	const char *in_path;	/* its stdin; NULL: /dev/null */
	bool  new_pgroup;
	pid_t parent;		/* pgpod's pid, checked by the child */
	pid_t pid;		/* the child, or -1 with err set */
	int   err;
	bool  done;
};

static pthread_mutex_t proc_spawner_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  proc_spawner_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t  proc_spawner_done = PTHREAD_COND_INITIALIZER;
static struct proc_fork_req *proc_spawner_req;	/* being served, or NULL */
static bool            proc_spawner_started;
static bool            proc_spawner_stopping;	/* exit() was called */
static pthread_t       proc_spawner_thread;

/* Serve one request: fork (the child registered before anyone can reap
 * it), and put the child in its process group before its starter can
 * signal the group. */
static void
proc_spawner_fork(struct proc_fork_req *req)
{
	req->pid = proc_fork_registered(req->logger);
	if (req->pid == 0)
		proc_child(req->args, req->envp, req->out_fd, req->new_pgroup, req->parent,
			   req->in_path);
	req->err = errno;
	if (req->pid > 0 && req->new_pgroup)
		(void) setpgid(req->pid, req->pid);	/* no race with kill(-pid) */
}

/* The spawner thread: serves requests until exit. */
static void *
proc_spawner_main(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&proc_spawner_lock);
	for (;;) {
		while (proc_spawner_req == NULL && !proc_spawner_stopping)
			pthread_cond_wait(&proc_spawner_work, &proc_spawner_lock);
		if (proc_spawner_req == NULL)
			break;
		proc_spawner_fork(proc_spawner_req);
		proc_spawner_req->done = true;
		proc_spawner_req = NULL;
		pthread_cond_broadcast(&proc_spawner_done);
	}
	pthread_mutex_unlock(&proc_spawner_lock);
	return NULL;
}

/* atexit: end the spawner after the fork it may be doing; later requests
 * fail. */
static void
proc_spawner_stop(void)
{
	pthread_mutex_lock(&proc_spawner_lock);
	proc_spawner_stopping = true;
	pthread_cond_broadcast(&proc_spawner_work);
	pthread_cond_broadcast(&proc_spawner_done);
	pthread_mutex_unlock(&proc_spawner_lock);
	(void) pthread_join(proc_spawner_thread, NULL);
}

/* Start the spawner once, with every signal blocked (as main() blocks
 * them before any thread starts: they are taken synchronously there).
 * A failure is logged and tried again on the next request. Called with
 * proc_spawner_lock held. */
static bool
proc_spawner_start(void)
{
	sigset_t all, old;
	int rc;

	if (proc_spawner_started)
		return true;
	(void) sigfillset(&all);
	(void) pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&proc_spawner_thread, NULL, proc_spawner_main, NULL);
	(void) pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("cannot start the thread that starts processes: %s", strerror(rc));
		errno = rc;
		return false;
	}
	(void) pthread_setname_np(proc_spawner_thread, PROC_SPAWNER_NAME);
	if (atexit(proc_spawner_stop) != 0)
		(void) pthread_detach(proc_spawner_thread);	/* left running at exit */
	proc_spawner_started = true;
	return true;
}

/* Fork a child that runs args (in the spawner thread); its pid, or -1
 * with errno set. */
static pid_t
proc_fork_child(const struct argv *args, const struct argv *envp, const char *logger, int out_fd,
		bool new_pgroup, const char *in_path)
{
	struct proc_fork_req req = {
		.args = args, .envp = envp, .logger = logger, .out_fd = out_fd,
		.new_pgroup = new_pgroup, .in_path = in_path,
		.parent = getpid(), .pid = -1,
	};

	pthread_mutex_lock(&proc_spawner_lock);
	if (!proc_spawner_start()) {
		pthread_mutex_unlock(&proc_spawner_lock);
		return -1;	/* errno is set */
	}
	while (proc_spawner_req != NULL && !proc_spawner_stopping)
		pthread_cond_wait(&proc_spawner_done, &proc_spawner_lock);
	if (proc_spawner_stopping) {
		pthread_mutex_unlock(&proc_spawner_lock);
		log_error("cannot start a process: pgpod is exiting");
		errno = ECANCELED;
		return -1;
	}
	proc_spawner_req = &req;
	pthread_cond_signal(&proc_spawner_work);
	while (!req.done)
		pthread_cond_wait(&proc_spawner_done, &proc_spawner_lock);
	pthread_mutex_unlock(&proc_spawner_lock);
	errno = req.err;
	return req.pid;
}

pid_t
proc_fork_process(void)
{
	pid_t pid;

	/* both locks held across fork(): the child's copies are consistent */
	pthread_mutex_lock(&proc_spawner_lock);
	pthread_mutex_lock(&proc_table_lock);
	pid = fork();
	if (pid != 0) {
		pthread_mutex_unlock(&proc_table_lock);
		pthread_mutex_unlock(&proc_spawner_lock);
		return pid;
	}
	/* the child: one thread, none of the parent's children, no spawner */
	proc_table_lock = (pthread_mutex_t) PTHREAD_MUTEX_INITIALIZER;
	proc_table_cond = (pthread_cond_t) PTHREAD_COND_INITIALIZER;
	proc_spawner_lock = (pthread_mutex_t) PTHREAD_MUTEX_INITIALIZER;
	proc_spawner_work = (pthread_cond_t) PTHREAD_COND_INITIALIZER;
	proc_spawner_done = (pthread_cond_t) PTHREAD_COND_INITIALIZER;
	memset(proc_table, 0, sizeof(proc_table));
	proc_central = false;
	proc_spawner_req = NULL;
	proc_spawner_started = false;
	proc_spawner_stopping = false;
	return 0;
}

static bool
proc_spawn_with(const struct argv *args, const struct argv *envp, const char *logger,
		bool new_pgroup, proc_filter filter, void *arg, const char *in_path,
		struct proc *p)
{
	int fds[2];

	memset(p, 0, sizeof(*p));
	p->filter = filter;
	p->filter_arg = arg;
	p->pid = -1;
	p->out_fd = -1;
	snprintf(p->logger, sizeof(p->logger), "%s", logger);
	pthread_mutex_init(&p->lock, NULL);
	if (args->overflow || envp->overflow || args->n == 0) {
		log_error("cannot start %s: argument list too long",
			  args->n ? args->v[0] : "(nothing)");
		return false;
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		log_error("cannot create a pipe for %s: %s", args->v[0], strerror(errno));
		return false;
	}
	p->pid = proc_fork_child(args, envp, logger, fds[1], new_pgroup, in_path);
	if (p->pid < 0) {
		log_error("cannot fork for %s: %s", args->v[0], strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	close(fds[1]);
	p->out_fd = fds[0];
	if (pthread_create(&p->reader, NULL, proc_reader, p) == 0)
		p->has_reader = true;
	else
		log_warn("cannot start the output reader of %s; its output is lost", logger);
	return true;
}

bool
proc_spawn(const struct argv *args, const struct argv *envp,
	   const char *logger, bool new_pgroup, struct proc *p)
{
	return proc_spawn_with(args, envp, logger, new_pgroup, NULL, NULL, NULL, p);
}

bool
proc_spawn_filtered(const struct argv *args, const struct argv *envp, const char *logger,
		    bool new_pgroup, proc_filter filter, void *arg, struct proc *p)
{
	return proc_spawn_with(args, envp, logger, new_pgroup, filter, arg, NULL, p);
}

bool
proc_spawn_reading(const struct argv *args, const struct argv *envp, const char *logger,
		   bool new_pgroup, proc_filter filter, void *arg, const char *in_path,
		   struct proc *p)
{
	return proc_spawn_with(args, envp, logger, new_pgroup, filter, arg, in_path, p);
}

int
proc_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

void
proc_finish(struct proc *p)
{
	if (p->has_reader) {
		pthread_join(p->reader, NULL);
		p->has_reader = false;
	}
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	pthread_mutex_destroy(&p->lock);
}

bool
proc_wait(struct proc *p, int *code)
{
	int status;

	if (!proc_reap_pid(p->pid, &status, true)) {
		log_error("waiting for pid %d failed: %s", (int) p->pid, strerror(errno));
		return false;
	}
	*code = proc_status_code(status);
	p->pid = -1;
	proc_finish(p);
	return true;
}

bool
proc_poll(struct proc *p, int *code)
{
	int status;

	if (p->pid <= 0 || !proc_reap_pid(p->pid, &status, false))
		return false;
	*code = proc_status_code(status);
	p->pid = -1;
	return true;
}

bool
proc_run(const struct argv *args, const struct argv *envp,
	 const char *logger, int *code, char *last, size_t lastcap)
{
	struct proc p;

	if (!proc_spawn(args, envp, logger, false, &p))
		return false;	/* errors have already been logged */
	if (!proc_wait(&p, code))
		return false;
	if (last != NULL && lastcap > 0)
		snprintf(last, lastcap, "%s", p.last);
	return true;
}

bool
proc_capture(const struct argv *args, const struct argv *envp, char *buf, size_t cap,
	     int *code)
{
	size_t len = 0;
	int fds[2];
	int status;
	pid_t pid;

	buf[0] = '\0';
	if (args->overflow || envp->overflow || args->n == 0)
		return false;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		log_error("cannot create a pipe for %s: %s", args->v[0], strerror(errno));
		return false;
	}
	pid = proc_fork_child(args, envp, "capture", fds[1], false, NULL);
	if (pid < 0) {
		log_error("cannot fork for %s: %s", args->v[0], strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	close(fds[1]);
	for (;;) {
		char tmp[4096];
		ssize_t n = read(fds[0], tmp, sizeof(tmp));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + 1 < cap) {
			size_t take = (size_t) n < cap - 1 - len ? (size_t) n : cap - 1 - len;

			memcpy(buf + len, tmp, take);
			len += take;
		}
	}
	buf[len] = '\0';
	close(fds[0]);
	if (!proc_reap_pid(pid, &status, true)) {
		log_error("waiting for pid %d failed: %s", (int) pid, strerror(errno));
		return false;
	}
	*code = proc_status_code(status);
	return true;
}

bool
proc_find_tool(const char *name, char *buf, size_t cap)
{
	static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if ((size_t) snprintf(buf, cap, "%s/%s", dirs[i], name) < cap && access(buf, X_OK) == 0)
			return true;
	}
	return false;
}
