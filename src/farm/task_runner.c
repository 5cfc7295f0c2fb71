/* Runs one task (include/catex/task.h): lattice and V from the worker's
 * cache, SPRNG stream = task id, then the engine of the study's kind. The
 * elastic solve is paid only when something needs it: eps != 0, area
 * deviations (they need the displacement response G), or a potential study. */
#include <math.h>
#include <mpi.h>
#include <petscsys.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catex/task.h"
#include "task_cache.h"

struct catex_task_runner {
  const catex_job *job;
  task_cache *cache;
  catex_node_arena *arena; /* node-shared V and tables (NULL: private) */
  size_t cache_bytes;
  PetscOptions *options; /* per study, parsed on first use (NULL: none) */
  int *options_state;    /* 0 not parsed, 1 parsed, -1 failed */
  char *ckpt_dir;        /* ladder checkpoints (NULL: none) */
  double ckpt_seconds;
  int ckpt_resume;
  long *finished;        /* ladder tasks finished since the last flush */
  long nfinished, cap_finished;
  const catex_run_hook *hook;
  MPI_Comm gang;         /* the ranks sharing the ladder being run (MPI_COMM_NULL: this rank alone) */
};

void catex_task_runner_set_hook(catex_task_runner *r, const catex_run_hook *hook) { r->hook = hook; }

catex_status catex_task_runner_create(const catex_job *job, size_t cache_bytes, catex_task_runner **out,
                                      catex_error *err)
{
  catex_task_runner *r = calloc(1, sizeof *r);
  int ns = catex_job_num_studies(job);
  if (!r) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  r->job = job;
  r->gang = MPI_COMM_NULL;
  r->cache_bytes = cache_bytes;
  r->options = calloc((size_t)ns, sizeof *r->options);
  r->options_state = calloc((size_t)ns, sizeof *r->options_state);
  catex_status st = (!r->options || !r->options_state) ? catex_error_set(err, CATEX_ERR_NOMEM, "out of memory")
                                                       : task_cache_create(cache_bytes, &r->cache, err);
  if (st) {
    catex_task_runner_destroy(r);
    return st;
  }
  *out = r;
  return CATEX_OK;
}

void catex_task_runner_destroy(catex_task_runner *r)
{
  if (!r) return;
  task_cache_destroy(r->cache);
  catex_node_arena_destroy(r->arena);
  if (r->options)
    for (int k = 0; k < catex_job_num_studies(r->job); k++)
      if (r->options[k]) PetscOptionsDestroy(&r->options[k]);
  free(r->options);
  free(r->options_state);
  free(r->ckpt_dir);
  free(r->finished);
  free(r);
}

void catex_task_checkpoint_path(const char *dir, long id, char *buf, size_t n)
{
  snprintf(buf, n, "%s/task%ld.ckpt", dir, id);
}

catex_status catex_task_runner_set_checkpoints(catex_task_runner *r, const char *dir, double seconds, int resume,
                                               catex_error *err)
{
  free(r->ckpt_dir);
  r->ckpt_dir = dir ? strdup(dir) : NULL;
  if (dir && !r->ckpt_dir) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  r->ckpt_seconds = seconds;
  r->ckpt_resume = resume;
  return CATEX_OK;
}

void catex_task_runner_flushed(catex_task_runner *r)
{
  char path[4200];
  for (long i = 0; i < r->nfinished && r->ckpt_dir; i++) {
    catex_task_checkpoint_path(r->ckpt_dir, r->finished[i], path, sizeof path);
    unlink(path);
  }
  r->nfinished = 0;
  if (r->ckpt_dir) rmdir(r->ckpt_dir); /* only succeeds once no checkpoint is left */
}

