/* Phase labels: perfect U1, U2 and both sqrt3 x sqrt3 superlattices at every
 * interior site; random configurations against a brute-force classifier
 * written here from positions alone; 3D U rule; area deviation cases with a
 * known answer. */
#include <math.h>
#include <stdlib.h>

#include "catex/observables.h"
#include "check.h"

static catex_lattice *make(catex_lattice_kind kind, int side, int shell)
{
  catex_lattice_spec spec = {kind, side, shell, 1.0};
  catex_lattice *lat = NULL;
  catex_lattice_create(&spec, &lat, NULL);
  return lat;
}

/* Sublattice (0, 1, 2) of the sqrt3 x sqrt3 superlattice from positions. */
static int sublattice(const double *p)
{
  long r = lround(p[1] * 2.0 / sqrt(3.0));
  long q = lround(p[0] - 0.5 * (double)r);
  return (int)(((q - r) % 3 + 3) % 3);
}

/* Brute force: neighbours found by distance and ordered by angle. */
static int brute_label(const catex_lattice *lat, const signed char *sigma, int i)
{
  const int n = catex_lattice_num_sites(lat);
  const double *pos = catex_lattice_positions(lat);
  int ring[6], found = 0;
  for (int j = 0; j < n; j++) {
    double dx = pos[2 * j] - pos[2 * i], dy = pos[2 * j + 1] - pos[2 * i + 1];
    if (fabs(dx * dx + dy * dy - 1.0) > 1e-9) continue;
    double ang = atan2(dy, dx);
    if (ang < -1e-9) ang += 2 * M_PI;
    ring[(int)lround(ang / (M_PI / 3)) % 6] = j;
    found++;
  }
  if (found < 6) return -1;
  int all_plus = 1, all_minus = 1, alt = 1;
  for (int k = 0; k < 6; k++) {
    if (sigma[ring[k]] != 1) all_plus = 0;
    if (sigma[ring[k]] != -1) all_minus = 0;
    if (sigma[ring[k]] != -sigma[ring[(k + 1) % 6]]) alt = 0;
  }
  if (sigma[i] == 1 && all_plus) return CATEX_PHASE_U1;
  if ((sigma[i] == -1 && all_plus) || (sigma[i] == 1 && alt)) return CATEX_PHASE_S1;
  if ((sigma[i] == 1 && all_minus) || (sigma[i] == -1 && alt)) return CATEX_PHASE_S2;
  if (sigma[i] == -1 && all_minus) return CATEX_PHASE_U2;
  return CATEX_PHASE_UNCLASSIFIED;
}

static void check_uniform_phase(catex_check *t, const catex_lattice *lat, signed char *sigma, int want,
                                const char *what)
{
  int *sites, m = catex_sites_full_ring(lat, &sites);
  int bad = 0;
  for (int k = 0; k < m; k++) bad += catex_phase_label(lat, sigma, sites[k]) != want;
  double f[CATEX_NUM_PHASES];
  catex_phase_fractions(lat, sigma, sites, m, f);
  CHECK(t, bad == 0, "%s: %d of %d interior sites mislabelled", what, bad, m);
  CHECK(t, f[want] == 1.0, "%s: fraction %g", what, f[want]);
  free(sites);
}

static void check_hexagon_phases(catex_check *t)
{
  catex_lattice *lat = make(CATEX_LATTICE_HEXAGON, 8, 0);
  const int n = catex_lattice_num_sites(lat);
  const double *pos = catex_lattice_positions(lat);
  signed char *sigma = malloc((size_t)n);
  for (int i = 0; i < n; i++) sigma[i] = 1;
  check_uniform_phase(t, lat, sigma, CATEX_PHASE_U1, "all A");
  for (int i = 0; i < n; i++) sigma[i] = -1;
  check_uniform_phase(t, lat, sigma, CATEX_PHASE_U2, "all B");
  for (int shift = 0; shift < 3; shift++) {
    for (int i = 0; i < n; i++) sigma[i] = sublattice(pos + 2 * i) == shift ? -1 : 1;
    check_uniform_phase(t, lat, sigma, CATEX_PHASE_S1, "S1 superlattice");
    for (int i = 0; i < n; i++) sigma[i] = sublattice(pos + 2 * i) == shift ? 1 : -1;
    check_uniform_phase(t, lat, sigma, CATEX_PHASE_S2, "S2 superlattice");
  }
  /* random configurations at several compositions against brute force */
  unsigned seed = 12345;
  int bad = 0, seen[CATEX_NUM_PHASES] = {0};
  for (int rep = 0; rep < 40; rep++) {
    double pa = (rep % 10) / 9.0;
    for (int i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      sigma[i] = ((seed >> 8) & 0xffff) / 65536.0 < pa ? 1 : -1;
    }
    for (int i = 0; i < n; i++) {
      int a = catex_phase_label(lat, sigma, i), b = brute_label(lat, sigma, i);
      bad += a != b;
      if (a >= 0) seen[a]++;
    }
  }
  CHECK(t, bad == 0, "random configurations: %d labels differ from brute force", bad);
  for (int a = 0; a < CATEX_NUM_PHASES; a++) CHECK(t, seen[a] > 0, "phase %d never produced by the random test", a);
  free(sigma);
  catex_lattice_destroy(lat);
}

