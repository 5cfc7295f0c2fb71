/* Blocking analysis of a correlated series: Flyvbjerg & Petersen, J. Chem.
 * Phys. 91, 461 (1989), with the automated plateau choice of Jonsson, Phys.
 * Rev. E 98, 043304 (2018). Choosing the plateau by eye is not an option for
 * thousands of state points, and Jonsson's test is a hypothesis test with
 * a known false-alarm rate rather than a heuristic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blocking_levels.h"

/* 99% quantile of chi^2(df): exact for small df, Wilson-Hilferty beyond
 * (better than 0.2% there, far below what the test is sensitive to). */
static double chi2_q99(int df)
{
  static const double exact[] = {0, 6.634897, 9.210340, 11.344867, 13.276704, 15.086272,
                                 16.811894, 18.475307, 20.090235, 21.665994, 23.209251};
  if (df <= 10) return exact[df < 1 ? 1 : df];
  const double z = 2.326348, a = 2.0 / (9.0 * df), b = 1.0 - a + z * sqrt(a);
  return df * b * b * b;
}

#define BIAS_FRACTION 0.2

void blocking_levels_choose(const blocking_levels *lv, catex_blocking_info *info)
{
  const long n = lv->n;
  const int levels = lv->levels;
  const double *s2 = lv->s2, *gamma = lv->gamma;
  const long *nk = lv->nk;
  info->var = s2[0] * (double)n / (double)(n - 1);
  /* Only levels with enough blocks enter the test: with a handful of blocks
   * gamma/s^2 is wild and would reject every level. */
  int usable = 0;
  while (usable < levels && nk[usable] >= CATEX_BLOCKING_MIN_BLOCKS) usable++;
  int chosen = -1;
  if (usable > 0) {
    double M[CATEX_BLOCKING_MAX_LEVELS];
    double acc = 0;
    for (int k = usable - 1; k >= 0; k--) {
      double r = s2[k] > 0 ? gamma[k] / s2[k] : 0;
      acc += (double)nk[k] * r * r;
      M[k] = acc;
    }
    for (int k = 0; k < usable && chosen < 0; k++)
      if (M[k] < chi2_q99(usable - k)) chosen = k;
    /* Passing the test means the residual correlation between blocks is not
     * detectable, not that it is negligible: at block size B, err^2 is still
     * low by (2/B) sum_k k rho(k) / (2 tau) relative. For AR(1) that is
     * 2 (tau - 1/2) / ((1 + rho) B), i.e. between 1 and 2 times
     * (tau - 1/2) / B; we take 1.5 (tau - 1/2) / B (zero for white noise).
     * Move up until it is below BIAS_FRACTION of the estimate's own spread
     * sqrt(2 / (nblocks - 1)); a series too short for that (n below a few
     * hundred tau) is reported as not converged. */
    int bias_ok = 0;
    for (int k = chosen < 0 ? usable : chosen; k < usable; k++) {
      const double tau_k = s2[0] > 0 ? s2[k] / (double)(nk[k] - 1) * (double)n / (2.0 * s2[0]) : 0;
      chosen = k;
      if (1.5 * fmax(tau_k - 0.5, 0.0) / (double)(1L << k) <= BIAS_FRACTION * sqrt(2.0 / (double)(nk[k] - 1))) {
        bias_ok = 1;
        break;
      }
    }
    info->converged = bias_ok;
    if (chosen < 0) chosen = usable - 1;
  } else {
    chosen = 0; /* fewer than MIN_BLOCKS points: treat as uncorrelated, flag it */
    info->converged = 0;
  }
  const double nb = (double)nk[chosen];
  info->nblocks = nk[chosen];
  info->block_size = 1L << chosen;
  info->err = sqrt(s2[chosen] / (nb - 1.0));
  info->err_err = info->err / sqrt(2.0 * (nb - 1.0));
  info->tau = info->var > 0 ? info->err * info->err * (double)n / (2.0 * info->var) : NAN;
}

void blocking_info_trivial(long n, double mean, int constant, catex_blocking_info *info)
{
  memset(info, 0, sizeof *info);
  info->mean = mean;
  info->err = info->err_err = info->var = info->tau = NAN;
  info->block_size = 1;
  info->nblocks = n;
  if (n >= 2 && constant) { /* exactly constant: no fluctuation, no correlation time */
    info->err = info->err_err = info->var = 0;
    info->converged = 1;
  }
}

catex_status catex_blocking_analyse(const double *x, long n, catex_blocking_info *info, catex_error *err)
{
  if (!info) return catex_error_set(err, CATEX_ERR_ARG, "blocking analysis without an output");
  blocking_info_trivial(0, NAN, 0, info);
  if (!x || n < 1) return catex_error_set(err, CATEX_ERR_ARG, "blocking analysis of an empty series");
  /* Shift by x[0] before summing: series such as energies have a large
   * offset, and the variance of the offset-free series is computed better. */
  const double x0 = x[0];
  double s = 0, smin = x[0], smax = x[0];
  for (long t = 0; t < n; t++) {
    s += x[t] - x0;
    smin = fmin(smin, x[t]);
    smax = fmax(smax, x[t]);
  }
  const double mean_shift = s / (double)n;
  blocking_info_trivial(n, x0 + mean_shift, smin == smax, info);
  if (n < 2 || smin == smax) return CATEX_OK;
  double *w = malloc(sizeof(double) * (size_t)n);
  if (!w) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory in blocking analysis (n = %ld)", n);
  for (long t = 0; t < n; t++) w[t] = (x[t] - x0) - mean_shift;

  blocking_levels lv = {.n = n};
  for (long len = n; len >= 2 && lv.levels < CATEX_BLOCKING_MAX_LEVELS; len /= 2) {
    double m = 0;
    for (long t = 0; t < len; t++) m += w[t];
    m /= (double)len;
    double v = 0, g = 0;
    for (long t = 0; t < len; t++) v += (w[t] - m) * (w[t] - m);
    /* lag-1 autocovariance about the global mean, as in Jonsson's test */
    for (long t = 0; t + 1 < len; t++) g += w[t] * w[t + 1];
    lv.s2[lv.levels] = v / (double)len;
    lv.gamma[lv.levels] = g / (double)len;
    lv.nk[lv.levels] = len;
    lv.levels++;
    for (long t = 0; t < len / 2; t++) w[t] = 0.5 * (w[2 * t] + w[2 * t + 1]);
  }
  free(w);
  blocking_levels_choose(&lv, info);
  return CATEX_OK;
}

catex_status catex_blocking_analysis(const double *x, long n, double *mean, double *err, double *tau)
{
  catex_blocking_info info;
  catex_status st = catex_blocking_analyse(x, n, &info, NULL);
  if (st != CATEX_OK) return st;
  if (mean) *mean = info.mean;
  if (err) *err = info.err;
  if (tau) *tau = info.tau;
  return CATEX_OK;
}
