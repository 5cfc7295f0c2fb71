/* `catex kmc`: a KMC ensemble from the command line. The options become a
 * one-study job text that runs through the same farm as `catex run`, so the
 * file has exactly the datasets of a sweep, and `mpirun -n 4 catex kmc
 * --trajectories 100 ...` spreads the trajectories over the ranks. */
#include <stdio.h>

#include "catex/farm_cli.h"
#include "cli_common.h"
#include "commands.h"

/* the command's own options; the lattice/model ones come from farm_cli */
static const catex_farm_cli_param kmc_params[] = {
    {"k-ex0", "k_ex0", 'd', 0, NULL, 0},
    {"k-diff0", "k_diff0", 'd', 0, NULL, 0},
    {"t-max", "t_max", 'd', 1, NULL, 0},
    {"samples", "samples", 'i', 0, NULL, 0},
    {"t-min", "t_min", 'd', 0, NULL, 0},
    {"snapshots", "snapshots", 'l', 0, NULL, 0},
    {"c-stop", "c_stop", 'd', 0, NULL, 0},
    {"max-events", "max_events", 'i', 0, NULL, 0},
    {"area-deviation", "area_deviation", 'T', 0, NULL, 0},
    {"no-area-deviation", "area_deviation", 'F', 0, NULL, 0},
    {"trajectories", "trajectories", 'i', 0, NULL, 0},
    {"interior-layers", "interior_layers", 'i', 0, NULL, 0},
};
#define NKMC ((int)(sizeof kmc_params / sizeof kmc_params[0]))

void catex_cmd_kmc_usage(FILE *out)
{
  fprintf(out,
          "usage: [mpirun -n RANKS] catex kmc --side N --kT T --t-max T -o FILE [options]\n"
          "\n"
          "Runs KMC exchange trajectories (docs/model.md \"Kinetic Monte Carlo\") from the\n"
          "all-A state and writes them like a one-study job (README \"Output file\",\n"
          "group /studies/kmc): the options are the study keys of README \"Job files\".\n"
          "Trajectory k uses SPRNG stream k of --seed.\n"
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
          "      --k-ex0 K  --k-diff0 K      rate prefactors (default 1)\n"
          "run:\n"
          "      --t-max T                   end time, units of 1/k_diff0              [required]\n"
          "      --samples n                 log-spaced grid points t_min .. t_max (default 100)\n"
          "      --t-min T                   first grid time (default 0.1 / total initial rate,\n"
          "                                  at most t_max/100: every curve starts at c = 1)\n"
          "      --snapshots t1,t2,...       times at which sigma is stored\n"
          "      --c-stop c                  stop when the composition c <= c\n"
          "      --max-events n              event budget per trajectory\n"
          "      --area-deviation | --no-area-deviation   dA_rms (default: on in 2D)\n"
          "      --trajectories n            (default 1)\n"
          "      --interior-layers n         f_interior over layers >= n (default 6)\n"
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
          "example: catex kmc --side 10 --eps 1 --dmu -20 --kT 0.2 --t-max 1e4 -o traj.h5\n"
          "exit status: 0 done; 3 some trajectories failed; 1 error; 2 usage; 4 interrupted by\n"
          "a signal (finished trajectories saved; --resume continues).\n");
}

int catex_cmd_kmc(int argc, char **argv)
{
  argc = catex_cli_strip_petsc_args(argc, argv);
  return catex_farm_cli_one_study("kmc", argc, argv, kmc_params, NKMC, NULL, NULL, 0, catex_cmd_kmc_usage);
}
