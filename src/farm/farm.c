/* catex_farm_run: decides between a fresh file and --resume, reads what is
 * already done, runs the master or worker loop, and gathers statistics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "farm_internal.h"

void catex_farm_options_default(catex_farm_options *opt)
{
  memset(opt, 0, sizeof *opt);
  opt->checkpoint_seconds = -1;
  opt->progress_seconds = 10;
  opt->cache_bytes = (size_t)1 << 30;
  opt->flush_bytes = (size_t)512 << 20;
  opt->master_works = -1;
  opt->prefetch = 3;
  opt->label = "catex run";
}

void farm_ring_init(farm_sendring *ring)
{
  for (int i = 0; i < FARM_SLOTS; i++) ring->req[i] = MPI_REQUEST_NULL;
  ring->next = 0;
}

void farm_ring_wait(farm_sendring *ring) { MPI_Waitall(FARM_SLOTS, ring->req, MPI_STATUSES_IGNORE); }

catex_status farm_send(farm_ctx *f, farm_sendring *ring, int dest, int tag, long long a, long long b, long long c,
                       catex_error *err)
{
  int s = ring->next;
  ring->next = (s + 1) % FARM_SLOTS;
  if (MPI_Wait(&ring->req[s], MPI_STATUS_IGNORE) != MPI_SUCCESS)
    return catex_error_set(err, CATEX_ERR_MPI, "MPI_Wait failed");
  ring->buf[s][0] = a;
  ring->buf[s][1] = b;
  ring->buf[s][2] = c;
  if (MPI_Isend(ring->buf[s], 3, MPI_LONG_LONG, dest, tag, f->comm, &ring->req[s]) != MPI_SUCCESS)
    return catex_error_set(err, CATEX_ERR_MPI, "MPI_Isend to rank %d failed", dest);
  return CATEX_OK;
}

void farm_idle(int *idle)
{
  /* 20 us doubling to 1 ms: reacts fast after a short gap, costs ~nothing
   * when a rank waits long (e.g. at the end of a run). */
  long ns = 20000L << (*idle < 6 ? *idle : 6);
  if (ns > 1000000L) ns = 1000000L;
  struct timespec ts = {0, ns};
  nanosleep(&ts, NULL);
  (*idle)++;
}

catex_status farm_run_local(farm_ctx *f, long id, catex_task_status *status, double *seconds, catex_error *err)
{
  catex_task_result *res = NULL;
  catex_status st = catex_task_runner_run(f->runner, id, f->rank, &res, err);
  if (st) return st;
  *status = res->status;
  *seconds += res->runtime;
  return catex_output_add(f->out, res, err);
}

catex_status farm_flush(farm_ctx *f, catex_error *err)
{
  double t0 = MPI_Wtime();
  long n = 0;
  catex_status st = catex_output_flush(f->out, &n, err);
  f->on_disk += n;
  f->flushes++;
  f->flush_seconds += MPI_Wtime() - t0;
  return st;
}

static int cmp_cost(const void *a, const void *b, const catex_job *job)
{
  long x = *(const long *)a, y = *(const long *)b;
  double cx = catex_job_task(job, x)->cost, cy = catex_job_task(job, y)->cost;
  if (cx != cy) return cx > cy ? -1 : 1;
  return (x > y) - (x < y);
}

/* Insertion of a comparator context: qsort has none, so merge sort by hand. */
static void sort_by_cost(long *a, long n, long *tmp, const catex_job *job)
{
  if (n < 2) return;
  long h = n / 2;
  sort_by_cost(a, h, tmp, job);
  sort_by_cost(a + h, n - h, tmp, job);
  long i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = cmp_cost(&a[j], &a[i], job) < 0 ? a[j++] : a[i++];
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, (size_t)n * sizeof *a);
}

/* Fresh file or resume: decided on rank 0 (it alone looks at the file
 * system), the same for all. */
static catex_status open_output(MPI_Comm comm, int rank, const catex_job *job, const catex_farm_options *opt,
                                const char *path, catex_output **out, catex_error *err)
{
  int mode = 0; /* 0 create, 1 resume, -1 refuse */
  if (rank == 0) {
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    mode = exists ? (opt->resume ? 1 : opt->force ? 0 : -1) : 0;
    if (!exists && opt->resume && opt->log)
      fprintf(opt->log, "%s: %s does not exist yet; starting the job from the beginning\n", opt->label, path);
  }
  MPI_Bcast(&mode, 1, MPI_INT, 0, comm);
  if (mode < 0)
    return catex_error_set(err, CATEX_ERR_IO,
                           "output file '%s' exists; use --resume to continue it or --force to replace it", path);
  if (mode == 1) return catex_output_open(comm, path, job, out, err);
  return catex_output_create(comm, path, job, out, err);
}

