/* What a job will need in memory, per distinct lattice, per rank and per
 * node (include/catex/task.h, catex_memory_plan). The figures are upper
 * bounds by construction (every array a run allocates for a lattice is
 * counted at its full size, plus a margin for the libraries), so a job can
 * be refused before anything is written:
 *
 *   node-shared (one copy per node, the node arena):
 *     V_eff                  8 N^2
 *     dense KMC table        8 N Gp per distinct beta eps (Gp ~ N in 3D, ~4N/3 in 2D)
 *   private, per rank (the largest lattice the rank may hold):
 *     V build                8 N x orbits (representative columns) + 2 x 8 dN x block
 *                            + the sparse factor of D (2D ~ N (600 + 170 log2 N), 3D ~ N (4000 + 900 N^(1/3)) bytes)
 *     D, C, S, lattice       ~ 3 kB / site (3D), ~ 1 kB / site (2D)
 *     engines                O(N): ~ 200 B / grid cell (dense KMC), Vcc 8 Nc^2 (equilibrium, eps != 0),
 *                            a copy of V per buffered potential result
 *     exchange ladder        R rungs: R (8 N^2 + 8 Nc^2) (each rung's copy of V and its engine's Vcc;
 *                            with a single-precision factor rungs 1.. drop their Vcc once made)
 *                            + (R - 1) 8 N^2 (the potentials of a single-precision factor, exchange.c;
 *                            counted always, as the factor's precision is known only once it is made)
 *                            + 8 (5 N p + (2 + R) p^2 + Nc p) for the low-rank form, p <= 3 N_shell + 16
 *                            (probes, range, Z, U; the node cache also holds up to R V's: shared)
 *                            + R x 7 streamed series (blocking_stream.h, ~5 kB each, whatever the
 *                            run's length) and the f_U histograms, and twice (a checkpoint's copy)
 *                            the stored samples (R + 7 doubles per rung) and permutations
 *     libraries              CATEX_MEMORY_BASELINE (MPI, PETSc, HDF5 mapped and touched at start)
 * The per-node total is shared + ranks on the node x private. Without a
 * node arena (it is only made when some task needs V) nothing is shared. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catex/blocking_stream.h"
#include "catex/kmc.h"
#include "catex/task.h"
#include "task_cache.h"

#define CATEX_MEMORY_BASELINE ((size_t)160 << 20)

static size_t factor_bytes(int dim, double n)
{
  if (n < 2) n = 2;
  return (size_t)(dim == 2 ? n * (600.0 + 170.0 * log2(n)) : n * (4000.0 + 900.0 * cbrt(n)));
}

/* Cells of the dense KMC grid: (2s - 1)^2 in 2D (axial box), L^3 in 3D,
 * rounded up like the engine's; exact enough and needs no lattice. */
static size_t grid_cells(catex_lattice_kind kind, long total_side)
{
  long g = kind == CATEX_LATTICE_HEXAGON ? (2 * total_side - 1) * (2 * total_side - 1) : total_side * total_side * total_side;
  return (size_t)((g + 63) / 64 * 64);
}

static void add_table(catex_memory_lattice *l, double be)
{
  for (int k = 0; k < l->tables && k < CATEX_MEMORY_MAX_TABLES; k++)
    if (l->table_beta_eps[k] == be) return;
  if (l->tables < CATEX_MEMORY_MAX_TABLES) l->table_beta_eps[l->tables] = be;
  l->tables++;
}

