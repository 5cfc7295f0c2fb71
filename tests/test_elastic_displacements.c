/* Displacements u = (1/2) D^+ C sigma, checked with bond sums written here:
 * D (2u) = C sigma, u orthogonal to the rigid modes (no net translation or
 * rotation), the uniform crystal (sigma = +1) relaxes to u = -(x - centre)
 * with zero bond energy in 2D, and the relaxed bond energy equals
 * sigma^T V_eff sigma wherever V 1 = 0 (2D, 3D geometric). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_elastic_util.h"

/* Relaxed elastic energy sum_b k (alpha . (x_i - x_j) - l (s_i + s_j))^2 with
 * x = 2u; it is sigma^T V sigma at the minimum. Also D x - C sigma. */
static double bond_energy(const catex_lattice *lat, int scale_nnn, const double *u, const signed char *s,
                          double *residual, double *force_scale)
{
  const int n = catex_lattice_num_sites(lat), d = catex_lattice_dim(lat);
  const catex_bond *b = catex_lattice_bonds(lat);
  double *f = calloc((size_t)d * n, sizeof(double)), *c = calloc((size_t)d * n, sizeof(double)), e = 0;
  for (int k = 0; k < catex_lattice_num_bonds(lat); k++) {
    double unit[3], length;
    catex_lattice_bond_geometry(lat, &b[k], unit, &length);
    const double ks = catex_lattice_bond_stiffness(lat, &b[k]);
    const double l = scale_nnn ? length : 1.0, mis = l * (s[b[k].i] + s[b[k].j]);
    double stretch = 0;
    for (int a = 0; a < d; a++) stretch += unit[a] * 2.0 * (u[d * b[k].i + a] - u[d * b[k].j + a]);
    e += ks * (stretch - mis) * (stretch - mis);
    for (int a = 0; a < d; a++) {
      f[d * b[k].i + a] += ks * unit[a] * stretch;
      f[d * b[k].j + a] -= ks * unit[a] * stretch;
      c[d * b[k].i + a] += ks * unit[a] * mis;
      c[d * b[k].j + a] -= ks * unit[a] * mis;
    }
  }
  double rr = 0, cc = 0;
  for (int r = 0; r < d * n; r++) {
    rr += (f[r] - c[r]) * (f[r] - c[r]);
    cc += c[r] * c[r];
  }
  *residual = sqrt(rr);
  *force_scale = sqrt(cc);
  free(f);
  free(c);
  return e;
}

static void check_case(catex_check *t, catex_lattice_kind kind, int side, int shell, double k, catex_nnn_mismatch nnn)
{
  catex_lattice *lat = tu_lattice(kind, side, shell, k);
  CHECK(t, lat != NULL, "lattice");
  if (!lat) return;
  const int n = catex_lattice_num_sites(lat), d = catex_lattice_dim(lat), geo = nnn == CATEX_NNN_GEOMETRIC;
  const double *pos = catex_lattice_positions(lat);
  char what[128];
  snprintf(what, sizeof what, "%s %d+%d K %g %s", catex_lattice_kind_name(kind), side, shell, k,
           geo ? "geometric" : "unit");
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  opt.nnn = nnn;
  catex_elastic *el = NULL;
  catex_error err = {0};
  double *V = malloc(sizeof(double) * (size_t)n * n), *u = malloc(sizeof(double) * (size_t)d * n);
  signed char *s = malloc((size_t)n);
  CHECK(t, catex_elastic_create(lat, &opt, &el, &err) == CATEX_OK, "%s: %s", what, err.message);
  if (!el) goto done;
  /* before the potential there is no G: the sparse solve answers, and
   * must agree with G sigma once G exists */
  double *u_sparse = malloc(sizeof(double) * (size_t)d * n);
  for (int i = 0; i < n; i++) s[i] = (i * 7 + 3) % 5 < 2 ? 1 : -1;
  CHECK(t, u_sparse && catex_elastic_displacements(el, s, u_sparse, &err) == CATEX_OK,
        "%s: sparse displacements before the potential: %s", what, err.message);
  CHECK(t, catex_elastic_potential(el, V, NULL, &err) == CATEX_OK, "%s: %s", what, err.message);
  if (u_sparse && catex_elastic_displacements(el, s, u, &err) == CATEX_OK) {
    double diff = 0, big = 0;
    for (int r = 0; r < d * n; r++) {
      diff = fmax(diff, fabs(u[r] - u_sparse[r]));
      big = fmax(big, fabs(u[r]));
    }
    CHECK(t, diff <= 1e-12 * fmax(big, 1.0), "%s: sparse u differs from G sigma by %g (max |u| %g)", what, diff, big);
  }
  free(u_sparse);
  double centre[3] = {0, 0, 0};
  for (int i = 0; i < n; i++)
    for (int a = 0; a < d; a++) centre[a] += pos[d * i + a] / n;
  unsigned state = 12345u + (unsigned)n;
  for (int trial = 0; trial < 4; trial++) {
    for (int i = 0; i < n; i++) {
      state = state * 1664525u + 1013904223u;
      s[i] = trial == 0 ? 1 : ((state >> 16) & 1) ? 1 : -1;
    }
    if (catex_elastic_displacements(el, s, u, &err)) {
      CHECK(t, 0, "%s: %s", what, err.message);
      break;
    }
    double res, fscale;
    const double e = bond_energy(lat, geo, u, s, &res, &fscale);
    CHECK(t, res <= 1e-10 * fscale, "%s trial %d: |D (2u) - C sigma| = %g (|C sigma| %g)", what, trial, res, fscale);
    double trans[3] = {0, 0, 0}, rot[3] = {0, 0, 0}, unorm = 0;
    for (int i = 0; i < n; i++) {
      double x[3] = {0, 0, 0}, v[3] = {0, 0, 0};
      for (int a = 0; a < d; a++) {
        x[a] = pos[d * i + a] - centre[a];
        v[a] = u[d * i + a];
        trans[a] += v[a];
        unorm += v[a] * v[a];
      }
      rot[0] += x[1] * v[2] - x[2] * v[1];
      rot[1] += x[2] * v[0] - x[0] * v[2];
      rot[2] += x[0] * v[1] - x[1] * v[0];
    }
    double worst = 0;
    for (int a = 0; a < 3; a++) worst = fmax(worst, fmax(fabs(trans[a]), fabs(rot[a])));
    CHECK(t, worst <= 1e-10 * (1 + sqrt(unorm)) * n, "%s trial %d: net translation/rotation %g", what, trial, worst);
    if (trial == 0 && (d == 2 || geo)) {
      /* uniform crystal: a pure dilation, u = -(x - centre), costs nothing */
      double du = 0;
      for (int i = 0; i < n; i++)
        for (int a = 0; a < d; a++) du = fmax(du, fabs(u[d * i + a] + (pos[d * i + a] - centre[a])));
      CHECK(t, du <= 1e-9, "%s: uniform crystal displacement differs from -(x - centre) by %g", what, du);
      CHECK(t, e <= 1e-16 * n, "%s: uniform crystal has elastic energy %g", what, e);
    }
    if (d == 2 || geo) {
      double q = 0;
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) q += s[i] * V[(size_t)i * n + j] * s[j];
      CHECK(t, fabs(q - e) <= 1e-9 * (1 + fabs(e)), "%s trial %d: sigma^T V_eff sigma %.12g vs bond energy %.12g",
            what, trial, q, e);
    }
  }
