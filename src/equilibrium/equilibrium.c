/* Equilibrium engine: parameters, construction, the random initial state and
 * the exact refresh of the incrementally kept quantities. The move kernel is
 * in equilibrium_moves.c, labels in equilibrium_measure.c, the measured run
 * and its analysis in equilibrium_run.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "equilibrium_internal.h"

void catex_equilibrium_params_default(catex_equilibrium_params *p)
{
  memset(p, 0, sizeof *p);
  p->energy.eps = 1.0;
  p->kT = 1.0;
  p->composition = 0.5;
  p->equilibrate = 1000;
  p->measure = 1000;
  p->stride = 1;
  p->refresh_accepted = 100000;
}

static catex_status validate(const catex_lattice *lat, const double *V, const double *G,
                             const catex_equilibrium_params *p, catex_error *err)
{
  if (!lat || !p) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: NULL lattice or parameters");
  if (!isfinite(p->kT) || !(p->kT > 0))
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: kT = %g must be finite and > 0", p->kT);
  if (!isfinite(p->energy.eps) || !isfinite(p->energy.J) || !isfinite(p->energy.dmu))
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: eps, J and dmu must be finite");
  if (p->energy.eps != 0 && !V)
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: eps = %g needs the pair potential V", p->energy.eps);
  if (!(p->composition >= 0 && p->composition <= 1))
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: composition %g is not in [0, 1]", p->composition);
  if (p->equilibrate < 0)
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: equilibrate = %ld is negative", p->equilibrate);
  if (p->stride < 1) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: stride = %d must be >= 1", p->stride);
  if (p->measure < p->stride)
    return catex_error_set(err, CATEX_ERR_ARG,
                           "equilibrium: measure = %ld sweeps gives no sample at stride %d", p->measure,
                           p->stride);
  if (p->refresh_accepted < 0)
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: refresh_accepted = %ld is negative",
                           p->refresh_accepted);
  if (p->area_deviation && catex_lattice_dim(lat) != 2)
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: area deviation is defined for 2D lattices only");
  if (p->area_deviation && !G && !p->displacements)
    return catex_error_set(err, CATEX_ERR_ARG,
                           "equilibrium: area deviation needs the displacement response G or a displacement function");
  return CATEX_OK;
}

void catex_equilibrium_destroy(catex_equilibrium *eq)
{
  if (!eq) return;
  free(eq->core);
  free(eq->perm);
  free(eq->sigma);
  free(eq->sc);
  if (!eq->borrowed) free(eq->Vcc);
  free(eq->Vdiag);
  free(eq->h);
  free(eq->m);
  free(eq->Gc);
  free(eq->u);
  free(eq->interior);
  free(eq->stencil);
  free(eq);
}

static catex_status nomem(catex_equilibrium *eq, catex_error *err)
{
  catex_equilibrium_destroy(eq);
  return catex_error_set(err, CATEX_ERR_NOMEM, "equilibrium: out of memory");
}

catex_status catex_equilibrium_create(const catex_lattice *lat, const double *V, const double *G,
                                      const catex_equilibrium_params *p, catex_equilibrium **out,
                                      catex_error *err)
{
  if (!out) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: NULL output pointer");
  *out = NULL;
  catex_status st = validate(lat, V, G, p, err);
  if (st != CATEX_OK) return st;

  catex_equilibrium *eq = calloc(1, sizeof *eq);
  if (!eq) return catex_error_set(err, CATEX_ERR_NOMEM, "equilibrium: out of memory");
  eq->lat = lat;
  eq->p = *p;
  eq->n = catex_lattice_num_sites(lat);
  eq->dim = catex_lattice_dim(lat);
  eq->beta = 1.0 / p->kT;
  const int n = eq->n;
  const unsigned char *shell = catex_lattice_shell(lat);
  for (int i = 0; i < n; i++) eq->ncore += !shell[i];
  const int nc = eq->ncore;
  if (nc < 2) {
    catex_equilibrium_destroy(eq);
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: %d core sites, Kawasaki moves need 2", nc);
  }

  eq->core = malloc(sizeof(int) * (size_t)nc);
  eq->perm = malloc(sizeof(int) * (size_t)nc);
  eq->sigma = malloc((size_t)n);
  eq->sc = malloc((size_t)nc);
  if (!eq->core || !eq->perm || !eq->sigma || !eq->sc) return nomem(eq, err);
  for (int i = 0, a = 0; i < n; i++)
    if (!shell[i]) eq->core[a++] = i;

  if (p->energy.eps != 0) {
    eq->V = V;
    eq->Vcc = malloc(sizeof(double) * (size_t)nc * (size_t)nc);
    eq->Vdiag = malloc(sizeof(double) * (size_t)nc);
    eq->h = malloc(sizeof(double) * (size_t)nc);
    if (!eq->Vcc || !eq->Vdiag || !eq->h) return nomem(eq, err);
    for (int a = 0; a < nc; a++) {
      const double *row = V + (size_t)eq->core[a] * (size_t)n;
      double *dst = eq->Vcc + (size_t)a * (size_t)nc;
      for (int b = 0; b < nc; b++) dst[b] = row[eq->core[b]];
      eq->Vdiag[a] = dst[a];
    }
  }
  if (p->energy.J != 0) {
    eq->m = malloc(sizeof(int) * (size_t)n);
    if (!eq->m) return nomem(eq, err);
  }
  if (p->area_deviation) {
    const int dn = eq->dim * n;
    eq->G = G;
    eq->u = calloc((size_t)dn, sizeof(double));
    if (!eq->u) return nomem(eq, err);
    if (G) {
      eq->Gc = malloc(sizeof(double) * (size_t)nc * (size_t)dn);
      if (!eq->Gc) return nomem(eq, err);
      for (int a = 0; a < nc; a++)
        for (int r = 0; r < dn; r++) eq->Gc[(size_t)a * dn + r] = G[(size_t)r * n + eq->core[a]];
    }
  }
  st = catex_eq_labels_setup(eq, err);
  if (st != CATEX_OK) {
    catex_equilibrium_destroy(eq);
    return st;
  }
  *out = eq;
  return CATEX_OK;
}

void catex_equilibrium_refresh(catex_equilibrium *eq)
{
  const int n = eq->n;
  /* One pass over all rows of V gives the core fields and the elastic
   * energy (eps/2) sum_i sigma_i (V sigma)_i; the rest of E is O(N). */
  double vsv = 0;
  if (eq->h)
    for (int i = 0, a = 0; i < n; i++) {
      const double *row = eq->V + (size_t)i * (size_t)n;
      double s = 0;
      for (int k = 0; k < n; k++) s += row[k] * eq->sigma[k];
      vsv += s * eq->sigma[i];
      if (a < eq->ncore && eq->core[a] == i) eq->h[a++] = s;
    }
  if (eq->m) catex_ising_fields(eq->lat, eq->sigma, eq->m);
  if (eq->u && eq->G) {
    const int dn = eq->dim * n;
    for (int r = 0; r < dn; r++) {
      const double *row = eq->G + (size_t)r * n;
      double s = 0;
      for (int k = 0; k < n; k++) s += row[k] * eq->sigma[k];
      eq->u[r] = s;
    }
  }
  /* with V = NULL, catex_energy_total is the Ising and field terms only */
  eq->E = 0.5 * eq->p.energy.eps * vsv + catex_energy_total(eq->lat, NULL, &eq->p.energy, eq->sigma);
  eq->since_refresh = 0;
}

