/* Local rate scheme (eps == 0: non-interacting and Ising models).
 *
 * Without the elastic term every rate depends only on the sigmas and Ising
 * fields m of the (at most two) sites involved, through the per-site factor
 * w_i = exp(-beta J sigma_i m_i) (a table look-up: m takes 2Z+1 values):
 *   exchange at i:  k_ex0 exp(-beta dmu sigma_i / 2) w_i
 *   swap of i, j:   k_diff0 exp(-2 beta J [i, j Ising neighbours]) w_i w_j   (unlike pairs)
 * (docs/model.md's dE with delta_i = -2 sigma_i). As in the dense scheme the
 * signed factor ws_i = sigma_i w_i is kept, so a swap rate is
 * C_b max(0, -ws_i ws_j) without branches.
 *
 * Each site owns its exchange and its bonds to higher-numbered neighbours.
 * An 8-ary sum tree over the per-site totals selects an owner in
 * O(log_8 N) steps of <= 8 children, then its <= 10 channels are scanned.
 * An exchange at k changes ws only at k and (Ising) its NN, so only the
 * owners of their bonds need new totals. That leaf set is gathered at the
 * event from the neighbour lists, made unique by a per-site stamp (4 bytes
 * per site; precomputed lists took 60, per bond 300) and sorted (a dozen
 * nearly sorted entries). Every site has the same number of owned-bond
 * slots (padded with a dummy partner of zero weight), so the per-site sums
 * have a fixed trip count. The tree is repaired level by level over the
 * parents of the dirty leaves, deduplicated on the fly since the list is
 * sorted. The cost per event does not grow with N beyond the log N tree
 * depth; the memory is ~40 bytes per site on top of the lattice. Nodes are
 * always the exact sum of their children and leaves are recomputed from
 * exact table values, so nothing drifts (a refresh reproduces the tree bit
 * for bit). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kmc_internal.h"

#define FAN 8       /* tree fan-out */
#define MAXLEVEL 12 /* 8^12 leaves, far beyond CATEX_MAX_SITES */

struct kmc_local {
  int n, Z, nlevels;
  int len[MAXLEVEL];     /* nodes per level (multiple of FAN except the top, which has 1) */
  double *lvl[MAXLEVEL]; /* level 0: per-site totals; level L: sums of FAN nodes of level L-1 */
  double *ws;            /* sigma_i w_i */
  double Fp, Fm;         /* exchange constants for sigma = +1 / -1 on the boundary */
  const unsigned char *bnd; /* 1 on the boundary: the sites that exchange */
  int F;                 /* owned-bond slots per site */
  int *fwd;              /* n x F: partner j > i of owned bond slots, n (dummy, ws = 0) if unused */
  unsigned char *fwd_k;  /* n x F: their kind: 0 NNN, 1 NN, 2 unused */
  double ck[3];          /* swap constant of each kind (0 for unused) */
  unsigned *stamp;       /* per site: the event that last listed it as dirty */
  unsigned epoch;
  int maxdl;             /* dirty leaves per changed site, at most */
  int ising;
  const int *off, *nbr;
  const int *nn_off, *nn;
  double *wtab;          /* [2][2Z+1]: w for sigma = -1 / +1 and m */
  int *work;             /* scratch: the dirty leaves (2 maxdl), then tree levels (2 maxdl) */
};

#define WTAB(l, s, m) ((l)->wtab[((s) > 0) * (2 * (l)->Z + 1) + (m) + (l)->Z])

void kmc_local_destroy(kmc_local *l)
{
  if (!l) return;
  for (int k = 0; k < MAXLEVEL; k++) free(l->lvl[k]);
  free(l->ws);
  free(l->fwd);
  free(l->fwd_k);
  free(l->stamp);
  free(l->wtab);
  free(l->work);
  free(l);
}

/* Adds the leaves whose totals depend on ws at k: k and its lower bonded
 * neighbours (the owners of its bonds), each once per event. */
static int add_dirty(kmc_local *l, int k, int *out, int m)
{
  if (l->stamp[k] != l->epoch) {
    l->stamp[k] = l->epoch;
    out[m++] = k;
  }
  for (int p = l->off[k]; p < l->off[k + 1]; p++) {
    const int j = l->nbr[p];
    if (j < k && l->stamp[j] != l->epoch) {
      l->stamp[j] = l->epoch;
      out[m++] = j;
    }
  }
  return m;
}

