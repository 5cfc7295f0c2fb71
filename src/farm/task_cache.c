/* A worker's LRU cache of lattices, pair potentials and displacement
 * solvers (task_cache.h).
 *
 * With a node arena (catex_node_arena, src/memory/node_arena.c) V and the
 * dense KMC tables live there, one copy per node, looked up by a key string
 * that names everything they depend on; the entry here then keeps only the
 * lattice and the displacement solver, and holds the arena blocks for the
 * duration of one task (task_cache_end_task releases them). Without an
 * arena (one rank, or a block that does not fit) V is private as before. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "catex/build_progress.h"
#include "catex/kmc.h"
#include "task_cache.h"

#define MAX_HELD 64 /* arena blocks one task may hold */

typedef struct entry {
  struct entry *next;
  catex_lattice_spec spec;
  catex_nnn_mismatch nnn;
  char *petsc_options;
  catex_lattice *lat;
  catex_elastic *el; /* sparse D, C, S and the factorisation: displacements */
  double *V;         /* private V (NULL with the arena) */
  size_t bytes;      /* private bytes: V and el */
  unsigned long used; /* clock of the last lookup */
} entry;

struct task_cache {
  entry *head;
  size_t cap, bytes;
  unsigned long clock;
  long solves, hits;
  catex_node_arena *arena; /* borrowed; NULL: everything private */
  int rank;
  catex_arena_block held[MAX_HELD];
  int nheld;
};

catex_status task_cache_create(size_t cap_bytes, task_cache **out, catex_error *err)
{
  *out = calloc(1, sizeof **out);
  if (!*out) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  (*out)->cap = cap_bytes;
  return CATEX_OK;
}

void task_cache_set_arena(task_cache *c, catex_node_arena *arena, int rank)
{
  c->arena = arena;
  c->rank = rank;
}

static void entry_free(entry *e)
{
  catex_lattice_destroy(e->lat);
  catex_elastic_destroy(e->el);
  free(e->V);
  free(e->petsc_options);
  free(e);
}

void task_cache_end_task(task_cache *c)
{
  for (int k = 0; k < c->nheld; k++) catex_node_arena_release(c->arena, &c->held[k]);
  c->nheld = 0;
}

void task_cache_destroy(task_cache *c)
{
  if (!c) return;
  task_cache_end_task(c);
  for (entry *e = c->head, *n; e; e = n) {
    n = e->next;
    entry_free(e);
  }
  free(c);
}

void task_cache_stats(const task_cache *c, long *solves, long *hits)
{
  if (solves) *solves = c->solves;
  if (hits) *hits = c->hits;
}

/* K_shell only acts on shell-shell bonds: without a shell it changes
 * nothing, and a scan of it must not solve V again for every value. */
static int same(const entry *e, const task_cache_key *k)
{
  const char *a = e->petsc_options ? e->petsc_options : "", *b = k->petsc_options ? k->petsc_options : "";
  return e->spec.kind == k->spec.kind && e->spec.side == k->spec.side &&
         e->spec.shell_layers == k->spec.shell_layers &&
         (k->spec.shell_layers == 0 || e->spec.kshell == k->spec.kshell) && e->nnn == k->nnn && strcmp(a, b) == 0;
}

void task_cache_key_string(const task_cache_key *k, char *buf, size_t len)
{
  snprintf(buf, len, "V %d %d %d %a %d %s", (int)k->spec.kind, k->spec.side, k->spec.shell_layers,
           k->spec.shell_layers ? k->spec.kshell : 0.0, (int)k->nnn, k->petsc_options ? k->petsc_options : "");
}

static void account(task_cache *c, entry *e)
{
  c->bytes -= e->bytes;
  e->bytes = (e->V ? sizeof(double) * (size_t)catex_lattice_num_sites(e->lat) * catex_lattice_num_sites(e->lat) : 0) +
             (e->el ? catex_elastic_bytes(e->el) : 0);
  c->bytes += e->bytes;
}

/* Drops least recently used entries other than keep until under the cap. */
static void evict(task_cache *c, const entry *keep)
{
  while (c->bytes > c->cap) {
    entry **victim = NULL;
    for (entry **p = &c->head; *p; p = &(*p)->next)
      if (*p != keep && (!victim || (*p)->used < (*victim)->used)) victim = p;
    if (!victim) return;
    entry *v = *victim;
    *victim = v->next;
    c->bytes -= v->bytes;
    entry_free(v);
  }
}

static catex_status elastic_of(entry *e, const task_cache_key *k, catex_build_progress *progress, catex_error *err)
{
  if (e->el) return CATEX_OK;
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  opt.nnn = k->nnn;
  opt.petsc_options = k->options;
  opt.skip_displacements = 1; /* displacements come from the sparse solve */
  if (progress) {
    opt.progress = catex_build_progress_report;
    opt.progress_ctx = progress;
  }
  return catex_elastic_create(e->lat, &opt, &e->el, err);
}

/* V into dst (N x N), by the entry's elastic object (kept when the task
 * needs displacements: its factorisation serves them). */
