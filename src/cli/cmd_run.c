/* `catex run JOB.yaml`: the sweep engine (MPI task farm, one HDF5 file,
 * checkpoint/restart). */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catex/farm_cli.h"
#include "catex/sysmem.h"
#include "cli_common.h"
#include "commands.h"

void catex_cmd_run_usage(FILE *out)
{
  fprintf(out,
          "usage: mpirun -n RANKS catex run JOB.yaml [options]\n"
          "\n"
          "Runs every task of a job file (README \"Job files\") on all MPI ranks and\n"
          "writes one HDF5 file (README \"Output file\"). Finished tasks are flushed to\n"
          "the file collectively every checkpoint_minutes and at the end; a run killed\n"
          "at any moment continues with --resume, redoing only unfinished tasks.\n"
          "\n"
          "options:\n"
          "  -o, --output FILE          output file (default: the job's `output`)\n"
          "      --resume               continue an existing output file of the same job\n"
          "                             (a fresh start if it does not exist yet)\n"
          "      --force                replace an existing output file\n"
          "      --progress-seconds S   interval of progress lines on rank 0 (default 10;\n"
          "                             0: only the final line)\n"
          "      --checkpoint-minutes M override the job's checkpoint_minutes\n"
          "      --cache-mb MB          per-node cap of the shared pair potentials and KMC\n"
          "                             tables (and of each rank's private cache; default 1024)\n"
          "      --max-memory SIZE      refuse a job whose estimated need per node exceeds\n"
          "                             SIZE (MB, or with K/M/G/T; default: the node's\n"
          "                             available memory / cgroup limit)\n"
          "      --rank0 MODE           work: rank 0 also runs tasks; dispatch: it only\n"
          "                             hands them out; auto (default): work below 16 ranks\n"
          "      --stats FILE           write run statistics as JSON (\"-\": stdout)\n"
          "      --prefetch N           tasks each worker holds at once, running + queued\n"
          "                             (default 3): covers rank 0's own tasks\n"
          "      --grace-seconds S      after a signal, running tasks may go on this long\n"
          "                             before they are stopped and left for --resume\n"
          "                             (default 10)\n"
          "  -h, --help                 this text\n"
          "Numbers are decimal (as in job files: no 0x10, inf or nan); S, M and MB must lie\n"
          "in 0 .. 1e9, 0 .. 1e7 and 0 .. 1e9.\n"
          "\n"
          "PETSc options (one dash, e.g. -potential_ksp_type cg) apply to the potential\n"
          "solves of studies without their own petsc_options.\n"
          "\n"
          "exit status: 0 all tasks done; 3 finished, but some tasks failed (status 2 and\n"
          "the message are in /tasks); 1 error (nothing lost: --resume continues); 2 usage\n"
          "(bad options, or a job file that cannot be read or is invalid);\n"
          "4 interrupted: SIGTERM, SIGINT, SIGHUP or SIGUSR1 (what SLURM sends before a time\n"
          "limit or pre-emption) stops the run: no new task starts, a running task may go\n"
          "on for --grace-seconds, every finished task is flushed; --resume continues.\n");
}