catex_status catex_farm_run(MPI_Comm comm, const catex_job *job, const catex_farm_options *opt_in,
                            catex_farm_stats *stats, catex_error *err)
{
  double t_start = MPI_Wtime();
  if (stats) memset(stats, 0, sizeof *stats);
  catex_farm_options opt = *opt_in;
  if (!opt.log) opt.log = stdout;
  if (!opt.label) opt.label = "catex run";
  if (opt.prefetch < 1) opt.prefetch = 1;
  farm_ctx f;
  memset(&f, 0, sizeof f);
  f.job = job;
  f.opt = &opt;
  if (MPI_Comm_dup(comm, &f.comm) != MPI_SUCCESS) return catex_error_set(err, CATEX_ERR_MPI, "MPI_Comm_dup failed");
  MPI_Comm_rank(f.comm, &f.rank);
  MPI_Comm_size(f.comm, &f.size);
  const char *path = opt.output ? opt.output : catex_job_output(job);
  long ntasks = catex_job_num_tasks(job);
  f.checkpoint_seconds = opt.checkpoint_seconds >= 0 ? opt.checkpoint_seconds : 60 * catex_job_checkpoint_minutes(job);
  signed char *status = malloc((size_t)ntasks);
  long *tmp = NULL;
  catex_status st = CATEX_OK;
  if (!status) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    goto done;
  }
  if ((st = open_output(f.comm, f.rank, job, &opt, path, &f.out, err))) goto done;
  if ((st = catex_output_read_status(f.out, status, err))) goto done;
  for (long t = 0; t < ntasks; t++) {
    if (status[t] == CATEX_TASK_DONE) f.done_before++;
    else f.npending++;
  }
  if (f.rank == 0) {
    f.order = malloc((size_t)(f.npending ? f.npending : 1) * sizeof *f.order);
    tmp = malloc((size_t)(f.npending ? f.npending : 1) * sizeof *tmp);
    if (!f.order || !tmp) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    else {
      long k = 0;
      for (long t = 0; t < ntasks; t++)
        if (status[t] != CATEX_TASK_DONE) f.order[k++] = t;
      sort_by_cost(f.order, f.npending, tmp, job);
    }
  }
  if (!st) st = catex_task_runner_create(job, opt.cache_bytes, &f.runner, err);
  {
    int ok = st == CATEX_OK, all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, f.comm);
    if (!all) {
      if (!st) st = catex_error_set(err, CATEX_ERR_NOMEM, "another rank ran out of memory");
      goto done;
    }
  }
  if ((st = catex_task_runner_share_memory(f.runner, f.comm, err))) goto done; /* collective */
  f.on_disk = f.done_before;
  if (f.rank == 0 && f.done_before)
    fprintf(opt.log, "%s: resuming %s: %ld of %ld tasks already done\n", opt.label, path, f.done_before, ntasks);
  double t_farm = MPI_Wtime();
  st = f.rank == 0 ? farm_master(&f, err) : farm_worker(&f, err);
  double farm_seconds = MPI_Wtime() - t_farm;
  if (stats) {
    stats->ntasks = ntasks;
    stats->skipped = f.done_before;
    stats->done = f.done;
    stats->failed = f.failed;
    stats->flushes = f.flushes;
    stats->farm_seconds = farm_seconds;
    stats->flush_seconds = f.flush_seconds;
    stats->dispatch_seconds = f.dispatch_seconds;
    stats->dispatched = f.dispatched;
    stats->ranks = f.size;
    snprintf(stats->output, sizeof stats->output, "%s", path);
    double ts = 0;
    long sh[2] = {0, 0}, tot[2] = {0, 0};
    catex_task_runner_cache_stats(f.runner, &sh[0], &sh[1]);
    MPI_Reduce(&f.task_seconds, &ts, 1, MPI_DOUBLE, MPI_SUM, 0, f.comm);
    MPI_Reduce(sh, tot, 2, MPI_LONG, MPI_SUM, 0, f.comm);
    stats->task_seconds = ts;
    stats->solves = tot[0];
    stats->cache_hits = tot[1];
  }
done:;
  catex_error e2;
  catex_status cst = f.out ? catex_output_close(f.out, st ? &e2 : err) : CATEX_OK;
  if (!st) st = cst;
  catex_task_runner_destroy(f.runner);
  free(f.order);
  free(tmp);
  free(status);
  MPI_Comm_free(&f.comm);
  if (stats) stats->total_seconds = MPI_Wtime() - t_start;
  return st;
}

void catex_farm_stats_json(const catex_farm_stats *s, FILE *out)
{
  fprintf(out,
          "{\"ranks\": %d, \"ntasks\": %ld, \"skipped\": %ld, \"done\": %ld, \"failed\": %ld, \"flushes\": %ld, "
          "\"total_seconds\": %.6f, \"farm_seconds\": %.6f, \"task_seconds\": %.6f, \"flush_seconds\": %.6f, "
          "\"dispatch_seconds\": %.6f, \"dispatched\": %ld, \"solves\": %ld, \"cache_hits\": %ld}\n",
          s->ranks, s->ntasks, s->skipped, s->done, s->failed, s->flushes, s->total_seconds, s->farm_seconds,
          s->task_seconds, s->flush_seconds, s->dispatch_seconds, s->dispatched, s->solves, s->cache_hits);
}
