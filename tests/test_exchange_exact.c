/* Replica exchange across K_shell against exact enumeration.
 *
 * Hexagon core side 3 + 1 shell layer (N = 37, 9 A in 19 core sites, all
 * C(19,9) = 92378 core configurations), a ladder of 6 K_shell rungs at
 * kT = 0.8: every rung's <f_alpha>, <f_U>, <E> and Var(f_U) must match the
 * exact Boltzmann averages under that rung's V within 4 error bars of the
 * ladder's own estimates (blocking; jackknife for Var(f_U)); energies in
 * the enumeration are written out here directly, (eps/2) s^T V s.
 *
 * Negative control: the same ladder with the swap exponent deliberately
 * mis-signed (swap_sign = -1) must FAIL that comparison at some rung by
 * more than 6 error bars: otherwise the test could not detect a wrong swap
 * criterion at all. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/elastic.h"
#include "catex/exchange.h"
#include "check.h"

enum { NCONF = 92378, NA = 9, NR = 6, N = 37 };

static const double kshells[NR] = {1.0, 2.0, 3.5, 5.0, 7.0, 10.0};

typedef struct {
  catex_lattice *lat;
  double *V[NR];
  double *vsv;                 /* NCONF x NR */
  unsigned char (*count)[CATEX_NUM_PHASES];
  int ninterior;
} system_t;

static int build(catex_check *t, system_t *x)
{
  memset(x, 0, sizeof *x);
  catex_error err;
  for (int k = 0; k < NR; k++) {
    catex_lattice_spec spec = {CATEX_LATTICE_HEXAGON, 3, 1, kshells[k]};
    catex_lattice *lat = NULL;
    catex_elastic *el = NULL;
    catex_elastic_options opt;
    catex_elastic_options_default(&opt);
    x->V[k] = malloc(sizeof(double) * N * N);
    int ok = catex_lattice_create(&spec, &lat, &err) == CATEX_OK && catex_lattice_num_sites(lat) == N &&
             catex_elastic_create(lat, &opt, &el, &err) == CATEX_OK &&
             catex_elastic_potential(el, x->V[k], NULL, &err) == CATEX_OK;
    catex_elastic_destroy(el);
    CHECK(t, ok, "K_shell %g: potential: %s", kshells[k], ok ? "" : err.message);
    if (!ok) return 0;
    if (k == 0)
      x->lat = lat;
    else
      catex_lattice_destroy(lat);
  }
  const unsigned char *shell = catex_lattice_shell(x->lat);
  int core[19], nc = 0;
  for (int i = 0; i < N; i++)
    if (!shell[i]) core[nc++] = i;
  int *interior = NULL;
  x->ninterior = catex_sites_interior_core(x->lat, &interior);
  x->vsv = malloc(sizeof(double) * NCONF * NR);
  x->count = malloc(sizeof *x->count * NCONF);
  signed char s[N];
  long m = 0;
  for (unsigned mask = 0; mask < (1u << 19); mask++) {
    if (__builtin_popcount(mask) != NA) continue;
    for (int i = 0; i < N; i++) s[i] = -1;
    for (int a = 0; a < 19; a++)
      if (mask >> a & 1u) s[core[a]] = 1;
    for (int k = 0; k < NR; k++) {
      double v = 0;
      for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) v += s[i] * x->V[k][i * N + j] * s[j];
      x->vsv[m * NR + k] = v;
    }
    memset(x->count[m], 0, CATEX_NUM_PHASES);
    for (int q = 0; q < x->ninterior; q++) x->count[m][catex_phase_label(x->lat, s, interior[q])]++;
    m++;
  }
  free(interior);
  CHECK(t, m == NCONF && nc == 19 && x->ninterior == 7, "enumerated %ld configurations, core %d, interior %d", m, nc,
        x->ninterior);
  return m == NCONF;
}

typedef struct {
  double E, f[CATEX_NUM_PHASES], fU, fU2;
} exact_t;

static void exact(const system_t *x, int k, double kT, exact_t *av)
{
  double emin = INFINITY, Z = 0;
  for (long c = 0; c < NCONF; c++) emin = fmin(emin, 0.5 * x->vsv[c * NR + k]);
  memset(av, 0, sizeof *av);
  for (long c = 0; c < NCONF; c++) {
    const double E = 0.5 * x->vsv[c * NR + k], w = exp(-(E - emin) / kT);
    const double fU = (double)(x->count[c][CATEX_PHASE_U1] + x->count[c][CATEX_PHASE_U2]) / x->ninterior;
    Z += w;
    av->E += w * E;
    for (int a = 0; a < CATEX_NUM_PHASES; a++) av->f[a] += w * x->count[c][a] / (double)x->ninterior;
    av->fU += w * fU;
    av->fU2 += w * fU * fU;
  }
  av->E /= Z;
  for (int a = 0; a < CATEX_NUM_PHASES; a++) av->f[a] /= Z;
  av->fU /= Z;
  av->fU2 /= Z;
}

