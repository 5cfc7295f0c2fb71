/* Low-rank form of the K_shell dependence of V, shared by every rung.
 *
 * Why (cost, core side 24 + 1 shell: N = 1801, N_core = 1657, one sweep
 * ~45 us): a swap attempt between rungs k and l needs E_l(s) - E_k(s) for
 * two configurations. Directly, (eps/2) s^T (V_l - V_k) s costs N^2 = 3.2e6
 * flops, ~1 ms: 20 sweeps' worth per attempt. Keeping every configuration's
 * field under every rung costs nr x O(N) per accepted move instead of O(N).
 * But K_shell enters only through the shell-shell bonds: eliminating the
 * displacements leaves, with t the strains of those n_b bonds,
 *     V(K) = G - W (H + K)^-1 W^T     (G, W, H independent of K),
 * so every difference V(K) - V(K') lies in the SAME space range(W) of
 * dimension r <= n_b (n_b - 6 in practice, docs/model.md: 138 at side 24),
 * and in a suitable basis all differences are diagonal at once:
 *     V_l - V_0 = Z diag(c_l) Z^T,   Z: N x r, one Z for the whole ladder.
 * Each configuration then keeps z = Z^T s (r numbers), updated in O(r) per
 * changed site, and any cross energy costs O(r):
 *     E_l(s) - E_k(s) = (eps/2) sum_j z_j^2 (c_l,j - c_k,j).
 * The only O(N_core r) work is after an ACCEPTED swap, when the moved
 * configuration's field must become V_l s = V_k s + Z diag(c_l - c_k) z.
 *
 * Construction (once per ladder, ~ (nr + 3) N^2 r flops, ~1 s per rung at
 * side 24): a randomized range finder on D = V_top - V_0 (PSD, since V grows
 * with K) with p = n_b + 16 Gaussian probes gives an orthonormal Q; the
 * eigen-decomposition of Q^T D Q keeps the eigenvalues mu above 1e-13 of the
 * largest (U, r columns); whitening by mu^{1/2} turns U^T D U into I and
 * U^T (V_l - V_0) U into C_l; one eigen-decomposition O of a middle rung's
 * C_m diagonalises all of them (they commute by the structure above); then
 * Z = U mu^{1/2} O and c_l = diag(O^T C_l O). Nothing is assumed without
 * being checked: for every rung, (V_l - V_0) x is compared with
 * Z diag(c_l) Z^T x for 4 Gaussian probes x, and a residual above
 * CATEX_EXCHANGE_FACTOR_TOL relative to |V_l x| is an error (CATEX_ERR_INTERNAL) naming it.
 * The probes come from a fixed-seed splitmix64 generator, not from any
 * task's stream: the factorisation is a deterministic function of the V's.
 *
 * Precision (factor_round): the sweeps read Z's rows at every accepted
 * move and changed site, and at side 24 those reads are most of what the
 * exchange costs. Rounded to single precision, Z moves the low-rank form by
 * ~3e-8 of |V_l - V_0|; where that still passes the check above (narrow
 * ladders: 2.7e-11 across K_shell 16.82-16.91 at side 24; 1.6e-9 across
 * 3.5-5.5 at side 8 does not), Z keeps the rounded values and a float
 * copy for the hot loops, and the rungs sample V_0 + Z diag(c_l) Z^T
 * (exchange.c, rung_potentials), so that fields, corrections and cross
 * energies agree to rounding. Elsewhere Z stays as computed, and the
 * corrections are added at once (exchange_pending.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_internal.h"

void exchange_factor_free(exchange_factor *f)
{
  free(f->Z);
  free(f->Zs);
  free(f->c);
  f->Z = f->c = NULL;
  f->Zs = NULL;
}

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Standard normal by Box-Muller from a splitmix64 sequence. */
static double gaussian(uint64_t *state)
{
  const double u = ((double)(splitmix64(state) >> 11) + 0.5) * 0x1.0p-53;
  const double v = (double)(splitmix64(state) >> 11) * 0x1.0p-53;
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* y = (Va - Vb) x, n x n row-major. */
static void diff_apply(const double *Va, const double *Vb, int n, const double *x, double *y)
{
  for (int i = 0; i < n; i++) {
    const double *a = Va + (size_t)i * n, *b = Vb + (size_t)i * n;
    double s = 0;
    for (int j = 0; j < n; j++) s += (a[j] - b[j]) * x[j];
    y[i] = s;
  }
}

/* out (n x m) = (Va - Vb) X with X n x m row-major. */
static void diff_times(const double *Va, const double *Vb, int n, const double *X, int m, double *out)
{
  memset(out, 0, sizeof(double) * (size_t)n * m);
  for (int i = 0; i < n; i++) {
    const double *a = Va + (size_t)i * n, *b = Vb + (size_t)i * n;
    double *o = out + (size_t)i * m;
    for (int k = 0; k < n; k++) {
      const double d = a[k] - b[k];
      if (d == 0) continue;
      const double *x = X + (size_t)k * m;
      for (int j = 0; j < m; j++) o[j] += d * x[j];
    }
  }
}

/* Orthonormalises the m columns of Y (n x m row-major) in place: modified
 * Gram-Schmidt, twice (the second pass restores orthogonality lost to
 * cancellation). Works on a column-major copy for contiguous columns. */
static catex_status orthonormalise(double *Y, int n, int m, catex_error *err)
{
  double *q = malloc(sizeof(double) * (size_t)n * m);
  if (!q) return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory (range finder)");
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++) q[(size_t)j * n + i] = Y[(size_t)i * m + j];
  for (int j = 0; j < m; j++) {
    double *qj = q + (size_t)j * n;
    for (int pass = 0; pass < 2; pass++)
      for (int k = 0; k < j; k++) {
        const double *qk = q + (size_t)k * n;
        double d = 0;
        for (int i = 0; i < n; i++) d += qk[i] * qj[i];
        for (int i = 0; i < n; i++) qj[i] -= d * qk[i];
      }
    double nrm = 0;
    for (int i = 0; i < n; i++) nrm += qj[i] * qj[i];
    nrm = sqrt(nrm);
    /* a column in the span of the previous ones is pure round-off: any unit
     * direction does (its eigenvalue below comes out ~0 and is dropped) */
    if (!(nrm > 0)) {
      free(q);
      return catex_error_set(err, CATEX_ERR_INTERNAL, "exchange: range finder produced a zero column");
    }
    for (int i = 0; i < n; i++) qj[i] /= nrm;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++) Y[(size_t)i * m + j] = q[(size_t)j * n + i];
  free(q);
  return CATEX_OK;
}

