/* Runs one task (include/catex/task.h): lattice and V from the worker's
 * cache, SPRNG stream = task id, then the engine of the study's kind. The
 * elastic solve is paid only when something needs it: eps != 0, area
 * deviations (they need the displacement response G), or a potential study. */
#include <math.h>
#include <mpi.h>
#include <petscsys.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catex/task.h"
#include "task_cache.h"

struct catex_task_runner {
  const catex_job *job;
  task_cache *cache;
  catex_node_arena *arena; /* node-shared V and tables (NULL: private) */
  size_t cache_bytes;
  PetscOptions *options; /* per study, parsed on first use (NULL: none) */
  int *options_state;    /* 0 not parsed, 1 parsed, -1 failed */
};

catex_status catex_task_runner_create(const catex_job *job, size_t cache_bytes, catex_task_runner **out,
                                      catex_error *err)
{
  catex_task_runner *r = calloc(1, sizeof *r);
  int ns = catex_job_num_studies(job);
  if (!r) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  r->job = job;
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
  free(r);
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
  if ((st = catex_node_arena_create(comm, bytes, r->cache_bytes, &r->arena, err))) return st;
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

static catex_status run_equilibrium(const catex_study *s, const catex_task *t, const catex_lattice *lat,
                                    const double *V, catex_elastic *el, int area, catex_rng *rng,
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
  if ((st = study_options(r, t->study, &key.options, err)) ||
      (st = task_cache_get(r->cache, &key, need_V, area, &lat, &V, &el, err)))
    return st;
  res->nsites = catex_lattice_num_sites(lat);
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
                                  : run_equilibrium(s, t, lat, V, el, area, rng, res, err);
  catex_rng_destroy(rng);
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
  if (st) {
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
