/* The Kawasaki move kernel. Cost model (docs/model.md): a rejected attempt is
 * O(1) — dE from the kept fields h (elastic) and m (Ising); an accepted one
 * is O(N_core) — h += delta_a (V[a,:] - V[b,:]) over the core block, which
 * is all the kernel ever reads (V symmetric, so rows are columns).
 *
 * At the paper's low temperatures almost every attempt is rejected (0.4 %
 * accepted at side 24, kT = 0.2), so the rejected path is what costs:
 *  - random numbers come from a xoshiro256** generator whose 256-bit state
 *    is drawn from the task's SPRNG stream at each catex_equilibrium_sweeps
 *    call (~1 ns per number instead of ~5 ns per SPRNG call); results still
 *    depend only on (seed, stream);
 *  - pairs are drawn LOOKAHEAD attempts ahead and their V_ab prefetched:
 *    the core block (N_core^2 doubles, 22 MB at N_core = 1657) lives in L3
 *    or memory, and this load is the one cache miss of an attempt;
 *  - the Metropolis test first compares u against an upper bound of
 *    exp(-x), 1 / (1 + x + x^2/2 + x^3/6), and calls exp() only when that
 *    cannot decide. The outcome is exactly that of u < exp(-x).
 *
 * With pending field parts (catex_equilibrium_pending, replica exchange)
 * the fields h lack t = Z w. The kernel then first tests the interval
 * [dE - d, dE + d] that the bound d = 4 |eps| spread puts around the true
 * dE: a move rejected for every dE in it is rejected without t (at side 24,
 * kT = 0.2, beta d is ~0.06 with one swap pending and stays below the
 * exchange's pending_bound, 0.5, so nearly every rejection is decided this
 * way); otherwise t at the two sites (2 r multiply-adds)
 * gives the exact dE and the usual test (for every accepted move too, so
 * that E gets it).
 *
 * On a borrowed core block (an exchange rung l >= 1 sweeping rung 0's,
 * pd->c set) the block is V_0 and the engine's potential V_0 + Z diag(c)
 * Z^T: the pair term's low-rank part q_ab joins the bound (pair_bound) and
 * the exact dE (from the same two rows of Z), and an accepted move adds
 * V_0's rows to h and its low-rank part to w, widening the bound by what
 * that part can change. All rungs then read one block instead of one each
 * (22 MB each at side 24): a 4-rung side-24 ladder swapping at every
 * sweep took 42-44 us per sweep and rung instead of 58-60 (README, "Cost
 * of the exchange"). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "equilibrium_internal.h"

/* Pairs drawn ahead of use, so that V_ab of a pair is prefetched this many
 * attempts before it is read: 1 -> 46 ns/attempt, 4 -> 35, 8 -> 27,
 * 16 -> 19, 32 and 64 -> 20 at side 24 (kT = 0.2) on the dev machine. */
enum { LOOKAHEAD = 16 };

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next64(uint64_t *s)
{
  const uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return r;
}

/* uniform in [0, 1) with 53 random bits */
static inline double uniform01(uint64_t *s) { return (double)(next64(s) >> 11) * 0x1.0p-53; }

/* uniform in [0, n); the 2^-53 granularity is far below any statistical
 * resolution, and a pair-selection bias could not break detailed balance
 * anyway: the reverse swap is proposed by the same pair. */
static inline int uniform_index(uint64_t *s, int n) { return (int)(uniform01(s) * (double)n); }

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void catex_eq_seed_moves(catex_equilibrium *eq, catex_rng *rng)
{
  /* 32 bits per SPRNG draw (all its doubles are sure to carry), two draws
   * per state word, scrambled by splitmix64 so that no word is zero-heavy. */
  for (int k = 0; k < 4; k++) {
    uint64_t hi = (uint64_t)(catex_rng_uniform(rng) * 4294967296.0);
    uint64_t lo = (uint64_t)(catex_rng_uniform(rng) * 4294967296.0);
    uint64_t x = hi << 32 | lo;
    eq->xs[k] = splitmix64(&x);
  }
  if (!(eq->xs[0] | eq->xs[1] | eq->xs[2] | eq->xs[3])) eq->xs[0] = 1; /* the one forbidden state */
}

/* h += d (va - vb): the only O(N) work per accepted move. restrict lets the
 * compiler vectorise it; both rows are contiguous. */
static void update_fields(double *restrict h, const double *restrict va, const double *restrict vb, double d,
                          int n)
{
  for (int k = 0; k < n; k++) h[k] += d * (va[k] - vb[k]);
}

static int ising_neighbours(const int *off, const int *nn, int i, int j)
{
  for (int k = off[i]; k < off[i + 1]; k++)
    if (nn[k] == j) return 1;
  return 0;
}

typedef double eq_v4 __attribute__((vector_size(4 * sizeof(double))));

