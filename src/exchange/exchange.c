/* The ladder: one equilibrium engine per rung (each with its own V), the
 * configurations that move between them, and the swap rounds.
 *
 * Cost per sweep and rung at core side 24 (see exchange_factor.c for the
 * low-rank form): the Kawasaki sweep itself (~45 us; ~42 where Z is rounded
 * and rungs 1.. sweep rung 0's core block, exchange_pending.c); bringing the
 * projection z = Z^T s up to date before a swap round, by comparing the
 * N_core core spins with those at the last update and adding +-2 Z[i, :]
 * (r = 139 numbers, a row from memory) per changed site; the swap
 * decision, O(r); and, only for an accepted swap, the new fields of the
 * two moved configurations, Z diag(c_l - c_k) z at the core sites
 * (N_core r ~ 2.3e5 flops), deferred (exchange_pending.c): the swap
 * itself costs O(r), and the sweeps pay for the deferred part where a
 * move needs it.
 * Diffing spins rather than following every accepted move in the kernel
 * reads each changed site's row once per round, however often it flipped
 * in between (a kernel-side update, tried, cost the same at
 * exchange_every 1 and more at 10; a log of the moves' sites, sorted so
 * as to give the same bits, spared the comparison but not the rows, and
 * was no faster). z is recomputed from scratch every
 * PROJECTION_REFRESH sweeps (deterministically, so still bitwise
 * reproducible) to bound its round-off. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_internal.h"

enum { PROJECTION_REFRESH = 10000 };

void catex_exchange_params_default(catex_exchange_params *p)
{
  memset(p, 0, sizeof *p);
  catex_equilibrium_params_default(&p->eq);
  p->exchange_every = 1;
  p->hist_bins = 50;
  p->sample_stride = 100;
  p->permutation_stride = 100;
  p->swap_sign = 1;
  p->pending_bound = 0.5;
}

void catex_exchange_destroy(catex_exchange *ex)
{
  if (!ex) return;
  if (ex->rung)
    for (int k = 0; k < ex->nr; k++) catex_equilibrium_destroy(ex->rung[k]);
  if (ex->rng)
    for (int k = 0; k < ex->nr; k++) catex_rng_destroy(ex->rng[k]);
  catex_rng_destroy(ex->swap_rng);
  free(ex->rung);
  free(ex->rng);
  if (ex->Vown)
    for (int k = 0; k < ex->nr; k++) free(ex->Vown[k]);
  free(ex->Vown);
  free(ex->V);
  exchange_factor_free(&ex->f);
  free(ex->kshell);
  free(ex->perm);
  free(ex->z);
  free(ex->zsigma);
  free(ex->last_end);
  free(ex->trips);
  free(ex->swap_att);
  free(ex->swap_acc);
  free(ex->series);
  free(ex->hist);
  free(ex->perm_store);
  free(ex->samp_fU);
  free(ex->samp_E);
  free(ex->samp_f);
  free(ex->scratch);
  free(ex->Zp);
  free(ex->rung_streams);
  free(ex->first);
  exchange_pending_free(ex);
  if (ex->gang != MPI_COMM_NULL) MPI_Comm_free(&ex->gang);
  free(ex);
}

/* What each rung samples. With the factor in double precision, its V:
 * the low-rank form reproduces the differences to the solves' accuracy
 * (~1e-13). Rounded to single precision it moves them by ~3e-8 of
 * |V_l - V_0|, and a rung sampling V_l would see its fields drift from
 * those the swaps' corrections assume (by ~1e-9 within 3000 sweeps at side
 * 6, tests/test_exchange_swap.c). So there every rung l >= 1 samples
 * V_0 + Z diag(c_l) Z^T itself, within CATEX_EXCHANGE_FACTOR_TOL of V_l
 * (the factor's check), and kernel, corrections and cross energies agree
 * to rounding. Costs N^2 doubles and ~N^2 r / 2 multiply-adds per rung. */
