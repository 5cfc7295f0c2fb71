/* Glue shared by the commands that run the farm (`catex run`, `catex kmc`,
 * `catex equilibrium`): error reporting from rank 0 only, translation of job
 * errors on synthesised job text back to command-line options, the summary
 * line and the exit code. */
#ifndef CATEX_FARM_CLI_H
#define CATEX_FARM_CLI_H

#include "catex/farm.h"

/* Exit codes of the farm commands. */
/* 4: a signal (SIGTERM, SIGINT, SIGHUP, SIGUSR1) ended the run early; every
 * finished task was flushed and --resume continues. */
enum {
  CATEX_EXIT_OK = 0,
  CATEX_EXIT_ERROR = 1,
  CATEX_EXIT_USAGE = 2,
  CATEX_EXIT_TASKS_FAILED = 3,
  CATEX_EXIT_INTERRUPTED = 4
};


/* Runs the farm, prints a summary line (rank 0) and, if stats_path is set,
 * the statistics as JSON ("-": stdout); returns the process exit code. */
int catex_farm_cli_run(MPI_Comm comm, const char *cmd, const catex_job *job, const catex_farm_options *opt,
                       const char *stats_path);

/* Collective: prints (rank 0) the job's memory estimate per lattice, per
 * node and per rank, and refuses (returns CATEX_EXIT_ERROR after a message
 * with both figures) a job whose per-node need exceeds opt->max_memory, or
 * the available memory of the tightest node when that is 0. Called by
 * catex_farm_cli_run before anything is written. */
int catex_farm_cli_memory_check(MPI_Comm comm, const char *cmd, const catex_job *job, const catex_farm_options *opt);

/* A growing string for synthesised job texts; oom is set (and further
 * output dropped) if memory runs out. Free s when done. */
typedef struct {
  char *s;
  size_t n, cap;
  int oom;
} catex_strbuf;
void catex_strbuf_printf(catex_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses "x1,x2,..." (option opt of command cmd) into a YAML flow list
 * "[x1, x2, ...]" appended to b; on error prints a message naming the option
 * and the bad value and returns -1. */
int catex_farm_cli_list(const char *cmd, const char *opt, const char *value, catex_strbuf *b);

/* 0 if value is one of the n words, else prints "<opt>: '<value>' is not one
 * of ..." and returns -1. */
int catex_farm_cli_word(const char *cmd, const char *opt, const char *value, const char *const *words, int n);

/* One command-line option of a one-study command and the study key it sets:
 * type 'i' integer, 'd' number, 'w' one of words, 'l' list of numbers,
 * 'T' / 'F' flag setting the key to true / false. */
typedef struct {
  const char *option; /* without the leading "--" */
  const char *key;
  char type;
  int required;
  const char *const *words; /* type 'w' */
  int nwords;
} catex_farm_cli_param;

/* The options every one-study command shares: lattice, side, shell-layers,
 * kshell, nnn-mismatch, kT, eps, J, dmu. catex_farm_cli_params_join puts
 * them before a command's own params in out (room for cap entries) and
 * returns the total, or -1 if cap is too small. An own param with the
 * option name of a shared one replaces it. */
#define CATEX_FARM_CLI_MAX_PARAMS 48
int catex_farm_cli_params_join(const catex_farm_cli_param *own, int nown, catex_farm_cli_param *out, int cap);

/* The whole of a one-study command (`catex kmc`, `catex equilibrium`):
 * parses argv (after catex_cli_strip_petsc_args) against the shared lattice/model
 * options plus own, turns them into a one-study job of the given kind
 * (study name = kind; keys listed in nested go into `nested_key: {...}`,
 * e.g. sweeps: {equilibrate, measure}), runs it through the farm like
 * `catex run` and returns the exit code (CATEX_EXIT_*); --help prints usage. */
int catex_farm_cli_one_study(const char *kind, int argc, char **argv, const catex_farm_cli_param *own, int nown,
                             const char *nested_key, const char *const *nested, int nnested,
                             void (*usage)(FILE *out));

/* Parses synthesised job text on every rank; on error prints (rank 0) the
 * job module's message rewritten as "catex <cmd>: --<option>: <problem>",
 * the option being the param whose key the message names (or --seed). */
catex_status catex_farm_cli_parse(MPI_Comm comm, const char *cmd, const char *text,
                                  const catex_farm_cli_param *params, int nparams, catex_job **job);

/* Parses argv (after catex_cli_strip_petsc_args) with getopt_long: the
 * params become "    key: value" lines of study; the common options
 * -o/--output FILE, --force, --resume, --seed S, --progress-seconds S and -h/--help
 * fill opt / seed / help. Returns 0, or -1 after printing a message that
 * names the option and the bad value. */
int catex_farm_cli_options(const char *cmd, int argc, char **argv, const catex_farm_cli_param *params, int nparams,
                           catex_strbuf *study, catex_farm_options *opt, long *seed, int *help);

#endif