/* Sorted, unique leaves to recompute after ws changed at site a (and b,
 * b < 0 for none) and, with Ising coupling, at their NN. */
static int dirty_leaves(kmc_local *l, int a, int b, int *out)
{
  if (++l->epoch == 0) { /* wrapped after 2^32 events: no stale stamp may match */
    memset(l->stamp, 0, sizeof(unsigned) * (size_t)l->n);
    l->epoch = 1;
  }
  int m = 0;
  for (int e = 0; e < 2; e++) {
    const int k = e ? b : a;
    if (k < 0) continue;
    m = add_dirty(l, k, out, m);
    if (l->ising)
      for (int p = l->nn_off[k]; p < l->nn_off[k + 1]; p++) m = add_dirty(l, l->nn[p], out, m);
  }
  for (int x = 1; x < m; x++) { /* insertion sort: short and nearly sorted */
    const int v = out[x];
    int y = x - 1;
    for (; y >= 0 && out[y] > v; y--) out[y + 1] = out[y];
    out[y + 1] = v;
  }
  return m;
}

catex_status kmc_local_create(catex_kmc *kmc, catex_error *err)
{
  const catex_lattice *lat = kmc->lat;
  const int n = kmc->n, Z = kmc->zmax_nn;
  const double beta = kmc->beta, J = kmc->p.energy.J, dmu = kmc->p.energy.dmu;
  /* largest |exponent| of any rate; beyond ~700 a double over/underflows */
  double range = fmax(beta * fabs(J) * Z + 0.5 * beta * fabs(dmu), 2 * beta * fabs(J) * (Z + 1)) +
                 kmc_prefactor_log_range(kmc);
  /* the total rate sums up to ~10 N channels */
  if (!isfinite(range) || range > 700 - log(10.0 * n + 10))
    return catex_error_set(err, CATEX_ERR_ARG,
                           "rates exp(-beta dE/2) out of double range (|beta dE/2| up to %g; reduce |J|/kT, |dmu|/kT, "
                           "or k_ex0, k_diff0 towards 1)",
                           range);
  kmc_local *l = calloc(1, sizeof *l);
  if (!l) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory (local scheme)");
  kmc->local = l;
  l->n = n;
  l->Z = Z;
  /* levels: 0 holds N leaves padded to FAN, up to a single root */
  int len = n;
  l->nlevels = 0;
  for (;;) {
    const int padded = len == 1 ? 1 : (len + FAN - 1) / FAN * FAN;
    l->len[l->nlevels] = len;
    l->lvl[l->nlevels] = calloc((size_t)padded, sizeof(double));
    if (!l->lvl[l->nlevels++]) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory (local scheme)");
    if (len == 1) break;
    len = (len + FAN - 1) / FAN;
  }
  l->nn_off = catex_lattice_nn_offsets(lat);
  l->nn = catex_lattice_nn_neighbors(lat);
  const int *off = catex_lattice_neighbor_offsets(lat), *nbr = catex_lattice_neighbors(lat);
  const double *pos = catex_lattice_positions(lat);
  const int dim = catex_lattice_dim(lat);
  const int maxdeg = catex_lattice_max_bonds(lat), ising = J != 0;
  const size_t maxdl = (size_t)(Z + 1) * (size_t)(maxdeg + 1);
  l->F = 0;
  for (int i = 0; i < n; i++) {
    int f = 0;
    for (int p = off[i]; p < off[i + 1]; p++) f += nbr[p] > i;
    if (f > l->F) l->F = f;
  }
  const int F = l->F;
  const size_t slots = (size_t)n * (size_t)F;
  l->ws = calloc((size_t)n + 1, sizeof(double)); /* ws[n] = 0: the dummy partner */
  l->fwd = malloc(sizeof(int) * (slots + 1));
  l->fwd_k = malloc(slots + 1);
  l->stamp = calloc((size_t)n, sizeof(unsigned));
  l->wtab = malloc(sizeof(double) * 2 * (2 * (size_t)Z + 1));
  l->work = malloc(sizeof(int) * 4 * maxdl);
  l->maxdl = (int)maxdl;
  if (!l->ws || !l->fwd || !l->fwd_k || !l->stamp || !l->wtab || !l->work)
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory (local scheme, N = %d)", n);
  l->ising = ising;
  l->off = off;
  l->nbr = nbr;
  l->bnd = catex_lattice_boundary(lat);
  l->ck[0] = kmc->p.k_diff0;
  l->ck[1] = kmc->p.k_diff0 * exp(-2 * beta * J);
  l->ck[2] = 0;
  for (int i = 0; i < n; i++) {
    int k = 0;
    for (int p = off[i]; p < off[i + 1]; p++)
      if (nbr[p] > i) {
        /* NN bonds have length 1, NNN ones sqrt 2 (exact position differences) */
        double d2 = 0;
        for (int a = 0; a < dim; a++) {
          const double dx = pos[(size_t)dim * nbr[p] + a] - pos[(size_t)dim * i + a];
          d2 += dx * dx;
        }
        l->fwd[(size_t)i * F + k] = nbr[p];
        l->fwd_k[(size_t)i * F + k] = d2 < 1.5;
        k++;
      }
    for (; k < F; k++) {
      l->fwd[(size_t)i * F + k] = n;
      l->fwd_k[(size_t)i * F + k] = 2;
    }
  }
  const double c = kmc->p.k_ex0 > 0 ? kmc->p.k_ex0 : 0.0;
  l->Fp = c * exp(-0.5 * beta * dmu);
  l->Fm = c * exp(0.5 * beta * dmu);
  for (int s = -1; s <= 1; s += 2)
    for (int m = -Z; m <= Z; m++) WTAB(l, s, m) = exp(-beta * J * s * m);
  return CATEX_OK;
}

