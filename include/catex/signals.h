/* SIGTERM, SIGINT, SIGHUP and SIGUSR1 (what SLURM, mpirun and users send
 * before a time limit, a pre-emption or a Ctrl-C) are caught while a run is
 * in progress: the handler only records the signal (async-signal-safe), and
 * the task farm acts on it at its next safe point (between tasks, or in the
 * engines' run hook): it flushes every finished task collectively and exits
 * with CATEX_EXIT_INTERRUPTED.
 *
 * The recorded signal is process-wide state by nature (a signal handler has
 * no context argument); it lives in src/base/signals.c and nowhere else. */
#ifndef CATEX_SIGNALS_H
#define CATEX_SIGNALS_H

/* Installs the handlers (saving the previous ones) and clears the record. */
void catex_signals_install(void);
/* Restores the handlers saved by catex_signals_install. */
void catex_signals_restore(void);
/* The first signal caught since catex_signals_install, or 0. */
int catex_signals_caught(void);
/* "SIGTERM", ... for a caught signal number. */
const char *catex_signal_name(int sig);

#endif
