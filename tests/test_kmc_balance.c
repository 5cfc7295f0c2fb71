/* Detailed balance / stationarity: on lattices small enough to enumerate
 * every configuration (hexagon side 2: 7 sites, 128 states; cube L = 2:
 * 8 sites, 256 states, NN and NNN swaps), the time-weighted occupation of
 * one long trajectory matches the Boltzmann distribution exp(-beta E) / Z,
 * with E written out in this test. Exchange at the boundary sites makes the
 * dynamics ergodic over all 2^N states.
 *
 * Statistics: the trajectory (after a burn-in) is cut into B batches of
 * equal time; the spread of the batch occupations gives a standard error
 * per state that includes the autocorrelation. Q = sum_s z_s^2 over the
 * 2^N states is then ~ chi^2 with 2^N degrees of freedom (a little
 * wider with B - 1 = 49 dof per variance estimate: E z^2 = 49/47, Var z^2
 * ~ 2.3); the bound is its mean + 7 sd. The same data must reject a
 * Boltzmann distribution with J changed by 20 %, which shows the test has
 * power. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_kmc_util.h"

#define NB 50

typedef struct {
  int n;
  double t_burn, t_batch;
  double *occ; /* NB x 2^n */
} occupation;

static void observer(void *ctx, const signed char *sigma, int n, double t, double dwell)
{
  occupation *o = ctx;
  int state = 0;
  for (int i = 0; i < n; i++) state |= (sigma[i] > 0) << i;
  double a = t, b = t + dwell;
  if (b <= o->t_burn) return;
  if (a < o->t_burn) a = o->t_burn;
  while (a < b) {
    int k = (int)((a - o->t_burn) / o->t_batch);
    if (k >= NB) break;
    double end = o->t_burn + (k + 1) * o->t_batch;
    if (end > b) end = b;
    o->occ[(size_t)k * (1u << n) + state] += end - a;
    a = end;
  }
}

static void boltzmann(const catex_lattice *lat, const double *V, const catex_kmc_params *p, double Jscale, double *P)
{
  const int n = catex_lattice_num_sites(lat), ns = 1 << n;
  signed char *s = malloc((size_t)n);
  double Z = 0, Emin = INFINITY;
  for (int st = 0; st < ns; st++) {
    for (int i = 0; i < n; i++) s[i] = (st >> i) & 1 ? 1 : -1;
    P[st] = km_energy(lat, V, p->energy.eps, Jscale * p->energy.J, p->energy.dmu, s);
    Emin = fmin(Emin, P[st]);
  }
  for (int st = 0; st < ns; st++) Z += P[st] = exp(-(P[st] - Emin) / p->kT);
  for (int st = 0; st < ns; st++) P[st] /= Z;
  free(s);
}

/* Q statistic of the batched occupation against P. */
static double chi2(const occupation *o, const double *P, double *tv, double *tv_expected)
{
  const int ns = 1 << o->n;
  double q = 0;
  *tv = *tv_expected = 0;
  for (int st = 0; st < ns; st++) {
    double mean = 0, var = 0;
    for (int k = 0; k < NB; k++) mean += o->occ[(size_t)k * ns + st] / o->t_batch;
    mean /= NB;
    for (int k = 0; k < NB; k++) {
      const double d = o->occ[(size_t)k * ns + st] / o->t_batch - mean;
      var += d * d;
    }
    const double se = sqrt(var / (NB - 1) / NB);
    q += se > 0 ? (mean - P[st]) * (mean - P[st]) / (se * se) : (mean == P[st] ? 0 : INFINITY);
    *tv += 0.5 * fabs(mean - P[st]);
    *tv_expected += 0.5 * se * sqrt(2 / M_PI);
  }
  return q;
}

static void balance_case(catex_check *t, catex_lattice_kind kind, int elastic, double kT, double eps, double J,
                         double dmu, double t_max, const char *what)
{
  catex_lattice *lat = km_lattice(kind, 2);
  const int n = catex_lattice_num_sites(lat), ns = 1 << n;
  catex_elastic *el = NULL;
  double *V = elastic ? km_potential(lat, &el) : NULL;
  if (elastic && !V) {
    CHECK(t, 0, "%s: potential", what);
    return;
  }
  catex_kmc_params p;
  km_params(&p, kT, eps, J, dmu, t_max);
  p.k_ex0 = 0.7; /* different prefactors: detailed balance holds for each mechanism */
  occupation o = {n, 0.01 * t_max, 0.99 * t_max / NB, calloc((size_t)NB * ns, sizeof(double))};
  p.observer = observer;
  p.observer_ctx = &o;
  catex_kmc *kmc;
  catex_kmc_result res;
  if (km_run(t, lat, V, NULL, &p, 1, 0, &kmc, &res) == 0) {
    double *P = malloc(sizeof(double) * ns), tv, tv_exp;
    boltzmann(lat, V, &p, 1.0, P);
    double pmin = 1, pmax = 0;
    for (int s = 0; s < ns; s++) pmin = fmin(pmin, P[s]), pmax = fmax(pmax, P[s]);
    const double q = chi2(&o, P, &tv, &tv_exp);
    const double dof = ns, bound = dof * 49.0 / 47.0 + 7 * sqrt(2.3 * dof);
    printf("%s: %ld events, Q = %.1f (bound %.1f, %d states, P in [%.2g, %.2g]), TV = %.4f (expected ~%.4f)\n", what,
           res.events_exchange + res.events_swap, q, bound, ns, pmin, pmax, tv, tv_exp);
    CHECK(t, q < bound, "%s: occupation differs from Boltzmann: Q = %.1f > %.1f", what, q, bound);
    CHECK(t, tv < 3 * tv_exp, "%s: total variation %.4g > 3 x %.4g", what, tv, tv_exp);
    CHECK(t, pmin * t_max > 10, "%s: the rarest state is visited too little for the test (P %.2g)", what, pmin);
    /* power: a 20 % different J must be rejected by the same data */
    boltzmann(lat, V, &p, 0.8, P);
    const double q_wrong = chi2(&o, P, &tv, &tv_exp);
    CHECK(t, q_wrong > 3 * bound, "%s: the test cannot tell J from 0.8 J (Q = %.1f)", what, q_wrong);
    CHECK(t, res.stop_reason == CATEX_KMC_STOP_TMAX, "%s: stop %s", what, catex_kmc_stop_name(res.stop_reason));
    free(P);
  }
  catex_kmc_result_free(&res);
  catex_kmc_destroy(kmc);
  free(o.occ);
  free(V);
  catex_elastic_destroy(el);
  catex_lattice_destroy(lat);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_kmc_balance", &argc, &argv)) return 1;
  /* optional argument: multiplies the trajectory lengths */
  const double T = argc > 1 && atof(argv[1]) > 0 ? atof(argv[1]) : 1.0;
  balance_case(&t, CATEX_LATTICE_HEXAGON, 1, 1.0, 0.6, 0.25, -0.4, 5e5 * T, "hexagon side 2, elastic + Ising + dmu (dense)");
  balance_case(&t, CATEX_LATTICE_HEXAGON, 0, 1.0, 0.0, 0.3, -0.4, 3e5 * T, "hexagon side 2, Ising + dmu (local)");
  balance_case(&t, CATEX_LATTICE_CUBE, 1, 1.5, 1.0, 0.3, -0.8, 2e5 * T, "cube L 2, elastic + Ising + dmu, NNN swaps (dense)");
  return catex_check_finish(&t);
}
