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
 * owners of their bonds need new totals: that sorted leaf list is
 * precomputed per site (for a swap: the union of its ends' lists, merged at the event). Every
 * site has the same number of owned-bond slots (padded with a dummy
 * partner of zero weight), so the per-site sums have a fixed trip count. The tree is repaired
 * level by level over the parents of the dirty leaves, deduplicated on the
 * fly since the lists are sorted. The cost per event does not grow with N
 * beyond the log N tree depth. Nodes are always the exact sum of their
 * children and leaves are recomputed from exact table values, so nothing
 * drifts (a refresh reproduces the tree bit for bit). */
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
  double *Fp, *Fm;       /* exchange constants for sigma = +1 / -1 (0 off the boundary) */
  int F;                 /* owned-bond slots per site */
  int *fwd;              /* n x F: partner j > i of owned bond slots, n (dummy, ws = 0) if unused */
  double *fwd_c;         /* n x F: their swap constants (0 if unused) */
  int *dl_off, *dl;      /* sorted leaves to recompute after an exchange at i */
  int *db;               /* scratch: the same after a swap of i, j (the union of
                            their lists, merged per event: precomputed per bond
                            they took ~300 bytes per site) */
  const int *nn_off, *nn;
  double *wtab;          /* [2][2Z+1]: w for sigma = -1 / +1 and m */
  int *work;            /* scratch: lists before deduplication, tree levels */
};

#define WTAB(l, s, m) ((l)->wtab[((s) > 0) * (2 * (l)->Z + 1) + (m) + (l)->Z])

void kmc_local_destroy(kmc_local *l)
{
  if (!l) return;
  for (int k = 0; k < MAXLEVEL; k++) free(l->lvl[k]);
  free(l->ws);
  free(l->Fp);
  free(l->Fm);
  free(l->fwd);
  free(l->fwd_c);
  free(l->dl_off);
  free(l->dl);
  free(l->db);
  free(l->wtab);
  free(l->work);
  free(l);
}

