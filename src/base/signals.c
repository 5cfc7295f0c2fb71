/* Recording of termination signals (include/catex/signals.h). The handler
 * does nothing but store the signal number in a sig_atomic_t, which is all
 * that is async-signal-safe; every reaction happens in ordinary code. */
#include <signal.h>
#include <string.h>

#include "catex/signals.h"

static const int handled[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
enum { NUM_HANDLED = (int)(sizeof handled / sizeof handled[0]) };

/* The one process-wide variable of catex: a handler has no context. */
static volatile sig_atomic_t caught_signal;
static struct sigaction saved[NUM_HANDLED];
static int installed;

static void on_signal(int sig)
{
  if (!caught_signal) caught_signal = sig;
}

void catex_signals_install(void)
{
  caught_signal = 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* I/O in progress goes on; the flag is polled */
  for (int i = 0; i < NUM_HANDLED; i++) sigaction(handled[i], &sa, &saved[i]);
  installed = 1;
}

void catex_signals_restore(void)
{
  if (!installed) return;
  for (int i = 0; i < NUM_HANDLED; i++) sigaction(handled[i], &saved[i], NULL);
  installed = 0;
}

int catex_signals_caught(void) { return (int)caught_signal; }

const char *catex_signal_name(int sig)
{
  switch (sig) {
  case SIGTERM: return "SIGTERM";
  case SIGINT: return "SIGINT";
  case SIGHUP: return "SIGHUP";
  case SIGUSR1: return "SIGUSR1";
  default: return "a signal";
  }
}
