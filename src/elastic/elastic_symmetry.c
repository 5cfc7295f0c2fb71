/* Point-group symmetries of a lattice and the orbits of its sites.
 *
 * Why: V and X = D^+ C are equivariant under every isometry g of the crystal
 * (V[g i][g j] = V[i][j], X[g i][g j] = R_g X[i][j]), so solving one right-
 * hand side per site orbit gives all N columns. For the hexagon (12
 * elements) and the cube (48) this cuts the dominant cost, the triangular
 * solves, by about 12x and 48x. Nothing is assumed about the lattice: each
 * candidate map is checked on every site and bond (including stiffness), and
 * the checked candidates form a subgroup, so a lattice without symmetry just
 * gets the identity. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "elastic_internal.h"

/* Distinct lattice points differ by >= 0.5 in some coordinate, so a
 * tolerant lexicographic order is a consistent order on them. */
#define POSITION_TOL 1e-6

typedef struct {
  double x[3];
  int site;
} point;

static int compare_points(const void *pa, const void *pb)
{
  const point *a = pa, *b = pb;
  for (int k = 0; k < 3; k++) {
    if (a->x[k] < b->x[k] - POSITION_TOL) return -1;
    if (a->x[k] > b->x[k] + POSITION_TOL) return 1;
  }
  return 0;
}

/* Candidate maps: 2D, the 12 elements of the hexagon's group C6v; 3D, the 48
 * signed permutation matrices (the cube's group Oh). */
static int candidate_maps(int dim, double *rot)
{
  int count = 0;
  if (dim == 2) {
    for (int refl = 0; refl < 2; refl++)
      for (int k = 0; k < 6; k++) {
        double c = cos(M_PI / 3 * k), s = sin(M_PI / 3 * k), f = refl ? -1.0 : 1.0;
        double *r = rot + 9 * count++;
        memset(r, 0, 9 * sizeof(double));
        /* rotation by 60k degrees after the reflection y -> f y */
        r[0] = c;
        r[1] = -s * f;
        r[3] = s;
        r[4] = c * f;
        r[8] = 1;
      }
    return count;
  }
  static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (int p = 0; p < 6; p++)
    for (int signs = 0; signs < 8; signs++) {
      double *r = rot + 9 * count++;
      memset(r, 0, 9 * sizeof(double));
      for (int row = 0; row < 3; row++) r[3 * row + perms[p][row]] = (signs >> row) & 1 ? -1.0 : 1.0;
    }
  return count;
}

/* Image of every site under rot, or 0 if some image is not a site or some
 * bond does not map onto a bond of the same stiffness. */
static int map_sites(const catex_lattice *lat, const point *sorted, const double *rot, int *perm)
{
  const int n = catex_lattice_num_sites(lat), dim = catex_lattice_dim(lat);
  const double *pos = catex_lattice_positions(lat);
  for (int i = 0; i < n; i++) {
    point p = {{0, 0, 0}, -1};
    for (int a = 0; a < dim; a++)
      for (int b = 0; b < dim; b++) p.x[a] += rot[3 * a + b] * pos[(size_t)dim * i + b];
    const point *hit = bsearch(&p, sorted, (size_t)n, sizeof(point), compare_points);
    if (!hit) return 0;
    perm[i] = hit->site;
  }
  const int *off = catex_lattice_neighbor_offsets(lat), *nbr = catex_lattice_neighbors(lat);
  const unsigned char *shell = catex_lattice_shell(lat);
  const catex_bond *bonds = catex_lattice_bonds(lat);
  for (int e = 0; e < catex_lattice_num_bonds(lat); e++) {
    int gi = perm[bonds[e].i], gj = perm[bonds[e].j], found = 0;
    /* the image bond must exist and have the same stiffness (shell-shell or not) */
    for (int p = off[gi]; p < off[gi + 1] && !found; p++)
      found = nbr[p] == gj && (shell[gi] && shell[gj]) == (shell[bonds[e].i] && shell[bonds[e].j]);
    if (!found) return 0;
  }
  return 1;
}

static catex_status find_orbits(catex_elastic_symmetry *sym, int n, catex_error *err)
{
  sym->orbit_rep = malloc(sizeof(int) * (size_t)n);
  sym->orbit_of = malloc(sizeof(int) * (size_t)n);
  sym->elem_of = malloc(sizeof(int) * (size_t)n);
  sym->preimage = malloc(sizeof(int) * (size_t)n * (size_t)sym->order);
  if (!sym->orbit_rep || !sym->orbit_of || !sym->elem_of || !sym->preimage)
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for site orbits");
  for (int g = 0; g < sym->order; g++)
    for (int i = 0; i < n; i++) sym->preimage[(size_t)sym->perm[(size_t)g * n + i] * sym->order + g] = i;
  for (int i = 0; i < n; i++) sym->orbit_of[i] = -1;
  sym->num_orbits = 0;
  for (int s = 0; s < n; s++) {
    if (sym->orbit_of[s] >= 0) continue;
    int o = sym->num_orbits++;
    sym->orbit_rep[o] = s;
    for (int g = 0; g < sym->order; g++) { /* g = 0 is the identity */
      int t = sym->perm[(size_t)g * n + s];
      if (sym->orbit_of[t] < 0) {
        sym->orbit_of[t] = o;
        sym->elem_of[t] = g;
      }
    }
  }
  return CATEX_OK;
}

catex_status catex_elastic_symmetry_find(const catex_lattice *lat, int enabled, catex_elastic_symmetry *sym,
                                         catex_error *err)
{
  memset(sym, 0, sizeof *sym);
  const int n = catex_lattice_num_sites(lat), dim = catex_lattice_dim(lat);
  const double *pos = catex_lattice_positions(lat);
  double candidates[48 * 9];
  int ncand = candidate_maps(dim, candidates); /* the identity comes first */
  if (!enabled) ncand = 1;
  point *sorted = malloc(sizeof(point) * (size_t)n);
  sym->rot = malloc(sizeof(double) * 9 * (size_t)ncand);
  sym->perm = malloc(sizeof(int) * (size_t)n * (size_t)ncand);
  if (!sorted || !sym->rot || !sym->perm) {
    free(sorted);
    catex_elastic_symmetry_free(sym);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory finding lattice symmetries");
  }
  for (int i = 0; i < n; i++) {
    sorted[i].site = i;
    for (int k = 0; k < 3; k++) sorted[i].x[k] = k < dim ? pos[(size_t)dim * i + k] : 0.0;
  }
  qsort(sorted, (size_t)n, sizeof(point), compare_points);
  for (int c = 0; c < ncand; c++) {
    int *perm = sym->perm + (size_t)sym->order * n;
    if (!map_sites(lat, sorted, candidates + 9 * c, perm)) continue;
    memcpy(sym->rot + 9 * sym->order, candidates + 9 * c, 9 * sizeof(double));
    sym->order++;
  }
  free(sorted);
  catex_status st = sym->order >= 1 ? find_orbits(sym, n, err)
                                    : catex_error_set(err, CATEX_ERR_INTERNAL, "identity map rejected by the lattice");
  if (st) catex_elastic_symmetry_free(sym);
  return st;
}

void catex_elastic_symmetry_free(catex_elastic_symmetry *sym)
{
  free(sym->rot);
  free(sym->perm);
  free(sym->preimage);
  free(sym->orbit_rep);
  free(sym->orbit_of);
  free(sym->elem_of);
  memset(sym, 0, sizeof *sym);
}