/* out (a x b) = A^T B, A n x a and B n x b row-major. */
static void at_b(const double *A, int n, int a, const double *B, int b, double *out)
{
  memset(out, 0, sizeof(double) * (size_t)a * b);
  for (int i = 0; i < n; i++) {
    const double *ar = A + (size_t)i * a, *br = B + (size_t)i * b;
    for (int x = 0; x < a; x++) {
      const double s = ar[x];
      double *o = out + (size_t)x * b;
      for (int y = 0; y < b; y++) o[y] += s * br[y];
    }
  }
}

static void symmetrise(double *a, int p)
{
  for (int i = 0; i < p; i++)
    for (int j = i + 1; j < p; j++) {
      const double m = 0.5 * (a[(size_t)i * p + j] + a[(size_t)j * p + i]);
      a[(size_t)i * p + j] = a[(size_t)j * p + i] = m;
    }
}

/* max over the rungs l >= 1 and 4 Gaussian probes x of
 * |(V_l - V_0) x - Z diag(c_l) Z^T x| / |V_l x|; the probes are drawn from a
 * copy of seed, so that every call sees the same ones. Relative to V_l x
 * itself: the V's come from solves accurate to ~1e-13, and that noise,
 * divided by a small difference of close rungs, is not low rank. x: scratch
 * of 2 n + 2 r numbers. */
