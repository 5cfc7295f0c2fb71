/* Ranks > 0: run the tasks rank 0 hands out, report each completion, and
 * join the collective flushes rank 0 calls for (between tasks). */
#include <stdlib.h>
#include <string.h>

#include "catex/idle.h"
#include "farm_internal.h"

typedef struct {
  long *ids;
  long head, tail, cap; /* FIFO of tasks handed to this rank */
  int flushes;          /* FLUSH orders not yet carried out */
  int stop;             /* STOP or INTERRUPT received */
} inbox;

static int push(inbox *q, long id)
{
  if (q->tail == q->cap) {
    if (q->head > 0) {
      memmove(q->ids, q->ids + q->head, (size_t)(q->tail - q->head) * sizeof *q->ids);
      q->tail -= q->head;
      q->head = 0;
    } else {
      long cap = q->cap ? 2 * q->cap : 16;
      long *p = realloc(q->ids, (size_t)cap * sizeof *p);
      if (!p) return -1;
      q->ids = p;
      q->cap = cap;
    }
  }
  q->ids[q->tail++] = id;
  return 0;
}

/* Takes in every control message that has arrived (reposting the receive). */
static catex_status drain(farm_ctx *f, MPI_Request *req, long long *buf, inbox *q, int *activity, catex_error *err)
{
  while (!q->stop) {
    int flag = 0;
    if (MPI_Test(req, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return catex_error_set(err, CATEX_ERR_MPI, "MPI_Test failed");
    if (!flag) break;
    *activity = 1;
    if (buf[0] == FARM_TASK) {
      if (push(q, (long)buf[1])) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    } else if (buf[0] == FARM_FLUSH) {
      q->flushes++;
    } else if (buf[0] == FARM_INTERRUPT) {
      if (!f->interrupted) {
        f->interrupted = FARM_ORDERED;
        f->interrupt_time = MPI_Wtime();
      }
      q->stop = 1;
      break; /* nothing follows INTERRUPT either */
    } else {
      q->stop = 1;
      break; /* nothing follows STOP: do not repost */
    }
    if (MPI_Irecv(buf, 3, MPI_LONG_LONG, 0, FARM_TAG_CTRL, f->comm, req) != MPI_SUCCESS)
      return catex_error_set(err, CATEX_ERR_MPI, "MPI_Irecv failed");
  }
  return CATEX_OK;
}

typedef struct {
  farm_ctx *f;
  MPI_Request *req;
  long long *buf;
  inbox *q;
  farm_sendring *ring;
} pump_state;

/* Called from the run hook while a task runs: control messages are taken in
 * (an INTERRUPT order must reach a long task) and a signal is reported. */
static void pump(void *ctx)
{
  pump_state *p = ctx;
  int activity = 0;
  if (drain(p->f, p->req, p->buf, p->q, &activity, NULL)) return;
  if (farm_interrupt_pending(p->f)) farm_notice(p->f, p->ring, NULL);
}

catex_status farm_worker(farm_ctx *f, catex_error *err)
{
  inbox q;
  memset(&q, 0, sizeof q);
  farm_sendring ring;
  farm_ring_init(&ring);
  long long buf[3];
  MPI_Request req;
  catex_status st = CATEX_OK;
  if (MPI_Irecv(buf, 3, MPI_LONG_LONG, 0, FARM_TAG_CTRL, f->comm, &req) != MPI_SUCCESS)
    st = catex_error_set(err, CATEX_ERR_MPI, "MPI_Irecv failed");
  pump_state ps = {f, &req, buf, &q, &ring};
  f->pump = pump;
  f->pump_ctx = &ps;
  int idle = 0;
  while (!st) {
    int activity = 0;
    if ((st = drain(f, &req, buf, &q, &activity, err))) break;
    if (q.flushes > 0) {
      q.flushes--;
      if ((st = farm_flush(f, err))) break;
      continue;
    }
    if (q.stop) break;
    /* after a signal: no new task; wait for rank 0's INTERRUPT */
    if (farm_interrupt_pending(f)) {
      if ((st = farm_notice(f, &ring, err))) break;
    } else if (q.head < q.tail) {
      long id = q.ids[q.head++];
      catex_task_status ts;
      if ((st = farm_run_local(f, id, &ts, &f->task_seconds, err)) ||
          (st = farm_send(f, &ring, 0, FARM_TAG_DONE, id, ts, (long long)catex_output_buffered_bytes(f->out), err))) {
        /* A rank that cannot even buffer a result would leave rank 0 waiting
         * for ever: end the job (the file stays resumable). */
        fprintf(stderr, "catex: rank %d: %s\n", f->rank, err ? err->message : "task bookkeeping failed");
        MPI_Abort(f->comm, 1);
      }
      f->sent_to_master++;
      if (ts == CATEX_TASK_DONE) f->done++;
      else f->failed++;
      idle = 0;
      continue;
    }
    if (activity) idle = 0;
    else catex_idle_sleep(&idle);
  }
  f->pump = NULL;
  if (!st) {
    st = farm_flush(f, err); /* the final one, matching rank 0's after STOP */
    if (!st) st = farm_drain(f, err);
    farm_ring_wait(&ring);
  } else if (!q.stop) {
    MPI_Cancel(&req);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
  }
  free(q.ids);
  return st;
}
