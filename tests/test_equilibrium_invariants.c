/* Invariants of the equilibrium engine, with the real V from the elastic
 * module: the core composition is conserved exactly and the shell never
 * changes; the incrementally kept h, m-based energy E and displacements u
 * agree with from-scratch values after many accepted moves (and the exact
 * refresh restores them); the fast phase labels equal catex_phase_fractions;
 * runs are reproducible per rng stream; bad parameters are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/elastic.h"
#include "catex/equilibrium.h"
#include "check.h"

typedef struct {
  catex_lattice *lat;
  catex_elastic *el;
  double *V;
  const double *G;
} system_t;

static int make_system(catex_check *t, system_t *s, catex_lattice_kind kind, int side, int shell, double kshell)
{
  memset(s, 0, sizeof *s);
  catex_lattice_spec spec = {kind, side, shell, kshell};
  catex_error err;
  int ok = catex_lattice_create(&spec, &s->lat, &err) == CATEX_OK;
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  ok = ok && catex_elastic_create(s->lat, &opt, &s->el, &err) == CATEX_OK;
  const int n = ok ? catex_lattice_num_sites(s->lat) : 0;
  ok = ok && (s->V = malloc(sizeof(double) * (size_t)n * n)) != NULL;
  ok = ok && catex_elastic_potential(s->el, s->V, NULL, &err) == CATEX_OK;
  if (ok) s->G = catex_elastic_displacement_response(s->el);
  CHECK(t, ok && s->G, "building the %s side %d + %d shell system: %s", catex_lattice_kind_name(kind), side, shell,
        ok ? "no G" : err.message);
  return ok && s->G;
}

static void free_system(system_t *s)
{
  free(s->V);
  catex_elastic_destroy(s->el);
  catex_lattice_destroy(s->lat);
}

/* Many accepted moves without refresh, then compare with from-scratch values. */
static void check_incremental(catex_check *t, const system_t *s, double J, int area, const char *what)
{
  const int n = catex_lattice_num_sites(s->lat);
  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.energy.eps = 1.0;
  p.energy.J = J;
  p.energy.dmu = -3.0;
  p.kT = 3.0; /* hot: many accepted moves */
  p.composition = 0.4;
  p.refresh_accepted = 0;
  p.area_deviation = area;
  catex_equilibrium *eq = NULL;
  catex_rng *rng = NULL;
  catex_error err;
  if (catex_equilibrium_create(s->lat, s->V, s->G, &p, &eq, &err) != CATEX_OK ||
      catex_rng_create(11, 3, &rng, &err) != CATEX_OK) {
    CHECK(t, 0, "%s: create: %s", what, err.message);
    catex_equilibrium_destroy(eq);
    return;
  }
  CHECK(t, catex_equilibrium_sweeps(eq, rng, 1, &err) == CATEX_ERR_STATE, "%s: sweeps before init refused", what);
  CHECK(t, catex_equilibrium_init(eq, rng, &err) == CATEX_OK, "%s: init", what);
  const int nc = catex_equilibrium_num_core(eq);
  const int *core = catex_equilibrium_core_sites(eq);
  const unsigned char *shell = catex_lattice_shell(s->lat);
  signed char *sigma0 = malloc((size_t)n);
  memcpy(sigma0, catex_equilibrium_sigma(eq), (size_t)n);
  long na0 = 0;
  for (int a = 0; a < nc; a++) na0 += sigma0[core[a]] > 0;
  CHECK(t, na0 == (long)floor(0.4 * nc + 1e-9), "%s: initial core has %ld A sites (want floor(0.4 * %d))", what,
        na0, nc);
  int shell_bad = 0;
  for (int i = 0; i < n; i++) shell_bad += shell[i] && sigma0[i] != -1;
  CHECK(t, shell_bad == 0, "%s: %d shell sites not B after init", what, shell_bad);

  long total_acc = 0, comp_bad = 0, shell_changed = 0;
  for (int round = 0; round < 40; round++) {
    catex_equilibrium_sweeps(eq, rng, 50, &err);
    const signed char *sg = catex_equilibrium_sigma(eq);
    long na = 0;
    for (int a = 0; a < nc; a++) na += sg[core[a]] > 0;
    comp_bad += na != na0;
    for (int i = 0; i < n; i++) shell_changed += shell[i] && sg[i] != sigma0[i];
  }
  long att, acc;
  catex_equilibrium_counts(eq, &att, &acc);
  total_acc = acc;
  CHECK(t, att == 2000L * nc, "%s: %ld attempts after 2000 sweeps of %d", what, att, nc);
  CHECK(t, total_acc > 100L * n, "%s: only %ld accepted moves: the drift test would be weak", what, total_acc);
  CHECK(t, comp_bad == 0, "%s: core composition changed in %ld of 40 checks", what, comp_bad);
  CHECK(t, shell_changed == 0, "%s: %ld shell site changes", what, shell_changed);

  const signed char *sg = catex_equilibrium_sigma(eq);
  double *h = malloc(sizeof(double) * (size_t)n), *u = malloc(sizeof(double) * 3 * (size_t)n);
  catex_local_fields(n, s->V, sg, h);
  const double *hk = catex_equilibrium_core_fields(eq);
  double hmax = 0, hdiff = 0;
  for (int a = 0; a < nc; a++) {
    hmax = fmax(hmax, fabs(h[core[a]]));
    hdiff = fmax(hdiff, fabs(hk[a] - h[core[a]]));
  }
  CHECK(t, hdiff <= 1e-9 * hmax, "%s: incremental h off by %.3g (max |h| %.3g) after %ld accepted moves", what,
        hdiff, hmax, total_acc);
  const double E = catex_energy_total(s->lat, s->V, &p.energy, sg), Ek = catex_equilibrium_energy(eq);
  CHECK(t, fabs(Ek - E) <= 1e-9 * fmax(1.0, fabs(E)), "%s: incremental E %.15g vs scratch %.15g", what, Ek, E);
  if (area) {
    const int dn = catex_lattice_dim(s->lat) * n;
    const double *uk = catex_equilibrium_displacements(eq);
    double umax = 0, udiff = 0;
    for (int r = 0; r < dn; r++) {
      double v = 0;
      for (int k = 0; k < n; k++) v += s->G[(size_t)r * n + k] * sg[k];
      u[r] = v;
      umax = fmax(umax, fabs(v));
      udiff = fmax(udiff, fabs(v - uk[r]));
    }
    CHECK(t, uk && udiff <= 1e-9 * umax, "%s: incremental u off by %.3g (max %.3g)", what, udiff, umax);
  }
  /* refresh reproduces the scratch values to round-off of one dot product */
  catex_equilibrium_refresh(eq);
  hdiff = 0;
  for (int a = 0; a < nc; a++) hdiff = fmax(hdiff, fabs(hk[a] - h[core[a]]));
  CHECK(t, hdiff <= 1e-13 * hmax && fabs(catex_equilibrium_energy(eq) - E) <= 1e-13 * fmax(1.0, fabs(E)),
        "%s: refresh: h off by %.3g, E %.15g vs %.15g", what, hdiff, catex_equilibrium_energy(eq), E);

  /* fast labels == the reference classifier, on many visited configurations */
  int *sites = NULL, ni = catex_sites_interior_core(s->lat, &sites), label_bad = 0;
  for (int round = 0; round < 30; round++) {
    catex_equilibrium_sweeps(eq, rng, 3, &err);
    double f1[CATEX_NUM_PHASES], f2[CATEX_NUM_PHASES];
    catex_equilibrium_phase_fractions(eq, f1);
    catex_phase_fractions(s->lat, catex_equilibrium_sigma(eq), sites, ni, f2);
    for (int a = 0; a < CATEX_NUM_PHASES; a++) label_bad += f1[a] != f2[a];
  }
  CHECK(t, label_bad == 0, "%s: fast phase fractions differ from catex_phase_fractions %d times", what, label_bad);
  free(sites);
  free(h);
  free(u);
  free(sigma0);
  catex_rng_destroy(rng);
  catex_equilibrium_destroy(eq);
}

