/* One state point: random initial core, equilibration, measured sweeps, and
 * the blocking analysis that turns the recorded series into means, variances
 * and honest error bars. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "equilibrium_internal.h"

void catex_equilibrium_result_free(catex_equilibrium_result *res)
{
  if (!res) return;
  free(res->fU_series);
  free(res->E_series);
  free(res->snapshots);
  res->fU_series = res->E_series = NULL;
  res->snapshots = NULL;
}

/* Series recorded per measured sweep, one array each of nmeasured. */
enum { S_F0 = 0, S_FU = CATEX_NUM_PHASES, S_E, S_DA2, S_SCRATCH, NUM_SERIES };

static catex_status analyse(const double *x, long n, catex_blocking_info *info, int *converged, catex_error *err)
{
  catex_status st = catex_blocking_analyse(x, n, info, err);
  if (st == CATEX_OK) *converged &= info->converged;
  return st;
}

/* Mean of (x - mean)^2, i.e. <x^2> - <x>^2, with its blocking error. */
static catex_status analyse_variance(const double *x, double mean, long n, double *scratch, double *var,
                                     double *var_err, int *converged, catex_error *err)
{
  for (long t = 0; t < n; t++) scratch[t] = (x[t] - mean) * (x[t] - mean);
  catex_blocking_info info;
  catex_status st = analyse(scratch, n, &info, converged, err);
  *var = info.mean;
  *var_err = info.err;
  return st;
}

static catex_status fill_result(const catex_equilibrium *eq, double *series, long n, catex_equilibrium_result *res,
                                catex_error *err)
{
  double *s[NUM_SERIES];
  for (int k = 0; k < NUM_SERIES; k++) s[k] = series + (size_t)k * n;
  catex_blocking_info info;
  int conv = 1;
  catex_status st = CATEX_OK;
  for (int a = 0; a < CATEX_NUM_PHASES && st == CATEX_OK; a++) {
    st = analyse(s[S_F0 + a], n, &info, &conv, err);
    res->f_mean[a] = info.mean;
    res->f_err[a] = info.err;
  }
  if (st == CATEX_OK) st = analyse(s[S_FU], n, &info, &conv, err);
  if (st != CATEX_OK) return st;
  res->fU_mean = info.mean;
  res->fU_err = info.err;
  res->tau_fU = info.tau;
  st = analyse_variance(s[S_FU], res->fU_mean, n, s[S_SCRATCH], &res->fU_var, &res->fU_var_err, &conv, err);
  if (st == CATEX_OK) st = analyse(s[S_E], n, &info, &conv, err);
  if (st != CATEX_OK) return st;
  res->E_mean = info.mean;
  res->E_err = info.err;
  res->tau_E = info.tau;
  st = analyse_variance(s[S_E], res->E_mean, n, s[S_SCRATCH], &res->E_var, &res->E_var_err, &conv, err);
  if (st == CATEX_OK && eq->p.area_deviation) {
    st = analyse(s[S_DA2], n, &info, &conv, err);
    res->dA2_mean = info.mean;
    res->dA2_err = info.err;
  }
  res->blocking_converged = conv;
  return st;
}

catex_status catex_equilibrium_run(catex_equilibrium *eq, catex_rng *rng, catex_equilibrium_result *res,
                                   catex_error *err)
{
  if (!eq || !rng || !res) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: NULL argument");
  memset(res, 0, sizeof *res);
  res->dA2_mean = res->dA2_err = NAN;
  const long n = eq->p.measure / eq->p.stride;
  double *series = malloc(sizeof(double) * (size_t)NUM_SERIES * (size_t)n);
  if (!series) return catex_error_set(err, CATEX_ERR_NOMEM, "equilibrium: out of memory for %ld samples", n);

  const long per_snap = eq->p.snapshot_every > 0 && eq->p.snapshot_every % eq->p.stride == 0
                            ? eq->p.snapshot_every / eq->p.stride : 0;
  const int nsites = catex_lattice_num_sites(eq->lat);
  if (per_snap > 0 && n / per_snap > 0) {
    res->nsnapshots = (int)(n / per_snap);
    res->nsites = nsites;
    res->snapshots = malloc((size_t)res->nsnapshots * (size_t)nsites);
    if (!res->snapshots) {
      free(series);
      return catex_error_set(err, CATEX_ERR_NOMEM, "equilibrium: out of memory for %d snapshots", res->nsnapshots);
    }
  }
  catex_status st = catex_equilibrium_init(eq, rng, err);
  if (st == CATEX_OK) st = catex_equilibrium_sweeps(eq, rng, eq->p.equilibrate, err);
  eq->attempts = eq->accepted = 0;
  for (long t = 0; t < n && st == CATEX_OK; t++) {
    st = catex_equilibrium_sweeps(eq, rng, eq->p.stride, err);
    double f[CATEX_NUM_PHASES];
    catex_equilibrium_phase_fractions(eq, f);
    for (int a = 0; a < CATEX_NUM_PHASES; a++) series[(size_t)(S_F0 + a) * n + t] = f[a];
    series[(size_t)S_FU * n + t] = f[CATEX_PHASE_U1] + f[CATEX_PHASE_U2];
    series[(size_t)S_E * n + t] = eq->E;
    if (eq->u && !eq->G && st == CATEX_OK)
      st = eq->p.displacements(eq->p.displacements_ctx, eq->sigma, eq->u, err);
    if (eq->u) series[(size_t)S_DA2 * n + t] = catex_eq_area_deviation(eq);
    if (res->snapshots && (t + 1) % per_snap == 0 && (t + 1) / per_snap <= res->nsnapshots)
      memcpy(res->snapshots + (size_t)((t + 1) / per_snap - 1) * (size_t)nsites, catex_equilibrium_sigma(eq),
             (size_t)nsites);
  }
  /* the sweeps past the last full stride still belong to the run */
  if (st == CATEX_OK) st = catex_equilibrium_sweeps(eq, rng, eq->p.measure - n * eq->p.stride, err);
  if (st == CATEX_OK) {
    res->nmeasured = n;
    res->attempts = eq->attempts;
    res->accepted = eq->accepted;
    res->acceptance = (double)eq->accepted / (double)eq->attempts;
    st = fill_result(eq, series, n, res, err);
  }
  if (st == CATEX_OK && eq->p.keep_series) {
    res->fU_series = malloc(sizeof(double) * (size_t)n);
    res->E_series = malloc(sizeof(double) * (size_t)n);
    if (!res->fU_series || !res->E_series) {
      st = catex_error_set(err, CATEX_ERR_NOMEM, "equilibrium: out of memory for the series");
    } else {
      memcpy(res->fU_series, series + (size_t)S_FU * n, sizeof(double) * (size_t)n);
      memcpy(res->E_series, series + (size_t)S_E * n, sizeof(double) * (size_t)n);
    }
  }
  free(series);
  if (st != CATEX_OK) catex_equilibrium_result_free(res);
  return st;
}
