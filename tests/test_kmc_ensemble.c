/* Ensemble sanity at the paper's parameters on a small crystal (hexagon
 * side 4, N = 37), 200 trajectories each:
 *  - non-interacting (eps = J = 0, dmu/kT = -10): the ensemble mean c(t) on
 *    the log grid never rises by more than 3 standard errors of the step
 *    (paired over trajectories), falls overall, and ends below 0.05;
 *  - Ising (eps = 0, kT/J = 2, dmu/J = -10) is slower: its mean time to
 *    reach c = 0.5 exceeds the non-interacting one by more than 4 standard
 *    errors of the difference. */
#include <math.h>
#include <stdlib.h>

#include "test_kmc_util.h"

enum { NTRAJ = 200, NS = 40 };

static void mean_se(const double *x, int n, double *mean, double *se)
{
  double m = 0, v = 0;
  for (int k = 0; k < n; k++) m += x[k];
  m /= n;
  for (int k = 0; k < n; k++) v += (x[k] - m) * (x[k] - m);
  *mean = m;
  *se = sqrt(v / (n - 1) / n);
}

static void monotone_decay(catex_check *t, const catex_lattice *lat)
{
  catex_kmc_params p;
  km_params(&p, 1.0, 0, 0, -10, 100);
  p.nsamples = NS;
  catex_kmc *kmc = NULL;
  catex_kmc_result res;
  catex_error err;
  double *c = malloc(sizeof(double) * NTRAJ * NS);
  int ok = catex_kmc_create(lat, NULL, NULL, &p, &kmc, &err) == CATEX_OK &&
           catex_kmc_result_alloc(&res, NS, 0, catex_lattice_num_sites(lat), &err) == CATEX_OK;
  CHECK(t, ok, "setup: %s", err.message);
  if (!ok) return;
  for (int j = 0; j < NTRAJ && ok; j++) {
    catex_rng *rng = NULL;
    ok = catex_rng_create(1, j, &rng, &err) == CATEX_OK && catex_kmc_run(kmc, rng, &res, &err) == CATEX_OK;
    catex_rng_destroy(rng);
    for (int s = 0; s < NS; s++) c[j * NS + s] = res.c[s];
  }
  CHECK(t, ok, "run: %s", err.message);
  double first = 0, last = 0, worst = -INFINITY;
  int rises = 0;
  double d[NTRAJ], col[NTRAJ];
  for (int s = 0; s < NS; s++) {
    double m, se;
    for (int j = 0; j < NTRAJ; j++) col[j] = c[j * NS + s];
    mean_se(col, NTRAJ, &m, &se);
    if (s == 0) first = m;
    if (s > 0) {
      double dm, dse;
      for (int j = 0; j < NTRAJ; j++) d[j] = c[j * NS + s] - c[j * NS + s - 1];
      mean_se(d, NTRAJ, &dm, &dse);
      /* a step with no change at all in any trajectory has dse = 0, dm = 0 */
      rises += dm > 3 * dse && dm > 0;
      worst = fmax(worst, dse > 0 ? dm / dse : 0);
    }
    last = m;
    if (s % 8 == 0 || s == NS - 1) printf("  t = %8.3g  <c> = %.4f +- %.4f\n", res.time[s], m, se);
  }
  CHECK(t, rises == 0, "non-interacting: mean c(t) rises significantly at %d grid steps (worst %.2f se)", rises, worst);
  CHECK(t, first > 0.5 && last < 0.05, "non-interacting: mean c from %g to %g (want > 0.5 .. < 0.05)", first, last);
  free(c);
  catex_kmc_result_free(&res);
  catex_kmc_destroy(kmc);
}

/* Mean and standard error of the time to reach c <= 0.5. */
static int half_time(catex_check *t, const catex_lattice *lat, double kT, double J, double dmu, double *mean,
                     double *se)
{
  catex_kmc_params p;
  km_params(&p, kT, 0, J, dmu, 1e6);
  p.c_stop = 0.5;
  catex_kmc *kmc = NULL;
  catex_kmc_result res;
  catex_error err;
  double th[NTRAJ];
  int ok = catex_kmc_create(lat, NULL, NULL, &p, &kmc, &err) == CATEX_OK &&
           catex_kmc_result_alloc(&res, 0, 0, catex_lattice_num_sites(lat), &err) == CATEX_OK;
  for (int j = 0; j < NTRAJ && ok; j++) {
    catex_rng *rng = NULL;
    ok = catex_rng_create(1, 1000 + j, &rng, &err) == CATEX_OK && catex_kmc_run(kmc, rng, &res, &err) == CATEX_OK &&
         res.stop_reason == CATEX_KMC_STOP_COMPOSITION;
    catex_rng_destroy(rng);
    th[j] = res.t_end;
  }
  CHECK(t, ok, "half-time runs (kT %g, J %g): %s", kT, J, err.message);
  if (ok) mean_se(th, NTRAJ, mean, se);
  catex_kmc_result_free(&res);
  catex_kmc_destroy(kmc);
  return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_kmc_ensemble", &argc, &argv)) return 1;
  catex_lattice *lat = km_lattice(CATEX_LATTICE_HEXAGON, 4);
  CHECK(&t, catex_lattice_num_sites(lat) == 37, "N = %d", catex_lattice_num_sites(lat));
  monotone_decay(&t, lat);
  double m0, s0, m1, s1;
  if (half_time(&t, lat, 1.0, 0.0, -10, &m0, &s0) == 0 && half_time(&t, lat, 2.0, 1.0, -10, &m1, &s1) == 0) {
    printf("time to c = 0.5: non-interacting %.3f +- %.3f, Ising %.3f +- %.3f\n", m0, s0, m1, s1);
    CHECK(&t, m1 - m0 > 4 * sqrt(s0 * s0 + s1 * s1), "Ising (%.3g +- %.2g) is not slower than non-interacting (%.3g +- %.2g)",
          m1, s1, m0, s0);
  }
  catex_lattice_destroy(lat);
  return catex_check_finish(&t);
}