/* Hand-built configurations: perfect superlattices and uniform phases must
 * come out of the fast labels exactly as from the reference. */
static void check_labels_by_hand(catex_check *t, const system_t *s)
{
  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  catex_equilibrium *eq = NULL;
  catex_rng *rng = NULL;
  catex_error err;
  if (catex_equilibrium_create(s->lat, s->V, NULL, &p, &eq, &err) != CATEX_OK ||
      catex_rng_create(1, 1, &rng, &err) != CATEX_OK) {
    CHECK(t, 0, "labels: %s", err.message);
    catex_equilibrium_destroy(eq);
    return;
  }
  catex_equilibrium_init(eq, rng, &err);
  /* the engine owns sigma; write through the returned pointer only here, in
   * a test, to pose configurations (labels do not read h) */
  signed char *sg = (signed char *)catex_equilibrium_sigma(eq);
  const int n = catex_lattice_num_sites(s->lat);
  int *sites = NULL, ni = catex_sites_interior_core(s->lat, &sites), bad = 0, seen[CATEX_NUM_PHASES] = {0};
  unsigned seed = 99;
  for (int rep = 0; rep < 200; rep++) {
    double pa = (rep % 11) / 10.0;
    for (int i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      sg[i] = ((seed >> 8) & 0xffff) / 65536.0 < pa ? 1 : -1;
    }
    double f1[CATEX_NUM_PHASES], f2[CATEX_NUM_PHASES];
    catex_equilibrium_phase_fractions(eq, f1);
    catex_phase_fractions(s->lat, sg, sites, ni, f2);
    for (int a = 0; a < CATEX_NUM_PHASES; a++) {
      bad += f1[a] != f2[a];
      seen[a] += f1[a] > 0;
    }
  }
  CHECK(t, bad == 0, "labels on random configurations: %d mismatches", bad);
  for (int a = 0; a < CATEX_NUM_PHASES; a++)
    CHECK(t, seen[a] > 0 || catex_lattice_dim(s->lat) == 3, "phase %d never seen in the label test", a);
  free(sites);
  catex_rng_destroy(rng);
  catex_equilibrium_destroy(eq);
}

