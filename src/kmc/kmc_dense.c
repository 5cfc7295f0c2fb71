/* Dense rate scheme (any eps; the elastic pair potential V is dense).
 *
 * Factorisation. With delta_i = -2 sigma_i, docs/model.md's dE gives
 *   exchange at i:  k = k_ex0 exp(-beta eps V_ii - beta dmu sigma_i / 2) w_i
 *   swap of i, j:   k = k_diff0 exp(-beta eps (V_ii + V_jj - 2 V_ij) - 2 beta J [NN]) w_i w_j
 * with the per-site factor w_i = u_i s_i,
 *   u_i = exp(beta eps sigma_i h_i)  (h = V sigma),   s_i = exp(-beta J sigma_i m_i).
 * Every state dependence is in w; the rest is a constant per channel.
 *
 * Fields without exp. After a change delta_k at site k, h += delta_k V[k,:]
 * (V symmetric: row k is column k, contiguous), so u_g is multiplied or
 * divided (by the sign of sigma_g) by exp(2 beta eps V[k,g]), a row of
 * E = exp(2 beta eps V) precomputed once per engine (one N x N matrix, in
 * grid layout; dividing instead of keeping exp(-2 beta eps V) too halves
 * the memory traffic, which is what limits large N). u is the local field
 * kept incrementally in multiplicative form (h = log(u) / (beta eps
 * sigma)); the exact refresh recomputes h = V sigma and u = exp(...) every
 * refresh_interval events, which bounds the drift (a few ulp per event).
 * No exp per event at all.
 *
 * Rates without gathers. Sites live on a padded rectangular grid (axial
 * (q, r) coordinates in 2D, (x, y, z) in 3D) in which every bond direction
 * is a constant positive cell offset. Each direction d has an array of
 * bond prefactors B_d (0 where no bond) and the rate of bond (g, g + off_d)
 * is B_d[g] max(0, -ws[g] ws[g + off_d]) with ws = sigma w: the product is
 * negative exactly for unlike pairs. One streaming pass per event over
 * directions x cells computes the sums of blocks of KMC_BLOCK channels
 * (without storing the rates); selection scans the block sums, then
 * recomputes the rates of one block: O(N / KMC_BLOCK + KMC_BLOCK). The total
 * is re-summed every event, so only u can drift. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmc_internal.h"

#define MAXDIR 9

struct kmc_dense {
  int n, G, Gp, D, nb, nbp, nblocks, Z;
  int off[MAXDIR];
  int *cell_of_site, *site_of_cell; /* site_of_cell: -1 for padding */
  double *sg, *u, *s, *ws;          /* per cell; sg, ws padded by maxoff zeros */
  double *E;                        /* n x Gp: exp(2 beta eps V) */
  int E_owned;                      /* 0: borrowed (catex_kmc_params.dense_table) */
  double *h0;                       /* V 1: h of the all-A start */
  double *B;                        /* D x Gp */
  unsigned char *bond_ok;           /* D x Gp */
  int *fsite, *fcell;               /* exchange channels (boundary sites) */
  double *Fp, *Fm;                  /* their constants for sigma = +1 / -1 */
  double *rate;                     /* nbp exchange rates (bond rates are not stored) */
  double *bsum;
  double total;
  double *stab;                     /* [2][2Z+1]: exp(-beta J sigma m) */
  double *h;                        /* n, scratch */
};

#define STAB(d, sg, m) ((d)->stab[((sg) > 0) * (2 * (d)->Z + 1) + (m) + (d)->Z])

static int round_up(int x, int m) { return (x + m - 1) / m * m; }

void kmc_dense_destroy(kmc_dense *d)
{
  if (!d) return;
  free(d->cell_of_site);
  free(d->site_of_cell);
  free(d->sg);
  free(d->u);
  free(d->s);
  free(d->ws);
  if (d->E_owned) free(d->E);
  free(d->h0);
  free(d->B);
  free(d->bond_ok);
  free(d->fsite);
  free(d->fcell);
  free(d->Fp);
  free(d->Fm);
  free(d->rate);
  free(d->bsum);
  free(d->stab);
  free(d->h);
  free(d);
}

/* Integer grid coordinates of every site and the bond directions (each
 * bond once, with a positive cell offset). */