catex_status catex_memory_plan_create(const catex_job *job, size_t cache_bytes, int ranks_per_node,
                                      catex_memory_plan *plan, catex_error *err)
{
  memset(plan, 0, sizeof *plan);
  int cap = 0;
  char key[1024], other[1024];
  const catex_task *prev = NULL;
  for (long id = 0; id < catex_job_num_tasks(job); id++) {
    const catex_task *t = catex_job_task(job, id);
    const catex_study *s = catex_job_study(job, t->study);
    const double eps = t->value[CATEX_PARAM_EPS];
    /* replicas of one state point follow each other: nothing new */
    if (prev && prev->study == t->study && prev->lattice.kind == t->lattice.kind &&
        prev->lattice.side == t->lattice.side && prev->lattice.shell_layers == t->lattice.shell_layers &&
        prev->lattice.kshell == t->lattice.kshell &&
        prev->value[CATEX_PARAM_EPS] == eps && prev->value[CATEX_PARAM_KT] == t->value[CATEX_PARAM_KT])
      continue;
    prev = t;
    const int need_V = s->kind == CATEX_STUDY_POTENTIAL || (eps != 0 && !isnan(eps));
    const int area = s->kind != CATEX_STUDY_POTENTIAL && s->area_deviation && t->lattice.kind == CATEX_LATTICE_HEXAGON;
    task_cache_key k = {t->lattice, s->nnn, s->petsc_options, NULL};
    task_cache_key_string(&k, key, sizeof key);
    int found = -1;
    for (int i = 0; i < plan->n && found < 0; i++) {
      task_cache_key ki = {plan->lat[i].spec, plan->lat[i].nnn, plan->lat[i].petsc_options, NULL};
      task_cache_key_string(&ki, other, sizeof other);
      if (strcmp(key, other) == 0) found = i;
    }
    if (found < 0) {
      if (plan->n == cap) {
        int nc = cap ? 2 * cap : 8;
        catex_memory_lattice *nl = realloc(plan->lat, sizeof *nl * (size_t)nc);
        if (!nl) {
          catex_memory_plan_free(plan);
          return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for the memory plan");
        }
        plan->lat = nl;
        cap = nc;
      }
      catex_memory_lattice *l = &plan->lat[plan->n];
      memset(l, 0, sizeof *l);
      l->spec = t->lattice;
      l->nnn = s->nnn;
      l->petsc_options = s->petsc_options;
      l->dim = t->lattice.kind == CATEX_LATTICE_HEXAGON ? 2 : 3;
      l->nsites = catex_lattice_spec_num_sites(t->lattice.kind, t->lattice.side, t->lattice.shell_layers);
      found = plan->n++;
    }
    catex_memory_lattice *l = &plan->lat[found];
    l->needs_V |= need_V;
    l->needs_disp |= area;
    if (s->kind == CATEX_STUDY_POTENTIAL) l->potential = 1;
    if (s->kind == CATEX_STUDY_EQUILIBRIUM && need_V) l->equilibrium_V = 1;
    if (s->kind == CATEX_STUDY_KMC && need_V) add_table(l, (1.0 / t->value[CATEX_PARAM_KT]) * eps);
    if (s->kind == CATEX_STUDY_EXCHANGE && need_V) {
      const double R = s->nvalues[CATEX_PARAM_KSHELL], m = (double)s->measure;
      /* the stored samples and permutations twice: a checkpoint is built in memory before it is written */
      const double store = R * 7 * (double)sizeof(catex_blocking_stream) + R * 8 * (double)s->hist_bins +
                           2 * ((s->sample_stride > 0 ? R * 8 * (R + 7) * (m / s->sample_stride + 1) : 0) +
                                (s->permutation_stride > 0 ? R * 4 * (m / s->permutation_stride + 1) : 0));
      if (R > l->rungs) l->rungs = (int)R;
      if (store > (double)l->ladder_store) l->ladder_store = (size_t)store;
    }
  }
  size_t shared_sum = 0, largest_shared = 0, private_max = 0;
  for (int i = 0; i < plan->n; i++) {
    catex_memory_lattice *l = &plan->lat[i];
    const double n = l->nsites;
    const long total = catex_lattice_spec_total_side(l->spec.kind, l->spec.side, l->spec.shell_layers);
    const size_t cells = grid_cells(l->spec.kind, total);
    const size_t nn = (size_t)l->nsites * (size_t)l->nsites;
    l->V = l->needs_V ? 8 * nn : 0;
    l->table = l->tables ? 8 * (size_t)l->nsites * cells : 0;
    l->sparse = (size_t)(n * (l->dim == 2 ? 1000.0 : 3200.0));
    l->factor = l->needs_V || l->needs_disp ? factor_bytes(l->dim, n) : 0;
    if (l->needs_V) {
      /* orbits of the point group: N / order plus the sites on mirror
       * planes and axes; twice N / order bounds that for the hexagon (order
       * 12) and the cube (48); without the reduction every column is solved */
      const int nosym = l->petsc_options && strstr(l->petsc_options, "symmetry");
      const size_t orbits = nosym ? (size_t)l->nsites : (size_t)l->nsites / (l->dim == 2 ? 6 : 24) + 64;
      const long block = (16L << 20) / ((long)l->dim * l->nsites) < 1 ? 1 : (16L << 20) / ((long)l->dim * l->nsites);
      const size_t nb = (size_t)(block < (long)orbits ? block : (long)orbits);
      const size_t reps = 8 * (size_t)l->nsites * orbits;
      l->build = reps + 2 * 8 * (size_t)l->dim * l->nsites * nb + 16 * (size_t)l->nsites;
    }
    l->engine = 200 * cells + 64 * (size_t)l->nsites;
    if (l->equilibrium_V) l->engine += 8 * nn;  /* Vcc <= V */
    if (l->potential) l->engine += 8 * nn;      /* the result's copy of V until the flush */
    if (l->rungs) {
      const double R = l->rungs, ncore = (double)catex_lattice_spec_num_sites(l->spec.kind, l->spec.side, 0);
      const double nshell = n - ncore, p = fmin(n, 3 * nshell + 16);
      l->ladder = (size_t)(R * (8 * n * n + 8 * ncore * ncore) + (R - 1) * 8 * n * n +
                           8 * (5 * n * p + (2 + R) * p * p + ncore * p) +
                           64 * R * n) + l->ladder_store;
    }
    const size_t shared = l->V + (size_t)l->tables * l->table;
    const size_t priv = l->sparse + l->factor + (l->build > l->engine ? l->build : l->engine) + l->ladder;
    /* a ladder's rungs are distinct V's in the node cache, up to its budget */
    shared_sum += shared + (l->rungs > 1 ? (size_t)(l->rungs - 1) * l->V : 0);
    if (shared > largest_shared) largest_shared = shared;
    if (priv > private_max) private_max = priv;
  }
  const size_t budget = cache_bytes > largest_shared ? cache_bytes : largest_shared;
  plan->shared_node = shared_sum < budget ? shared_sum : budget;
  plan->private_rank = CATEX_MEMORY_BASELINE + private_max;
  plan->rank_peak = plan->private_rank + plan->shared_node;
  plan->ranks_per_node = ranks_per_node;
  plan->node_peak = plan->shared_node + (size_t)ranks_per_node * plan->private_rank;
  return CATEX_OK;
}