static void check_run(catex_check *t, const system_t *s)
{
  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.kT = 0.5;
  p.equilibrate = 200;
  p.measure = 1003;
  p.stride = 2;
  p.keep_series = 1;
  catex_equilibrium *eq = NULL;
  catex_rng *r1 = NULL, *r2 = NULL, *r3 = NULL;
  catex_error err;
  catex_equilibrium_result a, b, c;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  memset(&c, 0, sizeof c);
  int ok = catex_equilibrium_create(s->lat, s->V, NULL, &p, &eq, &err) == CATEX_OK &&
           catex_rng_create(5, 7, &r1, &err) == CATEX_OK && catex_rng_create(5, 7, &r2, &err) == CATEX_OK &&
           catex_rng_create(5, 8, &r3, &err) == CATEX_OK && catex_equilibrium_run(eq, r1, &a, &err) == CATEX_OK &&
           catex_equilibrium_run(eq, r2, &b, &err) == CATEX_OK && catex_equilibrium_run(eq, r3, &c, &err) == CATEX_OK;
  CHECK(t, ok, "run: %s", ok ? "" : err.message);
  if (ok) {
    const int nc = catex_equilibrium_num_core(eq);
    CHECK(t, a.nmeasured == 501, "nmeasured %ld (want 1003 / 2)", a.nmeasured);
    CHECK(t, a.attempts == 1003L * nc, "measured attempts %ld (want 1003 N_core)", a.attempts);
    CHECK(t, a.acceptance > 0 && a.acceptance < 0.6, "acceptance %g", a.acceptance);
    CHECK(t, a.fU_series && a.E_series, "series kept");
    CHECK(t, a.fU_series && memcmp(a.fU_series, b.fU_series, sizeof(double) * 501) == 0 &&
                 memcmp(a.E_series, b.E_series, sizeof(double) * 501) == 0 && a.E_mean == b.E_mean,
          "same stream, same run");
    CHECK(t, a.E_mean != c.E_mean, "different stream, different run");
    double fsum = 0;
    for (int k = 0; k < CATEX_NUM_PHASES; k++) fsum += a.f_mean[k];
    CHECK_CLOSE(t, fsum, 1.0, 1e-12, "phase fractions sum to 1");
    CHECK_CLOSE(t, a.fU_mean, a.f_mean[CATEX_PHASE_U1] + a.f_mean[CATEX_PHASE_U2], 1e-12, "f_U = f_U1 + f_U2");
    double m = 0, m2 = 0;
    for (long k = 0; k < a.nmeasured; k++) {
      m += a.fU_series[k];
      m2 += a.fU_series[k] * a.fU_series[k];
    }
    m /= a.nmeasured;
    m2 /= a.nmeasured;
    CHECK_CLOSE(t, a.fU_var, m2 - m * m, 1e-12, "Var(f_U) = <f_U^2> - <f_U>^2 of the series");
    CHECK(t, a.E_err > 0 && a.E_var > 0 && a.E_var_err > 0 && a.tau_E >= 0.2, "E error bars %g %g %g tau %g",
          a.E_err, a.E_var, a.E_var_err, a.tau_E);
    CHECK(t, isnan(a.dA2_mean), "dA2 is NaN when not requested");
  }
  catex_equilibrium_result_free(&a);
  catex_equilibrium_result_free(&b);
  catex_equilibrium_result_free(&c);
  CHECK(t, a.fU_series == NULL && a.E_series == NULL, "result_free clears the series");
  catex_rng_destroy(r1);
  catex_rng_destroy(r2);
  catex_rng_destroy(r3);
  catex_equilibrium_destroy(eq);
}

