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
 * get the same numbers in double.
 * Borrowed block (the exchange's rungs 1..): both engines sample
 * V_k = V + Z diag(c) Z^T, the eager one from its own block, the pending
 * one from the block of an engine on V, with c, site spreads (the largest
 * deviation from the mean over the core) and the largest |q_ab|; its moves
 * then grow w and the spread the kernel hands back, which the next sweeps
 * use as it is (w is flushed into the fields every FLUSH sweeps, as the
 * exchange does once the bound has grown; both engines also refresh every
 * 700 accepted moves, the borrowing one from its own V). Again the
 * configurations must stay identical, and each part of the bound must be
 * needed: with the pair bound or the moves' growth of the spread left out
 * (and with trust 0) the configurations must part. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/elastic.h"
#include "catex/equilibrium.h"
#include "check.h"

enum { R = 6, SWEEPS = 4000, FLUSH = 20 };

typedef struct {
  catex_lattice *lat;
  double *V, *Z, *w;
  float *Zs; /* Z's entries, which are floats */
  double c[R], *Vk; /* the borrowing engine's potential V + Z diag(c) Z^T */
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
  for (int j = 0; j < R; j++) s->c[j] = 2.0 * uniform_pm1(&seed);
  const int n = s->n;
  if (!(s->Vk = malloc(sizeof(double) * (size_t)n * n))) return 0;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++) {
      double q = 0;
      for (int j = 0; j < R; j++) q += s->c[j] * (s->Z[(size_t)i * R + j] * s->Z[(size_t)k * R + j]);
      s->Vk[(size_t)i * n + k] = s->V[(size_t)i * n + k] + q;
    }
  return 1;
}

static void unmake(sys_t *s)
{
  free(s->V);
  free(s->Vk);
  free(s->Z);
  free(s->Zs);
  free(s->w);
  catex_lattice_destroy(s->lat);
}

typedef struct {
  double trust;
  int borrow;               /* the pending engine sweeps a borrowed block */
  int no_pair, no_growth;   /* negative controls: pair bound 0, site spreads 0 */
} variant;

/* t[x] = Z_x v at the core sites x: a pending part's fields */
static void core_part(const sys_t *s, const int *core, int nc, const double *v, double *t)
{
  for (int x = 0; x < nc; x++) {
    t[x] = 0;
    for (int j = 0; j < R; j++) t[x] += s->Z[(size_t)core[x] * R + j] * v[j];
  }
}

/* The largest |t[x] - mean t| over the core sites: the tightest valid spread */
static double deviation(const double *t, int nc)
{
  double mean = 0, dev = 0;
  for (int x = 0; x < nc; x++) mean += t[x] / nc;
  for (int x = 0; x < nc; x++) dev = fmax(dev, fabs(t[x] - mean));
  return dev;
}