static catex_status rung_potentials(catex_exchange *ex, const double *const *V, catex_error *err)
{
  const int nr = ex->nr;
  const size_t nn = (size_t)ex->n * (size_t)ex->n;
  ex->V = malloc(sizeof *ex->V * (size_t)nr);
  if (!ex->V) return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory");
  for (int k = 0; k < nr; k++) ex->V[k] = V[k];
  if (!ex->f.Zs) return CATEX_OK;
  ex->Vown = calloc((size_t)nr, sizeof *ex->Vown);
  if (!ex->Vown) return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory");
  for (int k = 1; k < nr; k++) {
    if (!(ex->Vown[k] = malloc(sizeof(double) * nn)))
      return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory for the potentials of %d rungs (%.1f MB each)",
                             nr - 1, 8e-6 * (double)nn);
    exchange_factor_potential(&ex->f, k, V[0], ex->Vown[k]);
    ex->V[k] = ex->Vown[k];
  }
  return CATEX_OK;
}

static catex_status validate(const catex_lattice *lat, int nr, const double *kshell, const double *const *V,
                             const catex_exchange_params *p, catex_error *err)
{
  if (!lat || !kshell || !V || !p) return catex_error_set(err, CATEX_ERR_ARG, "exchange: NULL argument");
  if (nr < 2) return catex_error_set(err, CATEX_ERR_ARG, "exchange: a ladder needs >= 2 rungs, got %d", nr);
  for (int k = 0; k < nr; k++) {
    if (!isfinite(kshell[k]) || !(kshell[k] > 0))
      return catex_error_set(err, CATEX_ERR_ARG, "exchange: K_shell %g of rung %d must be finite and > 0", kshell[k], k);
    if (k > 0 && !(kshell[k] > kshell[k - 1]))
      return catex_error_set(err, CATEX_ERR_ARG, "exchange: K_shell must ascend along the ladder (rung %d: %g after %g)",
                             k, kshell[k], kshell[k - 1]);
    if (!V[k]) return catex_error_set(err, CATEX_ERR_ARG, "exchange: rung %d has no pair potential", k);
  }
  if (!(p->eq.energy.eps != 0) || !isfinite(p->eq.energy.eps))
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: eps = %g: without elastic energy every rung is the same",
                           p->eq.energy.eps);
  if (catex_lattice_get_spec(lat)->shell_layers < 1)
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: without a shell, K_shell changes nothing");
  if (p->eq.area_deviation)
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: area deviations are not available in exchange studies");
  if (p->exchange_every < 1)
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: exchange_every = %ld must be >= 1", p->exchange_every);
  if (p->hist_bins < 1) return catex_error_set(err, CATEX_ERR_ARG, "exchange: hist_bins = %d must be >= 1", p->hist_bins);
  if (p->sample_stride < 0 || p->permutation_stride < 0)
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: sample_stride and permutation_stride must be >= 0");
  if (p->swap_sign != 1 && p->swap_sign != -1)
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: swap_sign must be +1 or -1");
  if (!(p->pending_bound >= 0) || !isfinite(p->pending_bound))
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: pending_bound = %g must be finite and >= 0", p->pending_bound);
  return CATEX_OK;
}

