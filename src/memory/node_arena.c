/* Node-shared arena of read-only blocks (include/catex/node_arena.h).
 *
 * Why an arena and not one window per V. MPI_Win_allocate_shared is
 * collective over the node's ranks, but the farm hands tasks out
 * dynamically: when one rank first needs V for a lattice, the others of its
 * node are in the middle of other tasks (possibly for hours), and making
 * them join an allocation would need them to poll for it inside the
 * engines, and would deadlock against the farm's collective flushes (a rank
 * blocked in the node's allocation cannot enter a flush that another rank of
 * the node already waits in). So the only collective step is at the start
 * of the run, on every rank at the same point: one window per node of the
 * per-node budget (--cache-mb, raised to the largest single need of the
 * job), allocated by the node's rank 0. Its pages are only committed when
 * written, so an unused budget costs no memory.
 *
 * Protocol (all of it by one rank at a time, never collective). The window
 * starts with a directory of MAX_SLOTS slots {key, offset, bytes, state,
 * references, last use}. A rank that needs a block takes the window's
 * exclusive lock (MPI_Win_lock on the node's rank 0: in Open MPI's osc/sm a
 * shared-memory spin lock, which needs no progress from any other rank),
 * then:
 *   - READY slot with the key: references + 1, unlock, read it;
 *   - BUILDING slot with the key: unlock, sleep (1 ms doubling to 50 ms) and
 *     look again; the builder runs alone and needs nothing from the waiter;
 *   - no slot: reserve one (first fit in the gaps between live blocks,
 *     evicting least recently used READY blocks without references), mark it
 *     BUILDING with one reference, unlock, build it alone, then lock and mark
 *     it READY (publish). A build that fails empties the slot (abandon): a
 *     waiter then finds no slot and builds it itself, so every task that
 *     needs the block gets its own error message from its own attempt;
 *   - no room at all: the caller builds a private copy (today's behaviour).
 * The builder never waits for another rank and a waiter waits only for a
 * builder that is running, so no cycle of waits can form, whatever the farm
 * does meanwhile. References are held for one task (the task cache releases
 * them when the task ends), so blocks that no running task uses can be
 * evicted by any rank of the node. A rank killed while building leaves
 * waiters waiting, but then the whole MPI job is being torn down anyway.
 *
 * Bitwise identity: a block is built by the same code whichever rank builds
 * it and read-only afterwards, so results do not depend on who built it,
 * on the number of ranks or on their placement; CATEX_FAKE_NODES=k splits
 * each node into k blocks of ranks to test several copies on one machine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catex/node_arena.h"

#define MAX_SLOTS 64
#define KEY_LEN 256
#define ALIGN 4096

enum { SLOT_EMPTY = 0, SLOT_BUILDING = 1, SLOT_READY = 2 };

typedef struct {
  char key[KEY_LEN];
  uint64_t offset, bytes, used;
  int32_t state, refs;
} slot;

typedef struct {
  uint64_t capacity, keep, clock;
  slot slots[MAX_SLOTS];
} directory;

struct catex_node_arena {
  MPI_Comm node;
  MPI_Win win;
  directory *dir;
  char *data;
  int node_index, nodes, node_rank, node_size;
};

static size_t header_bytes(void) { return (sizeof(directory) + ALIGN - 1) / ALIGN * ALIGN; }

/* The node communicator: ranks sharing memory, optionally cut further into
 * CATEX_FAKE_NODES contiguous blocks of comm's ranks. */
static int split_nodes(MPI_Comm comm, MPI_Comm *node)
{
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  MPI_Comm shared;
  if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &shared) != MPI_SUCCESS) return -1;
  const char *env = getenv(CATEX_NODES_ENV);
  long k = env && *env ? strtol(env, NULL, 10) : 1;
  if (k < 1) k = 1;
  if (k > size) k = size;
  const int color = (int)((long)rank * k / size);
  int rc = MPI_Comm_split(shared, color, rank, node) == MPI_SUCCESS ? 0 : -1;
  MPI_Comm_free(&shared);
  return rc;
}

static void layout_of(MPI_Comm comm, MPI_Comm node, int *index, int *nodes, int *node_rank, int *node_size)
{
  int leader, rank;
  MPI_Comm_rank(node, node_rank);
  MPI_Comm_size(node, node_size);
  MPI_Comm_rank(comm, &rank);
  leader = *node_rank == 0;
  /* node index = number of node leaders with a lower rank in comm */
  int before = 0, total = 0;
  MPI_Exscan(&leader, &before, 1, MPI_INT, MPI_SUM, comm);
  if (rank == 0) before = 0;
  MPI_Allreduce(&leader, &total, 1, MPI_INT, MPI_SUM, comm);
  int idx = leader ? before : 0;
  MPI_Bcast(&idx, 1, MPI_INT, 0, node);
  *index = idx;
  *nodes = total;
}