static void check_area_run(catex_check *t, const system_t *s)
{
  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.kT = 0.5;
  p.equilibrate = 100;
  p.measure = 300;
  p.area_deviation = 1;
  catex_equilibrium *eq = NULL;
  catex_rng *rng = NULL;
  catex_error err;
  catex_equilibrium_result r;
  int ok = catex_equilibrium_create(s->lat, s->V, s->G, &p, &eq, &err) == CATEX_OK &&
           catex_rng_create(5, 1, &rng, &err) == CATEX_OK && catex_equilibrium_run(eq, rng, &r, &err) == CATEX_OK;
  CHECK(t, ok, "area run: %s", ok ? "" : err.message);
  if (ok) CHECK(t, r.dA2_mean > 0 && isfinite(r.dA2_err), "dA2 %g +- %g", r.dA2_mean, r.dA2_err);
  /* the measured value is catex_area_deviation_ms of the current u */
  if (ok) {
    int *sites = NULL, ni = catex_sites_interior_core(s->lat, &sites);
    double direct = catex_area_deviation_ms(s->lat, catex_equilibrium_displacements(eq), CATEX_AREA_MISMATCH,
                                            sites, ni);
    CHECK(t, direct > 0, "area deviation of the final state %g", direct);
    free(sites);
    catex_equilibrium_result_free(&r);
  }
  catex_rng_destroy(rng);
  catex_equilibrium_destroy(eq);
}