/* t[0] = Z[ia] . w, t[1] = Z[ib] . w. Each sum runs over j in a fixed
 * order (4 lanes j = 4q + lane, the lanes added (0 + 1) + (2 + 3), then the
 * r % 4 rest), so the AVX2 and the default clone give the same bits. */
__attribute__((target_clones("avx2", "default"))) static void pending_pair(const float *Z, const double *w, int r,
                                                                          int ia, int ib, double t[2])
{
  const float *za = Z + (size_t)ia * r, *zb = Z + (size_t)ib * r;
  eq_v4 sa = {0, 0, 0, 0}, sb = {0, 0, 0, 0};
  int j = 0;
  for (; j + 4 <= r; j += 4) {
    const eq_v4 x = {za[j], za[j + 1], za[j + 2], za[j + 3]}, y = {zb[j], zb[j + 1], zb[j + 2], zb[j + 3]};
    eq_v4 v;
    memcpy(&v, w + j, sizeof v);
    sa += x * v;
    sb += y * v;
  }
  double a = (sa[0] + sa[1]) + (sa[2] + sa[3]), b = (sb[0] + sb[1]) + (sb[2] + sb[3]);
  for (; j < r; j++) {
    a += za[j] * w[j];
    b += zb[j] * w[j];
  }
  t[0] = a;
  t[1] = b;
}

/* q = sum_j c_j (Z[ia][j] Z[ib][j]): the pair term's low-rank part for an
 * engine on a borrowed block. The products commute (each exact in double)
 * and are summed in a fixed order, so q is the same for (ia, ib) and
 * (ib, ia). */
__attribute__((target_clones("avx2", "default"))) static double pending_pair_term(const float *Z, const double *c,
                                                                                 int r, int ia, int ib)
{
  const float *za = Z + (size_t)ia * r, *zb = Z + (size_t)ib * r;
  eq_v4 s = {0, 0, 0, 0};
  int j = 0;
  for (; j + 4 <= r; j += 4) {
    const eq_v4 p = {(double)za[j] * zb[j], (double)za[j + 1] * zb[j + 1], (double)za[j + 2] * zb[j + 2],
                     (double)za[j + 3] * zb[j + 3]};
    eq_v4 v;
    memcpy(&v, c + j, sizeof v);
    s += v * p;
  }
  double q = (s[0] + s[1]) + (s[2] + s[3]);
  for (; j < r; j++) q += c[j] * ((double)za[j] * zb[j]);
  return q;
}

/* w += da c (Z[ia] - Z[ib]): the low-rank part of an accepted move's field
 * change on a borrowed block, deferred like the rest of w. */
static void pending_move(const float *Z, const double *c, int r, int ia, int ib, double da, double *restrict w)
{
  const float *za = Z + (size_t)ia * r, *zb = Z + (size_t)ib * r;
  for (int j = 0; j < r; j++) w[j] += da * (c[j] * ((double)za[j] - (double)zb[j]));
}

/* u * (1 + x + x^2/2 + x^3/6) >= 1 (+ a few ulp): then u >= exp(-x), since
 * exp(x) >= that polynomial for x >= 0; the margin covers the rounding of
 * p and u*p, without it a u one ulp below exp(-x) could be rejected for
 * small x, where exp(x) - p ~ x^4/24 is below one ulp */
static inline int surely_rejected(double u, double x)
{
  return u * (1.0 + x * (1.0 + x * (0.5 + x * (1.0 / 6.0)))) >= 1.0 + 4 * DBL_EPSILON;
}

/* Always inlined into the two instances below, so that without pending
 * parts (pd == NULL, a constant there) the loop is the plain kernel. */