catex_status catex_task_runner_share_memory(catex_task_runner *r, MPI_Comm comm, catex_error *err)
{
  catex_memory_plan plan;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  catex_status st = catex_memory_plan_create(r->job, r->cache_bytes, 1, &plan, err);
  int ok = st == CATEX_OK, all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
  if (!all) {
    catex_memory_plan_free(&plan);
    return st ? st : catex_error_set(err, CATEX_ERR_NOMEM, "another rank ran out of memory");
  }
  /* CATEX_SHARED_MEMORY=0: every rank keeps private copies (for tests
   * comparing the two; the environment is the same on every rank) */
  const char *env = getenv("CATEX_SHARED_MEMORY");
  const size_t bytes = env && strcmp(env, "0") == 0 ? 0 : plan.shared_node;
  catex_memory_plan_free(&plan);
  if ((st = catex_node_arena_create(comm, bytes, r->cache_bytes, &r->arena, err))) {
    /* no room for the shared copies (the failure is agreed on every rank):
     * the run goes on with private copies, and a V that does not fit even
     * then fails its task with the bytes needed and free */
    if (st != CATEX_ERR_NOMEM) return st;
    if (rank == 0)
      fprintf(stderr, "catex: %s (%.3g GB of RAM free); every rank keeps its own copies of V instead\n",
              err ? err->message : "no node-shared memory",
              (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / 1e9);
    catex_error_clear(err);
    r->arena = NULL;
    return CATEX_OK;
  }
  task_cache_set_arena(r->cache, r->arena, rank);
  return CATEX_OK;
}

void catex_task_runner_cache_stats(const catex_task_runner *r, long *solves, long *hits)
{
  task_cache_stats(r->cache, solves, hits);
}

static catex_status study_options(catex_task_runner *r, int k, PetscOptions *opts, catex_error *err)
{
  const catex_study *s = catex_job_study(r->job, k);
  *opts = NULL;
  if (!s->petsc_options || !*s->petsc_options) return CATEX_OK;
  if (r->options_state[k] == 0) {
    r->options_state[k] = -1;
    if (PetscOptionsCreate(&r->options[k]) != 0) return catex_error_set(err, CATEX_ERR_SOLVER, "PetscOptionsCreate failed");
    if (PetscOptionsInsertString(r->options[k], s->petsc_options) != 0)
      return catex_error_set(err, CATEX_ERR_ARG, "petsc_options '%s' cannot be parsed", s->petsc_options);
    r->options_state[k] = 1;
  }
  if (r->options_state[k] < 0)
    return catex_error_set(err, CATEX_ERR_ARG, "petsc_options '%s' cannot be parsed", s->petsc_options);
  *opts = r->options[k];
  return CATEX_OK;
}

/* catex_kmc_params.displacements / catex_equilibrium_params.displacements */
static catex_status sparse_displacements(void *ctx, const signed char *sigma, double *u, catex_error *err)
{
  return catex_elastic_displacements(ctx, sigma, u, err);
}

static catex_status run_kmc(catex_task_runner *r, const task_cache_key *key, const catex_study *s,
                            const catex_task *t, const catex_lattice *lat, const double *V, catex_elastic *el,
                            int area, catex_rng *rng, catex_task_result *res, catex_error *err)
{
  catex_kmc_params p;
  catex_kmc_params_default(&p);
  p.energy.eps = t->value[CATEX_PARAM_EPS];
  p.energy.J = t->value[CATEX_PARAM_J];
  p.energy.dmu = t->value[CATEX_PARAM_DMU];
  p.kT = t->value[CATEX_PARAM_KT];
  p.k_ex0 = s->k_ex0;
  p.k_diff0 = s->k_diff0;
  p.t_max = t->value[CATEX_PARAM_T_MAX];
  p.c_stop = s->c_stop;
  p.max_events = s->max_events;
  p.nsamples = s->samples;
  p.t_min = s->t_min;
  p.nsnapshots = s->nsnapshots;
  p.snapshot_times = s->snapshot_times;
  p.area_deviation = area;
  p.interior_layers = s->interior_layers;
  p.hook = r->hook;
  p.displacements = sparse_displacements;
  p.displacements_ctx = el;
  catex_kmc *kmc = NULL;
  catex_status st = CATEX_OK;
  /* the same beta eps as the engine's (beta = 1 / kT) */
  if (p.energy.eps != 0 && p.algorithm != CATEX_KMC_ALGO_LOCAL &&
      (st = task_cache_dense_table(r->cache, key, lat, V, (1.0 / p.kT) * p.energy.eps, &p.dense_table, err)))
    return st;
  if ((st = catex_kmc_create(lat, p.energy.eps != 0 ? V : NULL, NULL, &p, &kmc, err)) ||
      (st = catex_kmc_result_alloc(&res->kmc, p.nsamples, p.nsnapshots, catex_lattice_num_sites(lat), err)) ||
      (st = catex_kmc_run(kmc, rng, &res->kmc, err)))
    catex_kmc_result_free(&res->kmc);
  catex_kmc_destroy(kmc);
  return st;
}

static catex_status run_equilibrium(const catex_run_hook *hook, const catex_study *s, const catex_task *t,
                                    const catex_lattice *lat, const double *V, catex_elastic *el, int area,
                                    catex_rng *rng,
                                    catex_task_result *res, catex_error *err)
{
  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.energy.eps = t->value[CATEX_PARAM_EPS];
  p.energy.J = t->value[CATEX_PARAM_J];
  p.energy.dmu = t->value[CATEX_PARAM_DMU];
  p.kT = t->value[CATEX_PARAM_KT];
  if (!isnan(t->value[CATEX_PARAM_COMPOSITION])) p.composition = t->value[CATEX_PARAM_COMPOSITION];
  p.equilibrate = s->equilibrate;
  p.measure = s->measure;
  p.stride = s->stride;
  p.area_deviation = area;
  p.keep_series = s->series;
  p.snapshot_every = s->snapshot_every;
  p.hook = hook;
  p.displacements = sparse_displacements;
  p.displacements_ctx = el;
  catex_equilibrium *eq = NULL;
  catex_status st;
  if ((st = catex_equilibrium_create(lat, p.energy.eps != 0 ? V : NULL, NULL, &p, &eq, err)) ||
      (st = catex_equilibrium_run(eq, rng, &res->eq, err)))
    catex_equilibrium_result_free(&res->eq);
  catex_equilibrium_destroy(eq);
  return st;
}

/* The ranks of a ladder's gang learn whether any of them failed, so that
 * all leave the task together (none waits in a collective for a rank that
 * has left it). */
static catex_status gang_agree(MPI_Comm gang, catex_status st, catex_error *err)
{
  int mine = st != CATEX_OK, any = 0;
  if (MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, gang) != MPI_SUCCESS)
    return catex_error_set(err, CATEX_ERR_MPI, "MPI_Allreduce in a ladder's gang failed");
  if (!st && any) return catex_error_set(err, CATEX_ERR_STATE, "another rank of the ladder's gang failed");
  return st;
}

