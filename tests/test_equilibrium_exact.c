/* Exact enumeration against Monte Carlo. Hexagon core side 3 + 1 shell layer
 * (N = 37, N_core = 19, 9 A sites, shell fixed at B): all C(19,9) = 92378
 * core configurations are enumerated with the energy written out here
 * directly, E = (eps/2) sigma^T V sigma - J sum_<ij> s_i s_j - (dmu/2) sum s,
 * with the real V_eff from the elastic module. Exact <E>, Var(E), <f_alpha>,
 * <f_U> and Var(f_U) over the 7 interior core sites are compared with the
 * engine's estimates within 4 of the engine's own blocking error bars, at
 * kT = 0.8 and 4 (eps = 1) for K_shell = 1 and 10, and for J != 0, dmu != 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/elastic.h"
#include "catex/equilibrium.h"
#include "check.h"

enum { NCONF = 92378, NA = 9 };

typedef struct {
  double vsv;      /* sigma^T V sigma */
  int ising;       /* sum over nearest-neighbour bonds of s_i s_j */
  int sum;         /* sum of sigma */
  unsigned char count[CATEX_NUM_PHASES]; /* interior sites per phase */
} conf_t;

typedef struct {
  catex_lattice *lat;
  double *V;
  int n, ninterior;
  conf_t *conf;
} exact_t;

static int enumerate(catex_check *t, double kshell, exact_t *x)
{
  memset(x, 0, sizeof *x);
  catex_lattice_spec spec = {CATEX_LATTICE_HEXAGON, 3, 1, kshell};
  catex_error err;
  catex_elastic *el = NULL;
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  int ok = catex_lattice_create(&spec, &x->lat, &err) == CATEX_OK &&
           catex_elastic_create(x->lat, &opt, &el, &err) == CATEX_OK;
  x->n = ok ? catex_lattice_num_sites(x->lat) : 0;
  ok = ok && x->n == 37 && (x->V = malloc(sizeof(double) * 37 * 37)) != NULL &&
       catex_elastic_potential(el, x->V, NULL, &err) == CATEX_OK;
  catex_elastic_destroy(el);
  CHECK(t, ok, "K_shell %g: lattice / potential: %s", kshell, ok ? "" : err.message);
  if (!ok) return 0;

  const int n = x->n;
  const unsigned char *shell = catex_lattice_shell(x->lat);
  int core[19], nc = 0;
  for (int i = 0; i < n; i++)
    if (!shell[i]) core[nc++] = i;
  int *interior = NULL;
  x->ninterior = catex_sites_interior_core(x->lat, &interior);
  CHECK(t, nc == 19 && x->ninterior == 7, "core %d sites, interior %d (want 19, 7)", nc, x->ninterior);
  /* the interior must be the 7 innermost sites: layer 3 and 4 of total side 4 */
  for (int k = 0; k < x->ninterior; k++)
    CHECK(t, catex_lattice_layer(x->lat)[interior[k]] >= 3, "interior site %d in layer %d", interior[k],
          catex_lattice_layer(x->lat)[interior[k]]);

  x->conf = malloc(sizeof(conf_t) * NCONF);
  signed char sigma[37];
  const catex_bond *bonds = catex_lattice_bonds(x->lat);
  const int nb = catex_lattice_num_bonds(x->lat);
  long m = 0;
  for (unsigned mask = 0; mask < (1u << 19); mask++) {
    if (__builtin_popcount(mask) != NA) continue;
    for (int i = 0; i < n; i++) sigma[i] = -1;
    for (int a = 0; a < 19; a++)
      if (mask >> a & 1u) sigma[core[a]] = 1;
    conf_t *c = &x->conf[m++];
    double vsv = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) vsv += sigma[i] * x->V[i * n + j] * sigma[j];
    c->vsv = vsv;
    c->ising = 0;
    for (int b = 0; b < nb; b++) c->ising += sigma[bonds[b].i] * sigma[bonds[b].j];
    c->sum = 0;
    for (int i = 0; i < n; i++) c->sum += sigma[i];
    memset(c->count, 0, sizeof c->count);
    for (int k = 0; k < x->ninterior; k++) c->count[catex_phase_label(x->lat, sigma, interior[k])]++;
  }
  free(interior);
  CHECK(t, m == NCONF, "enumerated %ld configurations (want %d)", m, NCONF);
  return m == NCONF;
}

typedef struct {
  double E, E2, f[CATEX_NUM_PHASES], fU, fU2;
} averages_t;

static void exact_averages(const exact_t *x, double eps, double J, double dmu, double kT, averages_t *av)
{
  double *E = malloc(sizeof(double) * NCONF), emin = INFINITY;
  for (int k = 0; k < NCONF; k++) {
    const conf_t *c = &x->conf[k];
    E[k] = 0.5 * eps * c->vsv - J * c->ising - 0.5 * dmu * c->sum;
    emin = fmin(emin, E[k]);
  }
  double Z = 0;
  memset(av, 0, sizeof *av);
  for (int k = 0; k < NCONF; k++) {
    const conf_t *c = &x->conf[k];
    const double w = exp(-(E[k] - emin) / kT);
    const double fU = (double)(c->count[CATEX_PHASE_U1] + c->count[CATEX_PHASE_U2]) / x->ninterior;
    Z += w;
    av->E += w * E[k];
    av->E2 += w * E[k] * E[k];
    for (int a = 0; a < CATEX_NUM_PHASES; a++) av->f[a] += w * c->count[a] / (double)x->ninterior;
    av->fU += w * fU;
    av->fU2 += w * fU * fU;
  }
  av->E /= Z;
  av->E2 /= Z;
  for (int a = 0; a < CATEX_NUM_PHASES; a++) av->f[a] /= Z;
  av->fU /= Z;
  av->fU2 /= Z;
  free(E);
}

