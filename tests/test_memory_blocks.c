/* The V build solves its columns in blocks (at most 128 columns, always a
 * multiple of 4, or -potential_block_columns n rounded down to one) so that
 * it never holds a dN x N array: V must not depend on the block size, bit
 * for bit (hexagon with and without a stiff shell, cube; blocks of 4, 8,
 * 13 -> 12, 2 -> 4 and the default), and must equal the one-block build
 * that also keeps the displacement response. */
#include <petscsys.h>
#include <stdlib.h>
#include <string.h>

#include "catex/elastic.h"
#include "check.h"

static double *build(catex_check *t, const catex_lattice *lat, const char *options, int keep_G)
{
  const int n = catex_lattice_num_sites(lat);
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  opt.skip_displacements = !keep_G;
  PetscOptions db = NULL;
  if (options) {
    PetscOptionsCreate(&db);
    PetscOptionsInsertString(db, options);
    opt.petsc_options = db;
  }
  catex_elastic *el = NULL;
  catex_error err = {0};
  double *V = malloc(sizeof(double) * (size_t)n * n);
  if (catex_elastic_create(lat, &opt, &el, &err) || catex_elastic_potential(el, V, NULL, &err)) {
    CHECK(t, 0, "V with '%s': %s", options ? options : "", err.message);
    free(V);
    V = NULL;
  }
  catex_elastic_destroy(el);
  if (db) PetscOptionsDestroy(&db);
  return V;
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_memory_blocks", &argc, &argv)) return 1;
  const catex_lattice_spec specs[] = {{CATEX_LATTICE_HEXAGON, 20, 0, 1.0}, {CATEX_LATTICE_HEXAGON, 9, 1, 17.0},
                                      {CATEX_LATTICE_CUBE, 8, 0, 1.0}};
  const char *blocks[] = {"-potential_block_columns 4", "-potential_block_columns 8", "-potential_block_columns 13",
                          "-potential_block_columns 2"};
  for (int s = 0; s < 3; s++) {
    catex_lattice *lat = NULL;
    catex_error err = {0};
    if (catex_lattice_create(&specs[s], &lat, &err)) {
      CHECK(&t, 0, "lattice: %s", err.message);
      continue;
    }
    const size_t nn = (size_t)catex_lattice_num_sites(lat) * catex_lattice_num_sites(lat);
    double *ref = build(&t, lat, NULL, 1);
    double *dflt = build(&t, lat, NULL, 0);
    CHECK(&t, ref && dflt && memcmp(ref, dflt, nn * sizeof(double)) == 0,
          "lattice %d: blocked V differs from the one-block V that keeps G", s);
    for (int b = 0; b < 4 && ref; b++) {
      double *V = build(&t, lat, blocks[b], 0);
      CHECK(&t, V && memcmp(ref, V, nn * sizeof(double)) == 0, "lattice %d: V with %s differs", s, blocks[b]);
      free(V);
    }
    free(ref);
    free(dflt);
    catex_lattice_destroy(lat);
  }
  return catex_check_finish(&t);
}