static int cmp_int(const void *a, const void *b)
{
  const int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Sorted, unique leaves whose totals depend on ws at k or (Ising) its NN:
 * those sites and their lower bonded neighbours (the owners of their bonds). */
static int dirty_set(const catex_lattice *lat, int ising, int k, int *out)
{
  const int *off = catex_lattice_neighbor_offsets(lat), *nbr = catex_lattice_neighbors(lat);
  const int *nnoff = catex_lattice_nn_offsets(lat), *nn = catex_lattice_nn_neighbors(lat);
  int w[64], nw = 0, m = 0;
  w[nw++] = k;
  if (ising)
    for (int p = nnoff[k]; p < nnoff[k + 1]; p++) w[nw++] = nn[p];
  for (int a = 0; a < nw; a++) {
    out[m++] = w[a];
    for (int p = off[w[a]]; p < off[w[a] + 1]; p++)
      if (nbr[p] < w[a]) out[m++] = nbr[p];
  }
  qsort(out, (size_t)m, sizeof(int), cmp_int);
  int u = 0;
  for (int a = 0; a < m; a++)
    if (u == 0 || out[u - 1] != out[a]) out[u++] = out[a];
  return u;
}

/* Sorted union of the dirty lists of sites a and b. */
static int merge(const kmc_local *l, int a, int b, int *o)
{
  const int *x = l->dl + l->dl_off[a], *y = l->dl + l->dl_off[b];
  const int nx = l->dl_off[a + 1] - l->dl_off[a], ny = l->dl_off[b + 1] - l->dl_off[b];
  int p = 0, q = 0, m = 0;
  while (p < nx && q < ny) {
    const int v = x[p] <= y[q] ? x[p] : y[q];
    p += x[p] == v;
    q += y[q] == v;
    o[m++] = v;
  }
  while (p < nx) o[m++] = x[p++];
  while (q < ny) o[m++] = y[q++];
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
  const int *nb = catex_lattice_neighbor_bonds(lat);
  const catex_bond *bonds = catex_lattice_bonds(lat);
  const unsigned char *bnd = catex_lattice_boundary(lat);
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
  l->Fp = malloc(sizeof(double) * (size_t)n);
  l->Fm = malloc(sizeof(double) * (size_t)n);
  l->fwd = malloc(sizeof(int) * (slots + 1));
  l->fwd_c = calloc(slots + 1, sizeof(double));
  l->dl_off = calloc((size_t)n + 1, sizeof(int));
  l->db = malloc(sizeof(int) * 2 * maxdl);
  l->wtab = malloc(sizeof(double) * 2 * (2 * (size_t)Z + 1));
  l->work = malloc(sizeof(int) * 2 * maxdl);
  if (!l->ws || !l->Fp || !l->Fm || !l->fwd || !l->fwd_c || !l->dl_off || !l->db || !l->wtab ||
      !l->work)
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory (local scheme, N = %d)", n);
  const double cswap[2] = {kmc->p.k_diff0, kmc->p.k_diff0 * exp(-2 * beta * J)};
  for (int i = 0; i < n; i++) {
    int k = 0;
    for (int p = off[i]; p < off[i + 1]; p++)
      if (nbr[p] > i) {
        l->fwd[(size_t)i * F + k] = nbr[p];
        l->fwd_c[(size_t)i * F + k] = cswap[bonds[nb[p]].nearest];
        k++;
      }
    for (; k < F; k++) l->fwd[(size_t)i * F + k] = n;
    const double c = bnd[i] && kmc->p.k_ex0 > 0 ? kmc->p.k_ex0 : 0.0;
    l->Fp[i] = c * exp(-0.5 * beta * dmu);
    l->Fm[i] = c * exp(0.5 * beta * dmu);
  }
  /* dirty-leaf lists */
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    l->dl_off[i] = (int)total;
    total += (size_t)dirty_set(lat, ising, i, l->work);
  }
  l->dl_off[n] = (int)total;
  l->dl = malloc(sizeof(int) * (total + 1));
  if (!l->dl) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory (local scheme, N = %d)", n);
  for (int i = 0; i < n; i++) {
    const int m = dirty_set(lat, ising, i, l->work); /* needs room before deduplication */
    memcpy(l->dl + l->dl_off[i], l->work, sizeof(int) * (size_t)m);
  }
  for (int s = -1; s <= 1; s += 2)
    for (int m = -Z; m <= Z; m++) WTAB(l, s, m) = exp(-beta * J * s * m);
  return CATEX_OK;
}

/* Branch-free (like / unlike is a coin toss for the branch predictor):
 * (|w| + w) / 2 is w for w > 0 and 0 otherwise, exactly. */
static inline double flip_rate(const kmc_local *l, int i)
{
  const double w = l->ws[i], a = fabs(w);
  return 0.5 * (a + w) * l->Fp[i] + 0.5 * (a - w) * l->Fm[i];
}

/* Rate of owned-bond slot q (0 for like pairs and unused slots). */
static inline double swap_rate(const kmc_local *l, int i, size_t q)
{
  const double x = l->ws[i] * l->ws[l->fwd[q]];
  return l->fwd_c[q] * (0.5 * (fabs(x) - x));
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
  const int ising = kmc->p.energy.J != 0;
  int nd;
  const int *d;
  if (mv->type == CATEX_KMC_EVENT_EXCHANGE) {
    const int k = mv->a;
    kmc_flip_site(kmc, k);
    set_ws(kmc, l, k);
    if (ising)
      for (int p = l->nn_off[k]; p < l->nn_off[k + 1]; p++) set_ws(kmc, l, l->nn[p]);
    d = l->dl + l->dl_off[k];
    nd = l->dl_off[k + 1] - l->dl_off[k];
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
    nd = merge(l, a, b, l->db);
    d = l->db;
  }
  double *leaf = l->lvl[0];
  int *lv = l->work, nl = 0;
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
