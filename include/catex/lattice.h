/* Lattices of docs/model.md: a 2D hexagon cut from the triangular lattice and a 3D
 * simple-cubic cube with nearest and next-nearest bonds, each optionally
 * wrapped in `shell_layers` layers of shell with bond stiffness K_shell.
 *
 * Sizes are CORE sizes everywhere: hexagon side = side_core + shell_layers,
 * cube L = L_core + 2 shell_layers. Site order is deterministic (hexagon: by
 * axial row r then column q; cube: z, then y, then x), so site indices are
 * stable across runs, ranks and versions. */
#ifndef CATEX_LATTICE_H
#define CATEX_LATTICE_H

#include "catex/error.h"

/* Largest lattice accepted. Short-range models (eps = 0) need O(N) memory
 * (plus the sparse factor of D for area deviations), so the limit is only
 * int-safe sizes of the engines; anything that needs the dense N x N pair
 * potential is limited to CATEX_MAX_DENSE_SITES (8 N^2 bytes: 320 GB there). */
#define CATEX_MAX_SITES 10000000
#define CATEX_MAX_DENSE_SITES 200000

typedef enum { CATEX_LATTICE_HEXAGON = 0, CATEX_LATTICE_CUBE = 1 } catex_lattice_kind;

typedef struct {
  catex_lattice_kind kind;
  int side;          /* core side (hexagon) or core edge L (cube), >= 2 */
  int shell_layers;  /* >= 0 */
  double kshell;     /* stiffness of shell-shell bonds, > 0 and finite */
} catex_lattice_spec;

/* A bond stores its ends and kind only (12 bytes: a short-range run of 1e7
 * sites never needs more); its geometry and stiffness follow from the site
 * positions and shell flags (catex_lattice_bond_geometry, _stiffness). */
typedef struct {
  int i, j;          /* sites, i < j */
  int nearest;       /* 1 for nearest-neighbour bonds (Ising bonds), 0 for NNN */
} catex_bond;

typedef struct catex_lattice catex_lattice;

/* Validates spec (side >= 2, shell_layers >= 0, K_shell > 0 and finite) and
 * builds the lattice. */
catex_status catex_lattice_create(const catex_lattice_spec *spec, catex_lattice **out, catex_error *err);
void catex_lattice_destroy(catex_lattice *lat);

/* Parses "hexagon" / "cube". */
catex_status catex_lattice_kind_parse(const char *name, catex_lattice_kind *kind, catex_error *err);
const char *catex_lattice_kind_name(catex_lattice_kind kind);

const catex_lattice_spec *catex_lattice_get_spec(const catex_lattice *lat);
int catex_lattice_dim(const catex_lattice *lat);           /* 2 or 3 */
int catex_lattice_num_sites(const catex_lattice *lat);     /* N */
int catex_lattice_total_side(const catex_lattice *lat);    /* side incl. shell */
int catex_lattice_max_bonds(const catex_lattice *lat);     /* bonds of an interior site: 6 or 18 */
const double *catex_lattice_positions(const catex_lattice *lat); /* N x dim, row-major */
const int *catex_lattice_layer(const catex_lattice *lat);        /* 1 = outermost */
const unsigned char *catex_lattice_boundary(const catex_lattice *lat); /* 1 on layer 1 */
const unsigned char *catex_lattice_shell(const catex_lattice *lat);    /* 1 on layers 1..shell_layers */
int catex_lattice_num_shell(const catex_lattice *lat);
int catex_lattice_num_boundary(const catex_lattice *lat);

int catex_lattice_num_bonds(const catex_lattice *lat);
const catex_bond *catex_lattice_bonds(const catex_lattice *lat);

/* Unit vector from b->i to b->j (z = 0 in 2D) and the bond length in lattice
 * constants (1 for NN, sqrt 2 for 3D NNN), computed from the positions the
 * same way for every caller. */
void catex_lattice_bond_geometry(const catex_lattice *lat, const catex_bond *b, double unit[3], double *length);
/* K_shell if both ends are shell sites, else 1. */
double catex_lattice_bond_stiffness(const catex_lattice *lat, const catex_bond *b);

/* Bonded neighbours of every site in CSR form: the neighbours of site i are
 * nbr[off[i]] .. nbr[off[i+1]-1]. */
const int *catex_lattice_neighbor_offsets(const catex_lattice *lat); /* N + 1 */
const int *catex_lattice_neighbors(const catex_lattice *lat);

/* Nearest-neighbour (Ising) neighbours, CSR as above; 2D: the same arrays as
 * the bonded ones. */
const int *catex_lattice_nn_offsets(const catex_lattice *lat);
const int *catex_lattice_nn_neighbors(const catex_lattice *lat);

/* 2D only: fills ring[0..5] with the neighbours of site i at 0, 60, ...,
 * 300 degrees, -1 where missing, and returns 1; returns 0 for 3D lattices.
 * Consecutive entries (cyclically) are mutually adjacent, which is what the
 * plaquette rule needs. Derived from the neighbour list on each call (not
 * stored: 24 bytes per site). */
int catex_lattice_ring(const catex_lattice *lat, int i, int ring[6]);

/* Number of sites of a hexagon / cube with the given total side. */
long catex_hexagon_num_sites(int total_side);
long catex_cube_num_sites(int total_side);

/* Total side (core + shell) and number of sites of a spec without building
 * it; sizes far beyond CATEX_MAX_SITES count as CATEX_MAX_SITES + 1, so the
 * arithmetic cannot overflow whatever side a job file asks for. */
long catex_lattice_spec_total_side(catex_lattice_kind kind, long side, long shell_layers);
long catex_lattice_spec_num_sites(catex_lattice_kind kind, long side, long shell_layers);

#endif
