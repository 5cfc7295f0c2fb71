/* KMC engine object: parameters, results, creation (validation, choice of
 * rate scheme) and the small accessors. The trajectory loop is kmc_run.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kmc_internal.h"

void catex_kmc_params_default(catex_kmc_params *p)
{
  memset(p, 0, sizeof *p);
  p->kT = 1.0;
  p->k_ex0 = 1.0;
  p->k_diff0 = 1.0;
  p->t_max = 1.0;
  p->c_stop = -1.0;
  p->max_events = 0;
  p->nsamples = 100;
  p->sample_times = NULL;
  p->t_min = 0;
  p->nsnapshots = 0;
  p->snapshot_times = NULL;
  p->area_deviation = 0;
  p->refresh_interval = 0;
  p->algorithm = CATEX_KMC_ALGO_AUTO;
  p->observer = NULL;
  p->observer_ctx = NULL;
  p->displacements = NULL;
  p->displacements_ctx = NULL;
  p->dense_table = NULL;
}

void catex_kmc_log_grid(double t_min, double t_max, int n, double *times)
{
  if (n <= 0) return;
  if (n == 1) {
    times[0] = t_max;
    return;
  }
  const double t0 = t_min > 0 && t_min < t_max ? t_min : t_max > 1e-2 ? 1e-2 : t_max * 1e-2;
  const double ratio = log(t_max / t0);
  for (int k = 0; k < n; k++) times[k] = t0 * exp(ratio * k / (n - 1));
  times[n - 1] = t_max; /* exactly, whatever exp rounds to */
}

catex_status catex_kmc_result_alloc(catex_kmc_result *res, int nsamples, int nsnapshots, int nsites,
                                    catex_error *err)
{
  memset(res, 0, sizeof *res);
  if (nsamples < 0 || nsnapshots < 0 || nsites <= 0)
    return catex_error_set(err, CATEX_ERR_ARG, "kmc result: invalid sizes (%d samples, %d snapshots, %d sites)",
                           nsamples, nsnapshots, nsites);
  res->nsamples = nsamples;
  res->nsnapshots = nsnapshots;
  res->nsites = nsites;
  const size_t ns = (size_t)nsamples + 1, nq = (size_t)nsnapshots + 1;
  res->time = malloc(sizeof(double) * ns);
  res->c = malloc(sizeof(double) * ns);
  res->f = malloc(sizeof(double) * ns * CATEX_NUM_PHASES);
  res->f_interior = malloc(sizeof(double) * ns * CATEX_NUM_PHASES);
  res->dA_rms = malloc(sizeof(double) * ns);
  res->snapshot_time = malloc(sizeof(double) * nq);
  res->snapshots = calloc(nq * (size_t)nsites, 1);
  if (!res->time || !res->c || !res->f || !res->f_interior || !res->dA_rms || !res->snapshot_time || !res->snapshots) {
    catex_kmc_result_free(res);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory allocating a kmc result (%d samples, %d snapshots)",
                           nsamples, nsnapshots);
  }
  return CATEX_OK;
}

void catex_kmc_result_free(catex_kmc_result *res)
{
  if (!res) return;
  free(res->time);
  free(res->c);
  free(res->f);
  free(res->f_interior);
  free(res->dA_rms);
  free(res->snapshot_time);
  free(res->snapshots);
  memset(res, 0, sizeof *res);
}

