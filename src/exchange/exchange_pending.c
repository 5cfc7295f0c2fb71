/* The field correction of a swapped configuration, mostly deferred.
 *
 * After an accepted swap, the configuration now at rung q (it came from
 * rung o) has the fields V_o s; it needs V_q s = V_o s + Z dw with
 * dw = diag(c_q - c_o) z. Adding Z dw at every core site costs N_core r
 * multiply-adds (2.3e5 at side 24, r = 139) per configuration, ~16 us from
 * L3, a third of a sweep: at exchange_every 1 it was most of the
 * exchange's overhead. But a Kawasaki attempt only needs the difference of
 * the fields at its two sites, and at kT 0.2 nearly every attempt is
 * rejected by a wide margin. So:
 *  - nothing is added to the fields at once: the correction goes into the
 *    configuration's pending coefficients wt, whose effect the sweeps
 *    bound (catex_equilibrium_pending). What an attempt needs is
 *    t_a - t_b = (Z_a - m) wt - (Z_b - m) wt for any fixed row m (the
 *    mean row), and |(Z_a - m) wt| <= spread = sum over the few head
 *    columns j of delta_j |wt_j| + rho |wt_rest| (the largest |Z_aj - m_j|
 *    over the core for a head column, Cauchy-Schwarz over the rest, rho
 *    the largest norm of a core site's row minus m there). The head
 *    columns are those where dw is largest. At side 24 the first holds
 *    ~99 % of |dw|^2 and varies little over the core (within 1.1e-3 of its
 *    mean 1.8e-3, against rho = 0.021 for the rest): inside the
 *    Cauchy-Schwarz sum it would make the bound useless, on its own it
 *    costs the bound little. (Adding the head columns to the fields at
 *    every swap instead cost 4 N_core multiply-adds per configuration,
 *    ~3 % of a sweep at exchange_every 1, a fifth of the exchange's
 *    overhead.) Only an attempt the bound cannot reject, and every
 *    accepted one, pays for t at its two sites (2 r);
 *  - once the largest bound, beta |eps| 4 spread, exceeds pending_bound,
 *    wt is added to the fields in full (a flush, N_core r) and restarts
 *    from 0. One swap's wt gives ~0.06 at side 24, and the swaps of a
 *    configuration walking back and forth largely cancel, so flushes are
 *    rare (none in `catex bench exchange`);
 *  - where Z is kept in double precision (exchange_factor.c) every
 *    correction is added at once: the kernel reads the single-precision
 *    rows only, since a second kind of row in it cost what the half-size
 *    rows save (README, "Cost of the exchange"). Before the rungs shared
 *    a block, corrections were also added at once at exchange_every > 4,
 *    where a flush was cheaper than the exact dE a pending part costs;
 *    now rungs 1.. sweep with pending parts anyway, and deferring at
 *    exchange_every 10 took the overhead from 0.126 to 0.024.
 * Where Z is rounded, rungs 1.. sweep rung 0's core block (borrowed_block_
 * setup below): their own low-rank part of every accepted move goes into
 * wt as well, so wt also grows between swaps, and a sweep that leaves its
 * bound above pending_bound is flushed after it (exchange_pending_settle).
 * The decisions are those of the exact fields. The stored fields plus
 * Z wt differ from eagerly corrected ones only by rounding, and
 * deterministically: wt
 * travels with its configuration (swaps, trades between ranks,
 * checkpoints), so a ladder stays bitwise the same whatever its ranks and
 * interruptions. pending_bound = 0 adds every correction at once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_internal.h"

/* Head columns, bounded one by one: one would do at the sides measured
 * (the nearly uniform mode); a few more cost nothing per swap and tighten
 * the bound where dw is not dominated by a single column. */
enum { EXCHANGE_HEAD = 4 };

void exchange_pending_free(catex_exchange *ex)
{
  free(ex->site_spread);
  free(ex->pair_bound);
  free(ex->head);
  free(ex->rest);
  free(ex->head_dev);
  free(ex->wt);
}

/* The bound the kernel is handed for coefficients w: |(Z_a - m) w| <= it
 * at every core site a (m the mean row). A seminorm of w, so the bounds of
 * parts add up to a bound of their sum. */