/* |mc - exact| <= 4 err; an exactly constant MC series (err 0) must match
 * to round-off. */
static void compare(catex_check *t, const char *what, const char *name, double mc, double err, double exact)
{
  const double tol = 4.0 * err + 1e-12 * fmax(1.0, fabs(exact));
  CHECK(t, fabs(mc - exact) <= tol, "%s: %s MC %.6g +- %.2g vs exact %.6g (%.1f sigma)", what, name, mc, err, exact,
        fabs(mc - exact) / err);
}

static void check_case(catex_check *t, const exact_t *x, double kT, double J, double dmu, long stream, long sweeps)
{
  char what[128];
  snprintf(what, sizeof what, "K_shell %g kT %g J %g dmu %g", catex_lattice_get_spec(x->lat)->kshell, kT, J, dmu);
  averages_t ex;
  exact_averages(x, 1.0, J, dmu, kT, &ex);

  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.energy.eps = 1.0;
  p.energy.J = J;
  p.energy.dmu = dmu;
  p.kT = kT;
  p.equilibrate = 2000;
  p.measure = sweeps;
  catex_equilibrium *eq = NULL;
  catex_rng *rng = NULL;
  catex_error err;
  catex_equilibrium_result r;
  if (catex_equilibrium_create(x->lat, x->V, NULL, &p, &eq, &err) != CATEX_OK ||
      catex_rng_create(2024, stream, &rng, &err) != CATEX_OK || catex_equilibrium_run(eq, rng, &r, &err) != CATEX_OK) {
    CHECK(t, 0, "%s: %s", what, err.message);
    catex_rng_destroy(rng);
    catex_equilibrium_destroy(eq);
    return;
  }
  printf("%s: acceptance %.3f, tau_E %.2f, tau_fU %.2f, converged %d\n", what, r.acceptance, r.tau_E, r.tau_fU,
         r.blocking_converged);
  printf("  E %.5f +- %.5f (exact %.5f); Var(E) %.5f +- %.5f (exact %.5f)\n", r.E_mean, r.E_err, ex.E, r.E_var,
         r.E_var_err, ex.E2 - ex.E * ex.E);
  printf("  f_U %.5f +- %.5f (exact %.5f); Var(f_U) %.6f +- %.6f (exact %.6f)\n", r.fU_mean, r.fU_err, ex.fU,
         r.fU_var, r.fU_var_err, ex.fU2 - ex.fU * ex.fU);
  CHECK(t, r.blocking_converged, "%s: blocking analysis found no plateau", what);
  compare(t, what, "<E>", r.E_mean, r.E_err, ex.E);
  compare(t, what, "Var(E)", r.E_var, r.E_var_err, ex.E2 - ex.E * ex.E);
  static const char *names[CATEX_NUM_PHASES] = {"<f_U1>", "<f_S1>", "<f_S2>", "<f_U2>", "<f_unclassified>"};
  for (int a = 0; a < CATEX_NUM_PHASES; a++) compare(t, what, names[a], r.f_mean[a], r.f_err[a], ex.f[a]);
  compare(t, what, "<f_U>", r.fU_mean, r.fU_err, ex.fU);
  compare(t, what, "Var(f_U)", r.fU_var, r.fU_var_err, ex.fU2 - ex.fU * ex.fU);
  /* the comparison is only meaningful if the error bars are small against
   * the quantities: guard against a uselessly short run passing trivially */
  CHECK(t, r.E_err < 0.02 * sqrt(ex.E2 - ex.E * ex.E) && r.fU_var_err < 0.1 * (ex.fU2 - ex.fU * ex.fU),
        "%s: error bars too large to test anything (E %g, Var(f_U) %g)", what, r.E_err, r.fU_var_err);
  catex_equilibrium_result_free(&r);
  catex_rng_destroy(rng);
  catex_equilibrium_destroy(eq);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_equilibrium_exact", &argc, &argv)) return 1;
  /* optional argument: measured sweeps (longer runs to hunt small biases) */
  const long sweeps = argc > 1 ? atol(argv[1]) : 400000;
  const long seed_stream0 = argc > 2 ? atol(argv[2]) : 0;
  const double kshells[2] = {1.0, 10.0};
  long stream = seed_stream0;
  for (int k = 0; k < 2; k++) {
    exact_t x;
    if (enumerate(&t, kshells[k], &x)) {
      check_case(&t, &x, 0.8, 0.0, 0.0, stream++, sweeps);
      check_case(&t, &x, 4.0, 0.0, 0.0, stream++, sweeps);
      if (k == 1) check_case(&t, &x, 0.8, 0.4, 1.5, stream++, sweeps);
    }
    free(x.conf);
    free(x.V);
    catex_lattice_destroy(x.lat);
  }
  return catex_check_finish(&t);
}