int catex_cmd_run(int argc, char **argv)
{
  enum { O_RESUME = 256, O_FORCE, O_PROGRESS, O_CHECKPOINT, O_CACHE, O_RANK0, O_STATS, O_PREFETCH, O_GRACE, O_MAXMEM };
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},
      {"resume", no_argument, NULL, O_RESUME},
      {"force", no_argument, NULL, O_FORCE},
      {"progress-seconds", required_argument, NULL, O_PROGRESS},
      {"checkpoint-minutes", required_argument, NULL, O_CHECKPOINT},
      {"cache-mb", required_argument, NULL, O_CACHE},
      {"rank0", required_argument, NULL, O_RANK0},
      {"stats", required_argument, NULL, O_STATS},
      {"prefetch", required_argument, NULL, O_PREFETCH},
      {"grace-seconds", required_argument, NULL, O_GRACE},
      {"max-memory", required_argument, NULL, O_MAXMEM},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  FILE *errs = rank == 0 ? stderr : fopen("/dev/null", "w");
  catex_farm_options opt;
  catex_farm_options_default(&opt);
  const char *stats = NULL;
  double minutes = -1, cache_mb = 1024;
  int bad = 0, c;
  argc = catex_cli_strip_petsc_args(argc, argv);
  opterr = 0;
  optind = 1;
  while (!bad && (c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'o': opt.output = optarg; break;
    case O_RESUME: opt.resume = 1; break;
    case O_FORCE: opt.force = 1; break;
    case O_PROGRESS:
      bad = catex_cli_parse_double("run", "--progress-seconds", optarg, &opt.progress_seconds);
      if (!bad && !(opt.progress_seconds >= 0 && opt.progress_seconds <= 1e9)) {
        fprintf(errs, "catex run: --progress-seconds: '%s' must be in 0 .. 1e9\n", optarg);
        bad = 1;
      }
      break;
    case O_CHECKPOINT:
      bad = catex_cli_parse_double("run", "--checkpoint-minutes", optarg, &minutes);
      if (!bad && !(minutes >= 0 && minutes <= 1e7)) {
        fprintf(errs, "catex run: --checkpoint-minutes: '%s' must be in 0 .. 1e7\n", optarg);
        bad = 1;
      }
      break;
    case O_CACHE:
      bad = catex_cli_parse_double("run", "--cache-mb", optarg, &cache_mb);
      /* bounded so that the conversion to bytes (size_t) is defined */
      if (!bad && !(cache_mb >= 0 && cache_mb <= 1e9)) {
        fprintf(errs, "catex run: --cache-mb: '%s' must be in 0 .. 1e9 (MB)\n", optarg);
        bad = 1;
      }
      break;
    case O_RANK0:
      if (strcmp(optarg, "work") == 0) opt.master_works = 1;
      else if (strcmp(optarg, "dispatch") == 0) opt.master_works = 0;
      else if (strcmp(optarg, "auto") == 0) opt.master_works = -1;
      else {
        fprintf(errs, "catex run: --rank0: '%s' is not one of work, dispatch, auto\n", optarg);
        bad = 1;
      }
      break;
    case O_STATS: stats = optarg; break;
    case O_PREFETCH:
      bad = catex_cli_parse_int("run", "--prefetch", optarg, &opt.prefetch);
      if (!bad && (opt.prefetch < 1 || opt.prefetch > 8)) {
        fprintf(errs, "catex run: --prefetch: '%s' must be in 1 .. 8\n", optarg);
        bad = 1;
      }
      break;
    case O_GRACE:
      bad = catex_cli_parse_double("run", "--grace-seconds", optarg, &opt.grace_seconds);
      if (!bad && !(opt.grace_seconds >= 0 && opt.grace_seconds <= 86400)) {
        fprintf(errs, "catex run: --grace-seconds: '%s' must be in 0 .. 86400\n", optarg);
        bad = 1;
      }
      break;
    case O_MAXMEM:
      if (catex_parse_memory(optarg, &opt.max_memory) != 0) {
        fprintf(errs, "catex run: --max-memory: '%s' is not a memory size (e.g. 8G, 500M, or MB)\n", optarg);
        bad = 1;
      }
      break;
    case 'h': catex_cmd_run_usage(stdout); return 0;
    case ':': fprintf(errs, "catex run: %s needs a value\n", argv[optind - 1]); bad = 1; break;
    default: fprintf(errs, "catex run: unknown option '%s' (see catex run --help)\n", argv[optind - 1]); bad = 1;
    }
  }
  if (!bad && optind != argc - 1) {
    fprintf(errs, optind >= argc ? "catex run: no job file given (usage: catex run JOB.yaml [options])\n"
                                 : "catex run: exactly one job file expected\n");
    bad = 1;
  }
  if (!bad && opt.resume && opt.force) {
    fprintf(errs, "catex run: --resume and --force contradict each other\n");
    bad = 1;
  }
  if (errs != stderr) fclose(errs);
  if (bad) return CATEX_EXIT_USAGE;
  if (minutes >= 0) opt.checkpoint_seconds = 60 * minutes;
  opt.cache_bytes = (size_t)(cache_mb * 1048576.0);
  opt.label = "catex run";
  opt.job_path = argv[optind];

  catex_job *job = NULL;
  catex_error err;
  catex_error_clear(&err);
  catex_status load = catex_farm_load_job(MPI_COMM_WORLD, argv[optind], &job, &err);
  if (load) {
    if (rank == 0) fprintf(stderr, "catex run: %s\n", err.message);
    /* a job file that cannot be read or parsed is a usage error (README) */
    return load == CATEX_ERR_PARSE || load == CATEX_ERR_IO ? CATEX_EXIT_USAGE : CATEX_EXIT_ERROR;
  }
  int code = catex_farm_cli_run(MPI_COMM_WORLD, "run", job, &opt, stats);
  catex_job_destroy(job);
  return code;
}
