/* `catex equilibrium`: fixed-shell equilibrium state points from the command
 * line, as a one-study job through the same farm as `catex run` (replicas
 * spread over the ranks; the file has exactly the datasets of a sweep). */
#include <stdio.h>

#include "catex/farm_cli.h"
#include "cli_common.h"
#include "commands.h"

/* the command's own options; the lattice/model ones come from farm_cli.
 * --equilibrate / --measure go into `sweeps: {...}` of the synthesised
 * study (moved there after parsing). */
static const catex_farm_cli_param equilibrium_params[] = {
    {"composition", "composition", 'd', 0, NULL, 0},
    {"stride", "stride", 'i', 0, NULL, 0},
    {"series", "series", 'T', 0, NULL, 0},
    {"snapshot-every", "snapshot_every", 'i', 0, NULL, 0},
    {"area-deviation", "area_deviation", 'T', 0, NULL, 0},
    {"replicas", "replicas", 'i', 0, NULL, 0},
    {"equilibrate", "equilibrate", 'i', 1, NULL, 0},
    {"measure", "measure", 'i', 1, NULL, 0},
};
#define NEQUILIBRIUM ((int)(sizeof equilibrium_params / sizeof equilibrium_params[0]))

void catex_cmd_equilibrium_usage(FILE *out)
{
  fprintf(out,
          "usage: [mpirun -n RANKS] catex equilibrium --side N --kT T --equilibrate n --measure n\n"
          "                         -o FILE [options]\n"
          "\n"
          "Equilibrium Monte Carlo of a fixed-shell nanocrystal (docs/model.md: shell fixed at\n"
          "B, Kawasaki swaps in the core), written like a one-study job (README \"Output\n"
          "file\", group /studies/equilibrium): the options are the study keys of README\n"
          "\"Job files\". Replica k uses SPRNG stream k of --seed.\n"
          "\n"
          "lattice:\n"
          "      --lattice hexagon|cube      (default hexagon)\n"
          "      --side N                    core side (hexagon) / core edge L (cube)  [required]\n"
          "      --shell-layers n            shell layers around the core (default 0)\n"
          "      --kshell K                  shell-shell bond stiffness (default 1)\n"
          "      --nnn-mismatch unit|geometric   3D NNN mismatch (default unit)\n"
          "model:\n"
          "      --kT T                      temperature                               [required]\n"
          "      --eps E  --J J  --dmu D     energy parameters (default 0)\n"
          "      --composition c             initial core composition (default 0.5)\n"
          "run:\n"
          "      --equilibrate n             sweeps discarded                          [required]\n"
          "      --measure n                 sweeps measured                           [required]\n"
          "      --stride n                  measure every n-th sweep (default 1)\n"
          "      --series                    keep the f_U and E time series\n"
          "      --snapshot-every n          store sigma every n measured sweeps (a multiple of --stride)\n"
          "      --area-deviation            also measure <Delta A^2> (2D)\n"
          "      --replicas n                independent replicas (default 1)\n"
          "      --seed s                    SPRNG seed in [0, 2^31) (default 1)\n"
          "output:\n"
          "  -o, --output FILE               HDF5 file                                 [required]\n"
          "      --force                     replace an existing file\n"
          "      --resume                    continue a killed run with the same options\n"
          "      --progress-seconds S        progress interval on rank 0 (default 10)\n"
          "      --max-memory SIZE           refuse the run if its estimated need per node exceeds\n"
          "                                  SIZE (MB, or K/M/G/T; default: available memory)\n"
          "  -h, --help                      this text\n"
          "\n"
          "PETSc options (one dash, e.g. -potential_ksp_type cg) apply to the potential solve.\n"
          "example: catex equilibrium --side 16 --shell-layers 1 --kshell 10 --eps 1 --kT 0.2 \\\n"
          "           --equilibrate 1000 --measure 1000 -o eq.h5\n"
          "exit status: 0 done; 3 some replicas failed; 1 error; 2 usage; 4 interrupted by a\n"
          "signal (finished replicas saved; --resume continues).\n");
}

int catex_cmd_equilibrium(int argc, char **argv)
{
  static const char *const sweeps[] = {"equilibrate", "measure"};
  argc = catex_cli_strip_petsc_args(argc, argv);
  return catex_farm_cli_one_study("equilibrium", argc, argv, equilibrium_params, NEQUILIBRIUM, "sweeps", sweeps, 2,
                                  catex_cmd_equilibrium_usage);
}