typedef struct {
  int dims[3], ndir;
  int dir[MAXDIR][3];
} grid_geom;

static const int dirs2[3][3] = {{1, 0, 0}, {0, 1, 0}, {-1, 1, 0}};
static const int dirs3[9][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {-1, 1, 0},
                                {1, 0, 1}, {-1, 0, 1}, {0, 1, 1}, {0, -1, 1}};

static int *grid_coords(const catex_lattice *lat, grid_geom *gg)
{
  const int n = catex_lattice_num_sites(lat), dim = catex_lattice_dim(lat);
  const double *pos = catex_lattice_positions(lat);
  int *ic = malloc(sizeof(int) * 3 * (size_t)n);
  if (!ic) return NULL;
  int lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
  for (int i = 0; i < n; i++) {
    int c[3] = {0, 0, 0};
    if (dim == 2) {
      c[1] = (int)lround(pos[2 * i + 1] * 2.0 / sqrt(3.0));
      c[0] = (int)lround(pos[2 * i] - 0.5 * c[1]);
    } else {
      for (int k = 0; k < 3; k++) c[k] = (int)lround(pos[3 * i + k] * 2.0); /* half-integers for even L */
    }
    for (int k = 0; k < 3; k++) {
      ic[3 * i + k] = c[k];
      if (i == 0 || c[k] < lo[k]) lo[k] = c[k];
      if (i == 0 || c[k] > hi[k]) hi[k] = c[k];
    }
  }
  if (dim == 3)
    for (int i = 0; i < n; i++)
      for (int k = 0; k < 3; k++) ic[3 * i + k] = (ic[3 * i + k] - lo[k]) / 2;
  else
    for (int i = 0; i < n; i++)
      for (int k = 0; k < 2; k++) ic[3 * i + k] -= lo[k];
  for (int k = 0; k < 3; k++) gg->dims[k] = dim == 3 ? (hi[k] - lo[k]) / 2 + 1 : (k < 2 ? hi[k] - lo[k] + 1 : 1);
  gg->ndir = dim == 2 ? 3 : 9;
  for (int d = 0; d < gg->ndir; d++)
    for (int k = 0; k < 3; k++) gg->dir[d][k] = dim == 2 ? dirs2[d][k] : dirs3[d][k];
  return ic;
}

/* Cells of the rate grid (a multiple of KMC_BLOCK) and the site of each
 * cell (-1: padding); site_of_cell is allocated here. */
static int grid_cells(const catex_lattice *lat, int **site_of_cell)
{
  grid_geom gg;
  int *ic = grid_coords(lat, &gg);
  if (!ic) return -1;
  const int W = gg.dims[0], H = gg.dims[1], n = catex_lattice_num_sites(lat);
  const int Gp = round_up(W * H * gg.dims[2], KMC_BLOCK);
  if (site_of_cell) {
    *site_of_cell = malloc(sizeof(int) * (size_t)Gp);
    if (!*site_of_cell) {
      free(ic);
      return -1;
    }
    for (int g = 0; g < Gp; g++) (*site_of_cell)[g] = -1;
    for (int i = 0; i < n; i++) (*site_of_cell)[ic[3 * i] + W * (ic[3 * i + 1] + H * ic[3 * i + 2])] = i;
  }
  free(ic);
  return Gp;
}

size_t catex_kmc_dense_table_size(const catex_lattice *lat)
{
  const int Gp = grid_cells(lat, NULL);
  return Gp < 0 ? 0 : (size_t)catex_lattice_num_sites(lat) * (size_t)Gp;
}

/* exp(2 beta eps V) in grid layout; 1 in padding cells. */
static void fill_table(int n, size_t Gp, const int *site_of_cell, const double *V, double be, int row0, int row1,
                       double *E)
{
  for (int k = row0; k < row1; k++) {
    double *e = E + (size_t)k * Gp;
    const double *vk = V + (size_t)k * n;
    for (size_t g = 0; g < Gp; g++) {
      const int j = site_of_cell[g];
      e[g] = j >= 0 ? exp(2 * be * vk[j]) : 1.0;
    }
  }
}

