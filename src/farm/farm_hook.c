/* The farm's side of the engines' run hook (include/catex/run_hook.h):
 * progress lines within a running task at the progress interval, and the
 * reaction to a termination signal. A signal (caught by catex/signals.h on
 * any rank) or rank 0's FARM_INTERRUPT order lets a running task go on for
 * at most the grace time; then the hook asks the engine to stop, and the
 * task stays pending in the file (--resume reruns it, with the same bytes). */
#include <stdio.h>

#include "catex/progress.h"
#include "catex/signals.h"
#include "farm_internal.h"

int farm_interrupt_pending(farm_ctx *f)
{
  if (!f->interrupted) {
    int sig = catex_signals_caught();
    if (sig) {
      f->interrupted = sig;
      f->interrupt_time = MPI_Wtime();
    }
  }
  return f->interrupted != 0;
}

catex_status farm_notice(farm_ctx *f, farm_sendring *ring, catex_error *err)
{
  if (f->notified || f->interrupted <= 0) return CATEX_OK;
  f->notified = 1;
  f->sent_to_master++;
  return farm_send(f, ring, 0, FARM_TAG_NOTICE, f->interrupted, 0, 0, err);
}

void farm_collect_notices(farm_ctx *f)
{
  for (;;) {
    int flag = 0;
    MPI_Status s;
    MPI_Iprobe(MPI_ANY_SOURCE, FARM_TAG_NOTICE, f->comm, &flag, &s);
    if (!flag) return;
    long long msg[3];
    MPI_Recv(msg, 3, MPI_LONG_LONG, s.MPI_SOURCE, FARM_TAG_NOTICE, f->comm, MPI_STATUS_IGNORE);
    if (f->received) f->received[s.MPI_SOURCE]++;
    if (!f->interrupted) {
      f->interrupted = (int)msg[0];
      f->interrupt_time = MPI_Wtime();
    }
  }
}

static int poll(void *ctx, const catex_run_progress *p)
{
  farm_ctx *f = ctx;
  const double now = MPI_Wtime();
  if (f->pump) f->pump(f->pump_ctx);
  else if (f->rank == 0 && f->size > 1) farm_collect_notices(f);
  const double interval = f->opt->progress_seconds;
  if (f->task_fraction0 < 0 && p->fraction >= 0) f->task_fraction0 = p->fraction;
  /* tasks of a few seconds say nothing: the run's own progress line covers them */
  if (interval > 0 && f->current_task >= 0 && now - f->task_printed >= interval && now - f->task_start >= 3) {
    f->task_printed = now;
    const double el = now - f->task_start;
    char e[32], eta[32], pct[32] = "";
    catex_format_hms(e, sizeof e, el);
    /* the rate of this run of the task: a ladder resumed at 45 % has not done 45 % in el */
    const double since = p->fraction - (f->task_fraction0 > 0 ? f->task_fraction0 : 0);
    catex_format_hms(eta, sizeof eta, since > 0 ? el * (1 - p->fraction) / since : -1);
    if (p->fraction >= 0) snprintf(pct, sizeof pct, " (%.1f%%)", 100 * p->fraction);
    FILE *out = f->opt->log ? f->opt->log : stdout;
    if (p->total > 0)
      fprintf(out, "%s: rank %d task %ld: %.0f of %.0f %s%s  %s  ETA %s\n", f->opt->label, f->rank, f->current_task,
              p->done, p->total, p->unit, pct, e, eta);
    else
      fprintf(out, "%s: rank %d task %ld: %.0f %s%s  %s  ETA %s\n", f->opt->label, f->rank, f->current_task, p->done,
              p->unit, pct, e, eta);
    fflush(out);
  }
  if (!farm_interrupt_pending(f)) return 0;
  return now - f->interrupt_time >= f->opt->grace_seconds;
}

void farm_hook_init(farm_ctx *f)
{
  f->hook.poll = poll;
  f->hook.ctx = f;
  f->current_task = -1;
  catex_task_runner_set_hook(f->runner, &f->hook);
}
