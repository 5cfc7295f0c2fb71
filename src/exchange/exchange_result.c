/* Analysis of a finished ladder: per rung, blocking means and errors (as
 * the equilibrium engine), Var(f_U) with a jackknife error, the f_U
 * histogram; per pair, swap acceptance; per configuration, round trips.
 *
 * Why a jackknife for Var(f_U): the variance is a nonlinear function of the
 * series, and near a first-order transition its fluctuations come from rare
 * passages between the phases, so the blocking error of (x - mean)^2 used
 * by the equilibrium engine (which ignores the fluctuation of the mean)
 * would understate it exactly where it matters. The delete-one-block
 * jackknife over B = CATEX_EXCHANGE_JACKKNIFE_BLOCKS contiguous blocks
 * recomputes <x^2> - <x>^2 without each block; with blocks much longer than
 * the correlation time it is the honest error of the nonlinear estimator.
 * All of it comes from the streams the run filled (blocking_stream.h), not
 * from stored series. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_internal.h"

void catex_exchange_result_free(catex_exchange_result *r)
{
  if (!r) return;
  free(r->kshell);
  free(r->f_mean);
  free(r->f_err);
  free(r->fU_mean);
  free(r->fU_err);
  free(r->fU_var);
  free(r->fU_var_err);
  free(r->E_mean);
  free(r->E_err);
  free(r->acceptance);
  free(r->fU_hist);
  free(r->swap_attempts);
  free(r->swap_acceptance);
  free(r->round_trips);
  free(r->permutation);
  free(r->sample_fU);
  free(r->sample_energy);
  free(r->sample_f);
  memset(r, 0, sizeof *r);
}

size_t catex_exchange_result_bytes(const catex_exchange_result *r)
{
  const size_t nr = (size_t)r->nrungs, ns = (size_t)r->nsamples;
  return sizeof(double) * nr * (9 + 2 * CATEX_NUM_PHASES) + sizeof(long long) * nr * ((size_t)r->nbins + 3) +
         sizeof(double) * nr + sizeof(int) * nr * (size_t)r->npermutations +
         sizeof(double) * ns * nr * (1 + nr + CATEX_NUM_PHASES);
}

static catex_status finish_local(catex_exchange *ex, catex_exchange_result *r, catex_error *err)
{
  if (!ex || !r) return catex_error_set(err, CATEX_ERR_ARG, "exchange: NULL argument");
  memset(r, 0, sizeof *r);
  if (ex->t < ex->p.eq.equilibrate + ex->p.eq.measure)
    return catex_error_set(err, CATEX_ERR_STATE, "exchange: finish before the last sweep");
  const int nr = ex->nr, nb = ex->p.hist_bins;
  const long n = ex->nmeas;
  r->nrungs = nr;
  r->nbins = nb;
  r->nmeasured = n;
  r->nsamples = ex->nsamp;
  r->npermutations = ex->nperm;
  r->factor_rank = ex->f.r;
  r->factor_residual = ex->f.residual;
  r->factor_single = ex->f.Zs != NULL;
  const size_t ns = (size_t)(r->nsamples ? r->nsamples : 1), np = (size_t)(r->npermutations ? r->npermutations : 1);
  r->kshell = malloc(sizeof(double) * nr);
  r->f_mean = malloc(sizeof(double) * nr * CATEX_NUM_PHASES);
  r->f_err = malloc(sizeof(double) * nr * CATEX_NUM_PHASES);
  r->fU_mean = malloc(sizeof(double) * nr);
  r->fU_err = malloc(sizeof(double) * nr);
  r->fU_var = malloc(sizeof(double) * nr);
  r->fU_var_err = malloc(sizeof(double) * nr);
  r->E_mean = malloc(sizeof(double) * nr);
  r->E_err = malloc(sizeof(double) * nr);
  r->acceptance = malloc(sizeof(double) * nr);
  r->fU_hist = calloc((size_t)nr * nb, sizeof(long long));
  r->swap_attempts = calloc((size_t)nr, sizeof(long long));
  r->swap_acceptance = malloc(sizeof(double) * nr);
  r->round_trips = malloc(sizeof(long long) * nr);
  r->permutation = malloc(sizeof(int) * nr * np);
  r->sample_fU = malloc(sizeof(double) * ns * nr);
  r->sample_energy = malloc(sizeof(double) * ns * nr * nr);
  r->sample_f = malloc(sizeof(double) * ns * nr * CATEX_NUM_PHASES);
  if (!r->kshell || !r->f_mean || !r->f_err || !r->fU_mean || !r->fU_err || !r->fU_var || !r->fU_var_err ||
      !r->E_mean || !r->E_err || !r->acceptance || !r->fU_hist || !r->swap_attempts || !r->swap_acceptance ||
      !r->round_trips || !r->permutation || !r->sample_fU || !r->sample_energy || !r->sample_f) {
    catex_exchange_result_free(r);
    return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory for the result");
  }
  memcpy(r->kshell, ex->kshell, sizeof(double) * nr);
  catex_status st = CATEX_OK;
  int conv = 1;
  for (int k = 0; k < nr && !st; k++) {
    const catex_blocking_stream *s = ex->series + (size_t)k * XS_NUM;
    catex_blocking_info info;
    for (int a = 0; a < CATEX_NUM_PHASES && !st; a++) {
      st = catex_blocking_stream_analyse(&s[XS_F0 + a], &info, err);
      r->f_mean[k * CATEX_NUM_PHASES + a] = info.mean;
      r->f_err[k * CATEX_NUM_PHASES + a] = info.err;
      conv &= info.converged;
    }
    if (!st) st = catex_blocking_stream_analyse(&s[XS_FU], &info, err);
    r->fU_mean[k] = info.mean;
    r->fU_err[k] = info.err;
    conv &= info.converged;
    if (!st) st = catex_blocking_stream_analyse(&s[XS_E], &info, err);
    r->E_mean[k] = info.mean;
    r->E_err[k] = info.err;
    conv &= info.converged;
    catex_blocking_stream_variance(&s[XS_FU], &r->fU_var[k], &r->fU_var_err[k]);
    memcpy(r->fU_hist + (size_t)k * nb, ex->hist + (size_t)k * nb, sizeof *r->fU_hist * (size_t)nb);
    long attempts, accepted;
    catex_equilibrium_counts(ex->rung[k], &attempts, &accepted);
    r->acceptance[k] = attempts ? (double)accepted / (double)attempts : NAN;
    r->round_trips[k] = ex->trips[k];
    if (k + 1 < nr) {
      r->swap_attempts[k] = ex->swap_att[k];
      r->swap_acceptance[k] = ex->swap_att[k] ? (double)ex->swap_acc[k] / (double)ex->swap_att[k] : NAN;
    }
  }
  r->blocking_converged = conv;
  memcpy(r->permutation, ex->perm_store, sizeof(int) * nr * (size_t)r->npermutations);
  memcpy(r->sample_fU, ex->samp_fU, sizeof(double) * nr * (size_t)r->nsamples);
  memcpy(r->sample_energy, ex->samp_E, sizeof(double) * nr * nr * (size_t)r->nsamples);
  memcpy(r->sample_f, ex->samp_f, sizeof(double) * nr * CATEX_NUM_PHASES * (size_t)r->nsamples);
  if (st) catex_exchange_result_free(r);
  return st;
}

/* Spread over ranks: member 0 gathers every rung and analyses the ladder as
 * a single-rank one would. */
catex_status catex_exchange_finish(catex_exchange *ex, catex_exchange_result *r, catex_error *err)
{
  if (!ex || !r) return catex_error_set(err, CATEX_ERR_ARG, "exchange: NULL argument");
  if (ex->gang_size < 2) return finish_local(ex, r, err);
  memset(r, 0, sizeof *r);
  catex_status st = exchange_gang_gather(ex, err);
  if (!st && ex->gang_rank == 0) st = finish_local(ex, r, err);
  return exchange_gang_agree(ex, st, err);
}