catex_status catex_kmc_dense_table_fill(const catex_lattice *lat, const double *V, double beta_eps, int row0,
                                        int row1, double *table, catex_error *err)
{
  int *site_of_cell = NULL;
  const int Gp = grid_cells(lat, &site_of_cell);
  if (Gp < 0) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory (dense table)");
  const int n = catex_lattice_num_sites(lat);
  fill_table(n, (size_t)Gp, site_of_cell, V, beta_eps, row0 < 0 ? 0 : row0, row1 > n ? n : row1, table);
  free(site_of_cell);
  return CATEX_OK;
}

static catex_status check_range(const catex_kmc *kmc, catex_error *err)
{
  const int n = kmc->n;
  const double beta = kmc->beta, eps = kmc->p.energy.eps, J = kmc->p.energy.J, dmu = kmc->p.energy.dmu;
  double rowabs = 0, vmax = 0;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < n; j++) {
      const double v = fabs(kmc->V[(size_t)i * n + j]);
      s += v;
      if (v > vmax) vmax = v;
    }
    if (s > rowabs) rowabs = s;
  }
  /* |log w| <= bound; a rate is a product of two w and a constant */
  const double bound = beta * (fabs(eps) * rowabs + fabs(J) * kmc->zmax_nn);
  const double range = 2 * bound + beta * (4 * fabs(eps) * vmax + 0.5 * fabs(dmu) + 2 * fabs(J)) +
                       kmc_prefactor_log_range(kmc);
  /* the total rate sums up to ~10 N channels, each at most exp(range) */
  const double limit = 700 - log(10.0 * kmc->n + 10);
  if (!isfinite(range) || range > limit)
    return catex_error_set(err, CATEX_ERR_ARG,
                           "rates exp(-beta dE/2) may leave the double range (|beta dE/2| up to %g; reduce "
                           "|eps|/kT, |J|/kT or |dmu|/kT, or k_ex0, k_diff0 towards 1)",
                           range);
  return CATEX_OK;
}

