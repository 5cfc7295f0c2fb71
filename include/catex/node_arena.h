/* One read-only copy per node of the large per-lattice arrays (V_eff, the
 * dense KMC's exp(2 beta eps V) table), shared by the node's ranks through
 * an MPI-3 shared-memory window. See src/memory/node_arena.c for the
 * protocol (who builds what, and why it cannot deadlock with the farm). */
#ifndef CATEX_NODE_ARENA_H
#define CATEX_NODE_ARENA_H

#include <mpi.h>
#include <stddef.h>

#include "catex/error.h"

typedef struct catex_node_arena catex_node_arena;

/* Environment variable that splits every real node into this many "nodes"
 * (contiguous blocks of ranks), so that tests exercise several node copies
 * on one machine. */
#define CATEX_NODES_ENV "CATEX_FAKE_NODES"

/* Collective over comm: every rank passes the same bytes (the window's
 * size per node) and keep (blocks that no task uses are evicted, least
 * recently used first, to stay within keep). bytes == 0: *out = NULL,
 * nothing is allocated (short-range jobs). */
catex_status catex_node_arena_create(MPI_Comm comm, size_t bytes, size_t keep, catex_node_arena **out,
                                     catex_error *err);
/* Collective over the comm of create (MPI_Win_free). NULL is a no-op. */
void catex_node_arena_destroy(catex_node_arena *a);

/* Node of this rank, number of nodes, rank and size within the node (also
 * without an arena: catex_node_layout). */
void catex_node_arena_layout(const catex_node_arena *a, int *node, int *nodes, int *node_rank, int *node_size);
catex_status catex_node_layout(MPI_Comm comm, int *node, int *nodes, int *node_rank, int *node_size,
                               catex_error *err);

typedef struct {
  int slot;      /* -1: not in the arena */
  double *data;  /* the block (shared), or NULL */
} catex_arena_block;

/* The block of `key` (at most 255 characters are significant; longer keys
 * are hashed) with room for `bytes`:
 *  - ready on the node: *build = 0, data valid for reading;
 *  - not there: it is reserved for the caller, *build = 1; fill it, then
 *    catex_node_arena_publish (or _abandon on failure);
 *  - being built by another rank of the node: waits until it is published
 *    (or abandoned: then the caller builds it);
 *  - no room even after evicting unreferenced blocks: data = NULL, slot -1,
 *    *build = 1 (the caller uses private memory).
 * Every block returned holds a reference until catex_node_arena_release. */
catex_status catex_node_arena_acquire(catex_node_arena *a, const char *key, size_t bytes, catex_arena_block *blk,
                                      int *build, catex_error *err);
void catex_node_arena_publish(catex_node_arena *a, const catex_arena_block *blk);
void catex_node_arena_abandon(catex_node_arena *a, const catex_arena_block *blk);
void catex_node_arena_release(catex_node_arena *a, const catex_arena_block *blk);

/* Bytes of the data region and the bytes in use by ready/building blocks. */
size_t catex_node_arena_capacity(const catex_node_arena *a);
size_t catex_node_arena_used(const catex_node_arena *a);

#endif
