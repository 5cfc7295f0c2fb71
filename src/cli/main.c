/* catex: MPI-parallel ensemble and parameter-sweep engine for lattice models
 * of nanocrystal cation exchange. This file only dispatches subcommands;
 * MPI and PETSc are initialised here once for all of them. */
#include <petscsys.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"

static const catex_command commands[] = {
    {"run", "run a job file (MPI task farm, one HDF5 file, checkpoint/restart)", catex_cmd_run,
     catex_cmd_run_usage},
    {"kmc", "run KMC exchange trajectories of one state point (an ensemble)", catex_cmd_kmc, catex_cmd_kmc_usage},
    {"equilibrium", "run fixed-shell equilibrium replicas of one state point", catex_cmd_equilibrium,
     catex_cmd_equilibrium_usage},
    {"exchange", "run one replica-exchange ladder across K_shell", catex_cmd_exchange, catex_cmd_exchange_usage},
    {"potential", "compute the elastic pair potential V of a lattice", catex_cmd_potential,
     catex_cmd_potential_usage},
    {"bench", "benchmarks (print JSON)", catex_cmd_bench, catex_cmd_bench_usage},
};
static const int num_commands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *out)
{
  fprintf(out,
          "usage: catex <command> [options]\n"
          "       mpirun -n <ranks> catex run JOB.yaml\n\n"
          "commands:\n");
  for (int i = 0; i < num_commands; i++) fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf(out,
          "\n'catex <command> --help' describes a command. Options of the form -name value\n"
          "(one dash) are PETSc options, e.g. -potential_ksp_type cg; as with PETSc itself,\n"
          "one that takes no value (-log_view) must not be followed by a file name: put it last.\n"
          "catex %s\n",
          CATEX_VERSION);
}

int main(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("catex %s\n", CATEX_VERSION);
    return 0;
  }
  const catex_command *cmd = NULL;
  for (int i = 0; i < num_commands; i++)
    if (strcmp(argv[1], commands[i].name) == 0) cmd = &commands[i];
  if (!cmd) {
    fprintf(stderr, "catex: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
  }
  if (catex_cli_wants_help(argc - 1, argv + 1)) {
    cmd->usage(stdout);
    return 0;
  }
  char **petsc_argv = malloc(sizeof(char *) * ((size_t)argc + 1));
  if (!petsc_argv) {
    fprintf(stderr, "catex: out of memory\n");
    return 1;
  }
  /* Open MPI 4.1's shared-file-pointer component "lockedfile" aborts when
   * HDF5 opens a file whose path is 236 characters or longer; catex never
   * uses shared file pointers, so it is left out (unless the user chose). */
  setenv("OMPI_MCA_sharedfp", "^lockedfile", 0);
  int petsc_argc = catex_cli_petsc_args(argc, argv, petsc_argv);
  char **petsc_argv_arg = petsc_argv; /* PetscInitialize may repoint it */
  if (PetscInitialize(&petsc_argc, &petsc_argv_arg, NULL, NULL) != 0) {
    fprintf(stderr, "catex: PETSc/MPI initialisation failed\n");
    free(petsc_argv);
    return 1;
  }
  int rc = cmd->run(argc - 1, argv + 1);
  if (PetscFinalize() != 0 && rc == 0) rc = 1;
  free(petsc_argv);
  return rc;
}
