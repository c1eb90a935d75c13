/*
 * exitcodes.h — every exit code pgpod uses, in one place.
 * cmd/ is the only caller of exit(); everything else returns these upward.
 */
#ifndef PGPOD_EXITCODES_H
#define PGPOD_EXITCODES_H

#define EXIT_OK            0	/* success */
#define EXIT_RUNTIME       1	/* runtime failure (a step failed, see the log) */
#define EXIT_BAD_USAGE     2	/* bad command line or invalid spec */
#define EXIT_PGDATA_REFUSED 3	/* PGDATA holds data pgpod did not finish: refused */
#define EXIT_FATAL_NO_RESTART 125 /* fatal, do not restart the container */

#endif
