/* The move kernel with pending field parts (catex_equilibrium_pending, the
 * exchange's deferred corrections) makes the decisions of the exact fields.
 *
 * Hexagon core side 4 + 1 shell (N = 61), real V at K_shell 3, kT 0.4, J on.
 * Engine "eager" gets its core fields raised by t = Z w at once
 * (catex_equilibrium_adjust); engine "pending" keeps the fields and is
 * given Z, w and the tightest valid spread instead (the largest
 * |t(a) - mean t| over the core sites). Z (N x 6) and w are random,
 * with t large enough that it changes ~1 % of the rejections, and dense:
 * it also breaks the exact degeneracies of the symmetric lattice (moves
 * with dE = 0 to rounding, where the two kernels could draw different
 * random numbers). Both engines start from the same configuration with
 * identically seeded streams; after every sweep their configurations must
 * be identical and their energies equal to rounding. The bound must have
 * settled most attempts (few exact evaluations) yet not all.
 * Negative control: with the bound shrunk to nothing (trust 0) the
 * configurations must part.
 * The kernel reads Z in single precision (Zs); the eager engine's fields
 * get the same numbers in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/elastic.h"
#include "catex/equilibrium.h"
#include "check.h"

enum { R = 6, SWEEPS = 4000 };

typedef struct {
  catex_lattice *lat;
  double *V, *Z, *w;
  float *Zs; /* Z's entries, which are floats */
  int n;
} sys_t;

