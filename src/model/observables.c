#include "catex/observables.h"

#include <stdlib.h>

static int has_full_ring(const catex_lattice *lat, int i)
{
  const int *off = catex_lattice_neighbor_offsets(lat);
  return off[i + 1] - off[i] == catex_lattice_max_bonds(lat);
}

int catex_plaquette_value(const catex_lattice *lat, const signed char *sigma, int i)
{
  int ring[6];
  if (!catex_lattice_ring(lat, i, ring) || !has_full_ring(lat, i)) return 0;
  int sum = 0, alternating = 1;
  for (int k = 0; k < 6; k++) {
    sum += sigma[ring[k]];
    if (sigma[ring[k]] == sigma[ring[(k + 1) % 6]]) alternating = 0;
  }
  const int s = sigma[i];
  if (sum == 6) return s > 0 ? 2 : 1;
  if (sum == -6) return s > 0 ? -1 : -2;
  if (alternating) return s > 0 ? 1 : -1;
  return 0;
}

static int label_of_value(int s)
{
  switch (s) {
  case 2: return CATEX_PHASE_U1;
  case 1: return CATEX_PHASE_S1;
  case -1: return CATEX_PHASE_S2;
  case -2: return CATEX_PHASE_U2;
  default: return CATEX_PHASE_UNCLASSIFIED;
  }
}

int catex_phase_label(const catex_lattice *lat, const signed char *sigma, int i)
{
  if (!has_full_ring(lat, i)) return -1;
  if (catex_lattice_dim(lat) == 2) return label_of_value(catex_plaquette_value(lat, sigma, i));
  const int *off = catex_lattice_neighbor_offsets(lat), *nbr = catex_lattice_neighbors(lat);
  const int s = sigma[i];
  for (int k = off[i]; k < off[i + 1]; k++)
    if (sigma[nbr[k]] != s) return CATEX_PHASE_UNCLASSIFIED;
  return s > 0 ? CATEX_PHASE_U1 : CATEX_PHASE_U2;
}

void catex_phase_fractions(const catex_lattice *lat, const signed char *sigma, const int *sites,
                           int nsites, double f[CATEX_NUM_PHASES])
{
  long count[CATEX_NUM_PHASES] = {0};
  for (int k = 0; k < nsites; k++) {
    int a = catex_phase_label(lat, sigma, sites[k]);
    count[a < 0 ? CATEX_PHASE_UNCLASSIFIED : a]++;
  }
  for (int a = 0; a < CATEX_NUM_PHASES; a++) f[a] = nsites > 0 ? (double)count[a] / nsites : 0.0;
}

/* Collects the sites for which keep(lat, i, arg) is true. */
static int collect_sites(const catex_lattice *lat, int (*keep)(const catex_lattice *, int, int), int arg,
                         int **sites)
{
  const int n = catex_lattice_num_sites(lat);
  int *list = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
  *sites = list;
  if (!list) return -1;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (keep(lat, i, arg)) list[m++] = i;
  return m;
}

static int keep_full_ring(const catex_lattice *lat, int i, int unused)
{
  (void)unused;
  return has_full_ring(lat, i);
}

static int keep_interior_core(const catex_lattice *lat, int i, int shell_layers)
{
  return catex_lattice_layer(lat)[i] > shell_layers + 1;
}

int catex_sites_full_ring(const catex_lattice *lat, int **sites)
{
  return collect_sites(lat, keep_full_ring, 0, sites);
}

int catex_sites_interior_core(const catex_lattice *lat, int **sites)
{
  return collect_sites(lat, keep_interior_core, catex_lattice_get_spec(lat)->shell_layers, sites);
}

/* A_R - 1 of site i (A_R = 1 for an undistorted lattice, so the value is small). */
static double area_shift(const int *off, const int *nbr, const double *pos, const double *u, double delta, int i)
{
  double a = 0;
  for (int p = off[i]; p < off[i + 1]; p++) {
    const int j = nbr[p];
    /* the lattice constant is 1, so pos_j - pos_i is the unit bond vector */
    double dx = -delta * (u[2 * j] - u[2 * i]) + (pos[2 * j] - pos[2 * i]);
    double dy = -delta * (u[2 * j + 1] - u[2 * i + 1]) + (pos[2 * j + 1] - pos[2 * i + 1]);
    a += dx * dx + dy * dy;
  }
  return a / (off[i + 1] - off[i]) - 1.0;
}

double catex_area_deviation_ms(const catex_lattice *lat, const double *u, double delta,
                               const int *sites, int nsites)
{
  if (nsites <= 0) return 0.0;
  const int *off = catex_lattice_neighbor_offsets(lat), *nbr = catex_lattice_neighbors(lat);
  const double *pos = catex_lattice_positions(lat);
  /* Two passes (the mean, then the squared deviations from it), each
   * computing A_R afresh: no scratch memory, so measuring never fails, and
   * no cancellation where every site has the same non-zero A_R - 1 (a
   * uniformly contracted crystal: sum a^2 - (sum a)^2 / n would leave
   * rounding noise of ~1e-8 in the RMS there). */
  double sum = 0;
  for (int k = 0; k < nsites; k++) sum += area_shift(off, nbr, pos, u, delta, sites[k]);
  const double mean = sum / nsites;
  double ss = 0;
  for (int k = 0; k < nsites; k++) {
    const double d = area_shift(off, nbr, pos, u, delta, sites[k]) - mean;
    ss += d * d;
  }
  return ss / nsites;
}
