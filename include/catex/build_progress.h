/* Progress lines of a long V build ("columns solved / total, ETA"), for the
 * progress hook of catex_elastic_options. Silent for builds shorter than
 * the interval; after that one line per interval and a last one at the
 * end, so a log shows that a build of minutes is alive and when it ends. */
#ifndef CATEX_BUILD_PROGRESS_H
#define CATEX_BUILD_PROGRESS_H

#include <stdio.h>

typedef struct {
  FILE *out;         /* NULL: stderr */
  char label[160];   /* e.g. "catex potential: V of cube L 30 (27000 sites)" */
  double interval;   /* seconds between lines (<= 0: 10) */
  double last;       /* seconds of the last line (internal) */
} catex_build_progress;

void catex_build_progress_init(catex_build_progress *p, FILE *out, double interval, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The catex_elastic_progress callback; ctx is a catex_build_progress. */
void catex_build_progress_report(void *ctx, int done, int total, double seconds);

#endif