/* One ladder task: V of every rung (through the cache, copied: the cache's
 * pointers live only until its next lookup), the ladder, and its run with
 * checkpoints. Streams: swaps use the task's own stream t->id, rung k
 * stream t->rung_stream + k (catex/job.h). */
static catex_status run_exchange(catex_task_runner *r, const catex_study *s, const catex_task *t,
                                 task_cache_key *key, catex_task_result *res, catex_error *err)
{
  const int nr = s->nvalues[CATEX_PARAM_KSHELL];
  const double *K = s->values[CATEX_PARAM_KSHELL];
  catex_exchange_params p;
  catex_exchange_params_default(&p);
  p.eq.energy.eps = t->value[CATEX_PARAM_EPS];
  p.eq.energy.J = t->value[CATEX_PARAM_J];
  p.eq.energy.dmu = t->value[CATEX_PARAM_DMU];
  p.eq.kT = t->value[CATEX_PARAM_KT];
  if (!isnan(t->value[CATEX_PARAM_COMPOSITION])) p.eq.composition = t->value[CATEX_PARAM_COMPOSITION];
  p.eq.equilibrate = s->equilibrate;
  p.eq.measure = s->measure;
  p.eq.stride = s->stride;
  p.exchange_every = s->exchange_every;
  p.hist_bins = s->hist_bins;
  p.sample_stride = s->sample_stride;
  p.permutation_stride = s->permutation_stride;

  catex_status st = CATEX_OK;
  double **V = calloc((size_t)nr, sizeof *V);
  long *streams = malloc(sizeof(long) * (size_t)nr);
  catex_lattice *lat = NULL;
  catex_exchange *ex = NULL;
  if (!V || !streams) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  size_t nn = (size_t)res->nsites * (size_t)res->nsites;
  for (int k = 0; k < nr && !st; k++) {
    const catex_lattice *clat;
    const double *cV;
    catex_elastic *cel;
    key->spec.kshell = K[k];
    if ((st = task_cache_get(r->cache, key, 1, 0, &clat, &cV, &cel, err))) break;
    if (!(V[k] = malloc(nn * sizeof **V))) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for %d potentials", nr);
    else memcpy(V[k], cV, nn * sizeof **V);
    streams[k] = t->rung_stream + k;
    res->V_checksum = k == 0 ? catex_potential_checksum(V[k], res->nsites)
                             : catex_potential_checksum_update(res->V_checksum, V[k], res->nsites);
  }
  if (!st) st = catex_lattice_create(&key->spec, &lat, err);
  if (!st) st = catex_exchange_create(lat, nr, K, (const double *const *)V, &p, &ex, err);
  /* a ladder spread over a gang (farm_ladders.c): every member has built it
     (or failed) before anything collective; member 0 alone decides when to
     checkpoint and whether to resume, so that all take the same path */
  const MPI_Comm gang = r->gang;
  int leader = 1;
  if (gang != MPI_COMM_NULL) {
    int grank = 0;
    MPI_Comm_rank(gang, &grank);
    leader = grank == 0;
    st = gang_agree(gang, st, err);
    if (!st) st = catex_exchange_set_gang(ex, gang, err);
    st = gang_agree(gang, st, err);
  }
  char path[4200] = "";
  if (!st && r->ckpt_dir) catex_task_checkpoint_path(r->ckpt_dir, t->id, path, sizeof path);
  int resumed = 0, have = !st && *path && r->ckpt_resume && leader && access(path, F_OK) == 0;
  if (!st && gang != MPI_COMM_NULL) MPI_Bcast(&have, 1, MPI_INT, 0, gang);
  if (have) {
    st = catex_exchange_checkpoint_read(ex, path, catex_job_seed(r->job), streams, t->id, err);
    if (st) catex_error_prefix(err, st, "resuming ladder task %ld", t->id);
    else resumed = 1;
  }
  if (!st && resumed && leader)
    fprintf(stderr, "catex: ladder task %ld resumes from its checkpoint at sweep %ld\n", t->id,
            catex_exchange_sweeps_done(ex));
  if (!st && !resumed) st = catex_exchange_start(ex, catex_job_seed(r->job), streams, t->id, err);
  double last = MPI_Wtime();
  int done = 0;
  const double total_sweeps = (double)(s->equilibrate + s->measure);
  while (!st && !done) {
    st = catex_exchange_advance(ex, 64, &done, err);
    const double sweeps = (double)catex_exchange_sweeps_done(ex);
    /* Member 0 decides for the whole gang: bit 0, a checkpoint is due;
     * bit 1, a stop request (a signal past its grace time). A stop keeps what
     * the ladder has done: its state goes to the checkpoint, from which
     * --resume continues bit for bit, as after any other checkpoint. */
    int act = 0;
    if (!st && !done && leader) {
      if (catex_run_hook_poll(r->hook, "ladder sweeps", sweeps, total_sweeps, sweeps / total_sweeps)) act |= 2;
      if (*path && ((act & 2) || MPI_Wtime() - last >= r->ckpt_seconds)) act |= 1;
    }
    if (!st && !done && gang != MPI_COMM_NULL) MPI_Bcast(&act, 1, MPI_INT, 0, gang);
    if (act & 1) {
      /* in a gang, a directory that cannot be made fails member 0's write, which all members learn */
      if (leader && mkdir(r->ckpt_dir, 0755) != 0 && errno != EEXIST && gang == MPI_COMM_NULL)
        st = catex_error_set(err, CATEX_ERR_IO, "cannot create checkpoint directory %s: %s", r->ckpt_dir, strerror(errno));
      if (!st) st = catex_exchange_checkpoint_write(ex, path, err);
      last = MPI_Wtime();
    }
    if (!st && (act & 2))
      st = catex_error_set(err, CATEX_ERR_INTERRUPTED, "ladder task %ld stopped at sweep %.0f", t->id, sweeps);
  }
  if (!st) st = catex_exchange_finish(ex, &res->xr, err);
  if (*path && leader && (!st || (resumed && st != CATEX_ERR_INTERRUPTED))) {
    /* its checkpoint goes once the result is in the file (catex_task_runner_flushed) */
    if (r->nfinished == r->cap_finished) {
      long cap = r->cap_finished ? 2 * r->cap_finished : 16;
      long *f = realloc(r->finished, sizeof(long) * (size_t)cap);
      if (f) {
        r->finished = f;
        r->cap_finished = cap;
      }
    }
    if (r->nfinished < r->cap_finished) r->finished[r->nfinished++] = t->id;
  }
  catex_exchange_destroy(ex);
  catex_lattice_destroy(lat);
  for (int k = 0; V && k < nr; k++) free(V[k]);
  free(V);
  free(streams);
  return st;
}