static void check_refusals(catex_check *t, const system_t *hex, const system_t *cube)
{
  catex_equilibrium_params p;
  catex_equilibrium *eq = NULL;
  catex_error err;
  catex_equilibrium_params_default(&p);
  p.kT = 0;
  CHECK(t, catex_equilibrium_create(hex->lat, hex->V, NULL, &p, &eq, &err) == CATEX_ERR_ARG && !eq, "kT = 0 refused");
  catex_equilibrium_params_default(&p);
  p.composition = 1.5;
  CHECK(t, catex_equilibrium_create(hex->lat, hex->V, NULL, &p, &eq, &err) == CATEX_ERR_ARG, "composition refused");
  catex_equilibrium_params_default(&p);
  p.stride = 0;
  CHECK(t, catex_equilibrium_create(hex->lat, hex->V, NULL, &p, &eq, &err) == CATEX_ERR_ARG, "stride 0 refused");
  catex_equilibrium_params_default(&p);
  p.measure = 3;
  p.stride = 4;
  CHECK(t, catex_equilibrium_create(hex->lat, hex->V, NULL, &p, &eq, &err) == CATEX_ERR_ARG, "measure < stride refused");
  catex_equilibrium_params_default(&p);
  CHECK(t, catex_equilibrium_create(hex->lat, NULL, NULL, &p, &eq, &err) == CATEX_ERR_ARG, "eps != 0 without V refused");
  p.area_deviation = 1;
  CHECK(t, catex_equilibrium_create(hex->lat, hex->V, NULL, &p, &eq, &err) == CATEX_ERR_ARG, "area without G refused");
  CHECK(t, catex_equilibrium_create(cube->lat, cube->V, cube->G, &p, &eq, &err) == CATEX_ERR_ARG, "3D area refused");
  /* eps = 0 (Ising model) needs no V */
  catex_equilibrium_params_default(&p);
  p.energy.eps = 0;
  p.energy.J = 1;
  CHECK(t, catex_equilibrium_create(hex->lat, NULL, NULL, &p, &eq, &err) == CATEX_OK, "Ising model without V");
  catex_equilibrium_destroy(eq);
}

/* Ising model without V: E from m only, against the scratch energy. */
static void check_ising_only(catex_check *t, const system_t *s)
{
  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.energy.eps = 0;
  p.energy.J = 1;
  p.kT = 2;
  p.refresh_accepted = 0;
  catex_equilibrium *eq = NULL;
  catex_rng *rng = NULL;
  catex_error err;
  if (catex_equilibrium_create(s->lat, NULL, NULL, &p, &eq, &err) != CATEX_OK ||
      catex_rng_create(3, 3, &rng, &err) != CATEX_OK) {
    CHECK(t, 0, "ising: %s", err.message);
    catex_equilibrium_destroy(eq);
    return;
  }
  catex_equilibrium_init(eq, rng, &err);
  catex_equilibrium_sweeps(eq, rng, 500, &err);
  long acc;
  catex_equilibrium_counts(eq, NULL, &acc);
  const double E = catex_energy_total(s->lat, NULL, &p.energy, catex_equilibrium_sigma(eq));
  CHECK(t, acc > 1000 && fabs(E - catex_equilibrium_energy(eq)) < 1e-9, "Ising-only E %.12g vs %.12g (%ld accepted)",
        catex_equilibrium_energy(eq), E, acc);
  CHECK(t, catex_equilibrium_core_fields(eq) == NULL, "no elastic fields when eps = 0");
  catex_rng_destroy(rng);
  catex_equilibrium_destroy(eq);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_equilibrium_invariants", &argc, &argv)) return 1;
  system_t hex, hex0, cube;
  const int ok_hex = make_system(&t, &hex, CATEX_LATTICE_HEXAGON, 6, 2, 7.0);
  const int ok_hex0 = make_system(&t, &hex0, CATEX_LATTICE_HEXAGON, 5, 0, 1.0);
  const int ok_cube = make_system(&t, &cube, CATEX_LATTICE_CUBE, 4, 1, 3.0);
  if (ok_hex) {
    check_incremental(&t, &hex, 0.0, 1, "hexagon 6+2, J = 0, with u");
    check_incremental(&t, &hex, 0.7, 0, "hexagon 6+2, J = 0.7");
    check_labels_by_hand(&t, &hex);
    check_run(&t, &hex);
    check_area_run(&t, &hex);
    check_ising_only(&t, &hex);
  }
  if (ok_hex0) check_incremental(&t, &hex0, -0.4, 1, "hexagon 5 without shell, J = -0.4");
  if (ok_cube) {
    check_incremental(&t, &cube, 0.5, 0, "cube 4+1, J = 0.5");
    check_labels_by_hand(&t, &cube);
  }
  if (ok_hex && ok_cube) check_refusals(&t, &hex, &cube);
  if (ok_hex) free_system(&hex);
  if (ok_hex0) free_system(&hex0);
  if (ok_cube) free_system(&cube);
  return catex_check_finish(&t);
}
