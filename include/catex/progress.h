/* Progress lines of a run, printed by rank 0: tasks done / failed / total,
 * how many are safely on disk, throughput and ETA. One line per interval,
 * readable in a SLURM log; only when the stream is a terminal is the line
 * redrawn in place with a carriage return. */
#ifndef CATEX_PROGRESS_H
#define CATEX_PROGRESS_H

#include <stdio.h>

#include "catex/error.h"

typedef struct catex_progress catex_progress;

/* total: tasks of the job; done_before: tasks already done in the file
 * (resume); interval: seconds between lines (<= 0: only the final line). */
catex_status catex_progress_create(FILE *out, const char *label, long total, long done_before, double interval,
                                   catex_progress **p, catex_error *err);
void catex_progress_destroy(catex_progress *p);

/* Counts are totals over the job (including done_before). Prints a line if
 * the interval has passed since the last one, or if force. */
void catex_progress_update(catex_progress *p, long done, long failed, long on_disk, int force);

/* seconds as hh:mm:ss into buf ("--:--:--" when unknown, negative or absurd). */
void catex_format_hms(char *buf, size_t n, double seconds);

#endif
