#include "catex/lattice.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct catex_lattice {
  catex_lattice_spec spec;
  int dim, total_side, n, max_bonds;
  int nbonds, nshell, nboundary;
  double *pos;
  int *layer;
  unsigned char *boundary, *shell;
  catex_bond *bonds;
  int *nbr_off, *nbr;
  int *nn_off, *nn; /* 2D: nbr_off, nbr (every bond is a nearest one) */
};

/* Axial directions of the triangular lattice at 0, 60, ..., 300 degrees. */
static const int hex_dir[6][2] = {{1, 0}, {0, 1}, {-1, 1}, {-1, 0}, {0, -1}, {1, -1}};

long catex_hexagon_num_sites(int s) { return 3L * s * s - 3L * s + 1; }
long catex_cube_num_sites(int s) { return (long)s * s * s; }

long catex_lattice_spec_total_side(catex_lattice_kind kind, long side, long shell_layers)
{
  return kind == CATEX_LATTICE_HEXAGON ? side + shell_layers : side + 2 * shell_layers;
}

long catex_lattice_spec_num_sites(catex_lattice_kind kind, long side, long shell_layers)
{
  long total = catex_lattice_spec_total_side(kind, side, shell_layers);
  if (total > 100000) return CATEX_MAX_SITES + 1L; /* beyond the limit in any dimension */
  return kind == CATEX_LATTICE_HEXAGON ? catex_hexagon_num_sites((int)total) : catex_cube_num_sites((int)total);
}

static int iabs(int a) { return a < 0 ? -a : a; }
static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

catex_status catex_lattice_kind_parse(const char *name, catex_lattice_kind *kind, catex_error *err)
{
  if (name && strcmp(name, "hexagon") == 0) { *kind = CATEX_LATTICE_HEXAGON; return CATEX_OK; }
  if (name && strcmp(name, "cube") == 0) { *kind = CATEX_LATTICE_CUBE; return CATEX_OK; }
  return catex_error_set(err, CATEX_ERR_ARG, "unknown lattice '%s' (expected 'hexagon' or 'cube')",
                         name ? name : "(null)");
}

const char *catex_lattice_kind_name(catex_lattice_kind kind)
{
  return kind == CATEX_LATTICE_CUBE ? "cube" : "hexagon";
}

static catex_status validate(const catex_lattice_spec *spec, catex_error *err)
{
  if (spec->kind != CATEX_LATTICE_HEXAGON && spec->kind != CATEX_LATTICE_CUBE)
    return catex_error_set(err, CATEX_ERR_ARG, "unknown lattice kind %d", (int)spec->kind);
  const char *what = spec->kind == CATEX_LATTICE_HEXAGON ? "side" : "L";
  if (spec->side < 2)
    return catex_error_set(err, CATEX_ERR_ARG, "core %s = %d is too small (must be >= 2)", what, spec->side);
  if (spec->shell_layers < 0)
    return catex_error_set(err, CATEX_ERR_ARG, "shell_layers = %d is negative", spec->shell_layers);
  if (!isfinite(spec->kshell) || !(spec->kshell > 0))
    return catex_error_set(err, CATEX_ERR_ARG, "K_shell = %g is invalid (must be finite and > 0)", spec->kshell);
  long n = catex_lattice_spec_num_sites(spec->kind, spec->side, spec->shell_layers);
  if (n > CATEX_MAX_SITES)
    return catex_error_set(err, CATEX_ERR_ARG,
                           "core %s = %d with %d shell layers gives %ld sites (limit %d)", what,
                           spec->side, spec->shell_layers, n, CATEX_MAX_SITES);
  return CATEX_OK;
}

static void add_bond(catex_lattice *lat, int a, int b, int nearest)
{
  lat->bonds[lat->nbonds++] = (catex_bond){imin(a, b), imax(a, b), nearest};
}

void catex_lattice_bond_geometry(const catex_lattice *lat, const catex_bond *b, double unit[3], double *length)
{
  double len2 = 0;
  for (int k = 0; k < 3; k++) unit[k] = 0;
  for (int k = 0; k < lat->dim; k++) {
    unit[k] = lat->pos[(size_t)b->j * lat->dim + k] - lat->pos[(size_t)b->i * lat->dim + k];
    len2 += unit[k] * unit[k];
  }
  *length = sqrt(len2);
  for (int k = 0; k < 3; k++) unit[k] /= *length;
}

double catex_lattice_bond_stiffness(const catex_lattice *lat, const catex_bond *b)
{
  return lat->shell[b->i] && lat->shell[b->j] ? lat->spec.kshell : 1.0;
}

/* Sites in axial order (row r, then column q); bonds at 0, 60, 120 degrees
 * from each site, so each bond once and in site order. */
