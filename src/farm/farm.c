/* catex_farm_run: decides between a fresh file and --resume, reads what is
 * already done, runs the master or worker loop, and gathers statistics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catex/signals.h"
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
  opt->grace_seconds = 10;
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

catex_status farm_run_local(farm_ctx *f, long id, catex_task_status *status, double *seconds, catex_error *err)
{
  catex_task_result *res = NULL;
  f->current_task = id;
  f->task_start = f->task_printed = MPI_Wtime();
  f->task_fraction0 = -1;
  catex_status st = catex_task_runner_run(f->runner, id, f->rank, &res, err);
  f->current_task = -1;
  if (st) return st;
  *status = res->status;
  /* a failure is recorded in /tasks/message, and said at once where the
   * run is watched (the first few per rank: one bad scan must not flood it) */
  if (res->status == CATEX_TASK_FAILED && ++f->failures_printed <= 5)
    fprintf(stderr, "%s: rank %d: task %ld failed: %s%s\n", f->opt->label, f->rank, id, res->message,
            f->failures_printed == 5 ? " (further failures of this rank: see /tasks/message)" : "");
  if (res->status == CATEX_TASK_INTERRUPTED) {
    /* not recorded: it stays pending and --resume reruns it */
    catex_task_result_destroy(res);
    return CATEX_OK;
  }
  *seconds += res->runtime;
  return catex_output_add(f->out, res, err);
}

catex_status farm_flush(farm_ctx *f, catex_error *err)
{
  double t0 = MPI_Wtime();
  long n = 0;
  catex_status st = catex_output_flush(f->out, &n, err);
  f->on_disk += n;
  if (!st) catex_task_runner_flushed(f->runner);
  f->final_flushed = n;
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

/* Under SLURM without working PMI, srun starts N copies that each see a
 * world of one rank and would all run the whole job into the same file.
 * Ranks started by mpirun (ORTE's HNP address in the environment) are
 * trusted: mpirun's own daemons are the SLURM tasks then. */
static catex_status check_world(MPI_Comm comm, int size, catex_error *err)
{
  const char *n = getenv("SLURM_STEP_NUM_TASKS");
  if (!n || !*n) n = getenv("SLURM_NTASKS");
  if (!n || !*n) n = getenv("SLURM_NPROCS");
  int bad = 0;
  long tasks = n ? strtol(n, NULL, 10) : 0;
  if (tasks > 0 && tasks != size && !getenv("OMPI_MCA_orte_hnp_uri") && !getenv("PRTE_MCA_ess_base_jobid"))
    bad = 1;
  int any = bad;
  MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, comm);
  if (!any) return CATEX_OK;
  return catex_error_set(err, CATEX_ERR_MPI,
                         "SLURM started %ld task(s) but MPI sees a world of %d rank(s): the MPI library did not get "
                         "the job's layout from SLURM's PMI, so every task would run the whole job alone into the "
                         "same output. Launch with a working PMI (e.g. `srun --mpi=pmix`; `srun --mpi=list` shows "
                         "the choices) or with mpirun",
                         tasks, size);
}

/* Fresh file or resume: decided on rank 0 (it alone looks at the file
 * system), the same for all. */
/* What --force may replace: a regular file that is not the job file. */
static const char *force_refusal(const char *path, const struct stat *lsb, const char *job_path)
{
  struct stat jb;
  if (S_ISLNK(lsb->st_mode)) return "it is a symbolic link";
  if (S_ISDIR(lsb->st_mode)) return "it is a directory";
  if (!S_ISREG(lsb->st_mode)) return "it is not a regular file (a device, FIFO or socket)";
  if (job_path && stat(job_path, &jb) == 0 && jb.st_dev == lsb->st_dev && jb.st_ino == lsb->st_ino)
    return "it is the job file itself";
  (void)path;
  return NULL;
}

