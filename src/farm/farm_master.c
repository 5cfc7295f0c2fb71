/* Rank 0: dispatcher and, with few ranks, a worker too (a pure dispatcher
 * would leave one of two cores idle). Between its own tasks it answers every
 * completion that arrived with the next task, longest first; workers hold
 * `prefetch` tasks, so they keep busy while rank 0 computes.
 *
 * Never more than a fair share, though: a queued task is stuck behind the
 * worker's running one, so with few tasks left (a handful of long ladders)
 * a full prefetch queue leaves the other ranks idle at the end. 4 ladders
 * on 2 ranks ran 3 on one rank and 1 on the other (106 min instead of ~70)
 * until a worker's queue was capped at ceil(unfinished / participants). */
#include <stdlib.h>
#include <string.h>

#include "catex/idle.h"
#include "farm_internal.h"

typedef struct {
  farm_sendring *rings; /* per worker */
  long *outstanding;    /* tasks handed to each worker and not reported back */
  size_t *bytes;        /* unflushed bytes each worker reported */
  long next;            /* next entry of f->order to hand out */
  long complete;        /* tasks reported back (or run here) in this session */
} master;

static catex_status hand_out(farm_ctx *f, master *m, int w, catex_error *err)
{
  if (m->next >= f->npending) return CATEX_OK;
  m->outstanding[w]++;
  return farm_send(f, &m->rings[w], w, FARM_TAG_CTRL, FARM_TASK, f->order[m->next++], 0, err);
}

/* Tasks a worker may hold: prefetch, but at most its share of the tasks not
 * finished (handed out, reserved by rank 0 or not yet handed out) over the
 * ranks that run tasks; at least 1, so that no worker idles while tasks
 * wait. Handing a task out moves it between two of those terms, so the cap
 * stays the same until the next completion: callers compute it once. */
static long queue_cap(const farm_ctx *f, const master *m, int works, long reserved)
{
  long unfinished = f->npending - m->next + (reserved >= 0);
  for (int w = 1; w < f->size; w++) unfinished += m->outstanding[w];
  const long ranks = f->size - 1 + works;
  const long share = (unfinished + ranks - 1) / ranks;
  const long cap = share < f->opt->prefetch ? share : f->opt->prefetch;
  return cap > 1 ? cap : 1;
}

/* Tops up every worker's queue to its cap. */
static catex_status top_up(farm_ctx *f, master *m, int works, long reserved, int *activity, catex_error *err)
{
  catex_status st = CATEX_OK;
  if (f->interrupted || m->next >= f->npending) return st; /* a stopping run starts nothing new */
  const long cap = queue_cap(f, m, works, reserved);
  for (int w = 1; w < f->size && !st && m->next < f->npending; w++)
    while (!st && m->next < f->npending && m->outstanding[w] < cap) {
      const double t0 = MPI_Wtime();
      st = hand_out(f, m, w, err);
      f->dispatch_seconds += MPI_Wtime() - t0;
      f->dispatched++;
      *activity = 1;
    }
  return st;
}