/* Returns the largest |mc - exact| / err over all compared quantities and
 * rungs; CHECKs each only if `expect_pass`. */
static double run_ladder(catex_check *t, const system_t *x, int swap_sign, long sweeps, int expect_pass)
{
  const double kT = 0.8;
  catex_exchange_params p;
  catex_exchange_params_default(&p);
  p.eq.energy.eps = 1.0;
  p.eq.kT = kT;
  p.eq.equilibrate = 2000;
  p.eq.measure = sweeps;
  p.swap_sign = swap_sign;
  p.sample_stride = 1000;
  catex_exchange *ex = NULL;
  catex_exchange_result r;
  catex_error err;
  const long streams[NR] = {10, 11, 12, 13, 14, 15};
  const double *V[NR];
  for (int k = 0; k < NR; k++) V[k] = x->V[k];
  if (catex_exchange_create(x->lat, NR, kshells, V, &p, &ex, &err) ||
      catex_exchange_run(ex, 2024, streams, 9, &r, &err)) {
    CHECK(t, 0, "ladder (swap_sign %d): %s", swap_sign, err.message);
    catex_exchange_destroy(ex);
    return NAN;
  }
  printf("swap_sign %+d: factor rank %d, residual %.2g\n", swap_sign, r.factor_rank, r.factor_residual);
  double worst = 0;
  for (int k = 0; k < NR; k++) {
    exact_t ex_av;
    exact(x, k, kT, &ex_av);
    const double var = ex_av.fU2 - ex_av.fU * ex_av.fU;
    printf("  K %5.2f: acc %.3f swap %.3f trips %lld | E %.5f +- %.5f (%.5f) fU %.5f +- %.5f (%.5f) "
           "Var %.6f +- %.6f (%.6f)\n",
           kshells[k], r.acceptance[k], k + 1 < NR ? r.swap_acceptance[k] : NAN, r.round_trips[k], r.E_mean[k],
           r.E_err[k], ex_av.E, r.fU_mean[k], r.fU_err[k], ex_av.fU, r.fU_var[k], r.fU_var_err[k], var);
    struct {
      const char *name;
      double mc, err, exact;
    } q[3 + CATEX_NUM_PHASES] = {{"<E>", r.E_mean[k], r.E_err[k], ex_av.E},
                                 {"<f_U>", r.fU_mean[k], r.fU_err[k], ex_av.fU},
                                 {"Var(f_U)", r.fU_var[k], r.fU_var_err[k], var}};
    for (int a = 0; a < CATEX_NUM_PHASES; a++) {
      q[3 + a].name = "<f_alpha>";
      q[3 + a].mc = r.f_mean[k * CATEX_NUM_PHASES + a];
      q[3 + a].err = r.f_err[k * CATEX_NUM_PHASES + a];
      q[3 + a].exact = ex_av.f[a];
    }
    for (int i = 0; i < 3 + CATEX_NUM_PHASES; i++) {
      const double z = fabs(q[i].mc - q[i].exact) / q[i].err;
      if (q[i].err > 0 && z > worst) worst = z;
      if (expect_pass)
        CHECK(t, q[i].err > 0 && z <= 4.0, "rung %d (K %g): %s %.6g +- %.2g vs exact %.6g (%.1f sigma)", k,
              kshells[k], q[i].name, q[i].mc, q[i].err, q[i].exact, z);
    }
    if (expect_pass) {
      /* a uselessly short run must not pass trivially */
      CHECK(t, r.fU_var_err[k] < 0.1 * var, "rung %d: Var(f_U) error %g too large to test anything", k,
            r.fU_var_err[k]);
      CHECK(t, k + 1 == NR || (r.swap_acceptance[k] > 0.02 && r.swap_attempts[k] > 0),
            "rung %d: swaps must be attempted and accepted to test them (%g)", k, r.swap_acceptance[k]);
    }
  }
  catex_exchange_result_free(&r);
  catex_exchange_destroy(ex);
  return worst;
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_exchange_exact", &argc, &argv)) return 1;
  const long sweeps = argc > 1 ? atol(argv[1]) : 200000;
  system_t x;
  if (build(&t, &x)) {
    const double good = run_ladder(&t, &x, +1, sweeps, 1);
    printf("exact criterion: worst deviation %.2f sigma\n", good);
    const double bad = run_ladder(&t, &x, -1, sweeps, 0);
    printf("mis-signed criterion (negative control): worst deviation %.2f sigma\n", bad);
    CHECK(&t, bad > 6.0, "negative control: a mis-signed swap criterion went undetected (worst %.2f sigma)", bad);
  }
  for (int k = 0; k < NR; k++) free(x.V[k]);
  free(x.vsv);
  free(x.count);
  catex_lattice_destroy(x.lat);
  return catex_check_finish(&t);
}
