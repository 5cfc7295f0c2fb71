/* Progress lines of the V build (include/catex/build_progress.h). */
#include <stdarg.h>
#include <string.h>

#include "catex/build_progress.h"

void catex_build_progress_init(catex_build_progress *p, FILE *out, double interval, const char *fmt, ...)
{
  memset(p, 0, sizeof *p);
  p->out = out;
  p->interval = interval > 0 ? interval : 10.0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->label, sizeof p->label, fmt, ap);
  va_end(ap);
}

void catex_build_progress_report(void *ctx, int done, int total, double seconds)
{
  catex_build_progress *p = ctx;
  const int last = done >= total;
  if (seconds - p->last < p->interval && !(last && p->last > 0)) return;
  if (last && p->last == 0 && seconds < p->interval) return;
  p->last = seconds > 0 ? seconds : 1e-9;
  FILE *out = p->out ? p->out : stderr;
  const double eta = done > 0 ? seconds * (total - done) / done : 0;
  if (last)
    fprintf(out, "%s: V build done, %d columns in %.0f s\n", p->label, total, seconds);
  else
    fprintf(out, "%s: V build %d / %d columns solved (%.0f%%), %.0f s, ETA %.0f s\n", p->label, done, total,
            100.0 * done / total, seconds, eta);
  fflush(out);
}