catex_status catex_exchange_create(const catex_lattice *lat, int nr, const double *kshell, const double *const *V,
                                   const catex_exchange_params *p, catex_exchange **out, catex_error *err)
{
  if (!out) return catex_error_set(err, CATEX_ERR_ARG, "exchange: NULL output pointer");
  *out = NULL;
  catex_status st = validate(lat, nr, kshell, V, p, err);
  if (st) return st;
  catex_exchange *ex = calloc(1, sizeof *ex);
  if (!ex) return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory");
  ex->lat = lat;
  ex->gang = MPI_COMM_NULL;
  ex->gang_size = 1;
  ex->lo = 0;
  ex->hi = nr;
  ex->p = *p;
  ex->p.eq.keep_series = 0;
  ex->nr = nr;
  ex->n = catex_lattice_num_sites(lat);
  ex->beta = 1.0 / p->eq.kT;
  ex->eps = p->eq.energy.eps;
  ex->kshell = malloc(sizeof(double) * (size_t)nr);
  ex->rung = calloc((size_t)nr, sizeof *ex->rung);
  ex->rng = calloc((size_t)nr, sizeof *ex->rng);
  if (!ex->kshell || !ex->rung || !ex->rng) {
    catex_exchange_destroy(ex);
    return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory");
  }
  memcpy(ex->kshell, kshell, sizeof(double) * (size_t)nr);
  st = exchange_factor_build(lat, nr, V, &ex->f, err);
  if (!st) st = rung_potentials(ex, V, err);
  /* with Z rounded, rungs 1.. sweep rung 0's core block (exchange_pending.c),
   * each dropping its own as soon as it is made */
  for (int k = 0; k < nr && !st; k++) {
    st = catex_equilibrium_create(lat, ex->V[k], NULL, &ex->p.eq, &ex->rung[k], err);
    if (!st && k > 0 && ex->f.Zs) st = catex_equilibrium_borrow_core_block(ex->rung[k], ex->rung[0], err);
  }
  if (st) {
    catex_exchange_destroy(ex);
    return st;
  }
  ex->ncore = catex_equilibrium_num_core(ex->rung[0]);
  ex->core = catex_equilibrium_core_sites(ex->rung[0]);
  const int r = ex->f.r, nc = ex->ncore;
  const long measure = p->eq.measure;
  ex->nmeas_max = measure / p->eq.stride;
  ex->nsamp_max = p->sample_stride > 0 ? measure / p->sample_stride : 0;
  ex->nperm_max = p->permutation_stride > 0 ? measure / p->permutation_stride : 0;
  ex->perm = malloc(sizeof(int) * (size_t)nr);
  ex->z = calloc((size_t)nr * r, sizeof(double));
  ex->zsigma = malloc((size_t)nr * nc);
  ex->last_end = malloc(sizeof(int) * (size_t)nr);
  ex->trips = calloc((size_t)nr, sizeof(long long));
  ex->swap_att = calloc((size_t)nr, sizeof(long long));
  ex->swap_acc = calloc((size_t)nr, sizeof(long long));
  ex->series = malloc(sizeof *ex->series * (size_t)nr * XS_NUM);
  ex->hist = malloc(sizeof *ex->hist * (size_t)nr * (size_t)p->hist_bins);
  ex->perm_store = malloc(sizeof(int) * (size_t)nr * (size_t)(ex->nperm_max ? ex->nperm_max : 1));
  const size_t ns = (size_t)(ex->nsamp_max ? ex->nsamp_max : 1);
  ex->samp_fU = malloc(sizeof(double) * ns * nr);
  ex->samp_E = malloc(sizeof(double) * ns * nr * nr);
  ex->samp_f = malloc(sizeof(double) * ns * nr * CATEX_NUM_PHASES);
  const size_t ncpad = (size_t)exchange_panels(nc) * EXCHANGE_PANEL;
  ex->scratch = malloc(sizeof(double) * 2 * ncpad);
  ex->Zp = calloc((size_t)r * ncpad, sizeof(double)); /* the padding sites stay 0 */
  ex->rung_streams = malloc(sizeof(long) * (size_t)nr);
  if (!ex->perm || !ex->z || !ex->zsigma || !ex->last_end || !ex->trips || !ex->swap_att || !ex->swap_acc ||
      !ex->series || !ex->hist || !ex->perm_store || !ex->samp_fU || !ex->samp_E || !ex->samp_f || !ex->scratch || !ex->Zp || !ex->rung_streams) {
    catex_exchange_destroy(ex);
    return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory for %d rungs of %ld samples", nr,
                           ex->nsamp_max);
  }
  if ((st = exchange_pending_setup(ex, err))) {
    catex_exchange_destroy(ex);
    return st;
  }
  for (int a = 0; a < nc; a++) {
    double *panel = ex->Zp + (size_t)(a / EXCHANGE_PANEL) * r * EXCHANGE_PANEL + a % EXCHANGE_PANEL;
    for (int j = 0; j < r; j++) panel[(size_t)j * EXCHANGE_PANEL] = ex->f.Z[(size_t)ex->core[a] * r + j];
  }
  *out = ex;
  return CATEX_OK;
}

void exchange_recompute_projections(catex_exchange *ex)
{
  const int r = ex->f.r, n = ex->n;
  for (int k = ex->lo; k < ex->hi; k++) {
    const int cfg = ex->perm[k];
    const signed char *s = catex_equilibrium_sigma(ex->rung[k]);
    double *z = ex->z + (size_t)cfg * r;
    memset(z, 0, sizeof(double) * (size_t)r);
    for (int i = 0; i < n; i++) {
      const double *zi = ex->f.Z + (size_t)i * r;
      const double si = s[i];
      for (int j = 0; j < r; j++) z[j] += si * zi[j];
    }
    signed char *zs = ex->zsigma + (size_t)cfg * ex->ncore;
    for (int a = 0; a < ex->ncore; a++) zs[a] = s[ex->core[a]];
  }
}

