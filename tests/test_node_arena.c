/* The node arena's protocol on 2-3 ranks (MPI_COMM_WORLD): exactly one rank
 * of a node builds a block, the others see its bytes after publish; a block
 * that no task holds is evicted down to the keep budget and then rebuilt; a
 * block that cannot fit comes back as NULL (private fallback); an abandoned
 * build is taken over by the next rank; with CATEX_FAKE_NODES=2 every
 * "node" builds its own copy. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catex/node_arena.h"
#include "check.h"

static void nap(void)
{
  struct timespec ts = {0, 20000000L};
  nanosleep(&ts, NULL);
}

/* Every rank acquires key; returns the number of ranks (of the world) that built it. */
static int builders(catex_check *t, catex_node_arena *a, const char *key, size_t n, double fill, int hold)
{
  catex_arena_block b;
  int build = 0;
  catex_error err = {0};
  CHECK(t, catex_node_arena_acquire(a, key, n * sizeof(double), &b, &build, &err) == CATEX_OK, "%s", err.message);
  if (build && b.data) {
    nap(); /* let the others find it BUILDING */
    for (size_t i = 0; i < n; i++) b.data[i] = fill + (double)i;
    catex_node_arena_publish(a, &b);
  }
  int bad = 0;
  if (b.data)
    for (size_t i = 0; i < n; i++) bad += b.data[i] != fill + (double)i;
  CHECK(t, b.data && bad == 0, "%s: %d wrong values (data %p)", key, bad, (void *)b.data);
  MPI_Barrier(MPI_COMM_WORLD);
  if (!hold) catex_node_arena_release(a, &b);
  int total = 0, mine = build;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  return total;
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_node_arena", &argc, &argv)) return 1;
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const size_t n = 100000; /* 800 kB */
  for (int fake = 1; fake <= 2; fake++) {
    setenv(CATEX_NODES_ENV, fake == 2 ? "2" : "1", 1);
    catex_node_arena *a = NULL;
    catex_error err = {0};
    /* room for two blocks, keep one */
    CHECK(&t, catex_node_arena_create(MPI_COMM_WORLD, 2 * n * sizeof(double), n * sizeof(double), &a, &err) == CATEX_OK,
          "create: %s", err.message);
    if (!a) break;
    int nodes = 0;
    catex_node_arena_layout(a, NULL, &nodes, NULL, NULL);
    CHECK(&t, nodes == (fake == 2 && size > 1 ? 2 : 1), "fake %d: %d nodes on %d ranks", fake, nodes, size);
    CHECK(&t, builders(&t, a, "A", n, 1.0, 0) == nodes, "fake %d: block A built %s than once per node", fake, "other");
    CHECK(&t, builders(&t, a, "A", n, 1.0, 0) == 0, "fake %d: a ready block A was built again", fake);
    /* B evicts A (keep = one block, neither held) */
    CHECK(&t, builders(&t, a, "B", n, 2.0, 0) == nodes, "fake %d: block B not built once per node", fake);
    CHECK(&t, builders(&t, a, "A", n, 1.0, 1) == nodes, "fake %d: A was not evicted down to keep", fake);
    /* A held: a block too large for the remaining room comes back NULL */
    {
      catex_arena_block b;
      int build = 0;
      CHECK(&t, catex_node_arena_acquire(a, "huge", 3 * n * sizeof(double), &b, &build, &err) == CATEX_OK, "huge");
      CHECK(&t, b.data == NULL && b.slot < 0 && build == 1, "a block larger than the window was not refused");
    }
    MPI_Barrier(MPI_COMM_WORLD);
    /* abandoned build: node rank 0 abandons C; the others then build it themselves, one of them */
    {
      int node_rank = 0;
      catex_node_arena_layout(a, NULL, NULL, &node_rank, NULL);
      catex_arena_block b;
      int build = 0, built = 0;
      if (node_rank == 0) {
        CHECK(&t, catex_node_arena_acquire(a, "C", n * sizeof(double), &b, &build, &err) == CATEX_OK && build == 1,
              "C: node rank 0 must build");
        nap();
        catex_node_arena_abandon(a, &b);
      }
      MPI_Barrier(MPI_COMM_WORLD);
      if (node_rank != 0) {
        CHECK(&t, catex_node_arena_acquire(a, "C", n * sizeof(double), &b, &build, &err) == CATEX_OK, "C again");
        if (build && b.data) {
          built = 1;
          for (size_t i = 0; i < n; i++) b.data[i] = 3.0;
          catex_node_arena_publish(a, &b);
        }
        if (b.data) catex_node_arena_release(a, &b);
      }
      int total = 0;
      MPI_Allreduce(&built, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
      int multi = 0, mine = 0;
      catex_node_arena_layout(a, NULL, NULL, NULL, &mine);
      mine = mine > 1;
      MPI_Allreduce(&mine, &multi, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
      CHECK(&t, multi == 0 || total >= 1, "an abandoned block was not rebuilt by another rank");
    }
    catex_node_arena_destroy(a);
  }
  return catex_check_finish(&t);
}