catex_status catex_equilibrium_init(catex_equilibrium *eq, catex_rng *rng, catex_error *err)
{
  if (!eq || !rng) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: NULL engine or rng");
  const int nc = eq->ncore;
  /* The guard keeps c = 0.29, N_core = 100 at 29 A sites, not 28. */
  const long na = (long)floor(eq->p.composition * nc + 1e-9);
  for (int i = 0; i < eq->n; i++) eq->sigma[i] = -1;
  for (int a = 0; a < nc; a++) {
    eq->perm[a] = a;
    eq->sc[a] = -1;
  }
  /* partial Fisher-Yates: the first na entries are a uniform random subset */
  for (long k = 0; k < na; k++) {
    long r = k + catex_rng_index(rng, nc - k);
    int tmp = eq->perm[k];
    eq->perm[k] = eq->perm[r];
    eq->perm[r] = tmp;
    eq->sc[eq->perm[k]] = 1;
    eq->sigma[eq->core[eq->perm[k]]] = 1;
  }
  catex_equilibrium_refresh(eq);
  eq->attempts = eq->accepted = 0;
  eq->initialised = 1;
  eq->sweeps_done = 0;
  return CATEX_OK;
}

catex_status catex_equilibrium_sweeps_pending(catex_equilibrium *eq, catex_rng *rng, long nsweeps,
                                              catex_equilibrium_pending *pd, catex_error *err)
{
  if (!eq || !rng) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: NULL engine or rng");
  if (!eq->initialised)
    return catex_error_set(err, CATEX_ERR_STATE, "equilibrium: sweeps before catex_equilibrium_init");
  if (pd && (!eq->h || !pd->Z || !pd->w || pd->r < 1 || !(pd->spread >= 0)))
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: pending field parts need eps != 0, Z, spread >= 0 and w");
  const int low_rank = pd && pd->c;
  if (low_rank != eq->borrowed)
    return catex_error_set(err, CATEX_ERR_ARG, eq->borrowed ? "equilibrium: an engine sweeping a borrowed core block needs "
                                                              "the low-rank part of its potential (pending c)"
                                                            : "equilibrium: a low-rank part (pending c) needs a borrowed core block");
  if (low_rank && (!pd->site_spread || !(pd->pair_bound >= 0)))
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: a low-rank part needs site spreads and pair_bound >= 0");
  if (nsweeps > 0) catex_eq_seed_moves(eq, rng);
  for (long s = 0; s < nsweeps; s++) {
    const long before = eq->accepted;
    catex_eq_sweep(eq, pd && (pd->spread > 0 || pd->c) ? pd : NULL);
    eq->since_refresh += eq->accepted - before;
    if (eq->p.refresh_accepted > 0 && eq->since_refresh >= eq->p.refresh_accepted) {
      catex_equilibrium_refresh(eq);
      if (pd) {
        for (int j = 0; j < pd->r; j++) pd->w[j] = 0;
        pd->spread = 0;
      }
    }
    /* progress and early stop (a signal): the poll reads no random number */
    if (eq->p.hook) {
      const double total = (double)(eq->p.equilibrate + eq->p.measure);
      const double done = (double)++eq->sweeps_done;
      if (catex_run_hook_poll(eq->p.hook, "sweeps", done, total, total > 0 ? done / total : -1))
        return catex_error_set(err, CATEX_ERR_INTERRUPTED, "stopped after %.0f of %.0f sweeps", done, total);
    }
  }
  return CATEX_OK;
}

catex_status catex_equilibrium_sweeps(catex_equilibrium *eq, catex_rng *rng, long nsweeps, catex_error *err)
{
  return catex_equilibrium_sweeps_pending(eq, rng, nsweeps, NULL, err);
}

int catex_equilibrium_num_core(const catex_equilibrium *eq) { return eq->ncore; }
const int *catex_equilibrium_core_sites(const catex_equilibrium *eq) { return eq->core; }
const signed char *catex_equilibrium_sigma(const catex_equilibrium *eq) { return eq->sigma; }
const signed char *catex_equilibrium_core_spins(const catex_equilibrium *eq) { return eq->sc; }
const double *catex_equilibrium_core_fields(const catex_equilibrium *eq) { return eq->h; }
const double *catex_equilibrium_displacements(const catex_equilibrium *eq) { return eq->u; }
double catex_equilibrium_energy(const catex_equilibrium *eq) { return eq->E; }

void catex_equilibrium_counts(const catex_equilibrium *eq, long *attempts, long *accepted)
{
  if (attempts) *attempts = eq->attempts;
  if (accepted) *accepted = eq->accepted;
}
