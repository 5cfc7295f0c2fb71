/* `catex exchange`: one replica-exchange ladder across K_shell from the
 * command line, as a one-study job (kind exchange) through the same farm as
 * `catex run`; the file has exactly the datasets of a job's exchange study. */
#include <stdio.h>

#include "catex/farm_cli.h"
#include "cli_common.h"
#include "commands.h"

/* --kshell replaces the shared single-value option: here it is the ladder. */
static const catex_farm_cli_param exchange_params[] = {
    {"kshell", "kshell", 'l', 1, NULL, 0},
    {"composition", "composition", 'd', 0, NULL, 0},
    {"stride", "stride", 'i', 0, NULL, 0},
    {"replicas", "replicas", 'i', 0, NULL, 0},
    {"exchange-every", "exchange_every", 'i', 0, NULL, 0},
    {"hist-bins", "hist_bins", 'i', 0, NULL, 0},
    {"sample-stride", "sample_stride", 'i', 0, NULL, 0},
    {"permutation-stride", "permutation_stride", 'i', 0, NULL, 0},
    {"ranks-per-ladder", "ranks_per_ladder", 'i', 0, NULL, 0},
    {"equilibrate", "equilibrate", 'i', 1, NULL, 0},
    {"measure", "measure", 'i', 1, NULL, 0},
};
#define NEXCHANGE ((int)(sizeof exchange_params / sizeof exchange_params[0]))

void catex_cmd_exchange_usage(FILE *out)
{
  fprintf(out,
          "usage: [mpirun -n RANKS] catex exchange --side N --shell-layers n --kshell K1,K2,...\n"
          "                      --kT T --eps E --equilibrate n --measure n -o FILE [options]\n"
          "\n"
          "Hamiltonian replica exchange across K_shell: one rung per --kshell value (ascending,\n"
          "at least 2), each running the fixed-shell Kawasaki Monte Carlo of `catex equilibrium`\n"
          "under its own V; every --exchange-every sweeps, swaps of neighbouring rungs (even,\n"
          "then odd pairs) with the exact Metropolis criterion. Written like a one-study job\n"
          "(README \"Output file\", exchange studies, group /studies/exchange). Replica (ladder)\n"
          "k decides its swaps with SPRNG stream k of --seed; its rungs use streams after\n"
          "those of all ladders.\n"
          "\n"
          "lattice:\n"
          "      --lattice hexagon|cube      (default hexagon)\n"
          "      --side N                    core side (hexagon) / core edge L (cube)  [required]\n"
          "      --shell-layers n            shell layers, >= 1 (default 0: refused)\n"
          "      --kshell K1,K2,...          the ladder, ascending                    [required]\n"
          "      --nnn-mismatch unit|geometric   3D NNN mismatch (default unit)\n"
          "model:\n"
          "      --kT T                      temperature                               [required]\n"
          "      --eps E                     elastic coupling, != 0 (default 0: refused)\n"
          "      --J J  --dmu D              Ising coupling, field (default 0)\n"
          "      --composition c             initial core composition (default 0.5)\n"
          "run:\n"
          "      --equilibrate n             sweeps discarded                          [required]\n"
          "      --measure n                 sweeps measured                           [required]\n"
          "      --stride n                  measure every n-th sweep (default 1)\n"
          "      --exchange-every n          sweeps between swap rounds (default 1)\n"
          "      --hist-bins n               f_U histogram bins over [0, 1] (default 50)\n"
          "      --sample-stride n           measured sweeps between stored samples with their\n"
          "                                  energies under every rung (0: none; default 100)\n"
          "      --permutation-stride n      measured sweeps between stored permutations\n"
          "                                  (0: none; default 100)\n"
          "      --replicas n                independent ladders (default 1)\n"
          "      --ranks-per-ladder g        spread each ladder over g ranks (fewer if there are\n"
          "                                  fewer ranks or rungs), a block of rungs per rank;\n"
          "                                  the data do not change (default 1: one rank each)\n"
          "      --seed s                    SPRNG seed in [0, 2^31) (default 1)\n"
          "output:\n"
          "  -o, --output FILE               HDF5 file                                 [required]\n"
          "      --force                     replace an existing file\n"
          "      --resume                    continue a killed run with the same options; a\n"
          "                                  ladder continues from its last checkpoint\n"
          "                                  (FILE.ladders/, every 10 minutes)\n"
          "      --progress-seconds S        progress interval on rank 0 (default 10)\n"
          "  -h, --help                      this text\n"
          "\n"
          "PETSc options (one dash, e.g. -potential_ksp_type cg) apply to the potential solves.\n"
          "example: catex exchange --side 16 --shell-layers 1 --kshell 10.6,10.7,10.8,10.9,11 \\\n"
          "           --eps 1 --kT 0.2 --equilibrate 100000 --measure 100000 --replicas 4 -o x.h5\n"
          "exit status: 0 done; 3 some ladders failed; 1 error; 2 usage.\n");
}

int catex_cmd_exchange(int argc, char **argv)
{
  static const char *const sweeps[] = {"equilibrate", "measure"};
  argc = catex_cli_strip_petsc_args(argc, argv);
  return catex_farm_cli_one_study("exchange", argc, argv, exchange_params, NEXCHANGE, "sweeps", sweeps, 2,
                                  catex_cmd_exchange_usage);
}
