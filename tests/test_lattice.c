/* Lattice counts against closed forms, geometry of every bond, layers,
 * boundary and shell masks, and rejection of bad specs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/lattice.h"
#include "check.h"

static catex_lattice *make(catex_lattice_kind kind, int side, int shell, double k)
{
  catex_lattice_spec spec = {kind, side, shell, k};
  catex_lattice *lat = NULL;
  catex_error err;
  if (catex_lattice_create(&spec, &lat, &err)) fprintf(stderr, "%s\n", err.message);
  return lat;
}

/* Every bond: unit vector of length 1 matching the positions, length 1 or
 * sqrt2, stiffness K_shell exactly when both ends are shell sites. */
static void check_bonds(catex_check *t, const catex_lattice *lat, double k)
{
  const int d = catex_lattice_dim(lat);
  const double *pos = catex_lattice_positions(lat);
  const unsigned char *shell = catex_lattice_shell(lat);
  const catex_bond *b = catex_lattice_bonds(lat);
  int bad_geom = 0, bad_stiff = 0;
  for (int e = 0; e < catex_lattice_num_bonds(lat); e++) {
    double len2 = 0, dot = 0, unit[3], length;
    catex_lattice_bond_geometry(lat, &b[e], unit, &length);
    for (int c = 0; c < d; c++) {
      double dx = pos[d * b[e].j + c] - pos[d * b[e].i + c];
      len2 += dx * dx;
      dot += dx * unit[c];
    }
    double want = b[e].nearest ? 1.0 : sqrt(2.0);
    if (fabs(sqrt(len2) - want) > 1e-12 || fabs(length - want) > 1e-12 || fabs(dot - want) > 1e-12 ||
        (d == 2 && unit[2] != 0) || b[e].i >= b[e].j)
      bad_geom++;
    double ks = (shell[b[e].i] && shell[b[e].j]) ? k : 1.0;
    if (catex_lattice_bond_stiffness(lat, &b[e]) != ks) bad_stiff++;
  }
  CHECK(t, bad_geom == 0, "%d bonds with wrong geometry", bad_geom);
  CHECK(t, bad_stiff == 0, "%d bonds with wrong stiffness", bad_stiff);
}

static void check_hexagon(catex_check *t, int side, int shell)
{
  const double k = 17.0;
  catex_lattice *lat = make(CATEX_LATTICE_HEXAGON, side, shell, k);
  CHECK(t, lat != NULL, "hexagon side %d shell %d", side, shell);
  if (!lat) return;
  const long s = side + shell;
  const int n = catex_lattice_num_sites(lat);
  CHECK(t, n == 3 * s * s - 3 * s + 1, "hexagon N %d for total side %ld", n, s);
  CHECK(t, catex_lattice_num_bonds(lat) == 9 * s * s - 15 * s + 6, "hexagon bonds %d (side %ld)",
        catex_lattice_num_bonds(lat), s);
  CHECK(t, catex_lattice_num_boundary(lat) == 6 * (s - 1), "hexagon boundary %d",
        catex_lattice_num_boundary(lat));
  long core = side;
  long want_shell = (3 * s * s - 3 * s + 1) - (3 * core * core - 3 * core + 1);
  CHECK(t, catex_lattice_num_shell(lat) == want_shell, "hexagon shell %d want %ld", catex_lattice_num_shell(lat),
        want_shell);
  /* boundary = fewer than 6 bonds; ring order: neighbour k at 60k degrees */
  const int *off = catex_lattice_neighbor_offsets(lat);
  const double *pos = catex_lattice_positions(lat);
  int bad_boundary = 0, bad_ring = 0;
  for (int i = 0; i < n; i++) {
    int deg = off[i + 1] - off[i], ring[6], found = 0;
    if ((deg < 6) != (catex_lattice_boundary(lat)[i] == 1)) bad_boundary++;
    if (!catex_lattice_ring(lat, i, ring)) bad_ring++;
    for (int d = 0; d < 6; d++) {
      if (ring[d] < 0) continue;
      found++;
      double dx = pos[2 * ring[d]] - pos[2 * i], dy = pos[2 * ring[d] + 1] - pos[2 * i + 1];
      if (fabs(dx - cos(M_PI / 3 * d)) > 1e-12 || fabs(dy - sin(M_PI / 3 * d)) > 1e-12) bad_ring++;
    }
    if (found != deg) bad_ring++; /* every neighbour in the ring, once */
  }
  CHECK(t, bad_boundary == 0, "%d sites with boundary flag != (degree < 6)", bad_boundary);
  CHECK(t, bad_ring == 0, "%d ring entries at the wrong angle", bad_ring);
  /* layers: count of layer l is 6 (s - l) for l < s, 1 for the centre */
  int *count = calloc((size_t)s + 1, sizeof(int));
  for (int i = 0; i < n; i++) count[catex_lattice_layer(lat)[i]]++;
  for (int l = 1; l <= s; l++)
    CHECK(t, count[l] == (l == s ? 1 : 6 * (s - l)), "hexagon layer %d has %d sites", l, count[l]);
  free(count);
  check_bonds(t, lat, k);
  catex_lattice_destroy(lat);
}