/* Blocks of core spins compared at once: a sweep changes ~1 % of them, so
 * most blocks are equal and memcmp skips them at vector speed. */
enum { SYNC_BLOCK = 64 };

void exchange_sync_projection(catex_exchange *ex, int k)
{
  const int r = ex->f.r, cfg = ex->perm[k], nc = ex->ncore;
  const signed char *s = catex_equilibrium_core_spins(ex->rung[k]);
  signed char *zs = ex->zsigma + (size_t)cfg * nc;
  double *z = ex->z + (size_t)cfg * r;
  const double *Z = ex->f.Z;
  const float *Zs = ex->f.Zs; /* the same numbers in half the bytes, where kept */
  for (int a0 = 0; a0 < nc; a0 += SYNC_BLOCK) {
    const int a1 = a0 + SYNC_BLOCK < nc ? a0 + SYNC_BLOCK : nc;
    if (!memcmp(s + a0, zs + a0, (size_t)(a1 - a0))) continue;
    for (int a = a0; a < a1; a++) {
      const signed char now = s[a];
      if (now == zs[a]) continue;
      const double d = 2.0 * now; /* s_new - s_old */
      const size_t row = (size_t)ex->core[a] * r;
      if (Zs)
        for (int j = 0; j < r; j++) z[j] += d * Zs[row + j];
      else
        for (int j = 0; j < r; j++) z[j] += d * Z[row + j];
      zs[a] = now;
    }
  }
}

double exchange_quadratic_difference(const catex_exchange *ex, int cfg, int k, int l)
{
  const int r = ex->f.r;
  const double *z = ex->z + (size_t)cfg * r, *ck = ex->f.c + (size_t)k * r, *cl = ex->f.c + (size_t)l * r;
  double s = 0;
  for (int j = 0; j < r; j++) s += z[j] * z[j] * (cl[j] - ck[j]);
  return s;
}

double catex_exchange_cross_energy(catex_exchange *ex, int k, int l)
{
  exchange_sync_projection(ex, k);
  return catex_equilibrium_energy(ex->rung[k]) + 0.5 * ex->eps * exchange_quadratic_difference(ex, ex->perm[k], k, l);
}

const catex_equilibrium *catex_exchange_rung(const catex_exchange *ex, int k) { return ex->rung[k]; }
const double *catex_exchange_rung_potential(const catex_exchange *ex, int k) { return ex->V[k]; }
int catex_exchange_configuration_at(const catex_exchange *ex, int k) { return ex->perm[k]; }
long catex_exchange_sweeps_done(const catex_exchange *ex) { return ex->t; }

void catex_exchange_factor_info(const catex_exchange *ex, int *rank, double *residual, int *single)
{
  if (rank) *rank = ex->f.r;
  if (residual) *residual = ex->f.residual;
  if (single) *single = ex->f.Zs != NULL;
}

static int attempt(catex_exchange *ex, int k, double u, catex_error *err, catex_status *st)
{
  const int l = k + 1;
  exchange_sync_projection(ex, k);
  exchange_sync_projection(ex, l);
  const int a = ex->perm[k], b = ex->perm[l];
  /* E_k(s_l) + E_l(s_k) - E_k(s_k) - E_l(s_l) = [E_l - E_k](s_k) - [E_l - E_k](s_l) */
  const double delta = 0.5 * ex->eps * (exchange_quadratic_difference(ex, a, k, l) - exchange_quadratic_difference(ex, b, k, l));
  if (!exchange_accept(ex, delta, u)) return 0;
  if ((*st = catex_equilibrium_swap_configurations(ex->rung[k], ex->rung[l], err))) return 0;
  ex->perm[k] = b;
  ex->perm[l] = a;
  exchange_move_potentials(ex, k, l);
  return 1;
}

int exchange_accept(const catex_exchange *ex, double delta, double u)
{
  const double x = ex->beta * ex->p.swap_sign * delta;
  return x <= 0 || u < exp(-x);
}