static double spread_of(const catex_exchange *ex, const double *w)
{
  double q = 0, heads = 0;
  for (int j = 0; j < ex->f.r; j++) q += ex->rest[j] * w[j] * w[j]; /* a mask, not a branch: once per sweep and rung */
  for (int h = 0; h < ex->nhead; h++) heads += ex->head_dev[h] * fabs(w[ex->head[h]]);
  return heads + ex->rho_max * sqrt(q);
}

/* Rungs 1.. of a ladder with Z rounded sweep rung 0's core block: their
 * potential V_0 + Z diag(c_k) Z^T differs from it by the low-rank part
 * alone, so an accepted move's rows come from the block every rung shares
 * (4 x 22 MB at side 24 read as one: 42-44 us per sweep and rung instead
 * of 58-60 at exchange_every 1) and the rest of its
 * field change, c_k (Z_a - Z_b), joins the pending coefficients. What the
 * kernel needs for that: per rung and core site the spread of c_k Z_a (a
 * move adds at most twice the sum of its two sites' to the spread), and a
 * bound on the pair term's part q_ab = sum_j c_kj Z_aj Z_bj, which by
 * Cauchy-Schwarz is at most the largest sum_j |c_kj| Z_aj^2 (1.6e-4 to
 * 4.8e-4 for rungs 1-3 at side 24 across 16.82-16.91, adding 0.003-0.01 to the
 * bound on beta dE at kT 0.2; a move's growth of the spread, 2 (s_a + s_b),
 * is 1e-4 to 4e-4 on average there). */
static catex_status borrowed_block_setup(catex_exchange *ex, catex_error *err)
{
  const int r = ex->f.r, nc = ex->ncore, nr = ex->nr;
  ex->site_spread = calloc((size_t)nr * nc, sizeof(double));
  ex->pair_bound = calloc((size_t)nr, sizeof(double));
  double *v = malloc(sizeof(double) * (size_t)r);
  if (!ex->site_spread || !ex->pair_bound || !v) {
    free(v);
    return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory (shared core block)");
  }
  for (int k = 1; k < nr; k++) {
    const double *c = ex->f.c + (size_t)k * r;
    for (int a = 0; a < nc; a++) {
      const float *z = ex->f.Zs + (size_t)ex->core[a] * r;
      double q = 0;
      for (int j = 0; j < r; j++) {
        v[j] = c[j] * z[j];
        q += fabs(c[j]) * ((double)z[j] * z[j]);
      }
      ex->site_spread[(size_t)k * nc + a] = spread_of(ex, v);
      if (q > ex->pair_bound[k]) ex->pair_bound[k] = q;
    }
  }
  free(v);
  return CATEX_OK;
}

catex_status exchange_pending_setup(catex_exchange *ex, catex_error *err)
{
  const int r = ex->f.r, nc = ex->ncore, nr = ex->nr;
  const int m = r < EXCHANGE_HEAD ? r : EXCHANGE_HEAD;
  ex->nhead = m;
  ex->head = malloc(sizeof(int) * (size_t)m);
  ex->rest = malloc(sizeof(double) * (size_t)r);
  ex->head_dev = calloc((size_t)m, sizeof(double));
  ex->wt = calloc((size_t)nr * (size_t)r, sizeof(double));
  double *score = malloc(sizeof(double) * (size_t)r), *mean = calloc((size_t)r, sizeof(double));
  if (!ex->head || !ex->rest || !ex->head_dev || !ex->wt || !score || !mean) {
    free(score);
    free(mean);
    return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory (deferred corrections)");
  }
  /* the size of column j's share of the largest swap's dw at a typical
   * site: |c_top,j - c_0,j| |Z_:,j|^2 (z_j ~ |Z_:,j| for a disordered core,
   * |Z_:,j|_1 for a uniform column, whose |Z_:,j|^2 is then largest too) */
  const double *c0 = ex->f.c, *ct = ex->f.c + (size_t)(nr - 1) * r;
  for (int j = 0; j < r; j++) {
    double q = 0;
    for (int a = 0; a < nc; a++) {
      const double v = ex->f.Z[(size_t)ex->core[a] * r + j];
      q += v * v;
      mean[j] += v;
    }
    score[j] = fabs(ct[j] - c0[j]) * q;
    mean[j] /= nc;
  }
  for (int j = 0; j < r; j++) ex->rest[j] = 1;
  for (int h = 0; h < m; h++) {
    int best = -1;
    for (int j = 0; j < r; j++)
      if (ex->rest[j] != 0 && (best < 0 || score[j] > score[best])) best = j;
    ex->head[h] = best;
    ex->rest[best] = 0;
  }
  ex->rho_max = 0;
  for (int a = 0; a < nc; a++) {
    const double *z = ex->f.Z + (size_t)ex->core[a] * r;
    double q = 0;
    for (int j = 0; j < r; j++)
      q += ex->rest[j] * (z[j] - mean[j]) * (z[j] - mean[j]);
    if (sqrt(q) > ex->rho_max) ex->rho_max = sqrt(q);
    for (int h = 0; h < m; h++) ex->head_dev[h] = fmax(ex->head_dev[h], fabs(z[ex->head[h]] - mean[ex->head[h]]));
  }
  free(score);
  free(mean);
  return ex->f.Zs ? borrowed_block_setup(ex, err) : CATEX_OK;
}