static catex_status solve(task_cache *c, entry *e, const task_cache_key *k, int keep_el, double *dst,
                          catex_error *err)
{
  const int n = catex_lattice_num_sites(e->lat);
  catex_build_progress progress;
  catex_build_progress_init(&progress, stderr, 10.0, "catex: rank %d: %s %s %d (%d sites)", c->rank,
                            catex_lattice_kind_name(k->spec.kind), k->spec.kind == CATEX_LATTICE_CUBE ? "L" : "side",
                            k->spec.side, n);
  catex_status st = elastic_of(e, k, &progress, err);
  if (!st) st = catex_elastic_potential(e->el, dst, NULL, err);
  if (!st) c->solves++;
  if (st || !keep_el) {
    catex_elastic_destroy(e->el);
    e->el = NULL;
  }
#if defined(__GLIBC__)
  /* The factorisation leaves its many medium-sized blocks free inside the
   * heap, where glibc keeps them: at L = 30 ~1 GB that the dense KMC table,
   * built next, would otherwise add to. Hand them back to the system. */
  malloc_trim(0);
#endif
  return st;
}

static catex_status hold(task_cache *c, const catex_arena_block *b, catex_error *err)
{
  if (c->nheld == MAX_HELD) {
    catex_node_arena_release(c->arena, b);
    return catex_error_set(err, CATEX_ERR_INTERNAL, "a task holds more than %d shared blocks", MAX_HELD);
  }
  c->held[c->nheld++] = *b;
  return CATEX_OK;
}

/* V from the node arena: found, built here, or (no room) private. */
static catex_status shared_V(task_cache *c, entry *e, const task_cache_key *k, int keep_el, const double **V,
                             catex_error *err)
{
  const int n = catex_lattice_num_sites(e->lat);
  const size_t bytes = sizeof(double) * (size_t)n * (size_t)n;
  char key[1024];
  task_cache_key_string(k, key, sizeof key);
  catex_arena_block b;
  int build = 0;
  catex_status st = catex_node_arena_acquire(c->arena, key, bytes, &b, &build, err);
  if (st) return st;
  if (!b.data) return CATEX_OK; /* no room: the caller keeps a private V */
  if (build) {
    if ((st = solve(c, e, k, keep_el, b.data, err))) {
      catex_node_arena_abandon(c->arena, &b);
      return st;
    }
    catex_node_arena_publish(c->arena, &b);
  } else {
    c->hits++;
  }
  if ((st = hold(c, &b, err))) return st;
  *V = b.data;
  return CATEX_OK;
}

catex_status task_cache_get(task_cache *c, const task_cache_key *key, int need_V, int need_disp,
                            const catex_lattice **lat, const double **V, catex_elastic **el, catex_error *err)
{
  entry *e = c->head;
  while (e && !same(e, key)) e = e->next;
  catex_status st = CATEX_OK;
  *V = NULL;
  *el = NULL;
  if (!e) {
    e = calloc(1, sizeof *e);
    if (!e) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    e->spec = key->spec;
    e->nnn = key->nnn;
    if (key->petsc_options && !(e->petsc_options = strdup(key->petsc_options))) {
      entry_free(e);
      return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    }
    if ((st = catex_lattice_create(&key->spec, &e->lat, err))) {
      entry_free(e);
      return st;
    }
    e->next = c->head;
    c->head = e;
  } else if (!c->arena && (!need_V || e->V) && (!need_disp || e->el)) {
    c->hits++;
  }
  e->used = ++c->clock;
  if (need_V && !e->V) {
    if (c->arena && (st = shared_V(c, e, key, need_disp, V, err))) return st;
    if (!*V) {
      const int n = catex_lattice_num_sites(e->lat);
      double *mine = malloc(sizeof(double) * (size_t)n * (size_t)n);
      if (!mine)
        return catex_error_set(err, CATEX_ERR_NOMEM,
                               "out of memory for the pair potential (N = %d): needs %.3g GB, %.3g GB of RAM free", n,
                               (double)n * (double)n * sizeof *mine / 1e9,
                               (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / 1e9);
      if ((st = solve(c, e, key, need_disp, mine, err))) {
        free(mine);
        return st;
      }
      e->V = mine;
    }
  }
  if (e->V) *V = e->V;
  if (need_disp && (st = elastic_of(e, key, NULL, err))) return st;
  account(c, e);
  evict(c, e);
  *lat = e->lat;
  *el = need_disp ? e->el : NULL;
  return CATEX_OK;
}

catex_status task_cache_dense_table(task_cache *c, const task_cache_key *k, const catex_lattice *lat,
                                    const double *V, double beta_eps, const double **table, catex_error *err)
{
  *table = NULL;
  if (!c->arena) return CATEX_OK;
  char key[1100], vkey[1024];
  task_cache_key_string(k, vkey, sizeof vkey);
  snprintf(key, sizeof key, "E %a %s", beta_eps, vkey);
  const size_t bytes = sizeof(double) * catex_kmc_dense_table_size(lat);
  catex_arena_block b;
  int build = 0;
  catex_status st = catex_node_arena_acquire(c->arena, key, bytes, &b, &build, err);
  if (st || !b.data) return st; /* no room: the engine builds its own */
  if (build) {
    if ((st = catex_kmc_dense_table_fill(lat, V, beta_eps, 0, catex_lattice_num_sites(lat), b.data, err))) {
      catex_node_arena_abandon(c->arena, &b);
      return st;
    }
    catex_node_arena_publish(c->arena, &b);
  }
  if ((st = hold(c, &b, err))) return st;
  *table = b.data;
  return CATEX_OK;
}