void catex_memory_plan_free(catex_memory_plan *plan)
{
  free(plan->lat);
  memset(plan, 0, sizeof *plan);
}

static double mb(size_t b) { return (double)b / 1048576.0; }

void catex_memory_plan_print(const catex_memory_plan *plan, FILE *out, const char *label)
{
  for (int i = 0; i < plan->n; i++) {
    const catex_memory_lattice *l = &plan->lat[i];
    if (!l->needs_V && !l->needs_disp && l->nsites < 100000) continue;
    fprintf(out,
            "%s: memory: %s %s %d + %d shell (N = %d): V %.1f MB, dense tables %d x %.1f MB (node-shared); "
            "factor %.1f MB, V build %.1f MB, engine %.1f MB",
            label, catex_lattice_kind_name(l->spec.kind), l->spec.kind == CATEX_LATTICE_CUBE ? "L" : "side",
            l->spec.side, l->spec.shell_layers, l->nsites, mb(l->V), l->tables,
            mb(l->tables ? l->table : 0), mb(l->factor), mb(l->build), mb(l->engine));
    if (l->rungs) fprintf(out, ", ladder of %d rungs %.1f MB", l->rungs, mb(l->ladder));
    fprintf(out, " (per rank)\n");
  }
  fprintf(out, "%s: memory: per node %.1f MB (shared %.1f MB + %d ranks x %.1f MB), per rank at most %.1f MB\n",
          label, mb(plan->node_peak), mb(plan->shared_node), plan->ranks_per_node, mb(plan->private_rank),
          mb(plan->rank_peak));
}