static catex_status build_hexagon(catex_lattice *lat)
{
  const int s = lat->total_side, w = 2 * s - 1;
  int *index = malloc(sizeof(int) * (size_t)w * w);
  if (!index) return CATEX_ERR_NOMEM;
  int n = 0;
  for (int r = -(s - 1); r <= s - 1; r++)
    for (int q = -(s - 1); q <= s - 1; q++) {
      int ring = imax(iabs(q), imax(iabs(r), iabs(q + r)));
      int *slot = &index[(r + s - 1) * w + (q + s - 1)];
      if (ring > s - 1) { *slot = -1; continue; }
      *slot = n;
      lat->pos[2 * n] = q + 0.5 * r;
      lat->pos[2 * n + 1] = 0.5 * sqrt(3.0) * r;
      lat->layer[n] = s - ring;
      n++;
    }
  for (int r = -(s - 1); r <= s - 1; r++)
    for (int q = -(s - 1); q <= s - 1; q++) {
      int i = index[(r + s - 1) * w + (q + s - 1)];
      if (i < 0) continue;
      for (int d = 0; d < 3; d++) {
        int q2 = q + hex_dir[d][0], r2 = r + hex_dir[d][1];
        if (iabs(q2) > s - 1 || iabs(r2) > s - 1) continue;
        int j = index[(r2 + s - 1) * w + (q2 + s - 1)];
        if (j >= 0) add_bond(lat, i, j, 1);
      }
    }
  free(index);
  return CATEX_OK;
}

static void build_cube(catex_lattice *lat)
{
  const int L = lat->total_side;
  const double c = 0.5 * (L - 1);
  for (int z = 0; z < L; z++)
    for (int y = 0; y < L; y++)
      for (int x = 0; x < L; x++) {
        int i = (z * L + y) * L + x;
        lat->pos[3 * i] = x - c;
        lat->pos[3 * i + 1] = y - c;
        lat->pos[3 * i + 2] = z - c;
        int d = imin(imin(x, y), imin(z, imin(L - 1 - x, imin(L - 1 - y, L - 1 - z))));
        lat->layer[i] = 1 + d;
      }
}

/* Offsets of the cube's bonds taken once each: 3 axes and 6 face diagonals. */
static const int cube_bond_dir[9][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {1, -1, 0},
                                        {1, 0, 1}, {1, 0, -1}, {0, 1, 1}, {0, 1, -1}};

static void collect_cube_bonds(catex_lattice *lat)
{
  const int L = lat->total_side;
  for (int z = 0; z < L; z++)
    for (int y = 0; y < L; y++)
      for (int x = 0; x < L; x++)
        for (int d = 0; d < 9; d++) {
          int x2 = x + cube_bond_dir[d][0], y2 = y + cube_bond_dir[d][1], z2 = z + cube_bond_dir[d][2];
          if (x2 < 0 || y2 < 0 || z2 < 0 || x2 >= L || y2 >= L || z2 >= L) continue;
          add_bond(lat, (z * L + y) * L + x, (z2 * L + y2) * L + x2, d < 3);
        }
}

/* Builds CSR adjacency from the bond list, optionally only nearest bonds. */
static catex_status build_csr(const catex_lattice *lat, int nearest_only, int **off_out, int **nbr_out)
{
  const int n = lat->n;
  int *off = calloc((size_t)n + 1, sizeof(int));
  int *fill = calloc((size_t)n, sizeof(int));
  int *nbr = malloc(sizeof(int) * (size_t)(2 * lat->nbonds + 1));
  if (!off || !fill || !nbr) {
    free(off); free(fill); free(nbr);
    return CATEX_ERR_NOMEM;
  }
  for (int b = 0; b < lat->nbonds; b++) {
    if (nearest_only && !lat->bonds[b].nearest) continue;
    off[lat->bonds[b].i + 1]++;
    off[lat->bonds[b].j + 1]++;
  }
  for (int i = 0; i < n; i++) off[i + 1] += off[i];
  for (int b = 0; b < lat->nbonds; b++) {
    const catex_bond *bd = &lat->bonds[b];
    if (nearest_only && !bd->nearest) continue;
    nbr[off[bd->i] + fill[bd->i]++] = bd->j;
    nbr[off[bd->j] + fill[bd->j]++] = bd->i;
  }
  free(fill);
  *off_out = off;
  *nbr_out = nbr;
  return CATEX_OK;
}

