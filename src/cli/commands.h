/* The catex subcommands. Each lives in its own cmd_*.c / bench_*.c file.
 * run() is called after MPI and PETSc are initialised and returns the
 * process exit code; usage() prints the true --help text. */
#ifndef CATEX_CLI_COMMANDS_H
#define CATEX_CLI_COMMANDS_H

#include <stdio.h>

typedef struct {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
  void (*usage)(FILE *out);
} catex_command;

int catex_cmd_potential(int argc, char **argv);
void catex_cmd_potential_usage(FILE *out);
int catex_cmd_kmc(int argc, char **argv);
void catex_cmd_kmc_usage(FILE *out);
int catex_cmd_equilibrium(int argc, char **argv);
void catex_cmd_equilibrium_usage(FILE *out);
int catex_cmd_exchange(int argc, char **argv);
void catex_cmd_exchange_usage(FILE *out);
int catex_cmd_run(int argc, char **argv);
void catex_cmd_run_usage(FILE *out);
int catex_cmd_bench(int argc, char **argv);
void catex_cmd_bench_usage(FILE *out);

/* `catex bench <what>` targets, one file each. They print one JSON object. */
int catex_bench_potential(int argc, char **argv);
int catex_bench_kmc(int argc, char **argv);
int catex_bench_equilibrium(int argc, char **argv);
int catex_bench_farm(int argc, char **argv);
int catex_bench_exchange(int argc, char **argv);
int catex_bench_scale(int argc, char **argv);

#endif