catex_status catex_node_layout(MPI_Comm comm, int *node, int *nodes, int *node_rank, int *node_size,
                               catex_error *err)
{
  MPI_Comm nc;
  if (split_nodes(comm, &nc)) return catex_error_set(err, CATEX_ERR_MPI, "MPI_Comm_split_type failed");
  layout_of(comm, nc, node, nodes, node_rank, node_size);
  MPI_Comm_free(&nc);
  return CATEX_OK;
}

catex_status catex_node_arena_create(MPI_Comm comm, size_t bytes, size_t keep, catex_node_arena **out,
                                     catex_error *err)
{
  *out = NULL;
  if (bytes == 0) return CATEX_OK;
  catex_node_arena *a = calloc(1, sizeof *a);
  int ok = a != NULL, all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
  if (!all) {
    free(a);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for the node arena");
  }
  if (split_nodes(comm, &a->node)) {
    free(a);
    return catex_error_set(err, CATEX_ERR_MPI, "MPI_Comm_split_type failed");
  }
  layout_of(comm, a->node, &a->node_index, &a->nodes, &a->node_rank, &a->node_size);
  /* blocks start on ALIGN boundaries: room for the rounding of each */
  const size_t data_bytes = (bytes + ALIGN - 1) / ALIGN * ALIGN + (size_t)MAX_SLOTS * ALIGN;
  const MPI_Aint mine = a->node_rank == 0 ? (MPI_Aint)(header_bytes() + data_bytes) : 0;
  void *base = NULL;
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");
  int rc = MPI_Win_allocate_shared(mine, 1, info, a->node, &base, &a->win);
  MPI_Info_free(&info);
  ok = rc == MPI_SUCCESS;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm);
  if (!ok) {
    if (rc == MPI_SUCCESS) MPI_Win_free(&a->win);
    MPI_Comm_free(&a->node);
    free(a);
    return catex_error_set(err, CATEX_ERR_NOMEM, "cannot allocate a %zu-byte node-shared window", data_bytes);
  }
  MPI_Aint size = 0;
  int disp = 1;
  MPI_Win_shared_query(a->win, 0, &size, &disp, &base);
  a->dir = base;
  a->data = (char *)base + header_bytes();
  if (a->node_rank == 0) {
    memset(a->dir, 0, sizeof *a->dir);
    a->dir->capacity = data_bytes;
    a->dir->keep = keep > 0 ? keep + (size_t)MAX_SLOTS * ALIGN : 0; /* the same room for rounding */
  }
  MPI_Win_lock_all(MPI_MODE_NOCHECK, a->win);
  MPI_Win_sync(a->win);
  MPI_Win_unlock_all(a->win);
  MPI_Barrier(a->node);
  *out = a;
  return CATEX_OK;
}

void catex_node_arena_destroy(catex_node_arena *a)
{
  if (!a) return;
  MPI_Win_free(&a->win);
  MPI_Comm_free(&a->node);
  free(a);
}

void catex_node_arena_layout(const catex_node_arena *a, int *node, int *nodes, int *node_rank, int *node_size)
{
  if (node) *node = a->node_index;
  if (nodes) *nodes = a->nodes;
  if (node_rank) *node_rank = a->node_rank;
  if (node_size) *node_size = a->node_size;
}

static void lock(catex_node_arena *a)
{
  MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, a->win);
  MPI_Win_sync(a->win);
}

static void unlock(catex_node_arena *a)
{
  MPI_Win_sync(a->win);
  MPI_Win_unlock(0, a->win);
}

/* FNV-1a, for keys longer than a slot holds. */
static void slot_key(const char *key, char out[KEY_LEN])
{
  size_t len = strlen(key);
  if (len < KEY_LEN) {
    memcpy(out, key, len + 1);
    return;
  }
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
  snprintf(out, KEY_LEN, "%.200s#%016llx", key, (unsigned long long)h);
}

static int find(const directory *d, const char *key)
{
  for (int s = 0; s < MAX_SLOTS; s++)
    if (d->slots[s].state != SLOT_EMPTY && strcmp(d->slots[s].key, key) == 0) return s;
  return -1;
}

/* First gap of `bytes` between live blocks; UINT64_MAX if none. */
static uint64_t first_fit(const directory *d, uint64_t bytes)
{
  uint64_t at = 0;
  for (;;) {
    int moved = 0;
    for (int s = 0; s < MAX_SLOTS; s++) {
      const slot *b = &d->slots[s];
      if (b->state == SLOT_EMPTY) continue;
      if (at < b->offset + b->bytes && b->offset < at + bytes) { /* overlaps: skip past it */
        at = (b->offset + b->bytes + ALIGN - 1) / ALIGN * ALIGN;
        moved = 1;
      }
    }
    if (!moved) return at + bytes <= d->capacity ? at : UINT64_MAX;
    if (at + bytes > d->capacity) return UINT64_MAX;
  }
}

static int lru_victim(const directory *d)
{
  int victim = -1;
  for (int s = 0; s < MAX_SLOTS; s++) {
    const slot *b = &d->slots[s];
    if (b->state == SLOT_READY && b->refs == 0 && (victim < 0 || b->used < d->slots[victim].used)) victim = s;
  }
  return victim;
}