catex_status catex_lattice_create(const catex_lattice_spec *spec, catex_lattice **out, catex_error *err)
{
  *out = NULL;
  catex_status st = validate(spec, err);
  if (st) return st;
  catex_lattice *lat = calloc(1, sizeof *lat);
  if (!lat) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory allocating lattice");
  lat->spec = *spec;
  int hex = spec->kind == CATEX_LATTICE_HEXAGON;
  lat->dim = hex ? 2 : 3;
  lat->total_side = (int)catex_lattice_spec_total_side(spec->kind, spec->side, spec->shell_layers);
  lat->n = (int)catex_lattice_spec_num_sites(spec->kind, spec->side, spec->shell_layers);
  lat->max_bonds = hex ? 6 : 18;
  const size_t n = (size_t)lat->n;
  lat->pos = malloc(sizeof(double) * n * (size_t)lat->dim);
  lat->layer = malloc(sizeof(int) * n);
  lat->boundary = malloc(n);
  lat->shell = malloc(n);
  lat->bonds = malloc(sizeof(catex_bond) * n * (size_t)lat->max_bonds / 2);
  if (!lat->pos || !lat->layer || !lat->boundary || !lat->shell || !lat->bonds) {
    catex_lattice_destroy(lat);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory allocating a lattice of %zu sites", n);
  }
  if (hex) {
    if (build_hexagon(lat)) {
      catex_lattice_destroy(lat);
      return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory building hexagon");
    }
  } else {
    build_cube(lat);
    collect_cube_bonds(lat);
  }
  for (int i = 0; i < lat->n; i++) {
    lat->boundary[i] = lat->layer[i] == 1;
    lat->shell[i] = lat->layer[i] <= spec->shell_layers;
    lat->nboundary += lat->boundary[i];
    lat->nshell += lat->shell[i];
  }
  if (build_csr(lat, 0, &lat->nbr_off, &lat->nbr) || (!hex && build_csr(lat, 1, &lat->nn_off, &lat->nn))) {
    catex_lattice_destroy(lat);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory building neighbour lists");
  }
  if (hex) {
    lat->nn_off = lat->nbr_off;
    lat->nn = lat->nbr;
  }
  *out = lat;
  return CATEX_OK;
}

void catex_lattice_destroy(catex_lattice *lat)
{
  if (!lat) return;
  free(lat->pos);
  free(lat->layer);
  free(lat->boundary);
  free(lat->shell);
  free(lat->bonds);
  if (lat->nn != lat->nbr) {
    free(lat->nn_off);
    free(lat->nn);
  }
  free(lat->nbr_off);
  free(lat->nbr);
  free(lat);
}

const catex_lattice_spec *catex_lattice_get_spec(const catex_lattice *lat) { return &lat->spec; }
int catex_lattice_dim(const catex_lattice *lat) { return lat->dim; }
int catex_lattice_num_sites(const catex_lattice *lat) { return lat->n; }
int catex_lattice_total_side(const catex_lattice *lat) { return lat->total_side; }
int catex_lattice_max_bonds(const catex_lattice *lat) { return lat->max_bonds; }
const double *catex_lattice_positions(const catex_lattice *lat) { return lat->pos; }
const int *catex_lattice_layer(const catex_lattice *lat) { return lat->layer; }
const unsigned char *catex_lattice_boundary(const catex_lattice *lat) { return lat->boundary; }
const unsigned char *catex_lattice_shell(const catex_lattice *lat) { return lat->shell; }
int catex_lattice_num_shell(const catex_lattice *lat) { return lat->nshell; }
int catex_lattice_num_boundary(const catex_lattice *lat) { return lat->nboundary; }
int catex_lattice_num_bonds(const catex_lattice *lat) { return lat->nbonds; }
const catex_bond *catex_lattice_bonds(const catex_lattice *lat) { return lat->bonds; }
const int *catex_lattice_neighbor_offsets(const catex_lattice *lat) { return lat->nbr_off; }
const int *catex_lattice_neighbors(const catex_lattice *lat) { return lat->nbr; }
const int *catex_lattice_nn_offsets(const catex_lattice *lat) { return lat->nn_off; }
const int *catex_lattice_nn_neighbors(const catex_lattice *lat) { return lat->nn; }

int catex_lattice_ring(const catex_lattice *lat, int i, int ring[6])
{
  if (lat->dim != 2) return 0;
  for (int d = 0; d < 6; d++) ring[d] = -1;
  /* axial steps give exact position differences: dx in {+-1, +-1/2}, and
   * dy = 0 exactly within a row */
  const double *pi = lat->pos + 2 * (size_t)i;
  for (int p = lat->nbr_off[i]; p < lat->nbr_off[i + 1]; p++) {
    const int j = lat->nbr[p];
    const double dx = lat->pos[2 * (size_t)j] - pi[0], dy = lat->pos[2 * (size_t)j + 1] - pi[1];
    const int d = dy == 0 ? (dx > 0 ? 0 : 3) : dy > 0 ? (dx > 0 ? 1 : 2) : (dx < 0 ? 4 : 5);
    ring[d] = j;
  }
  return 1;
}