/* Branch-free (like / unlike is a coin toss for the branch predictor):
 * (|w| + w) / 2 is w for w > 0 and 0 otherwise, exactly. */
static inline double flip_rate(const kmc_local *l, int i)
{
  const double w = l->ws[i], a = fabs(w), b = l->bnd[i]; /* 0 or 1: exact */
  return 0.5 * (a + w) * (b * l->Fp) + 0.5 * (a - w) * (b * l->Fm);
}

/* Rate of owned-bond slot q (0 for like pairs and unused slots). */
static inline double swap_rate(const kmc_local *l, int i, size_t q)
{
  const double x = l->ws[i] * l->ws[l->fwd[q]];
  return l->ck[l->fwd_k[q]] * (0.5 * (fabs(x) - x));
}

/* Total rate of the channels owned by i; select() repeats this sum. */
static inline double site_total(const kmc_local *l, int i)
{
  double r = flip_rate(l, i);
  const size_t q0 = (size_t)i * l->F;
  for (int k = 0; k < l->F; k++) r += swap_rate(l, i, q0 + k);
  return r;
}

/* Node j of level L (L >= 1) from its children, always in the same order. */
static inline double node_sum(const kmc_local *l, int L, int j)
{
  /* levels are zero-padded to a multiple of FAN */
  const double *c = l->lvl[L - 1] + (size_t)j * FAN;
  return ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
}

static inline void set_ws(const catex_kmc *kmc, kmc_local *l, int i)
{
  const int s = kmc->sigma[i];
  l->ws[i] = s * WTAB(l, s, kmc->m[i]);
}

void kmc_local_refresh(catex_kmc *kmc)
{
  kmc_local *l = kmc->local;
  catex_ising_fields(kmc->lat, kmc->sigma, kmc->m);
  for (int i = 0; i < l->n; i++) set_ws(kmc, l, i);
  for (int i = 0; i < l->n; i++) l->lvl[0][i] = site_total(l, i);
  for (int L = 1; L < l->nlevels; L++)
    for (int j = 0; j < l->len[L]; j++) l->lvl[L][j] = node_sum(l, L, j);
}

double kmc_local_total(const catex_kmc *kmc)
{
  const kmc_local *l = kmc->local;
  return l->lvl[l->nlevels - 1][0];
}

