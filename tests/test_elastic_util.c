#include "test_elastic_util.h"

#include <math.h>
#include <petscblaslapack.h>
#include <stdlib.h>
#include <string.h>

catex_lattice *tu_lattice(catex_lattice_kind kind, int side, int shell, double kshell)
{
  catex_lattice_spec spec = {kind, side, shell, kshell};
  catex_lattice *lat = NULL;
  catex_error err;
  if (catex_lattice_create(&spec, &lat, &err)) fprintf(stderr, "lattice: %s\n", err.message);
  return lat;
}

double *tu_potential(const catex_lattice *lat, const catex_elastic_options *opt, catex_potential_info *info)
{
  const int n = catex_lattice_num_sites(lat);
  double *V = malloc(sizeof(double) * (size_t)n * n);
  catex_elastic *el = NULL;
  catex_error err = {0};
  if (!V || catex_elastic_create(lat, opt, &el, &err) || catex_elastic_potential(el, V, info, &err)) {
    fprintf(stderr, "potential: %s\n", err.message);
    free(V);
    V = NULL;
  }
  catex_elastic_destroy(el);
  return V;
}

double tu_max_abs(const double *a, long n)
{
  double m = 0;
  for (long i = 0; i < n; i++)
    if (!(fabs(a[i]) <= m)) m = fabs(a[i]);
  return m;
}

double tu_max_abs_diff(const double *a, const double *b, long n)
{
  double m = 0;
  for (long i = 0; i < n; i++)
    if (!(fabs(a[i] - b[i]) <= m)) m = fabs(a[i] - b[i]);
  return m;
}

double tu_max_row_sum(const double *V, int n)
{
  double m = 0;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < n; j++) s += V[(size_t)i * n + j];
    if (!(fabs(s) <= m)) m = fabs(s);
  }
  return m;
}

/* Eigenvalues (ascending) and, if vectors, eigenvectors in the columns of
 * the column-major A (= rows of the row-major symmetric input). */
static int syev(double *A, int n, double *w, int vectors)
{
  PetscBLASInt N = n, lwork = -1, info = 0;
  double query;
  LAPACKsyev_(vectors ? "V" : "N", "U", &N, A, &N, w, &query, &lwork, &info);
  lwork = (PetscBLASInt)query;
  double *work = malloc(sizeof(double) * (size_t)lwork);
  if (!work) return -1;
  LAPACKsyev_(vectors ? "V" : "N", "U", &N, A, &N, w, work, &lwork, &info);
  free(work);
  return info == 0 ? 0 : -1;
}

double tu_min_eigenvalue(const double *A, int n)
{
  double *a = malloc(sizeof(double) * (size_t)n * n), *w = malloc(sizeof(double) * (size_t)n);
  double result = NAN;
  if (a && w) {
    memcpy(a, A, sizeof(double) * (size_t)n * n);
    if (syev(a, n, w, 0) == 0) result = w[0];
  }
  free(a);
  free(w);
  return result;
}

void tu_dense_operators(const catex_lattice *lat, int scale_nnn, double *D, double *C, double *S)
{
  const int n = catex_lattice_num_sites(lat), d = catex_lattice_dim(lat), nd = d * n;
  memset(D, 0, sizeof(double) * (size_t)nd * nd);
  memset(C, 0, sizeof(double) * (size_t)nd * n);
  memset(S, 0, sizeof(double) * (size_t)n * n);
  const catex_bond *bonds = catex_lattice_bonds(lat);
  for (int e = 0; e < catex_lattice_num_bonds(lat); e++) {
    const catex_bond *b = &bonds[e];
    double unit[3], length;
    catex_lattice_bond_geometry(lat, b, unit, &length);
    const double k = catex_lattice_bond_stiffness(lat, b), l = scale_nnn ? length : 1.0;
    /* visit the bond from both ends, as docs/model.md's sums over alpha(R) do */
    for (int end = 0; end < 2; end++) {
      const int R = end ? b->j : b->i, Rp = end ? b->i : b->j;
      double alpha[3];
      for (int a = 0; a < 3; a++) alpha[a] = end ? -unit[a] : unit[a];
      for (int a = 0; a < d; a++) {
        for (int c = 0; c < d; c++) {
          D[(size_t)(d * R + a) * nd + d * R + c] += k * alpha[a] * alpha[c];
          D[(size_t)(d * R + a) * nd + d * Rp + c] -= k * alpha[a] * alpha[c];
        }
        C[(size_t)(d * R + a) * n + R] += k * l * alpha[a];
        C[(size_t)(d * R + a) * n + Rp] += k * l * alpha[a];
      }
      S[(size_t)R * n + R] += 0.25 * k * l * l;
      S[(size_t)R * n + Rp] += 0.25 * k * l * l;
    }
  }
}

int tu_reference(const catex_lattice *lat, int scale_nnn, double *V, double *G)
{
  const int n = catex_lattice_num_sites(lat), d = catex_lattice_dim(lat), nd = d * n, m = d * (d + 1) / 2;
  double *D = malloc(sizeof(double) * (size_t)nd * nd), *C = malloc(sizeof(double) * (size_t)nd * n);
  double *S = malloc(sizeof(double) * (size_t)n * n), *w = malloc(sizeof(double) * (size_t)nd);
  double *proj = malloc(sizeof(double) * (size_t)nd * n);
  int rc = -1;
  if (!D || !C || !S || !w || !proj) goto done;
  tu_dense_operators(lat, scale_nnn, D, C, S);
  if (syev(D, nd, w, 1)) goto done; /* column e of the column-major D = row e of our row-major view */
  /* the rigid modes must be exactly m eigenvalues near 0, then a gap */
  if (!(fabs(w[m - 1]) < 1e-10 * w[nd - 1] && w[m] > 1e-6 * w[nd - 1])) {
    fprintf(stderr, "reference: eigenvalues %g %g %g do not show a %d-dim null space\n", w[m - 1], w[m],
            w[nd - 1], m);
    goto done;
  }
  /* proj[e][j] = v_e . C[:, j] / lambda_e  for kept e; G = sum_e v_e proj[e] / 2 */
  for (int e = m; e < nd; e++) {
    const double *v = D + (size_t)e * nd;
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int r = 0; r < nd; r++) s += v[r] * C[(size_t)r * n + j];
      proj[(size_t)e * n + j] = s / w[e];
    }
  }
  memset(G, 0, sizeof(double) * (size_t)nd * n);
  for (int e = m; e < nd; e++) {
    const double *v = D + (size_t)e * nd;
    for (int r = 0; r < nd; r++)
      for (int j = 0; j < n; j++) G[(size_t)r * n + j] += 0.5 * v[r] * proj[(size_t)e * n + j];
  }
  /* V = 4 S - C^T (2 G) */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int r = 0; r < nd; r++) s += C[(size_t)r * n + i] * 2.0 * G[(size_t)r * n + j];
      V[(size_t)i * n + j] = 4.0 * S[(size_t)i * n + j] - s;
    }
  rc = 0;
done:
  free(D);
  free(C);
  free(S);
  free(w);
  free(proj);
  return rc;
}

void tu_project(double *V, int n)
{
  double *row = calloc((size_t)n, sizeof(double)), *col = calloc((size_t)n, sizeof(double)), all = 0;
  if (!row || !col) abort();
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      row[i] += V[(size_t)i * n + j] / n;
      col[j] += V[(size_t)i * n + j] / n;
      all += V[(size_t)i * n + j] / ((double)n * n);
    }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) V[(size_t)i * n + j] += all - row[i] - col[j];
  free(row);
  free(col);
}
