/* Reference checks of the incremental state: fields and every rate
 * recomputed from scratch with docs/model.md's dE formulas (not the factorised
 * forms the schemes use), compared with what the engine keeps. */
#include <math.h>
#include <stdlib.h>

#include "kmc_internal.h"

static double rel_err(double a, double b)
{
  if (a == b) return 0.0;
  const double scale = fmax(fabs(a), fabs(b));
  return fabs(a - b) / scale;
}

catex_status catex_kmc_consistency(const catex_kmc *kmc, double *field_err, double *rate_err, catex_error *err)
{
  const int n = kmc->n;
  const double beta = kmc->beta, eps = kmc->p.energy.eps, J = kmc->p.energy.J, dmu = kmc->p.energy.dmu;
  const int use_v = kmc->V && eps != 0;
  double *h = calloc((size_t)n, sizeof(double)), *hinc = calloc((size_t)n, sizeof(double));
  int *m = malloc(sizeof(int) * (size_t)n);
  const long nev = catex_kmc_list_events(kmc, NULL, 0);
  catex_kmc_event *ev = malloc(sizeof(catex_kmc_event) * (size_t)(nev + 1));
  if (!h || !hinc || !m || !ev) {
    free(h);
    free(hinc);
    free(m);
    free(ev);
    return catex_error_set(err, CATEX_ERR_NOMEM, "kmc consistency: out of memory");
  }
  catex_ising_fields(kmc->lat, kmc->sigma, m);
  double ferr = 0;
  for (int i = 0; i < n; i++)
    if (m[i] != kmc->m[i]) ferr = INFINITY;
  if (use_v) {
    catex_local_fields(n, kmc->V, kmc->sigma, h);
    if (kmc->algo == CATEX_KMC_ALGO_DENSE) {
      kmc_dense_fields(kmc, hinc);
      double hmax = 1, diff = 0;
      for (int i = 0; i < n; i++) {
        hmax = fmax(hmax, fabs(h[i]));
        diff = fmax(diff, fabs(hinc[i] - h[i]));
      }
      ferr = fmax(ferr, diff / hmax);
    }
  }
  catex_kmc_list_events(kmc, ev, nev);
  const double *V = kmc->V;
  double rerr = 0, total = 0;
  for (long e = 0; e < nev; e++) {
    const int i = ev[e].i;
    const double di = -2.0 * kmc->sigma[i];
    double dE, k0;
    if (ev[e].type == CATEX_KMC_EVENT_EXCHANGE) {
      /* dE = eps (d_i h_i + d_i^2 V_ii / 2) - J d_i m_i - (dmu/2) d_i */
      dE = (use_v ? eps * (di * h[i] + di * di * V[(size_t)i * n + i] / 2) : 0) - J * di * m[i] - 0.5 * dmu * di;
      k0 = kmc->p.k_ex0;
    } else {
      const int j = ev[e].j;
      const double dj = -2.0 * kmc->sigma[j];
      int nn = 0;
      const int *off = catex_lattice_nn_offsets(kmc->lat), *nbr = catex_lattice_nn_neighbors(kmc->lat);
      for (int p = off[i]; p < off[i + 1]; p++) nn |= nbr[p] == j;
      /* dE = eps (d_i (h_i - h_j) + 2 V_ii + 2 V_jj - 4 V_ij)
       *      - J (d_i (m_i - s_j) + d_j (m_j - s_i))   (corrections for NN pairs) */
      dE = use_v ? eps * (di * (h[i] - h[j]) + 2 * V[(size_t)i * n + i] + 2 * V[(size_t)j * n + j] -
                          4 * V[(size_t)i * n + j])
                 : 0;
      dE -= J * (di * (m[i] - (nn ? kmc->sigma[j] : 0)) + dj * (m[j] - (nn ? kmc->sigma[i] : 0)));
      k0 = kmc->p.k_diff0;
    }
    const double exact = k0 * exp(-0.5 * beta * dE);
    total += exact;
    rerr = fmax(rerr, rel_err(ev[e].rate, exact));
  }
  rerr = fmax(rerr, rel_err(catex_kmc_total_rate(kmc), total));
  free(h);
  free(hinc);
  free(m);
  free(ev);
  if (field_err) *field_err = ferr;
  if (rate_err) *rate_err = rerr;
  return CATEX_OK;
}

double catex_kmc_consistency_error(const catex_kmc *kmc)
{
  double f, r;
  if (catex_kmc_consistency(kmc, &f, &r, NULL) != CATEX_OK) return NAN;
  return fmax(f, r);
}
