/* One task of a job, run on whatever rank the farm gave it to: builds (or
 * finds in the worker's cache) the lattice and pair potential, creates the
 * task's SPRNG stream (job seed, task id), runs the engine of the study's kind
 * and returns a self-contained result record that the output module buffers
 * until the next collective flush.
 *
 * A task that fails (any catex_status error of an engine, e.g. a KSP that does
 * not converge) still yields a record, with status CATEX_TASK_FAILED and the
 * message: one bad state point never stops a sweep. */
#ifndef CATEX_TASK_H
#define CATEX_TASK_H

#include <mpi.h>
#include <stddef.h>
#include <stdio.h>

#include "catex/equilibrium.h"
#include "catex/exchange.h"
#include "catex/job.h"
#include "catex/kmc.h"
#include "catex/run_hook.h"

/* Values of /tasks/status. */
/* CATEX_TASK_INTERRUPTED is never written: such a task was stopped early by
 * the run hook (a signal) and stays pending in the file. */
typedef enum {
  CATEX_TASK_PENDING = 0,
  CATEX_TASK_DONE = 1,
  CATEX_TASK_FAILED = 2,
  CATEX_TASK_INTERRUPTED = 3
} catex_task_status;

/* Width of /tasks/message (fixed-length strings keep every dataset of the
 * file allocated once at creation; see output.h). Longer messages are cut. */
#define CATEX_TASK_MESSAGE_LEN 256

typedef struct {
  long id;
  int study;
  catex_study_kind kind;
  catex_task_status status;
  double runtime;               /* seconds */
  int rank;                     /* rank that ran it */
  char message[CATEX_TASK_MESSAGE_LEN];
  int nsites;                   /* N of the task's lattice */
  catex_kmc_result kmc;         /* kind kmc, status done */
  catex_equilibrium_result eq;  /* kind equilibrium, status done */
  catex_exchange_result xr;     /* kind exchange, status done */
  double *V;                    /* kind potential, status done: N x N V_eff */
  unsigned long long V_checksum; /* catex_potential_checksum of the V used, 0 if none */
} catex_task_result;

/* FNV-1a 64-bit hash of the n x n doubles of V (native byte order, row-major):
 * /studies/<name>/V_checksum ties each task to the exact V it used. */
unsigned long long catex_potential_checksum(const double *V, int n);
/* The same hash continued over another V (the running hash h in, the new one
 * out): an exchange ladder's V_checksum covers every rung's V, bottom rung first. */
unsigned long long catex_potential_checksum_update(unsigned long long h, const double *V, int n);

void catex_task_result_destroy(catex_task_result *res);
/* Heap bytes held by the record (the farm flushes early when ranks hold too much). */
size_t catex_task_result_bytes(const catex_task_result *res);

typedef struct catex_task_runner catex_task_runner;

/* cache_bytes caps the memory of the worker's cache of lattices and pair
 * potentials (least recently used entries go first; the entry in use is kept
 * even if it alone exceeds the cap); after catex_task_runner_share_memory it
 * is also the node's budget of shared V and dense KMC tables. */
catex_status catex_task_runner_create(const catex_job *job, size_t cache_bytes, catex_task_runner **out,
                                      catex_error *err);
void catex_task_runner_destroy(catex_task_runner *runner);

/* Runs task `id` on `rank`. Returns an error only when no record could be
 * made at all (out of memory); a failing task yields CATEX_OK and a record
 * with status CATEX_TASK_FAILED. */
catex_status catex_task_runner_run(catex_task_runner *runner, long id, int rank, catex_task_result **out,
                                   catex_error *err);

/* The same for a ladder task (kind exchange) spread over the ranks of gang
 * (every member calls it; catex_exchange_set_gang): collective over gang;
 * the record of member 0 holds the result, the others' only the status. */
catex_status catex_task_runner_run_gang(catex_task_runner *runner, long id, int rank, MPI_Comm gang,
                                        catex_task_result **out, catex_error *err);

/* Mid-task checkpoints of exchange ladders (catex/exchange.h): every
 * `seconds` of a ladder's run its whole state goes to dir/task<id>.ckpt
 * (dir is created when first needed). With resume set, a ladder task whose
 * checkpoint exists continues from it instead of starting over. Without a
 * call, ladders are not checkpointed. */
catex_status catex_task_runner_set_checkpoints(catex_task_runner *runner, const char *dir, double seconds, int resume,
                                               catex_error *err);
/* After a successful flush: removes the checkpoints of the ladders this
 * runner finished since the last call (their results are in the file now). */
void catex_task_runner_flushed(catex_task_runner *runner);
/* Path of task id's ladder checkpoint in dir (buf of size n). */
void catex_task_checkpoint_path(const char *dir, long id, char *buf, size_t n);
/* Engines of later tasks poll hook (progress, early stop; may be NULL; the
 * hook must outlive the runner's use of it). */
void catex_task_runner_set_hook(catex_task_runner *runner, const catex_run_hook *hook);
/* Collective over comm (every rank at the same point, after a successful
 * create on all): makes the node arena that shares V_eff and the dense KMC
 * tables among the ranks of each node (src/memory/node_arena.c), sized
 * from the job: the distinct V and tables its tasks need, capped at
 * cache_bytes per node but never below the largest single need. No arena
 * when no task needs V. Errors are agreed (all ranks fail together). */
catex_status catex_task_runner_share_memory(catex_task_runner *runner, MPI_Comm comm, catex_error *err);

/* Cache counters: elastic solves done and cache hits so far. */
void catex_task_runner_cache_stats(const catex_task_runner *runner, long *solves, long *hits);

/* ---- memory accounting (src/farm/task_memory.c) ---- */

#define CATEX_MEMORY_MAX_TABLES 64

typedef struct {
  catex_lattice_spec spec;
  catex_nnn_mismatch nnn;
  const char *petsc_options;
  int nsites, dim;
  int needs_V, needs_disp, potential, equilibrium_V;
  int tables;                 /* distinct dense KMC tables (beta eps values) */
  double table_beta_eps[CATEX_MEMORY_MAX_TABLES];
  size_t V, table;            /* node-shared: V_eff, one dense table */
  size_t factor, sparse;      /* per rank: factor of D; D, C, S and the lattice */
  size_t build, engine;       /* per rank: V build temporaries; engine arrays */
  int rungs;                  /* most rungs of an exchange ladder on this lattice (0: none) */
  size_t ladder;              /* per rank: such a ladder's copies of V, Vcc and factorisation */
  size_t ladder_store;        /* per rank: its streamed series and histograms, stored samples and permutations */
} catex_memory_lattice;

typedef struct {
  int n;
  catex_memory_lattice *lat;  /* distinct lattices (V keys) of the job */
  int ranks_per_node;
  size_t shared_node;         /* node arena: V and tables, one copy per node */
  size_t private_rank;        /* largest private need of one rank */
  size_t rank_peak;           /* bound of one rank's peak RSS (private + the shared pages it maps) */
  size_t node_peak;           /* shared_node + ranks_per_node x private_rank */
} catex_memory_plan;

/* Upper bounds of what the job needs (see task_memory.c for the formula). */
catex_status catex_memory_plan_create(const catex_job *job, size_t cache_bytes, int ranks_per_node,
                                      catex_memory_plan *plan, catex_error *err);
void catex_memory_plan_free(catex_memory_plan *plan);
/* One line per lattice that needs V or a factorisation, then the totals. */
void catex_memory_plan_print(const catex_memory_plan *plan, FILE *out, const char *label);

#endif