static double factor_residual(const double *const *V, int nr, int n, int r, const double *Z, const double *c,
                              uint64_t seed, double *x, int *worst_rung)
{
  double worst = 0;
  double *probe = x, *exact = x + n, *zx = x + 2 * n;
  *worst_rung = 0;
  for (int k = 0; k < 4; k++) {
    for (int i = 0; i < n; i++) probe[i] = gaussian(&seed);
    for (int j = 0; j < r; j++) {
      double s = 0;
      for (int i = 0; i < n; i++) s += Z[(size_t)i * r + j] * probe[i];
      zx[j] = s;
    }
    for (int l = 1; l < nr; l++) {
      diff_apply(V[l], V[0], n, probe, exact);
      for (int j = 0; j < r; j++) zx[r + j] = c[(size_t)l * r + j] * zx[j];
      double num = 0, den = 0;
      for (int i = 0; i < n; i++) {
        const double *row = V[l] + (size_t)i * n;
        double v = 0;
        for (int j = 0; j < n; j++) v += row[j] * probe[j];
        den += v * v;
      }
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < r; j++) s += Z[(size_t)i * r + j] * zx[r + j];
        num += (exact[i] - s) * (exact[i] - s);
      }
      const double rel = den > 0 ? sqrt(num / den) : (num > 0 ? INFINITY : 0);
      if (!(rel <= worst)) {
        worst = rel;
        *worst_rung = l;
      }
    }
  }
  return worst;
}

/* Z in single precision, where it still meets CATEX_EXCHANGE_FACTOR_TOL:
 * the sweeps and the projection updates read a row of Z per accepted move
 * and changed site, and half the bytes cut the exchange's overhead at side
 * 24 from ~0.12 to ~0.10 (README, "Cost of the exchange"). The rounding
 * moves the low-rank form by ~3e-8 of |V_l - V_0| (2.7e-11 of |V x| across
 * K_shell 16.82-16.91 at side 24, 1.6e-9 across 3.5-5.5 at side 8, which
 * stays in double). Z itself then holds the rounded values, so that every
 * use of the factor (projections, flushes, bounds) sees the numbers the hot
 * loops read, and reading the floats gives bitwise what reading Z would. */
static catex_status factor_round(const double *const *V, int nr, exchange_factor *f, uint64_t seed, double *x,
                                 catex_error *err)
{
  const size_t nz = (size_t)f->n * (size_t)f->r;
  float *Zs = malloc(sizeof(float) * nz);
  double *Zr = malloc(sizeof(double) * nz);
  if (!Zs || !Zr) {
    free(Zs);
    free(Zr);
    return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory (factorisation)");
  }
  for (size_t k = 0; k < nz; k++) {
    Zs[k] = (float)f->Z[k];
    Zr[k] = Zs[k];
  }
  int rung;
  const double res = factor_residual(V, nr, f->n, f->r, Zr, f->c, seed, x, &rung);
  if (res <= CATEX_EXCHANGE_FACTOR_TOL) {
    free(f->Z);
    f->Z = Zr;
    f->Zs = Zs;
    f->residual = res;
  } else {
    free(Zs);
    free(Zr);
  }
  return CATEX_OK;
}

typedef double factor_v4 __attribute__((vector_size(4 * sizeof(double))));

/* One row of Vl - V0: out[k] = sum_j (zi[j] zk[j]) c[j], in 4 lanes
 * j = 4q + lane added (0 + 1) + (2 + 3), then the r % 4 rest: the same
 * order for (i, k) and (k, i), and products commute exactly, so the rows
 * make an exactly symmetric matrix, in either clone. */
