/* A worker's LRU cache of lattices and pair potentials (task_cache.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "task_cache.h"

typedef struct entry {
  struct entry *next;
  catex_lattice_spec spec;
  catex_nnn_mismatch nnn;
  char *petsc_options;
  catex_lattice *lat;
  double *V, *G;
  size_t bytes;
  unsigned long used; /* clock of the last lookup */
} entry;

struct task_cache {
  entry *head;
  size_t cap, bytes;
  unsigned long clock;
  long solves, hits;
};

catex_status task_cache_create(size_t cap_bytes, task_cache **out, catex_error *err)
{
  *out = calloc(1, sizeof **out);
  if (!*out) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  (*out)->cap = cap_bytes;
  return CATEX_OK;
}

static void entry_free(entry *e)
{
  catex_lattice_destroy(e->lat);
  free(e->V);
  free(e->G);
  free(e->petsc_options);
  free(e);
}

void task_cache_destroy(task_cache *c)
{
  if (!c) return;
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

static catex_status solve(task_cache *c, entry *e, const task_cache_key *k, int need_G, catex_error *err)
{
  int n = catex_lattice_num_sites(e->lat), d = catex_lattice_dim(e->lat);
  size_t nv = (size_t)n * (size_t)n, ng = (size_t)d * nv;
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  opt.nnn = k->nnn;
  opt.petsc_options = k->options;
  catex_elastic *el = NULL;
  double *V = malloc(nv * sizeof *V), *G = need_G ? malloc(ng * sizeof *G) : NULL;
  catex_status st = CATEX_OK;
  if (!V || (need_G && !G)) {
    st = catex_error_set(err, CATEX_ERR_NOMEM,
                         "out of memory for the pair potential (N = %d): needs %.3g GB, %.3g GB of RAM free", n,
                         (double)(nv + (need_G ? ng : 0)) * sizeof *V / 1e9,
                         (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / 1e9);
    goto done;
  }
  if ((st = catex_elastic_create(e->lat, &opt, &el, err)) || (st = catex_elastic_potential(el, V, NULL, err))) goto done;
  if (need_G) {
    const double *g = catex_elastic_displacement_response(el);
    if (!g) {
      st = catex_error_set(err, CATEX_ERR_INTERNAL, "no displacement response after the potential solve");
      goto done;
    }
    memcpy(G, g, ng * sizeof *G);
  }
  c->solves++;
  free(e->V);
  free(e->G);
  e->V = V;
  e->G = G;
  V = G = NULL;
  c->bytes -= e->bytes;
  e->bytes = (e->V ? nv : 0) * sizeof(double) + (e->G ? ng : 0) * sizeof(double);
  c->bytes += e->bytes;
done:
  catex_elastic_destroy(el);
  free(V);
  free(G);
  return st;
}

catex_status task_cache_get(task_cache *c, const task_cache_key *key, int need_V, int need_G,
                            const catex_lattice **lat, const double **V, const double **G, catex_error *err)
{
  entry *e = c->head;
  while (e && !same(e, key)) e = e->next;
  catex_status st;
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
  } else if ((!need_V || e->V) && (!need_G || e->G)) {
    c->hits++;
  }
  e->used = ++c->clock;
  if ((need_V && !e->V) || (need_G && !e->G))
    if ((st = solve(c, e, key, need_G || e->G, err))) return st;
  evict(c, e);
  *lat = e->lat;
  *V = e->V;
  *G = e->G;
  return CATEX_OK;
}