static catex_status run(catex_task_runner *r, const catex_task *t, catex_task_result *res, catex_error *err)
{
  const catex_study *s = catex_job_study(r->job, t->study);
  int twod = t->lattice.kind == CATEX_LATTICE_HEXAGON;
  int area = s->kind != CATEX_STUDY_POTENTIAL && s->area_deviation && twod;
  int need_V = s->kind == CATEX_STUDY_POTENTIAL || (t->value[CATEX_PARAM_EPS] != 0 && !isnan(t->value[CATEX_PARAM_EPS]));
  task_cache_key key = {t->lattice, s->nnn, s->petsc_options, NULL};
  const catex_lattice *lat;
  const double *V;
  catex_elastic *el;
  catex_status st;
  st = study_options(r, t->study, &key.options, err);
  if (!st) st = task_cache_get(r->cache, &key, need_V, area, &lat, &V, &el, err);
  if (s->kind == CATEX_STUDY_EXCHANGE && r->gang != MPI_COMM_NULL) st = gang_agree(r->gang, st, err);
  if (st) return st;
  res->nsites = catex_lattice_num_sites(lat);
  if (s->kind == CATEX_STUDY_EXCHANGE) return run_exchange(r, s, t, &key, res, err);
  if (need_V && V) res->V_checksum = catex_potential_checksum(V, res->nsites);
  if (s->kind == CATEX_STUDY_POTENTIAL) {
    size_t nv = (size_t)res->nsites * (size_t)res->nsites;
    res->V = malloc(nv * sizeof *res->V);
    if (!res->V) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    memcpy(res->V, V, nv * sizeof *res->V);
    return CATEX_OK;
  }
  catex_rng *rng = NULL;
  if ((st = catex_rng_create(catex_job_seed(r->job), t->id, &rng, err))) return st;
  st = s->kind == CATEX_STUDY_KMC ? run_kmc(r, &key, s, t, lat, V, el, area, rng, res, err)
                                  : run_equilibrium(r->hook, s, t, lat, V, el, area, rng, res, err);
  catex_rng_destroy(rng);
  return st;
}