catex_status kmc_dense_create(catex_kmc *kmc, catex_error *err)
{
  const catex_lattice *lat = kmc->lat;
  const int n = kmc->n, Z = kmc->zmax_nn;
  const double beta = kmc->beta, eps = kmc->p.energy.eps, J = kmc->p.energy.J, dmu = kmc->p.energy.dmu;
  const double *V = kmc->V;
  catex_status st = check_range(kmc, err);
  if (st) return st;
  kmc_dense *d = calloc(1, sizeof *d);
  if (!d) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory (dense scheme)");
  kmc->dense = d;
  grid_geom gg;
  int *ic = grid_coords(lat, &gg);
  if (!ic) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory (dense scheme)");
  const int W = gg.dims[0], H = gg.dims[1];
  d->n = n;
  d->Z = Z;
  d->D = gg.ndir;
  d->G = W * H * gg.dims[2];
  d->Gp = round_up(d->G, KMC_BLOCK);
  int maxoff = 0;
  for (int k = 0; k < d->D; k++) {
    d->off[k] = gg.dir[k][0] + W * (gg.dir[k][1] + H * gg.dir[k][2]);
    if (d->off[k] > maxoff) maxoff = d->off[k];
  }
  const size_t Gp = (size_t)d->Gp, padded = Gp + (size_t)round_up(maxoff, 8) + 8;
  d->nb = catex_lattice_num_boundary(lat);
  d->nbp = round_up(d->nb > 0 ? d->nb : 1, KMC_BLOCK);
  const size_t nch = (size_t)d->nbp + (size_t)d->D * Gp;
  d->nblocks = (int)(nch / KMC_BLOCK);
  d->cell_of_site = malloc(sizeof(int) * (size_t)n);
  d->site_of_cell = malloc(sizeof(int) * Gp);
  d->sg = kmc_alloc_doubles(padded);
  d->ws = kmc_alloc_doubles(padded);
  d->u = kmc_alloc_doubles(Gp);
  d->s = kmc_alloc_doubles(Gp);
  d->E_owned = kmc->p.dense_table == NULL;
  d->E = d->E_owned ? kmc_alloc_doubles((size_t)n * Gp) : (double *)kmc->p.dense_table;
  d->h0 = kmc_alloc_doubles((size_t)n);
  d->B = kmc_alloc_doubles((size_t)d->D * Gp);
  d->bond_ok = calloc((size_t)d->D * Gp, 1);
  d->fsite = calloc((size_t)d->nbp, sizeof(int));
  d->fcell = calloc((size_t)d->nbp, sizeof(int));
  d->Fp = kmc_alloc_doubles((size_t)d->nbp);
  d->Fm = kmc_alloc_doubles((size_t)d->nbp);
  d->rate = kmc_alloc_doubles((size_t)d->nbp);
  d->bsum = kmc_alloc_doubles((size_t)d->nblocks);
  d->stab = malloc(sizeof(double) * 2 * (2 * (size_t)Z + 1));
  d->h = malloc(sizeof(double) * (size_t)n);
  if (!d->cell_of_site || !d->site_of_cell || !d->sg || !d->ws || !d->u || !d->s || !d->E || !d->h0 || !d->B ||
      !d->bond_ok || !d->fsite || !d->fcell || !d->Fp || !d->Fm || !d->rate || !d->bsum || !d->stab || !d->h) {
    free(ic);
    return catex_error_set(err, CATEX_ERR_NOMEM,
                           "out of memory (dense scheme, N = %d: its table exp(2 beta eps V) of %d x %zu doubles "
                           "needs %.3g GB, %.3g GB of RAM free)",
                           n, n, Gp, (double)n * (double)Gp * sizeof(double) / 1e9,
                           (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / 1e9);
  }
  for (size_t g = 0; g < Gp; g++) d->site_of_cell[g] = -1;
  for (int i = 0; i < n; i++) {
    const int c = ic[3 * i] + W * (ic[3 * i + 1] + H * ic[3 * i + 2]);
    d->cell_of_site[i] = c;
    d->site_of_cell[c] = i;
  }
  /* bonds -> (direction, owner cell) */
  const catex_bond *bonds = catex_lattice_bonds(lat);
  for (int b = 0; b < catex_lattice_num_bonds(lat); b++) {
    int i = bonds[b].i, j = bonds[b].j, dirk = -1;
    int dv[3];
    for (int k = 0; k < 3; k++) dv[k] = ic[3 * j + k] - ic[3 * i + k];
    for (int k = 0; k < d->D && dirk < 0; k++) {
      if (dv[0] == gg.dir[k][0] && dv[1] == gg.dir[k][1] && dv[2] == gg.dir[k][2]) dirk = k;
      if (dv[0] == -gg.dir[k][0] && dv[1] == -gg.dir[k][1] && dv[2] == -gg.dir[k][2]) {
        dirk = k;
        int t = i;
        i = j;
        j = t;
      }
    }
    if (dirk < 0 || d->cell_of_site[i] + d->off[dirk] != d->cell_of_site[j]) {
      free(ic);
      return catex_error_set(err, CATEX_ERR_INTERNAL, "bond %d (%d, %d) does not map onto the rate grid", b,
                             bonds[b].i, bonds[b].j);
    }
    const size_t q = (size_t)dirk * Gp + (size_t)d->cell_of_site[i];
    const double dV = V[(size_t)i * n + i] + V[(size_t)j * n + j] - 2 * V[(size_t)i * n + j];
    d->B[q] = kmc->p.k_diff0 * exp(-beta * eps * dV - 2 * beta * J * bonds[b].nearest);
    d->bond_ok[q] = 1;
  }
  free(ic);
  /* exchange channels */
  const unsigned char *bnd = catex_lattice_boundary(lat);
  for (int i = 0, k = 0; i < n; i++) {
    if (!bnd[i]) continue;
    d->fsite[k] = i;
    d->fcell[k] = d->cell_of_site[i];
    const double c = kmc->p.k_ex0 > 0 ? kmc->p.k_ex0 * exp(-beta * eps * V[(size_t)i * n + i]) : 0.0;
    d->Fp[k] = c > 0 ? c * exp(-0.5 * beta * dmu) : 0.0;
    d->Fm[k] = c > 0 ? c * exp(0.5 * beta * dmu) : 0.0;
    k++;
  }
  for (int k = d->nb; k < d->nbp; k++) {
    d->fsite[k] = -1;
    d->fcell[k] = d->Gp; /* a padding cell: ws = 0 */
  }
  if (d->E_owned) fill_table(n, Gp, d->site_of_cell, V, beta * eps, 0, n, d->E);
  catex_local_fields(n, V, kmc->sigma, d->h0); /* kmc.c created the all-A state */
  for (int sg = -1; sg <= 1; sg += 2)
    for (int m = -Z; m <= Z; m++) STAB(d, sg, m) = exp(-beta * J * sg * m);
  return CATEX_OK;
}

/* Exchange rates, block sums of all channels, total. */
static void rates_pass(kmc_dense *d)
{
  const int fb = d->nbp / KMC_BLOCK, bb = d->Gp / KMC_BLOCK;
  kmc_kernel_flip_rates(d->nbp, KMC_BLOCK, d->rate, d->bsum, d->ws, d->fcell, d->Fp, d->Fm);
  const size_t Gp = (size_t)d->Gp;
  for (int dir = 0; dir < d->D; dir++)
    kmc_kernel_bond_sums(d->Gp, KMC_BLOCK, d->off[dir], d->bsum + fb + dir * bb, d->ws, d->B + dir * Gp);
  double total = 0;
  for (int k = 0; k < d->nblocks; k++) total += d->bsum[k];
  d->total = total;
}

/* Rate of channel c (as summed by rates_pass). */
static inline double channel_rate(const kmc_dense *d, int c)
{
  if (c < d->nbp) return d->rate[c];
  const int q = c - d->nbp, dir = q / d->Gp, g = q % d->Gp;
  return kmc_bond_rate(d->B[q], d->ws[g], d->ws[g + d->off[dir]]);
}

void kmc_dense_refresh(catex_kmc *kmc)
{
  kmc_dense *d = kmc->dense;
  const double be = kmc->beta * kmc->p.energy.eps;
  catex_ising_fields(kmc->lat, kmc->sigma, kmc->m);
  if (kmc->nplus == kmc->n) /* the start of every run: V 1 is cached */
    memcpy(d->h, d->h0, sizeof(double) * (size_t)kmc->n);
  else
    catex_local_fields(kmc->n, kmc->V, kmc->sigma, d->h);
  for (int g = 0; g < d->Gp; g++) {
    const int i = d->site_of_cell[g];
    if (i < 0) {
      d->sg[g] = d->u[g] = d->s[g] = d->ws[g] = 0;
      continue;
    }
    const int s = kmc->sigma[i];
    d->sg[g] = s;
    d->u[g] = exp(be * s * d->h[i]);
    d->s[g] = STAB(d, s, kmc->m[i]);
    d->ws[g] = d->sg[g] * d->u[g] * d->s[g];
  }
  rates_pass(d);
}

double kmc_dense_total(const catex_kmc *kmc) { return kmc->dense->total; }

static void channel_move(const kmc_dense *d, int c, kmc_move *mv)
{
  if (c < d->nbp) {
    mv->type = CATEX_KMC_EVENT_EXCHANGE;
    mv->a = d->fsite[c];
    mv->b = -1;
    return;
  }
  const int q = c - d->nbp, dir = q / d->Gp, g = q % d->Gp;
  mv->type = CATEX_KMC_EVENT_SWAP;
  mv->a = d->site_of_cell[g];
  mv->b = d->site_of_cell[g + d->off[dir]];
}

void kmc_dense_select(const catex_kmc *kmc, double r, kmc_move *mv)
{
  const kmc_dense *d = kmc->dense;
  const double *bsum = d->bsum;
  double acc = 0;
  int k, last = 0;
  for (k = 0; k < d->nblocks; k++) {
    const double b = bsum[k];
    if (b > 0) {
      last = k;
      if (r < acc + b) break;
      acc += b;
    }
  }
  /* r at or beyond the total by rounding: the last positive channel */
  double rl = k < d->nblocks ? r - acc : INFINITY;
  if (k == d->nblocks) k = last;
  double cum = 0;
  int pick = 0;
  for (int c = 0; c < KMC_BLOCK; c++) {
    const double rate = channel_rate(d, k * KMC_BLOCK + c);
    if (rate > 0) {
      pick = c;
      cum += rate;
      if (rl < cum) break;
    }
  }
  channel_move(d, k * KMC_BLOCK + pick, mv);
}

/* Recomputes ws (and s if Ising) at site i and, with Ising, at its NN. */
static void fix_local(const catex_kmc *kmc, kmc_dense *d, int i)
{
  const int c = d->cell_of_site[i];
  d->s[c] = STAB(d, kmc->sigma[i], kmc->m[i]);
  d->ws[c] = d->sg[c] * d->u[c] * d->s[c];
  if (kmc->p.energy.J == 0) return;
  const int *off = catex_lattice_nn_offsets(kmc->lat), *nn = catex_lattice_nn_neighbors(kmc->lat);
  for (int p = off[i]; p < off[i + 1]; p++) {
    const int j = nn[p], cj = d->cell_of_site[j];
    d->s[cj] = STAB(d, kmc->sigma[j], kmc->m[j]);
    d->ws[cj] = d->sg[cj] * d->u[cj] * d->s[cj];
  }
}

void kmc_dense_apply(catex_kmc *kmc, const kmc_move *mv)
{
  kmc_dense *d = kmc->dense;
  const size_t Gp = (size_t)d->Gp;
  if (mv->type == CATEX_KMC_EVENT_EXCHANGE) {
    const int k = mv->a;
    /* u_g *= exp(-2 beta eps sigma_k sigma_g V_kg) */
    kmc_kernel_field1(d->Gp, kmc->sigma[k], d->u, d->ws, d->sg, d->s, d->E + k * Gp);
    kmc_flip_site(kmc, k);
    const int c = d->cell_of_site[k];
    d->sg[c] = kmc->sigma[k];
    d->u[c] = 1.0 / d->u[c]; /* the kernel used the old sigma_k */
    fix_local(kmc, d, k);
  } else {
    /* k1 goes B -> A (delta = +2), k2 goes A -> B (delta = -2):
     * u_g *= exp(2 beta eps sigma_g (V_k1,g - V_k2,g)) */
    const int k1 = kmc->sigma[mv->a] < 0 ? mv->a : mv->b, k2 = k1 == mv->a ? mv->b : mv->a;
    kmc_kernel_field2(d->Gp, d->u, d->ws, d->sg, d->s, d->E + k1 * Gp, d->E + k2 * Gp);
    kmc_flip_site(kmc, k1);
    kmc_flip_site(kmc, k2);
    const int c1 = d->cell_of_site[k1], c2 = d->cell_of_site[k2];
    d->sg[c1] = kmc->sigma[k1];
    d->sg[c2] = kmc->sigma[k2];
    d->u[c1] = 1.0 / d->u[c1];
    d->u[c2] = 1.0 / d->u[c2];
    fix_local(kmc, d, k1);
    fix_local(kmc, d, k2);
  }
  rates_pass(d);
}

long kmc_dense_list(const catex_kmc *kmc, catex_kmc_event *ev, long cap)
{
  const kmc_dense *d = kmc->dense;
  long count = 0;
  if (kmc->p.k_ex0 > 0)
    for (int k = 0; k < d->nb; k++) {
      if (count < cap) ev[count] = (catex_kmc_event){CATEX_KMC_EVENT_EXCHANGE, d->fsite[k], -1, d->rate[k]};
      count++;
    }
  if (!(kmc->p.k_diff0 > 0)) return count;
  for (int dir = 0; dir < d->D; dir++)
    for (int g = 0; g < d->Gp; g++) {
      const size_t q = (size_t)dir * d->Gp + g;
      if (!d->bond_ok[q] || d->sg[g] == d->sg[g + d->off[dir]]) continue;
      int i = d->site_of_cell[g], j = d->site_of_cell[g + d->off[dir]];
      if (i > j) {
        int t = i;
        i = j;
        j = t;
      }
      if (count < cap) ev[count] = (catex_kmc_event){CATEX_KMC_EVENT_SWAP, i, j, channel_rate(d, d->nbp + (int)q)};
      count++;
    }
  return count;
}

void kmc_dense_fields(const catex_kmc *kmc, double *h)
{
  const kmc_dense *d = kmc->dense;
  const double be = kmc->beta * kmc->p.energy.eps;
  for (int i = 0; i < kmc->n; i++) h[i] = be != 0 ? log(d->u[d->cell_of_site[i]]) / (be * kmc->sigma[i]) : 0.0;
}
