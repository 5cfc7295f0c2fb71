/* Private to the task module: a worker's cache of lattices, pair
 * potentials and displacement solvers, keyed by everything V depends on (lattice kind, side,
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
#include "catex/node_arena.h"

typedef struct task_cache task_cache;

typedef struct {
  catex_lattice_spec spec;
  catex_nnn_mismatch nnn;
  const char *petsc_options; /* the study's options string (NULL: none) */
  PetscOptions options;      /* its parsed database (NULL: global) */
} task_cache_key;

catex_status task_cache_create(size_t cap_bytes, task_cache **out, catex_error *err);
void task_cache_destroy(task_cache *c);

/* V and the dense KMC tables go to this node arena (borrowed; NULL: private). */
void task_cache_set_arena(task_cache *c, catex_node_arena *arena, int rank);

/* Lattice of key, and (when asked) V_eff and the elastic object whose
 * catex_elastic_displacements gives u = (1/2) D^+ C sigma by a sparse solve
 * (its factorisation is built once per lattice and kept). Returned pointers
 * stay valid until the next call and, for shared blocks, until
 * task_cache_end_task. Errors of the elastic solve are returned (the task
 * fails); nothing is cached then. */
catex_status task_cache_get(task_cache *c, const task_cache_key *key, int need_V, int need_disp,
                            const catex_lattice **lat, const double **V, catex_elastic **el, catex_error *err);

/* The dense KMC's exp(2 beta eps V) table of (key, beta eps) from the node
 * arena (built by the first rank of the node that needs it); NULL without
 * an arena or room (the engine then builds its own). V from task_cache_get. */
catex_status task_cache_dense_table(task_cache *c, const task_cache_key *key, const catex_lattice *lat,
                                    const double *V, double beta_eps, const double **table, catex_error *err);

/* Releases the shared blocks the current task holds. */
void task_cache_end_task(task_cache *c);

/* The arena key of V for key ("V kind side shell kshell nnn options"). */
void task_cache_key_string(const task_cache_key *k, char *buf, size_t len);

void task_cache_stats(const task_cache *c, long *solves, long *hits);

#endif