double exchange_pending_spread(const catex_exchange *ex, int cfg) { return spread_of(ex, ex->wt + (size_t)cfg * ex->f.r); }

void exchange_pending_for(const catex_exchange *ex, int k, catex_equilibrium_pending *pd)
{
  const int cfg = ex->perm[k], r = ex->f.r;
  const int borrows = ex->f.Zs && k > 0; /* c_0 = 0: rung 0 owns the block */
  *pd = (catex_equilibrium_pending){.r = r,
                                    .Z = ex->f.Zs,
                                    .w = ex->wt + (size_t)cfg * r,
                                    .spread = exchange_pending_spread(ex, cfg),
                                    .trust = 1.0,
                                    .c = borrows ? ex->f.c + (size_t)k * r : NULL,
                                    .site_spread = borrows ? ex->site_spread + (size_t)k * ex->ncore : NULL,
                                    .pair_bound = borrows ? ex->pair_bound[k] : 0};
}

typedef double exchange_v4 __attribute__((vector_size(4 * sizeof(double))));
enum { PANEL_VECTORS = EXCHANGE_PANEL / 4 };

/* dh[v] = Z w[v] at the core sites for nv = 1 or 2 vectors: the one
 * O(N_core r) step of the ladder (now only at a flush). Z is stored in
 * panels of EXCHANGE_PANEL sites (r rows of EXCHANGE_PANEL contiguous
 * numbers), so that a panel's sums stay in registers over all r terms and
 * Z streams through once for both vectors; row-by-row axpys loaded and
 * stored the sums for every term and were bound by stores. Each sum adds
 * its terms in the order j = 0 .. r-1, one multiply and one add each
 * (-ffp-contract=off, no reassociation), so one vector or two, the AVX2
 * clone picked at run time or the default one, give bitwise the same
 * fields. Written with vectors of 4 because, left to itself, GCC
 * vectorises the r loop instead (with transposes and spills); vector
 * arithmetic is the scalar one, lane by lane. */
static inline __attribute__((always_inline)) void panel_pass(const double *Zp, int r, int npanels,
                                                            const double *const *w, double *const *dh, const int nv)
{
  for (int b = 0; b < npanels; b++) {
    const double *panel = Zp + (size_t)b * r * EXCHANGE_PANEL;
    exchange_v4 s[2][PANEL_VECTORS] = {{{0}}};
    for (int j = 0; j < r; j++)
      for (int v = 0; v < nv; v++) {
        const exchange_v4 a = {w[v][j], w[v][j], w[v][j], w[v][j]};
        for (int t = 0; t < PANEL_VECTORS; t++) {
          exchange_v4 z;
          memcpy(&z, panel + (size_t)j * EXCHANGE_PANEL + 4 * t, sizeof z);
          s[v][t] += a * z;
        }
      }
    for (int v = 0; v < nv; v++) memcpy(dh[v] + (size_t)b * EXCHANGE_PANEL, s[v], sizeof s[v]);
  }
}

__attribute__((target_clones("avx2", "default"))) static void correction_pass1(const double *Zp, int r, int np,
                                                                              const double *const *w,
                                                                              double *const *dh)
{
  panel_pass(Zp, r, np, w, dh, 1);
}

