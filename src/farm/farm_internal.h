/* Private to the farm (src/farm/): state shared by the master and worker
 * loops, and the message protocol between them.
 *
 * Messages (on the farm's own duplicate of the communicator):
 *   master -> worker, TAG_CTRL, int64[2] {FARM_TASK, id} | {FARM_FLUSH, 0} | {FARM_STOP, 0}
 *   worker -> master, TAG_DONE, int64[3] {id, status, bytes buffered on the worker}
 *   master -> worker, TAG_CTRL, {FARM_INTERRUPT, 0}: drop the queue, stop the
 *                    running task within the grace time, final flush, leave
 *   worker -> master, TAG_NOTICE, int64[3] {signal, 0, 0}: this rank caught a
 *                    signal (sent once; the master then interrupts everyone)
 * After the final flush every worker tells rank 0 (MPI_Gather) how many
 * messages it sent, and rank 0 receives whatever is still in flight, so no
 * message outlives the farm's communicator.
 * FARM_FLUSH and FARM_STOP make the worker enter the collective flush after
 * its current task (STOP: the final one, after which it leaves). STOP is sent
 * only when every task's DONE has arrived, so no task is ever left queued. */
#ifndef CATEX_FARM_INTERNAL_H
#define CATEX_FARM_INTERNAL_H

#include "catex/farm.h"
#include "catex/output.h"
#include "catex/progress.h"
#include "catex/task.h"

enum { FARM_TAG_CTRL = 7001, FARM_TAG_DONE = 7002, FARM_TAG_NOTICE = 7003 };
enum { FARM_TASK = 1, FARM_FLUSH = 2, FARM_STOP = 3, FARM_INTERRUPT = 4 };
enum { FARM_ORDERED = -1 }; /* f->interrupted: told by rank 0, no signal of its own */
#define FARM_SLOTS 16 /* in-flight sends per peer (> prefetch + flush + stop) */

typedef struct {
  long long buf[FARM_SLOTS][3];
  MPI_Request req[FARM_SLOTS];
  int next;
} farm_sendring;

typedef struct {
  MPI_Comm comm; /* farm messages */
  int rank, size;
  const catex_job *job;
  const catex_farm_options *opt;
  catex_output *out;
  catex_task_runner *runner;
  long npending;       /* tasks for the dynamic farm in this session (not the ladder phase's) */
  long *order;         /* rank 0: pending tasks, longest first */
  long done_before;    /* done in the file at start */
  double checkpoint_seconds;
  /* rank 0's tallies */
  long done, failed, on_disk, flushes;
  double task_seconds, flush_seconds, dispatch_seconds;
  long dispatched;
  /* interruption (signals) and the engines' run hook (farm_hook.c) */
  catex_run_hook hook;
  int interrupted;          /* 0, the signal caught (rank 0: by any rank), or FARM_ORDERED */
  double interrupt_time;    /* MPI_Wtime() when this rank learnt of it */
  int notified;             /* worker: TAG_NOTICE sent */
  long sent_to_master;      /* worker: messages sent to rank 0 */
  long *received;           /* rank 0: messages received from each rank */
  long final_flushed;       /* tasks written by the last flush (all ranks) */
  long current_task;        /* running here, -1 none */
  int failures_printed;     /* failed tasks of this rank reported on stderr */
  double task_start, task_printed;
  double task_fraction0;  /* fraction done at the task's first poll (> 0 when resumed from a checkpoint) */
  void (*pump)(void *ctx);  /* worker: takes in control messages while a task runs */
  void *pump_ctx;
} farm_ctx;

/* Sets up f->hook (call once the runner exists). */
void farm_hook_init(farm_ctx *f);
/* Non-zero once this rank knows of an interruption (its own signal, checked
 * here, or one recorded from rank 0 / a notice). */
int farm_interrupt_pending(farm_ctx *f);
/* Worker: tells rank 0 of this rank's signal, once. */
catex_status farm_notice(farm_ctx *f, farm_sendring *ring, catex_error *err);
/* Rank 0: takes in every notice that has arrived (counted in f->received). */
void farm_collect_notices(farm_ctx *f);

/* Non-blocking send of {a, b, c} through the ring (waits for the slot's
 * previous send first, long completed in practice). */
catex_status farm_send(farm_ctx *f, farm_sendring *ring, int dest, int tag, long long a, long long b, long long c,
                       catex_error *err);
void farm_ring_init(farm_sendring *ring);
void farm_ring_wait(farm_sendring *ring);

/* Runs task id locally and buffers its result; adds its run time to *seconds. */
catex_status farm_run_local(farm_ctx *f, long id, catex_task_status *status, double *seconds, catex_error *err);

/* Collective flush; rank 0 updates its on-disk tally. */
catex_status farm_flush(farm_ctx *f, catex_error *err);

/* Rank 0: the output's lock file for the run's lifetime (farm_lock.c). */
catex_status farm_lock_acquire(const char *output, char **lock_path, catex_error *err);
void farm_lock_release(char *lock_path);
/* farm_ladders.c: 1 if task t is a ladder spread over ranks (its study has
 * ranks_per_ladder > 1): it runs in the ladder phase, not in the dynamic
 * farm. farm_ladders runs that phase (collective over f->comm, ending with a
 * flush); status: the tasks' status at the start (the same on every rank). */
int farm_ladder_phase_task(const catex_job *job, long t);
catex_status farm_ladders(farm_ctx *f, const signed char *status, catex_error *err);

catex_status farm_master(farm_ctx *f, catex_error *err);
/* Collective, after the final flush (farm_master.c). */
catex_status farm_drain(farm_ctx *f, catex_error *err);
catex_status farm_worker(farm_ctx *f, catex_error *err);

#endif