done:
  catex_elastic_destroy(el);
  free(V);
  free(u);
  free(s);
  catex_lattice_destroy(lat);
}

/* skip_displacements: same V, no G, displacements from the sparse solve. */
static void check_skip(catex_check *t)
{
  catex_lattice *lat = tu_lattice(CATEX_LATTICE_HEXAGON, 4, 1, 17.0);
  const int n = catex_lattice_num_sites(lat);
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  opt.skip_displacements = 1;
  catex_elastic *el = NULL;
  catex_error err = {0};
  double *V = malloc(sizeof(double) * (size_t)n * n), *u = malloc(sizeof(double) * 2 * (size_t)n);
  signed char *s = calloc((size_t)n, 1);
  double *Vfull = tu_potential(lat, NULL, NULL);
  int ok = catex_elastic_create(lat, &opt, &el, &err) == CATEX_OK && catex_elastic_potential(el, V, NULL, &err) == CATEX_OK;
  CHECK(t, ok, "skip_displacements: %s", err.message);
  if (ok && Vfull) {
    CHECK(t, tu_max_abs_diff(V, Vfull, (long)n * n) == 0.0, "skip_displacements changes V");
    CHECK(t, catex_elastic_displacement_response(el) == NULL, "skip_displacements still keeps G");
    CHECK(t, catex_elastic_displacements(el, s, u, &err) == CATEX_OK, "skip_displacements: %s", err.message);
  }
  catex_elastic_destroy(el);
  free(V);
  free(Vfull);
  free(u);
  free(s);
  catex_lattice_destroy(lat);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_elastic_displacements", &argc, &argv)) return 1;
  check_case(&t, CATEX_LATTICE_HEXAGON, 3, 1, 17.0, CATEX_NNN_UNIT);
  check_case(&t, CATEX_LATTICE_HEXAGON, 8, 2, 100.0, CATEX_NNN_UNIT);
  check_case(&t, CATEX_LATTICE_HEXAGON, 5, 0, 1.0, CATEX_NNN_UNIT);
  check_case(&t, CATEX_LATTICE_CUBE, 3, 1, 17.0, CATEX_NNN_UNIT);
  check_case(&t, CATEX_LATTICE_CUBE, 3, 1, 17.0, CATEX_NNN_GEOMETRIC);
  check_case(&t, CATEX_LATTICE_CUBE, 4, 0, 1.0, CATEX_NNN_GEOMETRIC);
  check_skip(&t);
  return catex_check_finish(&t);
}