static void check_cube_phases(catex_check *t)
{
  catex_lattice *lat = make(CATEX_LATTICE_CUBE, 4, 0);
  const int n = catex_lattice_num_sites(lat);
  signed char *sigma = malloc((size_t)n);
  for (int i = 0; i < n; i++) sigma[i] = 1;
  check_uniform_phase(t, lat, sigma, CATEX_PHASE_U1, "cube all A");
  for (int i = 0; i < n; i++) sigma[i] = -1;
  check_uniform_phase(t, lat, sigma, CATEX_PHASE_U2, "cube all B");
  /* flipping one corner site (0) spoils exactly the interior sites bonded
   * to it: in a 4-cube the only interior site within NN/NNN reach of the
   * corner (0,0,0) is (1,1,1)? No: (1,1,1) is at distance sqrt3, not
   * bonded. So every interior site stays U2. */
  sigma[0] = 1;
  check_uniform_phase(t, lat, sigma, CATEX_PHASE_U2, "cube with a flipped corner");
  /* flipping site (1,1,0) (a face site bonded to interior (1,1,1) by an axis
   * bond, and to (2,1,1), (1,2,1) by face diagonals) */
  sigma[0] = -1;
  const int L = 4, face = (0 * L + 1) * L + 1;
  sigma[face] = 1;
  int *sites, m = catex_sites_full_ring(lat, &sites), unclassified = 0;
  for (int k = 0; k < m; k++) unclassified += catex_phase_label(lat, sigma, sites[k]) == CATEX_PHASE_UNCLASSIFIED;
  CHECK(t, m == 8 && unclassified == 3, "cube: %d of %d interior sites unclassified (want 3 of 8)", unclassified, m);
  free(sites);
  free(sigma);
  catex_lattice_destroy(lat);
}

static void check_site_sets(catex_check *t)
{
  catex_lattice *lat = make(CATEX_LATTICE_HEXAGON, 5, 2);
  int *sites, m = catex_sites_interior_core(lat, &sites);
  CHECK(t, m == 3 * 4 * 4 - 3 * 4 + 1, "interior core of core side 5 has %d sites (want 37)", m);
  free(sites);
  m = catex_sites_full_ring(lat, &sites);
  CHECK(t, m == 3 * 6 * 6 - 3 * 6 + 1, "full-ring sites of total side 7: %d (want 91)", m);
  free(sites);
  catex_lattice_destroy(lat);
}

static void check_area(catex_check *t)
{
  catex_lattice *lat = make(CATEX_LATTICE_HEXAGON, 6, 0);
  const int n = catex_lattice_num_sites(lat);
  const double *pos = catex_lattice_positions(lat);
  double *u = calloc((size_t)2 * n, sizeof(double));
  int *sites, m = catex_sites_full_ring(lat, &sites);
  /* no displacement, or a uniform dilation: every A_R is the same */
  CHECK_CLOSE(t, catex_area_deviation_ms(lat, u, 0.1, sites, m), 0.0, 1e-15, "undisplaced");
  for (int i = 0; i < 2 * n; i++) u[i] = 0.7 * pos[i];
  CHECK_CLOSE(t, catex_area_deviation_ms(lat, u, 0.1, sites, m), 0.0, 1e-15, "uniform dilation");
  /* a single site moved by (a, 0): by hand, A at that site is
   * (1/6) sum_k |e_k + delta a x|^2 = 1 + (delta a)^2 (the cross terms cancel);
   * at neighbour k: (1/6)(5 + |e_k' + delta a x|^2) with e_k' pointing back. */
  for (int i = 0; i < 2 * n; i++) u[i] = 0;
  const int c = n / 2; /* the centre site of a hexagon in our ordering */
  const double a = 1.5, dl = 0.1;
  u[2 * c] = a;
  double A[7], mean = 0;
  A[0] = 1 + dl * dl * a * a;
  int ring[6];
  CHECK(t, catex_lattice_ring(lat, c, ring) == 1, "hexagon ring");
  for (int k = 0; k < 6; k++) {
    double ex = pos[2 * c] - pos[2 * ring[k]], ey = pos[2 * c + 1] - pos[2 * ring[k] + 1];
    double dx = ex - dl * a; /* -delta (u_c - u_k) + e, with u_c = (a, 0) */
    A[k + 1] = (5 + dx * dx + ey * ey) / 6;
  }
  double sum_all = (m - 7) * 1.0;
  for (int k = 0; k < 7; k++) sum_all += A[k];
  mean = sum_all / m;
  double ms = (m - 7) * (1 - mean) * (1 - mean);
  for (int k = 0; k < 7; k++) ms += (A[k] - mean) * (A[k] - mean);
  ms /= m;
  CHECK_CLOSE(t, catex_area_deviation_ms(lat, u, dl, sites, m), ms, 1e-14, "single displaced site");
  CHECK(t, ms > 1e-6, "the single-site case is not trivial (%g)", ms);
  free(sites);
  free(u);
  catex_lattice_destroy(lat);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_observables", &argc, &argv)) return 1;
  check_hexagon_phases(&t);
  check_cube_phases(&t);
  check_site_sets(&t);
  check_area(&t);
  return catex_check_finish(&t);
}