int catex_exchange_try_swap(catex_exchange *ex, int k, double u, catex_error *err)
{
  catex_status st = CATEX_OK;
  if (!ex->started || k < 0 || k + 1 >= ex->nr || ex->gang_size > 1) return 0;
  int acc = attempt(ex, k, u, err, &st);
  return st ? 0 : acc;
}

int exchange_measuring(const catex_exchange *ex) { return ex->t > ex->p.eq.equilibrate; }

void exchange_track_ends(catex_exchange *ex)
{
  const int top = ex->nr - 1;
  const int c0 = ex->perm[0], ct = ex->perm[top];
  if (ex->last_end[c0] == 1) ex->trips[c0]++;
  ex->last_end[c0] = 0;
  if (ex->last_end[ct] == 0) ex->last_end[ct] = 1;
}

static catex_status swap_round(catex_exchange *ex, catex_error *err)
{
  catex_status st = CATEX_OK;
  for (int k = (int)(ex->round % 2); k + 1 < ex->nr; k += 2) {
    const double u = catex_rng_uniform(ex->swap_rng);
    const int acc = attempt(ex, k, u, err, &st);
    if (st) return st;
    if (exchange_measuring(ex)) {
      ex->swap_att[k]++;
      ex->swap_acc[k] += acc;
    }
  }
  ex->round++;
  if (exchange_measuring(ex)) exchange_track_ends(ex);
  return CATEX_OK;
}

void exchange_measure(catex_exchange *ex, int k, const double *f, double fU, double E)
{
  catex_blocking_stream *s = ex->series + (size_t)k * XS_NUM;
  for (int a = 0; a < CATEX_NUM_PHASES; a++) catex_blocking_stream_add(&s[XS_F0 + a], f[a]);
  catex_blocking_stream_add(&s[XS_FU], fU);
  catex_blocking_stream_add(&s[XS_E], E);
  /* bin b = [b/nb, (b+1)/nb), the last bin closed at 1 */
  const int nb = ex->p.hist_bins;
  int b = (int)floor(fU * nb);
  if (b >= nb) b = nb - 1;
  if (b < 0) b = 0;
  ex->hist[(size_t)k * nb + b]++;
}

void exchange_begin_series(catex_exchange *ex)
{
  for (size_t i = 0; i < (size_t)ex->nr * XS_NUM; i++) catex_blocking_stream_init(&ex->series[i], ex->nmeas_max);
  memset(ex->hist, 0, sizeof *ex->hist * (size_t)ex->nr * (size_t)ex->p.hist_bins);
}

static void record(catex_exchange *ex)
{
  const long m = ex->t - ex->p.eq.equilibrate;
  const int nr = ex->nr;
  if (m % ex->p.eq.stride == 0 && ex->nmeas < ex->nmeas_max) {
    for (int k = ex->lo; k < ex->hi; k++) {
      double f[CATEX_NUM_PHASES];
      catex_equilibrium_phase_fractions(ex->rung[k], f);
      exchange_measure(ex, k, f, f[CATEX_PHASE_U1] + f[CATEX_PHASE_U2], catex_equilibrium_energy(ex->rung[k]));
    }
    ex->nmeas++;
  }
  if (ex->p.sample_stride > 0 && m % ex->p.sample_stride == 0 && ex->nsamp < ex->nsamp_max) {
    const size_t s = (size_t)ex->nsamp;
    for (int k = ex->lo; k < ex->hi; k++) {
      double f[CATEX_NUM_PHASES];
      catex_equilibrium_phase_fractions(ex->rung[k], f);
      ex->samp_fU[s * nr + k] = f[CATEX_PHASE_U1] + f[CATEX_PHASE_U2];
      memcpy(ex->samp_f + (s * nr + k) * CATEX_NUM_PHASES, f, sizeof f);
      for (int l = 0; l < nr; l++) ex->samp_E[(s * nr + k) * nr + l] = catex_exchange_cross_energy(ex, k, l);
      /* exact at l = k: the engine's own energy, not a sum with a zero difference */
      ex->samp_E[(s * nr + k) * nr + k] = catex_equilibrium_energy(ex->rung[k]);
    }
    ex->nsamp++;
  }
  if (ex->p.permutation_stride > 0 && m % ex->p.permutation_stride == 0 && ex->nperm < ex->nperm_max) {
    memcpy(ex->perm_store + (size_t)ex->nperm * nr, ex->perm, sizeof(int) * (size_t)nr);
    ex->nperm++;
  }
}