/* Runs the pair; returns the sweep after which they parted (0: never). */
static int run(catex_check *t, const sys_t *s, variant vr, int report)
{
  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.energy.eps = 1.0;
  p.energy.J = 0.2;
  p.kT = 0.4;
  /* the borrowing engine's exact refresh is from its own V, and zeroes w */
  p.refresh_accepted = vr.borrow ? 700 : 0;
  catex_equilibrium *eager = NULL, *pend = NULL, *owner = NULL;
  catex_rng *r0 = NULL, *r1 = NULL, *rinit = NULL;
  catex_error err;
  const double *V = vr.borrow ? s->Vk : s->V;
  int ok = catex_equilibrium_create(s->lat, V, NULL, &p, &eager, &err) == CATEX_OK &&
           catex_equilibrium_create(s->lat, V, NULL, &p, &pend, &err) == CATEX_OK &&
           (!vr.borrow || (catex_equilibrium_create(s->lat, s->V, NULL, &p, &owner, &err) == CATEX_OK &&
                           catex_equilibrium_borrow_core_block(pend, owner, &err) == CATEX_OK)) &&
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
  double spread = 0;
  if (ok) {
    core_part(s, core, nc, s->w, dh);
    spread = deviation(dh, nc);
    catex_equilibrium_adjust(eager, dh, 0);
  }
  double w[R], *site = calloc((size_t)nc + 1, sizeof(double)), pair = 0;
  memcpy(w, s->w, sizeof w);
  ok = ok && site;
  if (ok && vr.borrow) {
    for (int a = 0; a < nc && !vr.no_growth; a++) {
      double v[R];
      for (int j = 0; j < R; j++) v[j] = s->c[j] * s->Z[(size_t)core[a] * R + j];
      core_part(s, core, nc, v, dh); /* dh as scratch: eager has its part already */
      site[a] = deviation(dh, nc);
    }
    for (int a = 0; a < nc && !vr.no_pair; a++)
      for (int b = 0; b < nc; b++) {
        double q = 0;
        for (int j = 0; j < R; j++) q += s->c[j] * (s->Z[(size_t)core[a] * R + j] * s->Z[(size_t)core[b] * R + j]);
        if (a != b) pair = fmax(pair, fabs(q));
      }
  }
  catex_equilibrium_pending pd = {.r = R, .Z = s->Zs, .w = w, .spread = spread, .trust = vr.trust};
  if (vr.borrow) {
    pd.c = s->c;
    pd.site_spread = site;
    pd.pair_bound = pair;
  }
  int parted = 0;
  double worst_E = 0;
  for (int sw = 1; ok && sw <= SWEEPS && !parted; sw++) {
    ok = catex_equilibrium_sweeps(eager, r0, 1, &err) == CATEX_OK &&
         catex_equilibrium_sweeps_pending(pend, r1, 1, &pd, &err) == CATEX_OK;
    if (!ok) break;
    if (vr.borrow && sw % FLUSH == 0) { /* w into the fields, as the exchange's flush */
      core_part(s, core, nc, w, dh);
      catex_equilibrium_adjust(pend, dh, 0);
      memset(w, 0, sizeof w);
      pd.spread = 0; /* in between, the spread is what the kernel grew it to */
    }
    const signed char *a = catex_equilibrium_sigma(eager), *b = catex_equilibrium_sigma(pend);
    if (memcmp(a, b, (size_t)s->n)) parted = sw;
    const double Ea = catex_equilibrium_energy(eager), Eb = catex_equilibrium_energy(pend);
    worst_E = fmax(worst_E, fabs(Ea - Eb) / fmax(1.0, fabs(Ea)));
  }
  CHECK(t, ok, "sweeps: %s", ok ? "" : err.message);
  long attempts = 0, accepted = 0;
  catex_equilibrium_counts(pend, &attempts, &accepted);
  if (report) {
    printf("%s, trust 1: %ld attempts, %ld accepted, %ld needed the pending part; configurations %s; energies within %.3g\n",
           vr.borrow ? "borrowed block" : "own block", attempts, accepted, pd.exact, parted ? "parted" : "identical", worst_E);
    CHECK(t, !parted, "the pending kernel's configuration parted from the eager one after sweep %d", parted);
    CHECK(t, worst_E <= 1e-10, "energies differ by %.3g (relative)", worst_E);
    CHECK(t, accepted > 1000, "only %ld accepted moves", accepted);
    CHECK(t, pd.exact > accepted && pd.exact < attempts / 5,
          "%ld attempts needed the pending part (%ld accepted, %ld attempts): the bound decides %s", pd.exact, accepted,
          attempts, pd.exact <= accepted ? "every rejection, so it is never tested" : "too little");
  }
  catex_equilibrium_destroy(eager);
  catex_equilibrium_destroy(pend);
  catex_equilibrium_destroy(owner);
  free(site);
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
    static const struct {
      const char *what;
      variant v;
    } controls[] = {{"bound ignored", {0.0, 0, 0, 0}},
                    {"borrowed block, bound ignored", {0.0, 1, 0, 0}},
                    {"borrowed block, pair bound left out", {1.0, 1, 1, 0}},
                    {"borrowed block, moves' growth of the spread left out", {1.0, 1, 0, 1}}};
    run(&t, &s, (variant){1.0, 0, 0, 0}, 1);
    run(&t, &s, (variant){1.0, 1, 0, 0}, 1);
    for (size_t k = 0; k < sizeof controls / sizeof controls[0]; k++) {
      const int parted = run(&t, &s, controls[k].v, 0);
      printf("negative control (%s): parted after sweep %d\n", controls[k].what, parted);
      CHECK(&t, parted > 0, "negative control (%s): the kernels never parted, so the test cannot fail", controls[k].what);
    }
  }
  unmake(&s);
  return catex_check_finish(&t);
}
