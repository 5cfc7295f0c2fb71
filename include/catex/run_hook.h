/* A hook that long-running engine loops (KMC events, equilibrium sweeps, and
 * any future engine such as an exchange ladder) call every so often while a
 * task runs. It serves two purposes with one cheap call:
 *   - progress within a task: the hook's owner (the task farm) prints how far
 *     the task is (units done of total, ETA) at its progress interval;
 *   - early stop: a non-zero return asks the engine to abandon the task
 *     (the farm does this after SIGTERM/SIGUSR1/... once its grace time is
 *     over). The engine then returns CATEX_ERR_INTERRUPTED and leaves its
 *     result undefined; the farm does not record such a task, so it is rerun
 *     by --resume and yields exactly the bytes an uninterrupted run gives.
 * The hook never changes an engine's random numbers or arithmetic. */
#ifndef CATEX_RUN_HOOK_H
#define CATEX_RUN_HOOK_H

typedef struct {
  const char *unit; /* "events", "sweeps", ... */
  double done;      /* units done so far in this task */
  double total;     /* units expected in all (<= 0: unknown) */
  double fraction;  /* best estimate of the fraction of the task done, in [0, 1]; < 0 unknown */
} catex_run_progress;

typedef struct {
  /* Returns 0 to go on, non-zero to stop the task now. */
  int (*poll)(void *ctx, const catex_run_progress *progress);
  void *ctx;
} catex_run_hook;

/* NULL hook: never stops. */
static inline int catex_run_hook_poll(const catex_run_hook *hook, const char *unit, double done, double total,
                                      double fraction)
{
  if (!hook || !hook->poll) return 0;
  catex_run_progress p = {unit, done, total, fraction};
  return hook->poll(hook->ctx, &p);
}

#endif