static catex_status open_output(MPI_Comm comm, int rank, const catex_job *job, const catex_farm_options *opt,
                                const char *path, catex_output **out, catex_error *err)
{
  int mode = 0; /* 0 create, 1 resume, -1 refuse, -2 refuse --force */
  const char *why = NULL;
  if (rank == 0) {
    struct stat sb;
    int exists = lstat(path, &sb) == 0;
    mode = exists ? (opt->resume ? 1 : opt->force ? 0 : -1) : 0;
    if (exists && mode == 0 && (why = force_refusal(path, &sb, opt->job_path))) mode = -2;
    if (!exists && opt->resume && opt->log)
      fprintf(opt->log, "%s: %s does not exist yet; starting the job from the beginning\n", opt->label, path);
  }
  MPI_Bcast(&mode, 1, MPI_INT, 0, comm);
  if (mode == -2)
    return catex_error_set(err, CATEX_ERR_IO, "--force replaces only an earlier output file, and '%s' is not one: %s",
                           path, rank == 0 ? why : "see rank 0");
  if (mode < 0)
    return catex_error_set(err, CATEX_ERR_IO,
                           "output file '%s' exists; use --resume to continue it or --force to replace it", path);
  if (mode == 1) return catex_output_open(comm, path, job, opt->cli_options, out, err);
  return catex_output_create(comm, path, job, opt->cli_options, out, err);
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
  /* from here on a signal is acted upon, not fatal (acted upon once the
   * farm loop starts; file creation is never cut short) */
  catex_signals_install();
  long ntasks = catex_job_num_tasks(job);
  f.checkpoint_seconds = opt.checkpoint_seconds >= 0 ? opt.checkpoint_seconds : 60 * catex_job_checkpoint_minutes(job);
  signed char *status = malloc((size_t)ntasks);
  long *tmp = NULL;
  char *lock_path = NULL;
  catex_status st = CATEX_OK;
  if (!status) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    goto done;
  }
  if ((st = check_world(f.comm, f.size, err))) goto done;
  {
    /* one writer per output: rank 0 takes the lock, every rank learns the outcome */
    struct stat sb;
    const char *why = NULL;
    int code = 0;
    /* refused before a lock file is created beside, e.g., /dev/null */
    if (f.rank == 0 && opt.force && lstat(path, &sb) == 0 && (why = force_refusal(path, &sb, opt.job_path)))
      code = (int)catex_error_set(err, CATEX_ERR_IO,
                                  "--force replaces only an earlier output file, and '%s' is not one: %s", path, why);
    else if (f.rank == 0)
      code = (int)farm_lock_acquire(path, &lock_path, err);
    MPI_Bcast(&code, 1, MPI_INT, 0, f.comm);
    if (code) {
      st = f.rank == 0 ? (catex_status)code
                       : catex_error_set(err, (catex_status)code, "rank 0 could not lock '%s'", path);
      goto done;
    }
  }
  if ((st = open_output(f.comm, f.rank, job, &opt, path, &f.out, err))) goto done;
  if ((st = catex_output_read_status(f.out, status, err))) goto done;
  long ndone_in_file = 0;
  for (long t = 0; t < ntasks; t++) ndone_in_file += status[t] == CATEX_TASK_DONE;
  if (ndone_in_file > 0) { /* the same on every rank: status was read by all */
    long nbad = 0, bad[20];
    if ((st = catex_output_verify(f.out, status, &nbad, bad, 20, err))) goto done;
    if (nbad && f.rank == 0) {
      fprintf(stderr, "%s: %s: %ld task(s) marked done have rows that do not match their checksum (corrupted or "
                      "edited); running them again:", opt.label, path, nbad);
      for (long i = 0; i < nbad && i < 20; i++) fprintf(stderr, " %ld", bad[i]);
      fprintf(stderr, "%s\n", nbad > 20 ? " ..." : "");
    }
    if (stats) stats->checksum_failures = nbad;
  }
  for (long t = 0; t < ntasks; t++) {
    if (status[t] == CATEX_TASK_DONE) f.done_before++;
    else if (!farm_ladder_phase_task(job, t)) f.npending++;
  }
  if (f.rank == 0) {
    f.order = malloc((size_t)(f.npending ? f.npending : 1) * sizeof *f.order);
    tmp = malloc((size_t)(f.npending ? f.npending : 1) * sizeof *tmp);
    if (!f.order || !tmp) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    else {
      long k = 0;
      for (long t = 0; t < ntasks; t++)
        if (status[t] != CATEX_TASK_DONE && !farm_ladder_phase_task(job, t)) f.order[k++] = t;
      sort_by_cost(f.order, f.npending, tmp, job);
    }
  }
  if (!st) st = catex_task_runner_create(job, opt.cache_bytes, &f.runner, err);
  if (!st) {
    /* ladder checkpoints next to the output; a fresh start must not see
     * those of an earlier run (rank 0 removes them before any task runs) */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s.ladders", path);
    st = catex_task_runner_set_checkpoints(f.runner, dir, f.checkpoint_seconds, opt.resume, err);
    if (!st && f.rank == 0) {
      /* also, on resume, those of ladders already done (a kill between the
       * flush and the removal leaves them behind) */
      char p[4300];
      for (long t = 0; t < ntasks; t++)
        if (catex_job_task(job, t)->rung_stream >= 0 && (!opt.resume || status[t] == CATEX_TASK_DONE)) {
          catex_task_checkpoint_path(dir, t, p, sizeof p);
          unlink(p);
        }
    }
  }
  if (!st) farm_hook_init(&f);
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
  st = farm_ladders(&f, status, err);
  if (!st) st = f.rank == 0 ? farm_master(&f, err) : farm_worker(&f, err);
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
    stats->interrupted = f.interrupted;
    stats->saved_on_interrupt = f.interrupted ? f.final_flushed : 0;
    stats->on_disk = f.on_disk;
    stats->estimated_bytes = catex_output_estimate_bytes(job, NULL, 0);
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
  farm_lock_release(lock_path); /* after the file is closed */
  catex_task_runner_destroy(f.runner);
  free(f.order);
  free(tmp);
  free(status);
  MPI_Comm_free(&f.comm);
  catex_signals_restore();
  if (stats) stats->total_seconds = MPI_Wtime() - t_start;
  return st;
}

void catex_farm_stats_json(const catex_farm_stats *s, FILE *out)
{
  fprintf(out,
          "{\"ranks\": %d, \"ntasks\": %ld, \"skipped\": %ld, \"done\": %ld, \"failed\": %ld, \"flushes\": %ld, "
          "\"total_seconds\": %.6f, \"farm_seconds\": %.6f, \"task_seconds\": %.6f, \"flush_seconds\": %.6f, "
          "\"dispatch_seconds\": %.6f, \"dispatched\": %ld, \"solves\": %ld, \"cache_hits\": %ld, "
          "\"interrupted\": %d, \"saved_on_interrupt\": %ld, \"estimated_bytes\": %.0f, "
          "\"checksum_failures\": %ld}\n",
          s->ranks, s->ntasks, s->skipped, s->done, s->failed, s->flushes, s->total_seconds, s->farm_seconds,
          s->task_seconds, s->flush_seconds, s->dispatch_seconds, s->dispatched, s->solves, s->cache_hits,
          s->interrupted, s->saved_on_interrupt, s->estimated_bytes, s->checksum_failures);
}