/* Evicts unreferenced blocks, least recently used first, until `extra`
 * more bytes stay within the keep budget (or nothing is left to evict). */
static void trim(directory *d, uint64_t extra)
{
  for (;;) {
    uint64_t used = 0;
    for (int s = 0; s < MAX_SLOTS; s++)
      if (d->slots[s].state != SLOT_EMPTY) used += d->slots[s].bytes;
    if (used + extra <= d->keep) return;
    const int victim = lru_victim(d);
    if (victim < 0) return;
    d->slots[victim].state = SLOT_EMPTY;
  }
}

/* Reserves a slot for key (lock held); -1 if no room. Unreferenced blocks
 * are first evicted down to the keep budget, then as far as needed to fit. */
static int reserve(directory *d, const char *key, uint64_t bytes)
{
  trim(d, bytes);
  for (;;) {
    int free_slot = -1;
    for (int s = 0; s < MAX_SLOTS && free_slot < 0; s++)
      if (d->slots[s].state == SLOT_EMPTY) free_slot = s;
    uint64_t at = free_slot >= 0 ? first_fit(d, bytes) : UINT64_MAX;
    if (at != UINT64_MAX) {
      slot *b = &d->slots[free_slot];
      memcpy(b->key, key, KEY_LEN);
      b->offset = at;
      b->bytes = bytes;
      b->state = SLOT_BUILDING;
      b->refs = 1;
      b->used = ++d->clock;
      return free_slot;
    }
    const int victim = lru_victim(d);
    if (victim < 0) return -1;
    d->slots[victim].state = SLOT_EMPTY;
  }
}

catex_status catex_node_arena_acquire(catex_node_arena *a, const char *key_in, size_t bytes, catex_arena_block *blk,
                                      int *build, catex_error *err)
{
  (void)err;
  blk->slot = -1;
  blk->data = NULL;
  *build = 1;
  if (!a) return CATEX_OK;
  char key[KEY_LEN];
  slot_key(key_in, key);
  const uint64_t want = (bytes + ALIGN - 1) / ALIGN * ALIGN;
  long nap = 1000000L; /* ns */
  for (;;) {
    lock(a);
    directory *d = a->dir;
    int s = find(d, key);
    if (s >= 0 && d->slots[s].state == SLOT_READY && d->slots[s].bytes >= want) {
      d->slots[s].refs++;
      d->slots[s].used = ++d->clock;
      blk->slot = s;
      blk->data = (double *)(a->data + d->slots[s].offset);
      *build = 0;
      unlock(a);
      return CATEX_OK;
    }
    if (s >= 0 && d->slots[s].state == SLOT_BUILDING) {
      unlock(a);
      struct timespec ts = {nap / 1000000000L, nap % 1000000000L};
      nanosleep(&ts, NULL);
      if (nap < 50000000L) nap *= 2;
      continue;
    }
    if (s >= 0 && d->slots[s].refs == 0) d->slots[s].state = SLOT_EMPTY; /* a smaller block of the key */
    s = s >= 0 && d->slots[s].state != SLOT_EMPTY ? -1 : reserve(d, key, want);
    if (s >= 0) {
      blk->slot = s;
      blk->data = (double *)(a->data + d->slots[s].offset);
    }
    unlock(a);
    return CATEX_OK;
  }
}

static void set_state(catex_node_arena *a, const catex_arena_block *blk, int state, int drefs)
{
  if (!a || blk->slot < 0) return;
  lock(a);
  slot *b = &a->dir->slots[blk->slot];
  b->refs += drefs;
  if (state >= 0) b->state = state;
  unlock(a);
}

void catex_node_arena_publish(catex_node_arena *a, const catex_arena_block *blk)
{
  set_state(a, blk, SLOT_READY, 0);
}

void catex_node_arena_abandon(catex_node_arena *a, const catex_arena_block *blk)
{
  if (!a || blk->slot < 0) return;
  lock(a);
  slot *b = &a->dir->slots[blk->slot];
  b->refs = 0;
  b->state = SLOT_EMPTY;
  unlock(a);
}

void catex_node_arena_release(catex_node_arena *a, const catex_arena_block *blk)
{
  if (!a || blk->slot < 0) return;
  lock(a);
  a->dir->slots[blk->slot].refs--;
  trim(a->dir, 0);
  unlock(a);
}

size_t catex_node_arena_capacity(const catex_node_arena *a) { return a ? (size_t)a->dir->capacity : 0; }

size_t catex_node_arena_used(const catex_node_arena *a)
{
  if (!a) return 0;
  size_t used = 0;
  MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, a->win);
  MPI_Win_sync(a->win);
  for (int s = 0; s < MAX_SLOTS; s++)
    if (a->dir->slots[s].state != SLOT_EMPTY) used += a->dir->slots[s].bytes;
  MPI_Win_unlock(0, a->win);
  return used;
}
