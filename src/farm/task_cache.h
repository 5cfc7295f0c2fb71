/* Private to the task module: a worker's cache of lattices and pair
 * potentials, keyed by everything V depends on (lattice kind, side,
 * shell_layers, K_shell, NNN mismatch, PETSc options), so that an ensemble of
 * 100 trajectories solves V once per worker. Least recently used entries are
 * evicted beyond a byte cap; the entry just returned is never evicted before
 * the next lookup. */
#ifndef CATEX_TASK_CACHE_H
#define CATEX_TASK_CACHE_H

#include <petscsys.h>
#include <stddef.h>

#include "catex/elastic.h"
#include "catex/lattice.h"

typedef struct task_cache task_cache;

typedef struct {
  catex_lattice_spec spec;
  catex_nnn_mismatch nnn;
  const char *petsc_options; /* the study's options string (NULL: none) */
  PetscOptions options;      /* its parsed database (NULL: global) */
} task_cache_key;

catex_status task_cache_create(size_t cap_bytes, task_cache **out, catex_error *err);
void task_cache_destroy(task_cache *c);

/* Lattice of key, and (when asked) V_eff and the displacement response G.
 * Returned pointers stay valid until the next call. Errors of the elastic
 * solve are returned (the task fails); nothing is cached then. */
catex_status task_cache_get(task_cache *c, const task_cache_key *key, int need_V, int need_G,
                            const catex_lattice **lat, const double **V, const double **G, catex_error *err);

void task_cache_stats(const task_cache *c, long *solves, long *hits);

#endif