static void check_cube(catex_check *t, int side, int shell)
{
  const double k = 3.5;
  catex_lattice *lat = make(CATEX_LATTICE_CUBE, side, shell, k);
  CHECK(t, lat != NULL, "cube L %d shell %d", side, shell);
  if (!lat) return;
  const long L = side + 2 * shell;
  const int n = catex_lattice_num_sites(lat);
  CHECK(t, n == L * L * L, "cube N %d for L %ld", n, L);
  long nn = 3 * L * L * (L - 1), nnn = 6 * L * (L - 1) * (L - 1);
  int got_nn = 0;
  for (int e = 0; e < catex_lattice_num_bonds(lat); e++) got_nn += catex_lattice_bonds(lat)[e].nearest;
  CHECK(t, got_nn == nn, "cube NN bonds %d want %ld", got_nn, nn);
  CHECK(t, catex_lattice_num_bonds(lat) - got_nn == nnn, "cube NNN bonds %d want %ld",
        catex_lattice_num_bonds(lat) - got_nn, nnn);
  CHECK(t, catex_lattice_num_boundary(lat) == L * L * L - (L - 2) * (L - 2) * (L - 2), "cube boundary %d",
        catex_lattice_num_boundary(lat));
  CHECK(t, catex_lattice_num_shell(lat) == L * L * L - (long)side * side * side, "cube shell %d",
        catex_lattice_num_shell(lat));
  const int *off = catex_lattice_neighbor_offsets(lat), *nno = catex_lattice_nn_offsets(lat);
  int bad = 0;
  for (int i = 0; i < n; i++) {
    int interior = catex_lattice_layer(lat)[i] > 1;
    if (interior != (off[i + 1] - off[i] == 18)) bad++;
    if (interior && nno[i + 1] - nno[i] != 6) bad++;
  }
  CHECK(t, bad == 0, "%d cube sites with wrong degree", bad);
  int ring[6];
  CHECK(t, catex_lattice_ring(lat, 0, ring) == 0, "cube has no 2D ring");
  check_bonds(t, lat, k);
  catex_lattice_destroy(lat);
}

static void check_rejected(catex_check *t, catex_lattice_kind kind, int side, int shell, double k,
                           const char *needle)
{
  catex_lattice_spec spec = {kind, side, shell, k};
  catex_lattice *lat = NULL;
  catex_error err = {0};
  catex_status st = catex_lattice_create(&spec, &lat, &err);
  CHECK(t, st == CATEX_ERR_ARG && lat == NULL, "spec side %d shell %d K %g accepted", side, shell, k);
  CHECK(t, strstr(err.message, needle) != NULL, "message '%s' lacks '%s'", err.message, needle);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_lattice", &argc, &argv)) return 1;
  int sides[] = {2, 3, 5, 10, 24};
  for (int a = 0; a < 5; a++)
    for (int shell = 0; shell <= 2; shell++) check_hexagon(&t, sides[a], shell);
  /* docs/model.md's examples */
  catex_lattice *lat = make(CATEX_LATTICE_HEXAGON, 3, 1, 1.0);
  CHECK(&t, lat && catex_lattice_num_sites(lat) == 37, "side 3 + 1 shell layer is N = 37");
  catex_lattice_destroy(lat);
  int known[][2] = {{10, 271}, {16, 721}, {24, 1657}, {25, 1801}};
  for (int a = 0; a < 4; a++) CHECK(&t, catex_hexagon_num_sites(known[a][0]) == known[a][1], "N(side %d)", known[a][0]);
  for (int L = 2; L <= 6; L++)
    for (int shell = 0; shell <= 1; shell++) check_cube(&t, L, shell);
  check_rejected(&t, CATEX_LATTICE_HEXAGON, 1, 0, 1.0, "side = 1");
  check_rejected(&t, CATEX_LATTICE_CUBE, 0, 1, 1.0, "L = 0");
  check_rejected(&t, CATEX_LATTICE_HEXAGON, 5, -1, 1.0, "shell_layers = -1");
  check_rejected(&t, CATEX_LATTICE_HEXAGON, 5, 1, 0.0, "K_shell");
  check_rejected(&t, CATEX_LATTICE_HEXAGON, 5, 1, -2.0, "K_shell");
  check_rejected(&t, CATEX_LATTICE_CUBE, 5, 1, NAN, "K_shell = nan");
  check_rejected(&t, CATEX_LATTICE_CUBE, 5, 1, INFINITY, "K_shell = inf");
  check_rejected(&t, CATEX_LATTICE_HEXAGON, 2000, 0, 1.0, "limit"); /* 11994001 > CATEX_MAX_SITES */
  return catex_check_finish(&t);
}
