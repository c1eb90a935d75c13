/*
 * supervisor.h — `pgpod run` after the command line: PID 1 of the pod.
 *
 * One event loop (epoll) takes signals (signalfd), a 100 ms timer, the end
 * of a background task (task.h: the bootstrap, a promotion) and inotify
 * (watch.h). The loop alone reaps children (waitpid(-1), orphans
 * included) and hands the statuses of pgpod's own children to whoever
 * waits for them (lib/proc.c). Its phases move by one table (phase.h),
 * every move logged.
 *
 * postmaster death is seen at once (SIGCHLD): postgres is started again in
 * place within the restart limiter (restart.h); beyond it pgpod exits 125
 * ("do not restart") with the reason in the termination log. SIGTERM /
 * SIGINT walk the stop steps (stop.h); another one moves to the next step
 * at once. SIGHUP, or a changed spec file or Secret, reloads (reload.h).
 */
#ifndef PGPOD_SUPERVISOR_H
#define PGPOD_SUPERVISOR_H

#include "inputs.h"
#include "settings.h"
#include "spec.h"

/* Supervise with the spec and its inputs (both taken over and freed);
 * root was dropped already. Returns the exit code (exitcodes.h). */
int supervisor_run(struct settings *set, struct spec *spec, struct inputs *in);

#endif