catex_status catex_task_runner_run_gang(catex_task_runner *r, long id, int rank, MPI_Comm gang,
                                        catex_task_result **out, catex_error *err)
{
  r->gang = gang;
  catex_status st = catex_task_runner_run(r, id, rank, out, err);
  r->gang = MPI_COMM_NULL;
  return st;
}

catex_status catex_task_runner_run(catex_task_runner *r, long id, int rank, catex_task_result **out, catex_error *err)
{
  const catex_task *t = catex_job_task(r->job, id);
  catex_task_result *res = calloc(1, sizeof *res);
  if (!res) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for a task result");
  double t0 = MPI_Wtime();
  res->id = id;
  res->study = t->study;
  res->kind = catex_job_study(r->job, t->study)->kind;
  res->rank = rank;
  catex_error e;
  catex_error_clear(&e);
  catex_status st = run(r, t, res, &e);
  task_cache_end_task(r->cache);
  if (st == CATEX_ERR_INTERRUPTED) {
    res->status = CATEX_TASK_INTERRUPTED;
    snprintf(res->message, sizeof res->message, "%.*s", (int)sizeof res->message - 1, e.message);
  } else if (st) {
    res->status = CATEX_TASK_FAILED;
    /* Messages longer than /tasks/message are cut (the column has a fixed width). */
    if (snprintf(res->message, sizeof res->message, "%s: %s", catex_status_name(st), e.message) >=
        (int)sizeof res->message)
      memcpy(res->message + sizeof res->message - 4, "...", 4);
    free(res->V);
    res->V = NULL;
  } else {
    res->status = CATEX_TASK_DONE;
  }
  res->runtime = MPI_Wtime() - t0;
  *out = res;
  return CATEX_OK;
}
