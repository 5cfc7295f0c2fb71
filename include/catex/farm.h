/* The task farm behind `catex run`, `catex kmc` and `catex equilibrium`:
 * rank 0 expands the job, hands tasks out dynamically (longest first by the
 * job's cost estimate) and collects completions; every rank runs tasks
 * (rank 0 too, between dispatch rounds, unless there are many ranks) and
 * keeps its finished results until the next collective flush into the one
 * HDF5 file (include/catex/output.h). Rank 0 decides when to flush (every
 * checkpoint interval, when a rank holds too much, and at the end) and tells
 * the others; a flush waits for every rank's current task to end.
 *
 * Workers hold up to `prefetch` tasks (one running, the rest queued), so a
 * worker does not wait for rank 0 while rank 0 runs a task of its own: with
 * longest-first dispatch rank 0's task is expected to be no longer than the
 * queued ones. Two queued tasks (prefetch 3, the default) also absorb the
 * spread of run times among tasks of equal cost estimate (KMC trajectories):
 * with one, the worker of a 2-rank run idled ~15% of the time.
 * Idle waits poll with a short sleep instead of spinning in MPI_Recv, so a
 * waiting rank does not steal the core of a working one.
 *
 * Before all that, exchange ladders whose study has ranks_per_ladder > 1
 * run in a collective phase of their own, each spread over a gang of ranks
 * (src/farm/farm_ladders.c), followed by one flush. */
#ifndef CATEX_FARM_H
#define CATEX_FARM_H

#include <mpi.h>
#include <stddef.h>
#include <stdio.h>

#include "catex/job.h"

typedef struct {
  const char *output;        /* output path; NULL: the job's `output` */
  int resume;                /* continue an existing file (a fresh start if there is none) */
  int force;                 /* replace an existing file */
  double checkpoint_seconds; /* < 0: the job's checkpoint_minutes */
  double progress_seconds;   /* interval of progress lines (<= 0: only the last) */
  size_t cache_bytes;        /* cap of each node's shared pair potentials (and of each rank's private cache) */
  size_t max_memory;         /* per-node limit checked before a run (0: the node's available memory) */
  size_t flush_bytes;        /* a rank holding more unflushed results than this triggers a flush */
  int master_works;          /* 1: rank 0 also runs tasks; 0: it only dispatches; -1: auto (works below 16 ranks) */
  int prefetch;              /* tasks a worker holds at once (running + queued), >= 1; default 3 */
  FILE *log;                 /* rank 0's progress stream; NULL: stdout */
  const char *label;         /* prefix of progress lines, e.g. "catex run" */
  double grace_seconds;      /* after a signal, a running task may go on this long (default 10) */
  const char *job_path;      /* the job file (NULL: none): --force never replaces it */
  const char *cli_options;   /* the command line's -potential_* options (NULL: none; --resume
                                refuses a file written with others): catex_farm_cli_options() */
} catex_farm_options;

typedef struct {
  long ntasks;               /* tasks of the job */
  long skipped;              /* already done in the file (resume) */
  long done, failed;         /* in this run */
  long flushes;
  double total_seconds;      /* from the start of catex_farm_run to the file being closed */
  double farm_seconds;       /* from the first task handed out to the end of the final flush */
  double task_seconds;       /* sum of the tasks' run times over all ranks */
  double flush_seconds;      /* time rank 0 spent in flushes */
  double dispatch_seconds;   /* time rank 0 spent handling completions and sending tasks */
  long dispatched;           /* completions handled by rank 0 for other ranks */
  long solves, cache_hits;   /* elastic solves and cache hits, summed over ranks */
  int ranks;
  char output[4096];         /* the output path used */
  int interrupted;           /* the signal that ended the run early (0: none; -1 another rank's) */
  long saved_on_interrupt;   /* tasks written by the flush after that signal */
  long on_disk;              /* tasks marked done or failed in the file at the end */
  double estimated_bytes;    /* the upper bound of the file size checked before creating it */
  long checksum_failures;    /* resume: done tasks whose rows failed their checksum (rerun) */
} catex_farm_stats;

void catex_farm_options_default(catex_farm_options *opt);

/* Rank 0 reads and expands the job file; the others parse the same text, so
 * every rank holds the identical expansion. Collective; on error (reported
 * on every rank, message from rank 0) nothing is allocated. */
catex_status catex_farm_load_job(MPI_Comm comm, const char *path, catex_job **job, catex_error *err);

/* Runs every task of the job not yet done in the output file. Collective.
 * SIGTERM, SIGINT, SIGHUP and SIGUSR1 are caught meanwhile (catex/signals.h):
 * the run then stops handing out tasks, lets running ones go on for at most
 * grace_seconds, flushes every finished task and returns CATEX_OK with
 * stats->interrupted set (the file is resumable).
 * An existing output file is refused unless resume or force is set. Failed
 * tasks do not make this an error: see stats->failed. stats may be NULL and
 * is valid on rank 0 (counts on every rank). */
catex_status catex_farm_run(MPI_Comm comm, const catex_job *job, const catex_farm_options *opt,
                            catex_farm_stats *stats, catex_error *err);

/* Writes stats as one JSON object (for `catex run --stats` and benchmarks). */
void catex_farm_stats_json(const catex_farm_stats *stats, FILE *out);

#endif