static uint64_t splitmix(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double uniform_pm1(uint64_t *x) { return 2.0 * ((double)(splitmix(x) >> 11) * 0x1.0p-53) - 1.0; }

static int make(catex_check *t, sys_t *s)
{
  memset(s, 0, sizeof *s);
  catex_lattice_spec spec = {CATEX_LATTICE_HEXAGON, 4, 1, 3.0};
  catex_elastic *el = NULL;
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  catex_error err;
  int ok = catex_lattice_create(&spec, &s->lat, &err) == CATEX_OK;
  s->n = ok ? catex_lattice_num_sites(s->lat) : 0;
  ok = ok && (s->V = malloc(sizeof(double) * (size_t)s->n * s->n)) && (s->Z = malloc(sizeof(double) * (size_t)s->n * R)) &&
       (s->w = malloc(sizeof(double) * R)) && (s->Zs = malloc(sizeof(float) * (size_t)s->n * R));
  ok = ok && catex_elastic_create(s->lat, &opt, &el, &err) == CATEX_OK &&
       catex_elastic_potential(el, s->V, NULL, &err) == CATEX_OK;
  catex_elastic_destroy(el);
  CHECK(t, ok, "system: %s", ok ? "" : err.message);
  if (!ok) return 0;
  uint64_t seed = 7;
  for (int i = 0; i < s->n * R; i++) {
    s->Zs[i] = (float)(0.05 * uniform_pm1(&seed));
    s->Z[i] = s->Zs[i];
  }
  for (int j = 0; j < R; j++) s->w[j] = uniform_pm1(&seed);
  return 1;
}

static void unmake(sys_t *s)
{
  free(s->V);
  free(s->Z);
  free(s->Zs);
  free(s->w);
  catex_lattice_destroy(s->lat);
}

/* Runs the pair; returns the sweep after which they parted (0: never). */
static int run(catex_check *t, const sys_t *s, double trust, int report)
{
  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.energy.eps = 1.0;
  p.energy.J = 0.2;
  p.kT = 0.4;
  p.refresh_accepted = 0;
  catex_equilibrium *eager = NULL, *pend = NULL;
  catex_rng *r0 = NULL, *r1 = NULL, *rinit = NULL;
  catex_error err;
  int ok = catex_equilibrium_create(s->lat, s->V, NULL, &p, &eager, &err) == CATEX_OK &&
           catex_equilibrium_create(s->lat, s->V, NULL, &p, &pend, &err) == CATEX_OK &&
           catex_rng_create(3, 0, &rinit, &err) == CATEX_OK && catex_equilibrium_init(eager, rinit, &err) == CATEX_OK &&
           catex_rng_create(3, 1, &r0, &err) == CATEX_OK && catex_rng_create(3, 1, &r1, &err) == CATEX_OK;
  const int nc = ok ? catex_equilibrium_num_core(eager) : 0;
  const int *core = ok ? catex_equilibrium_core_sites(eager) : NULL;
  double *dh = malloc(sizeof(double) * (size_t)(nc + 1));
  size_t nb = ok ? catex_equilibrium_state_bytes(eager) : 0;
  char *state = malloc(nb + 1);
  ok = ok && dh && state;
  if (ok) { /* the same start, then the pending part goes into eager's fields only */
    catex_equilibrium_state_save(eager, state);
    ok = catex_equilibrium_state_load(pend, state, nb, &err) == CATEX_OK;
  }
  /* the tightest valid spread: the largest |t(a) - mean t| itself */
  double spread = 0, mean_t = 0;
  if (ok) {
    for (int a = 0; a < nc; a++) {
      double ta = 0;
      for (int j = 0; j < R; j++) ta += s->Z[(size_t)core[a] * R + j] * s->w[j];
      dh[a] = ta;
      mean_t += ta / nc;
    }
    for (int a = 0; a < nc; a++) spread = fmax(spread, fabs(dh[a] - mean_t));
    catex_equilibrium_adjust(eager, dh, 0);
  }
  catex_equilibrium_pending pd = {R, s->Zs, s->w, spread, trust, 0};
  int parted = 0;
  double worst_E = 0;
  for (int sw = 1; ok && sw <= SWEEPS && !parted; sw++) {
    ok = catex_equilibrium_sweeps(eager, r0, 1, &err) == CATEX_OK &&
         catex_equilibrium_sweeps_pending(pend, r1, 1, &pd, &err) == CATEX_OK;
    if (!ok) break;
    const signed char *a = catex_equilibrium_sigma(eager), *b = catex_equilibrium_sigma(pend);
    if (memcmp(a, b, (size_t)s->n)) parted = sw;
    const double Ea = catex_equilibrium_energy(eager), Eb = catex_equilibrium_energy(pend);
    worst_E = fmax(worst_E, fabs(Ea - Eb) / fmax(1.0, fabs(Ea)));
  }
  CHECK(t, ok, "sweeps: %s", ok ? "" : err.message);
  long attempts = 0, accepted = 0;
  catex_equilibrium_counts(pend, &attempts, &accepted);
  if (report) {
    printf("trust 1: %ld attempts, %ld accepted, %ld needed the pending part; configurations %s; energies within %.3g\n",
           attempts, accepted, pd.exact, parted ? "parted" : "identical", worst_E);
    CHECK(t, !parted, "the pending kernel's configuration parted from the eager one after sweep %d", parted);
    CHECK(t, worst_E <= 1e-10, "energies differ by %.3g (relative)", worst_E);
    CHECK(t, accepted > 1000, "only %ld accepted moves", accepted);
    CHECK(t, pd.exact > accepted && pd.exact < attempts / 5,
          "%ld attempts needed the pending part (%ld accepted, %ld attempts): the bound decides %s", pd.exact, accepted,
          attempts, pd.exact <= accepted ? "every rejection, so it is never tested" : "too little");
  }
  catex_equilibrium_destroy(eager);
  catex_equilibrium_destroy(pend);
  catex_rng_destroy(r0);
  catex_rng_destroy(r1);
  catex_rng_destroy(rinit);
  free(dh);
  free(state);
  return parted;
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_equilibrium_pending", &argc, &argv)) return 1;
  sys_t s;
  if (make(&t, &s)) {
    run(&t, &s, 1.0, 1);
    const int parted = run(&t, &s, 0.0, 0);
    printf("negative control (bound ignored): parted after sweep %d\n", parted);
    CHECK(&t, parted > 0, "negative control: with the bound ignored the kernels never parted, so the test cannot fail");
  }
  unmake(&s);
  return catex_check_finish(&t);
}
