/* Progress reporting (include/catex/progress.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catex/progress.h"

struct catex_progress {
  FILE *out;
  const char *label;
  int tty;
  long total, done_before;
  double interval, t0, last;
  int drawn; /* a TTY line is pending without newline */
  long last_done, last_failed, last_disk; /* counts of the last line */
};

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

catex_status catex_progress_create(FILE *out, const char *label, long total, long done_before, double interval,
                                   catex_progress **p, catex_error *err)
{
  catex_progress *q = calloc(1, sizeof *q);
  if (!q) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  q->out = out;
  q->label = label;
  /* Open MPI hands ranks a pseudo-terminal even when mpirun's own output goes
   * to a SLURM log, so under a launcher only plain lines are safe. */
  int launched = getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("SLURM_PROCID");
  q->tty = out && !launched && isatty(fileno(out));
  q->total = total;
  q->done_before = done_before;
  q->interval = interval;
  q->t0 = q->last = now();
  q->last_done = q->last_failed = q->last_disk = -1;
  *p = q;
  return CATEX_OK;
}

void catex_progress_destroy(catex_progress *p)
{
  if (p && p->drawn) fputc('\n', p->out);
  free(p);
}

void catex_format_hms(char *buf, size_t n, double s)
{
  if (!(s >= 0) || s > 1e8) {
    snprintf(buf, n, "--:--:--");
    return;
  }
  long t = (long)(s + 0.5);
  snprintf(buf, n, "%02ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

void catex_progress_update(catex_progress *p, long done, long failed, long on_disk, int force)
{
  if (!p || !p->out) return;
  double t = now();
  if (!force && (p->interval <= 0 || t - p->last < p->interval)) return;
  if (force && p->last_done == done && p->last_failed == failed && p->last_disk == on_disk) return;
  p->last_done = done;
  p->last_failed = failed;
  p->last_disk = on_disk;
  p->last = t;
  double el = t - p->t0;
  long session = done + failed - p->done_before;
  double rate = el > 0 ? (double)session / el : 0;
  long left = p->total - done - failed;
  char e[40], eta[40];
  catex_format_hms(e, sizeof e, el);
  catex_format_hms(eta, sizeof eta, rate > 0 ? (double)left / rate : -1);
  fprintf(p->out, "%s%s %s  done %ld/%ld (%.1f%%)  failed %ld  on disk %ld  %.3g tasks/s  ETA %s%s", p->tty ? "\r" : "",
          p->label, e, done, p->total, p->total ? 100.0 * (double)done / (double)p->total : 100.0, failed, on_disk,
          rate, left ? eta : "00:00:00", p->tty ? "\033[K" : "\n");
  p->drawn = p->tty;
  fflush(p->out);
}