__attribute__((target_clones("avx2", "default"))) static void potential_row(const double *Z, int n, int r,
                                                                           const double *c, int i, double *out)
{
  const double *zi = Z + (size_t)i * r;
  for (int k = 0; k < n; k++) {
    const double *zk = Z + (size_t)k * r;
    factor_v4 acc = {0, 0, 0, 0};
    int j = 0;
    for (; j + 4 <= r; j += 4) {
      factor_v4 a, b, w;
      memcpy(&a, zi + j, sizeof a);
      memcpy(&b, zk + j, sizeof b);
      memcpy(&w, c + j, sizeof w);
      acc += (a * b) * w;
    }
    double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; j < r; j++) s += (zi[j] * zk[j]) * c[j];
    out[k] = s;
  }
}

void exchange_factor_potential(const exchange_factor *f, int l, const double *V0, double *Vl)
{
  const int n = f->n;
  for (int i = 0; i < n; i++) {
    double *row = Vl + (size_t)i * n;
    potential_row(f->Z, n, f->r, f->c + (size_t)l * f->r, i, row);
    for (int k = 0; k < n; k++) row[k] += V0[(size_t)i * n + k];
  }
}

catex_status exchange_factor_build(const catex_lattice *lat, int nr, const double *const *V, exchange_factor *f,
                                   catex_error *err)
{
  memset(f, 0, sizeof *f);
  const int n = catex_lattice_num_sites(lat);
  const unsigned char *shell = catex_lattice_shell(lat);
  const catex_bond *bonds = catex_lattice_bonds(lat);
  int nbss = 0;
  for (int b = 0; b < catex_lattice_num_bonds(lat); b++) nbss += shell[bonds[b].i] && shell[bonds[b].j];
  if (nbss == 0)
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: the lattice has no shell-shell bonds, so K_shell changes nothing");
  const int p = nbss + 16 < n ? nbss + 16 : n;
  const double *V0 = V[0], *Vt = V[nr - 1];

  catex_status st = CATEX_OK;
  double *omega = malloc(sizeof(double) * (size_t)n * p), *Y = malloc(sizeof(double) * (size_t)n * p);
  double *T = malloc(sizeof(double) * (size_t)n * p), *B = malloc(sizeof(double) * (size_t)p * p);
  double *mu = malloc(sizeof(double) * (size_t)p), *E = malloc(sizeof(double) * (size_t)p * p);
  double *U = NULL, *C = NULL, *O = NULL, *x = NULL;
  if (!omega || !Y || !T || !B || !mu || !E) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory (factorisation)");
    goto done;
  }
  uint64_t seed = 0x6361746578ull; /* "catex" */
  for (size_t k = 0; k < (size_t)n * p; k++) omega[k] = gaussian(&seed);
  diff_times(Vt, V0, n, omega, p, Y);
  if ((st = orthonormalise(Y, n, p, err))) goto done;
  diff_times(Vt, V0, n, Y, p, T);
  at_b(Y, n, p, T, p, B);
  symmetrise(B, p);
  if ((st = exchange_jacobi_eigen(B, p, mu, E, err))) goto done;
  if (!(mu[0] > 0)) {
    st = catex_error_set(err, CATEX_ERR_ARG, "exchange: V at the top rung equals V at the bottom rung");
    goto done;
  }
  int r = 0;
  while (r < p && mu[r] > 1e-13 * mu[0]) r++;
  if (mu[p - 1] < -1e-10 * mu[0]) {
    st = catex_error_set(err, CATEX_ERR_INTERNAL,
                         "exchange: V(K_top) - V(K_bottom) has a negative eigenvalue %.3g (largest %.3g); "
                         "V should grow with K_shell",
                         mu[p - 1], mu[0]);
    goto done;
  }
  if (r == p && p < n) {
    st = catex_error_set(err, CATEX_ERR_INTERNAL,
                         "exchange: the V differences have rank >= %d, more than the %d shell-shell bonds", p, nbss);
    goto done;
  }
  /* G = Q E[:, :r] (orthonormal): D = G diag(mu) G^T up to the dropped part */
  U = malloc(sizeof(double) * (size_t)n * r);
  C = malloc(sizeof(double) * (size_t)nr * r * r);
  O = malloc(sizeof(double) * (size_t)r * r);
  x = malloc(sizeof(double) * ((size_t)2 * n + (size_t)2 * r));
  f->Z = malloc(sizeof(double) * (size_t)n * r);
  f->c = calloc((size_t)nr * r, sizeof(double));
  if (!U || !C || !O || !x || !f->Z || !f->c) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory (factorisation)");
    goto done;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < r; j++) {
      double s = 0;
      for (int q = 0; q < p; q++) s += Y[(size_t)i * p + q] * E[(size_t)q * p + j];
      U[(size_t)i * r + j] = s;
    }
  /* C_l = mu^{-1/2} G^T (V_l - V_0) G mu^{-1/2}, so that C_top = I; T reused as n x r scratch */
  for (int l = 1; l < nr; l++) {
    diff_times(V[l], V0, n, U, r, T);
    double *Cl = C + (size_t)l * r * r;
    at_b(U, n, r, T, r, Cl);
    symmetrise(Cl, r);
    for (int a = 0; a < r; a++)
      for (int b = 0; b < r; b++) Cl[(size_t)a * r + b] /= sqrt(mu[a] * mu[b]);
  }
  /* the common eigenbasis O, from a middle rung (the top one, C = I, carries none) */
  if (nr > 2) {
    double *work = malloc(sizeof(double) * (size_t)r * r), *theta = malloc(sizeof(double) * (size_t)r);
    if (!work || !theta) {
      free(work);
      free(theta);
      st = catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory (factorisation)");
      goto done;
    }
    memcpy(work, C + (size_t)(nr / 2) * r * r, sizeof(double) * (size_t)r * r);
    st = exchange_jacobi_eigen(work, r, theta, O, err);
    free(work);
    free(theta);
    if (st) goto done;
  } else {
    for (int i = 0; i < r; i++)
      for (int j = 0; j < r; j++) O[(size_t)i * r + j] = i == j;
  }
  for (int l = 1; l < nr; l++) {
    const double *Cl = C + (size_t)l * r * r;
    for (int j = 0; j < r; j++) {
      double s = 0;
      for (int a = 0; a < r; a++) {
        double t = 0;
        for (int b = 0; b < r; b++) t += Cl[(size_t)a * r + b] * O[(size_t)b * r + j];
        s += O[(size_t)a * r + j] * t;
      }
      f->c[(size_t)l * r + j] = s;
    }
  }
  /* Z = G mu^{1/2} O: then V_l - V_0 = Z diag(c_l) Z^T */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < r; j++) {
      double s = 0;
      for (int a = 0; a < r; a++) s += U[(size_t)i * r + a] * sqrt(mu[a]) * O[(size_t)a * r + j];
      f->Z[(size_t)i * r + j] = s;
    }
  /* the check that makes all of the above a statement rather than a hope */
  int worst_rung = 0;
  const double worst = factor_residual(V, nr, n, r, f->Z, f->c, seed, x, &worst_rung);
  f->residual = worst;
  if (!(worst <= CATEX_EXCHANGE_FACTOR_TOL)) {
    st = catex_error_set(err, CATEX_ERR_INTERNAL,
                         "exchange: the rank-%d form of V(K_%d) - V(K_0) misses by %.3g of |V x| (> %g); "
                         "the ladder's cross energies would not be exact",
                         r, worst_rung, worst, CATEX_EXCHANGE_FACTOR_TOL);
    goto done;
  }
  f->n = n;
  f->r = r;
  st = factor_round(V, nr, f, seed, x, err);

done:
  free(omega);
  free(Y);
  free(T);
  free(B);
  free(mu);
  free(E);
  free(U);
  free(C);
  free(O);
  free(x);
  if (st) exchange_factor_free(f);
  return st;
}