static inline __attribute__((always_inline)) void sweep_body(catex_equilibrium *eq, catex_equilibrium_pending *pd)
{
  const int nc = eq->ncore;
  const int *core = eq->core;
  signed char *sc = eq->sc, *sigma = eq->sigma;
  double *h = eq->h;
  const double *Vcc = eq->Vcc, *Vd = eq->Vdiag;
  int *m = eq->m;
  const int *nn_off = catex_lattice_nn_offsets(eq->lat), *nn = catex_lattice_nn_neighbors(eq->lat);
  const double eps = eq->p.energy.eps, J = eq->p.energy.J, beta = eq->beta;
  const int dn = eq->dim * eq->n;
  uint64_t s[4] = {eq->xs[0], eq->xs[1], eq->xs[2], eq->xs[3]};
  double E = eq->E;
  long accepted = 0, exact = 0;
  /* |eps da (t_a - t_b)| <= 2 |eps| 2 spread for every pair, |da| = 2, and
   * on a borrowed block |4 eps q_ab| <= 4 |eps| pair_bound */
  const double *cq = pd ? pd->c : NULL;
  double spread = pd ? pd->spread : 0;
  const double pair_bound = cq ? pd->pair_bound : 0;
  double bound = pd ? 4.0 * fabs(eps) * (spread + pair_bound) * pd->trust : 0;

  /* ring of the next LOOKAHEAD pairs, their V_ab already prefetched */
  int pa[LOOKAHEAD], pb[LOOKAHEAD];
  for (int k = 0; k < LOOKAHEAD; k++) {
    pa[k] = uniform_index(s, nc);
    pb[k] = uniform_index(s, nc - 1);
    pb[k] += pb[k] >= pa[k]; /* uniform over the other nc - 1 sites */
    if (Vcc) __builtin_prefetch(Vcc + (size_t)pa[k] * nc + pb[k]);
  }
  for (int t = 0; t < nc; t++) {
    const int slot = t % LOOKAHEAD, ca = pa[slot], cb = pb[slot];
    pa[slot] = uniform_index(s, nc);
    pb[slot] = uniform_index(s, nc - 1);
    pb[slot] += pb[slot] >= pa[slot];
    if (Vcc) __builtin_prefetch(Vcc + (size_t)pa[slot] * nc + pb[slot]);

    const int sa = sc[ca];
    if (sa == sc[cb]) continue; /* like pair: a counted attempt that changes nothing */
    const double da = -2.0 * sa; /* delta_a; delta_b = -delta_a */
    const int ia = core[ca], ib = core[cb];
    double dEi = 0;
    if (m) {
      /* -J (delta_a (m_a - s_b) + delta_b (m_b - s_a)), the s corrections only for
       * Ising neighbours; with s_b = -s_a this is -J delta_a (m_a - m_b + 2 s_a adj) */
      const int adj = ising_neighbours(nn_off, nn, ia, ib);
      dEi = -J * da * (double)(m[ia] - m[ib] + 2 * sa * adj);
    }
    double dE = dEi;
    if (h) dE += eps * (da * (h[ca] - h[cb]) + 2.0 * (Vd[ca] + Vd[cb]) - 4.0 * Vcc[(size_t)ca * nc + cb]);
    double u = -1; /* < 0: not drawn yet */
    if (pd) {
      /* the bound, widened by far more than the rounding of what it bounds */
      const double d = bound + 1e-12 * (fabs(dE) + 1.0);
      if (dE - d > 0) {
        u = uniform01(s); /* the exact dE > 0 as well: drawn exactly when the plain kernel draws it */
        const double xlo = beta * (dE - d);
        if (surely_rejected(u, xlo) || u >= exp(-xlo)) continue;
      }
      double tp[2];
      pending_pair(pd->Z, pd->w, pd->r, ia, ib, tp);
      const double vab = Vcc[(size_t)ca * nc + cb] + (cq ? pending_pair_term(pd->Z, cq, pd->r, ia, ib) : 0.0);
      exact++;
      dE = dEi + eps * (da * ((h[ca] + tp[0]) - (h[cb] + tp[1])) + 2.0 * (Vd[ca] + Vd[cb]) - 4.0 * vab);
    }
    if (dE > 0) {
      const double x = beta * dE;
      if (u < 0) u = uniform01(s);
      if (surely_rejected(u, x) || u >= exp(-x)) continue;
    }

    sc[ca] = (signed char)-sa;
    sc[cb] = (signed char)sa;
    sigma[ia] = (signed char)-sa;
    sigma[ib] = (signed char)sa;
    E += dE;
    accepted++;
    if (h) update_fields(h, Vcc + (size_t)ca * nc, Vcc + (size_t)cb * nc, da, nc);
    if (cq) {
      pending_move(pd->Z, cq, pd->r, ia, ib, da, pd->w);
      spread += 2.0 * (pd->site_spread[ca] + pd->site_spread[cb]);
      bound = 4.0 * fabs(eps) * (spread + pair_bound) * pd->trust;
    }
    if (m) {
      const int di = -2 * sa;
      for (int k = nn_off[ia]; k < nn_off[ia + 1]; k++) m[nn[k]] += di;
      for (int k = nn_off[ib]; k < nn_off[ib + 1]; k++) m[nn[k]] -= di;
    }
    if (eq->Gc) update_fields(eq->u, eq->Gc + (size_t)ca * dn, eq->Gc + (size_t)cb * dn, da, dn);
  }
  for (int k = 0; k < 4; k++) eq->xs[k] = s[k];
  eq->E = E;
  eq->attempts += nc;
  eq->accepted += accepted;
  if (pd) {
    pd->exact += exact;
    pd->spread = spread;
  }
}

static void sweep_plain(catex_equilibrium *eq) { sweep_body(eq, NULL); }
static void sweep_with_pending(catex_equilibrium *eq, catex_equilibrium_pending *pd) { sweep_body(eq, pd); }

void catex_eq_sweep(catex_equilibrium *eq, catex_equilibrium_pending *pd)
{
  if (pd) sweep_with_pending(eq, pd);
  else sweep_plain(eq);
}