__attribute__((target_clones("avx2", "default"))) static void correction_pass2(const double *Zp, int r, int np,
                                                                              const double *const *w,
                                                                              double *const *dh)
{
  panel_pass(Zp, r, np, w, dh, 2);
}

/* Adds the pending parts of the configurations at the nq rungs q[] (1 or
 * 2, in one pass over Z) to their fields. */
static void flush(catex_exchange *ex, const int *q, int nq)
{
  const int r = ex->f.r, np = exchange_panels(ex->ncore);
  const double *w[2];
  double *dh[2];
  for (int v = 0; v < nq; v++) {
    w[v] = ex->wt + (size_t)ex->perm[q[v]] * r;
    dh[v] = ex->scratch + (size_t)v * np * EXCHANGE_PANEL;
  }
  if (nq == 2) correction_pass2(ex->Zp, r, np, w, dh);
  else correction_pass1(ex->Zp, r, np, w, dh);
  for (int v = 0; v < nq; v++) {
    const int cfg = ex->perm[q[v]];
    catex_equilibrium_adjust(ex->rung[q[v]], dh[v], 0);
    memset(ex->wt + (size_t)cfg * r, 0, sizeof(double) * (size_t)r);
    ex->flushes++;
  }
}

static int over_bound(const catex_exchange *ex, int cfg)
{
  return ex->beta * fabs(ex->eps) * 4.0 * exchange_pending_spread(ex, cfg) > ex->p.pending_bound;
}

/* The configuration now at rung q came from rung o; returns 1 if its
 * pending part must be flushed now. */
static int move_one(catex_exchange *ex, int q, int o)
{
  const int r = ex->f.r, cfg = ex->perm[q];
  const double *cq = ex->f.c + (size_t)q * r, *co = ex->f.c + (size_t)o * r, *z = ex->z + (size_t)cfg * r;
  double *w = ex->wt + (size_t)cfg * r;
  double qsum = 0;
  for (int j = 0; j < r; j++) {
    const double dw = (cq[j] - co[j]) * z[j];
    qsum += dw * z[j];
    w[j] += dw;
  }
  /* E_q(s) - E_o(s) = (eps/2) z^T diag(c_q - c_o) z, exact now */
  catex_equilibrium_adjust(ex->rung[q], NULL, 0.5 * ex->eps * qsum);
  return !ex->f.Zs || over_bound(ex, cfg);
}

void exchange_pending_settle(catex_exchange *ex, int k)
{
  if (over_bound(ex, ex->perm[k])) flush(ex, &k, 1);
}

void exchange_move_potentials(catex_exchange *ex, int k, int l)
{
  int q[2], nq = 0;
  if (exchange_owns(ex, k) && move_one(ex, k, l)) q[nq++] = k;
  if (exchange_owns(ex, l) && move_one(ex, l, k)) q[nq++] = l;
  if (nq) flush(ex, q, nq);
}

void catex_exchange_core_fields(const catex_exchange *ex, int k, double *out)
{
  const int r = ex->f.r, nc = ex->ncore;
  const double *h = catex_equilibrium_core_fields(ex->rung[k]), *w = ex->wt + (size_t)ex->perm[k] * r;
  for (int a = 0; a < nc; a++) {
    const double *z = ex->f.Z + (size_t)ex->core[a] * r;
    double t = 0;
    for (int j = 0; j < r; j++) t += z[j] * w[j];
    out[a] = h[a] + t;
  }
}

double catex_exchange_pending_spread(const catex_exchange *ex, int k) { return exchange_pending_spread(ex, ex->perm[k]); }

int catex_exchange_shared_block_bounds(const catex_exchange *ex, int k, double *pair_bound, const double **site_spread)
{
  const int shared = ex->site_spread && k > 0 && k < ex->nr;
  if (pair_bound) *pair_bound = shared ? ex->pair_bound[k] : 0;
  if (site_spread) *site_spread = shared ? ex->site_spread + (size_t)k * ex->ncore : NULL;
  return shared;
}

void catex_exchange_pending_counts(const catex_exchange *ex, long long *exact, long long *flushes)
{
  if (exact) *exact = ex->exact;
  if (flushes) *flushes = ex->flushes;
}