/* Handles every completion that has arrived. */
static catex_status collect(farm_ctx *f, master *m, int *activity, catex_error *err)
{
  catex_status st = CATEX_OK;
  for (;;) {
    int flag = 0;
    MPI_Status s;
    MPI_Iprobe(MPI_ANY_SOURCE, FARM_TAG_DONE, f->comm, &flag, &s);
    if (!flag) return st;
    double t0 = MPI_Wtime();
    long long msg[3];
    if (MPI_Recv(msg, 3, MPI_LONG_LONG, s.MPI_SOURCE, FARM_TAG_DONE, f->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return catex_error_set(err, CATEX_ERR_MPI, "MPI_Recv from rank %d failed", s.MPI_SOURCE);
    int w = s.MPI_SOURCE;
    f->received[w]++;
    m->outstanding[w]--;
    m->bytes[w] = (size_t)msg[2];
    if (msg[1] == CATEX_TASK_INTERRUPTED) continue; /* its notice is on the way */
    m->complete++;
    if (msg[1] == CATEX_TASK_DONE) f->done++;
    else f->failed++;
    f->dispatch_seconds += MPI_Wtime() - t0;
    *activity = 1;
  }
}

static catex_status flush_all(farm_ctx *f, master *m, int kind, catex_error *err)
{
  catex_status st = CATEX_OK;
  for (int w = 1; w < f->size && !st; w++) st = farm_send(f, &m->rings[w], w, FARM_TAG_CTRL, kind, 0, 0, err);
  if (st) return st; /* MPI is broken: nothing collective can follow */
  memset(m->bytes, 0, (size_t)f->size * sizeof *m->bytes);
  return farm_flush(f, err);
}

/* After the final flush: every message the workers sent is received, so
 * none is left in flight when the communicator goes (see farm_internal.h). */
catex_status farm_drain(farm_ctx *f, catex_error *err)
{
  long mine = f->sent_to_master, *sent = f->rank == 0 ? calloc((size_t)f->size, sizeof *sent) : NULL;
  int ok = f->rank != 0 || sent;
  if (MPI_Gather(&mine, 1, MPI_LONG, sent, 1, MPI_LONG, 0, f->comm) != MPI_SUCCESS)
    ok = 0;
  for (int w = 1; w < f->size && ok && f->rank == 0; w++)
    for (; f->received[w] < sent[w]; f->received[w]++) {
      long long msg[3];
      if (MPI_Recv(msg, 3, MPI_LONG_LONG, w, MPI_ANY_TAG, f->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS) ok = 0;
    }
  free(sent);
  return ok ? CATEX_OK : catex_error_set(err, CATEX_ERR_MPI, "cannot collect the last farm messages");
}

catex_status farm_master(farm_ctx *f, catex_error *err)
{
  const catex_farm_options *opt = f->opt;
  int works = opt->master_works >= 0 ? opt->master_works : f->size < 16;
  if (f->size == 1) works = 1;
  master m;
  memset(&m, 0, sizeof m);
  m.rings = calloc((size_t)f->size, sizeof *m.rings);
  m.outstanding = calloc((size_t)f->size, sizeof *m.outstanding);
  m.bytes = calloc((size_t)f->size, sizeof *m.bytes);
  f->received = calloc((size_t)f->size, sizeof *f->received);
  catex_progress *prog = NULL;
  catex_status st = CATEX_OK;
  if (!m.rings || !m.outstanding || !m.bytes || !f->received) {
    /* Unrecoverable without leaving the workers waiting: end the job (the
     * file stays resumable by construction). */
    fprintf(stderr, "%s: out of memory in the dispatcher\n", opt->label);
    MPI_Abort(f->comm, 1);
  }
  for (int w = 0; w < f->size; w++) farm_ring_init(&m.rings[w]);
  if ((st = catex_progress_create(opt->log, opt->label, catex_job_num_tasks(f->job), f->done_before,
                                  opt->progress_seconds, &prog, err)))
    MPI_Abort(f->comm, 1);

  /* Longest first: one task to every worker, then rank 0 reserves the next
   * for itself, and only then are the workers' queues topped up with what
   * follows (round by round, so that the long tasks spread). Topping up
   * first would queue the longest tasks behind each other on the workers
   * and could leave rank 0 idle. */
  for (int w = 1; w < f->size && !st; w++) st = hand_out(f, &m, w, err);
  long reserved = works && m.next < f->npending ? f->order[m.next++] : -1;
  const long cap = queue_cap(f, &m, works, reserved);
  for (int round = 1; round < opt->prefetch && !st; round++)
    for (int w = 1; w < f->size && !st; w++)
      if (m.outstanding[w] < cap) st = hand_out(f, &m, w, err);
  double last_flush = MPI_Wtime();
  long flushed_complete = 0;
  int idle = 0;
  while (!st) {
    int activity = 0;
    farm_collect_notices(f);
    if (farm_interrupt_pending(f)) break;
    if ((st = collect(f, &m, &activity, err))) break;
    if ((st = top_up(f, &m, works, reserved, &activity, err))) break;
    catex_progress_update(prog, f->done_before + f->done, f->failed, f->on_disk, 0);
    if (m.complete == f->npending) break;
    size_t most = catex_output_buffered_bytes(f->out);
    for (int w = 1; w < f->size; w++)
      if (m.bytes[w] > most) most = m.bytes[w];
    /* Only completions make a flush worth its cost (and its wait for every
     * rank's current task); with a zero interval this flushes after every
     * round of completions, and never starves rank 0's own task. */
    if (m.complete > flushed_complete &&
        (MPI_Wtime() - last_flush >= f->checkpoint_seconds || most > opt->flush_bytes)) {
      flushed_complete = m.complete;
      st = flush_all(f, &m, FARM_FLUSH, err);
      last_flush = MPI_Wtime();
      if (st) break;
    }
    if (works && (reserved >= 0 || m.next < f->npending)) {
      catex_task_status ts;
      long id = reserved >= 0 ? reserved : f->order[m.next++];
      reserved = -1;
      if ((st = farm_run_local(f, id, &ts, &f->task_seconds, err))) {
        fprintf(stderr, "%s: %s\n", opt->label, err ? err->message : "task bookkeeping failed");
        MPI_Abort(f->comm, 1);
      }
      if (ts == CATEX_TASK_INTERRUPTED) break;
      m.complete++;
      if (ts == CATEX_TASK_DONE) f->done++;
      else f->failed++;
      idle = 0;
      continue;
    }
    if (activity) idle = 0;
    else catex_idle_sleep(&idle);
  }
  if (!st) st = flush_all(f, &m, f->interrupted ? FARM_INTERRUPT : FARM_STOP, err);
  if (!st) st = farm_drain(f, err);
  catex_progress_update(prog, f->done_before + f->done, f->failed, f->on_disk, 1);
  catex_progress_destroy(prog);
  if (!st)
    for (int w = 1; w < f->size; w++) farm_ring_wait(&m.rings[w]);
  free(m.rings);
  free(m.outstanding);
  free(m.bytes);
  free(f->received);
  f->received = NULL;
  return st;
}