double *kmc_alloc_doubles(size_t n)
{
  size_t bytes = ((n * sizeof(double) + 63) / 64) * 64;
  if (bytes == 0) bytes = 64;
  double *p = aligned_alloc(64, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

static catex_status check_times(const char *what, const double *t, int n, catex_error *err)
{
  if (n > 0 && !t) return catex_error_set(err, CATEX_ERR_ARG, "kmc: %d %s but no times given", n, what);
  for (int k = 0; k < n; k++) {
    if (!isfinite(t[k]) || t[k] < 0)
      return catex_error_set(err, CATEX_ERR_ARG, "kmc: %s time %d is %g (must be finite and >= 0)", what, k, t[k]);
    if (k > 0 && !(t[k] > t[k - 1]))
      return catex_error_set(err, CATEX_ERR_ARG, "kmc: %s times must increase (%g after %g)", what, t[k], t[k - 1]);
  }
  return CATEX_OK;
}

static catex_status validate(const catex_lattice *lat, const double *V, const double *G, const catex_kmc_params *p,
                             catex_error *err)
{
  if (!lat) return catex_error_set(err, CATEX_ERR_ARG, "kmc: no lattice");
  if (!isfinite(p->kT) || !(p->kT > 0)) return catex_error_set(err, CATEX_ERR_ARG, "kmc: kT = %g (must be > 0)", p->kT);
  if (!isfinite(p->energy.eps) || !isfinite(p->energy.J) || !isfinite(p->energy.dmu))
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: eps, J and dmu must be finite");
  if (!isfinite(p->k_ex0) || p->k_ex0 < 0 || !isfinite(p->k_diff0) || p->k_diff0 < 0)
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: k_ex0 = %g, k_diff0 = %g (must be finite and >= 0)", p->k_ex0,
                           p->k_diff0);
  if (!isfinite(p->t_max) || !(p->t_max > 0))
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: t_max = %g (must be finite and > 0)", p->t_max);
  if (isnan(p->c_stop)) return catex_error_set(err, CATEX_ERR_ARG, "kmc: c_stop is NaN");
  if (p->nsamples < 0 || p->nsnapshots < 0)
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: negative grid size");
  catex_status st = check_times("sample", p->sample_times, p->sample_times ? p->nsamples : 0, err);
  if (!st) st = check_times("snapshot", p->snapshot_times, p->nsnapshots, err);
  if (st) return st;
  if (p->energy.eps != 0 && !V)
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: eps = %g needs the pair potential V", p->energy.eps);
  if (p->algorithm == CATEX_KMC_ALGO_DENSE && !V)
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: the dense scheme needs V");
  if (p->algorithm == CATEX_KMC_ALGO_LOCAL && p->energy.eps != 0)
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: the local scheme works only for eps = 0");
  if ((int)p->algorithm < 0 || p->algorithm > CATEX_KMC_ALGO_LOCAL)
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: unknown algorithm %d", (int)p->algorithm);
  if (p->interior_layers == 1)
    return catex_error_set(err, CATEX_ERR_ARG, "kmc: interior_layers = 1 (must be >= 2: layer-1 sites lack a full ring)");
  if (p->area_deviation && catex_lattice_dim(lat) == 2 && !G && !p->displacements)
    return catex_error_set(err, CATEX_ERR_ARG,
                           "kmc: area deviation needs the displacement response G or a displacement function");
  return CATEX_OK;
}

/* Sites of layer >= min_layer (all have a full ring since min_layer >= 2). */
static int interior_sites(const catex_lattice *lat, int min_layer, int **sites)
{
  const int n = catex_lattice_num_sites(lat);
  const int *layer = catex_lattice_layer(lat);
  *sites = malloc(sizeof(int) * (size_t)n);
  if (!*sites) return -1;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (layer[i] >= min_layer) (*sites)[k++] = i;
  return k;
}

static double *copy_times(const double *t, int n)
{
  double *c = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
  if (c && n > 0) memcpy(c, t, sizeof(double) * (size_t)n);
  return c;
}

catex_status catex_kmc_create(const catex_lattice *lat, const double *V, const double *G,
                              const catex_kmc_params *p, catex_kmc **out, catex_error *err)
{
  *out = NULL;
  catex_status st = validate(lat, V, G, p, err);
  if (st) return st;
  catex_kmc *kmc = calloc(1, sizeof *kmc);
  if (!kmc) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory allocating the kmc engine");
  kmc->lat = lat;
  kmc->V = V;
  kmc->G = G;
  kmc->p = *p;
  kmc->n = catex_lattice_num_sites(lat);
  kmc->dim = catex_lattice_dim(lat);
  kmc->beta = 1.0 / p->kT;
  kmc->algo = p->algorithm != CATEX_KMC_ALGO_AUTO ? p->algorithm
              : p->energy.eps != 0               ? CATEX_KMC_ALGO_DENSE
                                                 : CATEX_KMC_ALGO_LOCAL;
  kmc->refresh_interval = p->refresh_interval > 0 ? p->refresh_interval : CATEX_KMC_DEFAULT_REFRESH;
  kmc->area = p->area_deviation && kmc->dim == 2;
  const int *nnoff = catex_lattice_nn_offsets(lat);
  for (int i = 0; i < kmc->n; i++)
    if (nnoff[i + 1] - nnoff[i] > kmc->zmax_nn) kmc->zmax_nn = nnoff[i + 1] - nnoff[i];

  kmc->sample_times = malloc(sizeof(double) * (size_t)(p->nsamples > 0 ? p->nsamples : 1));
  kmc->snapshot_times = copy_times(p->snapshot_times, p->nsnapshots);
  kmc->sigma = malloc((size_t)kmc->n);
  kmc->m = malloc(sizeof(int) * (size_t)kmc->n);
  kmc->nring = catex_sites_full_ring(lat, &kmc->ring_sites);
  kmc->ninterior = interior_sites(lat, p->interior_layers > 0 ? p->interior_layers : CATEX_KMC_DEFAULT_INTERIOR_LAYERS,
                                  &kmc->interior_sites);
  const size_t dn = (size_t)kmc->n * (size_t)kmc->dim;
  if (kmc->area) kmc->udisp = kmc_alloc_doubles(dn);
  if (!kmc->sample_times || !kmc->snapshot_times || !kmc->sigma || !kmc->m || kmc->nring < 0 || kmc->ninterior < 0 ||
      (kmc->area && !kmc->udisp)) {
    const int n = kmc->n;
    catex_kmc_destroy(kmc);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory allocating the kmc engine (N = %d)", n);
  }
  kmc->p.snapshot_times = kmc->snapshot_times;

  /* the all-A state, so that the inspection functions work before a run */
  for (int i = 0; i < kmc->n; i++) kmc->sigma[i] = 1;
  kmc->nplus = kmc->n;
  catex_ising_fields(lat, kmc->sigma, kmc->m);

  st = kmc->algo == CATEX_KMC_ALGO_DENSE ? kmc_dense_create(kmc, err) : kmc_local_create(kmc, err);
  if (st) {
    catex_kmc_destroy(kmc);
    return catex_error_prefix(err, st, "kmc");
  }
  if (kmc->algo == CATEX_KMC_ALGO_DENSE)
    kmc_dense_refresh(kmc);
  else
    kmc_local_refresh(kmc);
  /* The default grid starts from the initial rates, not at a fixed time: the
   * surface exchanges at t ~ 1e-8 (2D elastic) or 1e-28 (3D, dmu = -200),
   * and a grid from 1e-2 would start after it. */
  const double total0 = catex_kmc_total_rate(kmc);
  kmc->auto_t_min = total0 > 0 ? CATEX_KMC_AUTO_T_MIN_FRACTION / total0 : p->t_max * 1e-2;
  if (!(kmc->auto_t_min < p->t_max * 1e-2)) kmc->auto_t_min = p->t_max * 1e-2;
  if (p->sample_times)
    memcpy(kmc->sample_times, p->sample_times, sizeof(double) * (size_t)p->nsamples);
  else
    catex_kmc_log_grid(p->t_min > 0 ? p->t_min : kmc->auto_t_min, p->t_max, p->nsamples, kmc->sample_times);
  kmc->p.sample_times = kmc->sample_times;
  *out = kmc;
  return CATEX_OK;
}

void catex_kmc_destroy(catex_kmc *kmc)
{
  if (!kmc) return;
  kmc_dense_destroy(kmc->dense);
  kmc_local_destroy(kmc->local);
  free(kmc->sample_times);
  free(kmc->snapshot_times);
  free(kmc->sigma);
  free(kmc->m);
  free(kmc->ring_sites);
  free(kmc->interior_sites);
  free(kmc->udisp);
  free(kmc);
}

void kmc_flip_site(catex_kmc *kmc, int i)
{
  const int *off = catex_lattice_nn_offsets(kmc->lat), *nn = catex_lattice_nn_neighbors(kmc->lat);
  const int s = kmc->sigma[i];
  kmc->sigma[i] = (signed char)-s;
  kmc->nplus -= s;
  for (int k = off[i]; k < off[i + 1]; k++) kmc->m[nn[k]] -= 2 * s;
}

const char *catex_kmc_stop_name(catex_kmc_stop s)
{
  switch (s) {
  case CATEX_KMC_STOP_TMAX: return "t_max";
  case CATEX_KMC_STOP_COMPOSITION: return "c_stop";
  case CATEX_KMC_STOP_MAX_EVENTS: return "max_events";
  case CATEX_KMC_STOP_NO_EVENTS: return "no_events";
  }
  return "unknown";
}

const char *catex_kmc_algorithm_name(catex_kmc_algorithm a)
{
  switch (a) {
  case CATEX_KMC_ALGO_AUTO: return "auto";
  case CATEX_KMC_ALGO_DENSE: return "dense";
  case CATEX_KMC_ALGO_LOCAL: return "local";
  }
  return "unknown";
}

double catex_kmc_auto_t_min(const catex_kmc *kmc) { return kmc->auto_t_min; }
const double *catex_kmc_sample_times(const catex_kmc *kmc) { return kmc->sample_times; }
const int *catex_kmc_interior_sites(const catex_kmc *kmc, int *n)
{
  *n = kmc->ninterior;
  return kmc->interior_sites;
}

catex_kmc_algorithm catex_kmc_get_algorithm(const catex_kmc *kmc) { return kmc->algo; }
const signed char *catex_kmc_state(const catex_kmc *kmc) { return kmc->sigma; }
double catex_kmc_time(const catex_kmc *kmc) { return kmc->t; }
long catex_kmc_num_events(const catex_kmc *kmc) { return kmc->nevents; }

double catex_kmc_total_rate(const catex_kmc *kmc)
{
  return kmc->algo == CATEX_KMC_ALGO_DENSE ? kmc_dense_total(kmc) : kmc_local_total(kmc);
}

long catex_kmc_list_events(const catex_kmc *kmc, catex_kmc_event *ev, long cap)
{
  return kmc->algo == CATEX_KMC_ALGO_DENSE ? kmc_dense_list(kmc, ev, cap) : kmc_local_list(kmc, ev, cap);
}
