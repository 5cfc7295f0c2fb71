/* The memory check before a run (catex_farm_cli_memory_check, farm_cli.h):
 * the job's memory plan (src/farm/task_memory.c) for the ranks actually on
 * each node, printed by rank 0, against --max-memory or what the nodes have
 * available. Runs before the output file is touched, so a job that cannot
 * fit is refused with nothing written. */
#include <stdio.h>

#include "catex/farm_cli.h"
#include "catex/node_arena.h"
#include "catex/sysmem.h"
#include "catex/task.h"

static double mb(size_t b) { return (double)b / 1048576.0; }

int catex_farm_cli_memory_check(MPI_Comm comm, const char *cmd, const catex_job *job, const catex_farm_options *opt)
{
  int rank, node, nodes, node_rank, node_size;
  MPI_Comm_rank(comm, &rank);
  catex_error err;
  catex_error_clear(&err);
  int ok = catex_node_layout(comm, &node, &nodes, &node_rank, &node_size, &err) == CATEX_OK;
  int most = ok ? node_size : 0;
  MPI_Allreduce(MPI_IN_PLACE, &most, 1, MPI_INT, MPI_MAX, comm);
  /* the tightest node decides; non-leaders report "unlimited" */
  double avail = node_rank == 0 ? (double)catex_available_memory() : 1e300;
  if (!(avail > 0)) avail = 1e300;
  MPI_Allreduce(MPI_IN_PLACE, &avail, 1, MPI_DOUBLE, MPI_MIN, comm);
  int code = CATEX_EXIT_OK;
  if (rank == 0) {
    FILE *log = opt->log ? opt->log : stdout;
    catex_memory_plan plan;
    char label[64];
    snprintf(label, sizeof label, "catex %s", cmd);
    if (!ok || catex_memory_plan_create(job, opt->cache_bytes, most, &plan, &err)) {
      fprintf(stderr, "catex %s: memory estimate: %s\n", cmd, err.message[0] ? err.message : "MPI error");
      code = CATEX_EXIT_ERROR;
    } else {
      const double limit = opt->max_memory > 0 ? (double)opt->max_memory : avail;
      int relevant = 0;
      for (int i = 0; i < plan.n; i++) relevant |= plan.lat[i].needs_V || plan.lat[i].needs_disp;
      if (relevant) {
        catex_memory_plan_print(&plan, log, label);
        if (limit < 1e299)
          fprintf(log, "%s: memory: limit %.1f MB per node (%s), %d node%s\n", label, limit / 1048576.0,
                  opt->max_memory > 0 ? "--max-memory" : "available memory", nodes, nodes == 1 ? "" : "s");
        fflush(log);
      }
      if (limit < 1e299 && (double)plan.node_peak > limit) {
        fprintf(stderr,
                "catex %s: the job needs up to %.1f MB per node (%.1f MB shared + %d ranks x %.1f MB), more than "
                "the limit of %.1f MB (%s); nothing was run or written. Use fewer ranks per node, a smaller "
                "--cache-mb, or raise --max-memory.\n",
                cmd, mb(plan.node_peak), mb(plan.shared_node), most, mb(plan.private_rank), limit / 1048576.0,
                opt->max_memory > 0 ? "--max-memory" : "available memory of the node");
        code = CATEX_EXIT_ERROR;
      }
      catex_memory_plan_free(&plan);
    }
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, comm);
  return code;
}