static void begin_measurement(catex_exchange *ex)
{
  exchange_begin_series(ex);
  for (int k = 0; k < ex->nr; k++) {
    catex_equilibrium_reset_counts(ex->rung[k]);
    ex->last_end[k] = -1;
    ex->trips[k] = 0;
    ex->swap_att[k] = ex->swap_acc[k] = 0;
  }
}

catex_status catex_exchange_start(catex_exchange *ex, long seed, const long *rung_streams, long swap_stream,
                                  catex_error *err)
{
  if (!ex || !rung_streams) return catex_error_set(err, CATEX_ERR_ARG, "exchange: NULL argument");
  if (ex->started) return catex_error_set(err, CATEX_ERR_STATE, "exchange: ladder already started");
  ex->seed = seed;
  ex->swap_stream = swap_stream;
  memcpy(ex->rung_streams, rung_streams, sizeof(long) * (size_t)ex->nr);
  catex_status st = catex_rng_create(seed, swap_stream, &ex->swap_rng, err);
  for (int k = 0; k < ex->nr && !st; k++) st = catex_rng_create(seed, rung_streams[k], &ex->rng[k], err);
  for (int k = 0; k < ex->nr && !st; k++) {
    st = catex_equilibrium_init(ex->rung[k], ex->rng[k], err);
    ex->perm[k] = k;
  }
  if (st) return st;
  exchange_recompute_projections(ex);
  ex->t = ex->round = 0;
  ex->nmeas = ex->nsamp = ex->nperm = 0;
  begin_measurement(ex);
  ex->started = 1;
  if (ex->p.eq.equilibrate == 0) {
    begin_measurement(ex);
    exchange_track_ends(ex);
  }
  return CATEX_OK;
}

catex_status catex_exchange_advance(catex_exchange *ex, long nsweeps, int *done, catex_error *err)
{
  if (!ex || !ex->started) return catex_error_set(err, CATEX_ERR_STATE, "exchange: advance before start");
  const long total = ex->p.eq.equilibrate + ex->p.eq.measure;
  catex_status st = CATEX_OK;
  const int spread = ex->gang_size > 1;
  int failed = 0; /* spread: a member whose sweeps failed still joins the next swap round (all stop there) */
  for (long s = 0; s < nsweeps && ex->t < total; s++) {
    for (int k = ex->lo; k < ex->hi && !failed; k++) {
      /* without a single-precision factor nothing is deferred (move_one) */
      catex_equilibrium_pending pd = {0};
      if (ex->f.Zs) exchange_pending_for(ex, k, &pd);
      if ((st = catex_equilibrium_sweeps_pending(ex->rung[k], ex->rng[k], 1, ex->f.Zs ? &pd : NULL, err))) failed = 1;
      ex->exact += pd.exact;
      if (!failed && ex->f.Zs) exchange_pending_settle(ex, k);
    }
    if (failed && !spread) break;
    ex->t++;
    if (!failed && ex->t % PROJECTION_REFRESH == 0) exchange_recompute_projections(ex);
    const int round = ex->t % ex->p.exchange_every == 0;
    if (round) {
      catex_status rst = spread ? exchange_gang_swap_round(ex, failed, err) : swap_round(ex, err);
      if (!st) st = rst;
    }
    if (st && (!spread || round)) break; /* spread: every member stops at the same round */
    if (ex->t == ex->p.eq.equilibrate) {
      /* the measurement starts here: its counters, and the rung each configuration is at */
      begin_measurement(ex);
      exchange_track_ends(ex);
    }
    if (exchange_measuring(ex)) record(ex);
  }
  if (spread) st = exchange_gang_agree(ex, st, err);
  if (done) *done = ex->t >= total;
  return st;
}

catex_status catex_exchange_run(catex_exchange *ex, long seed, const long *rung_streams, long swap_stream,
                                catex_exchange_result *res, catex_error *err)
{
  int done = 0;
  catex_status st = catex_exchange_start(ex, seed, rung_streams, swap_stream, err);
  while (!st && !done) st = catex_exchange_advance(ex, 1L << 30, &done, err);
  if (!st) st = catex_exchange_finish(ex, res, err);
  return st;
}