void kmc_local_select(const catex_kmc *kmc, double r, kmc_move *mv)
{
  const kmc_local *l = kmc->local;
  int j = 0;
  /* descend; never into an empty child, whatever the rounding of r. If
   * rounding leaves r at or beyond a node's sum (an ulp-sized mass), the
   * last positive child is taken and r carries the excess into it. */
  for (int L = l->nlevels - 1; L >= 1; L--) {
    const double *c = l->lvl[L - 1] + (size_t)j * FAN;
    int pick = -1;
    for (int q = 0; q < FAN; q++) {
      if (!(c[q] > 0)) continue;
      pick = q;
      if (r < c[q]) break;
      r -= c[q];
    }
    j = j * FAN + (pick >= 0 ? pick : 0);
  }
  const int i = j;
  double cum = flip_rate(l, i);
  mv->type = CATEX_KMC_EVENT_EXCHANGE;
  mv->a = i;
  mv->b = -1;
  if (r < cum && cum > 0) return;
  const size_t q0 = (size_t)i * l->F;
  for (int k = 0; k < l->F; k++) {
    const double rate = swap_rate(l, i, q0 + k);
    cum += rate; /* as in site_total, zeros included */
    if (rate <= 0) continue;
    mv->type = CATEX_KMC_EVENT_SWAP;
    mv->b = l->fwd[q0 + k];
    mv->slot = (int)(q0 + k);
    if (r < cum) return;
  }
  /* r beyond the site's sum by rounding (ulp-sized): the last positive
   * channel of this site stands */
}

void kmc_local_apply(catex_kmc *kmc, const kmc_move *mv)
{
  kmc_local *l = kmc->local;
  const int ising = l->ising;
  int nd;
  int *d = l->work;
  if (mv->type == CATEX_KMC_EVENT_EXCHANGE) {
    const int k = mv->a;
    kmc_flip_site(kmc, k);
    set_ws(kmc, l, k);
    if (ising)
      for (int p = l->nn_off[k]; p < l->nn_off[k + 1]; p++) set_ws(kmc, l, l->nn[p]);
    nd = dirty_leaves(l, k, -1, d);
  } else {
    const int a = mv->a, b = mv->b;
    kmc_flip_site(kmc, a);
    kmc_flip_site(kmc, b);
    set_ws(kmc, l, a);
    set_ws(kmc, l, b);
    if (ising) {
      for (int p = l->nn_off[a]; p < l->nn_off[a + 1]; p++) set_ws(kmc, l, l->nn[p]);
      for (int p = l->nn_off[b]; p < l->nn_off[b + 1]; p++) set_ws(kmc, l, l->nn[p]);
    }
    nd = dirty_leaves(l, a, b, d);
  }
  double *leaf = l->lvl[0];
  int *lv = l->work + 2 * l->maxdl, nl = 0;
  for (int a = 0; a < nd; a++) {
    const int i = d[a];
    leaf[i] = site_total(l, i);
    const int p = i / FAN;
    if (nl == 0 || lv[nl - 1] != p) lv[nl++] = p;
  }
  for (int L = 1; L < l->nlevels; L++) {
    int w = 0;
    double *node = l->lvl[L];
    for (int a = 0; a < nl; a++) {
      const int j = lv[a];
      node[j] = node_sum(l, L, j);
      const int p = j / FAN;
      if (w == 0 || lv[w - 1] != p) lv[w++] = p;
    }
    nl = w;
  }
}

long kmc_local_list(const catex_kmc *kmc, catex_kmc_event *ev, long cap)
{
  const kmc_local *l = kmc->local;
  const unsigned char *bnd = catex_lattice_boundary(kmc->lat);
  long count = 0;
  for (int i = 0; i < l->n; i++) {
    if (bnd[i] && kmc->p.k_ex0 > 0) {
      if (count < cap) ev[count] = (catex_kmc_event){CATEX_KMC_EVENT_EXCHANGE, i, -1, flip_rate(l, i)};
      count++;
    }
    if (!(kmc->p.k_diff0 > 0)) continue;
    for (size_t q = (size_t)i * l->F; q < (size_t)(i + 1) * l->F; q++) {
      const int j = l->fwd[q];
      if (j == l->n || kmc->sigma[i] == kmc->sigma[j]) continue;
      if (count < cap) ev[count] = (catex_kmc_event){CATEX_KMC_EVENT_SWAP, i, j, swap_rate(l, i, q)};
      count++;
    }
  }
  return count;
}
