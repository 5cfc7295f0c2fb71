/* `catex potential`: builds a lattice, computes its pair potential V_eff and
 * writes both to one HDF5 file. Runs on a single rank (the solve is
 * sequential; parameter sweeps over many lattices belong to `catex run`).
 * The file is written under a temporary name and renamed at the end, so a
 * failure never leaves a half-written file under the requested name. */
#include <errno.h>
#include <getopt.h>
#include <hdf5.h>
#include <petscsys.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catex/build_progress.h"
#include "catex/elastic.h"
#include "catex/paths.h"
#include "catex/task.h"
#include "cli_common.h"
#include "commands.h"

#define CMD "potential"

typedef struct {
  catex_lattice_spec spec;
  catex_elastic_options elastic;
  const char *output;
  int force;
} potential_args;

void catex_cmd_potential_usage(FILE *out)
{
  fprintf(out,
          "usage: catex potential --lattice hexagon|cube --side N -o FILE [options] [PETSc options]\n"
          "\n"
          "Computes the elastic pair potential V_eff = P (4 S - C^T D^+ C) P of one lattice\n"
          "(see docs/model.md) and writes it, with the lattice, to an HDF5 file. Runs on one\n"
          "rank: do not start it under mpirun with more than one process.\n"
          "\n"
          "options:\n"
          "  --lattice KIND          hexagon (2D) or cube (3D)                   [required]\n"
          "  --side N                core side (hexagon) or core edge L (cube), >= 2 [required]\n"
          "  --shell-layers N        shell layers added around the core, >= 0    [0]\n"
          "  --kshell K              stiffness of shell-shell bonds, > 0         [1]\n"
          "  --nnn-mismatch CONV     unit (the paper) or geometric (3D NNN bonds) [unit]\n"
          "  --rigid TREATMENT       rigid modes of D: pin (pinned DOFs + sparse Cholesky)\n"
          "                          or nullspace (MatNullSpace + CG)            [pin]\n"
          "  -o, --output FILE       HDF5 file to write                          [required]\n"
          "  --force                 overwrite FILE if it exists\n"
          "  -h, --help              show this help\n"
          "\n"
          "PETSc options for the solve use the prefix potential_, e.g.\n"
          "  -potential_pc_factor_mat_solver_type mumps   -potential_ksp_type cg -potential_pc_type icc\n"
          "  -potential_symmetry false (solve all N columns instead of one per symmetry orbit)\n"
          "  -potential_residual_tol 1e-8 (largest accepted ||D X - C|| / ||C||)\n"
          "\n"
          "output datasets: /lattice/positions (N x d), /lattice/layer, /lattice/boundary,\n"
          "/lattice/shell, /lattice/bonds (i, j, stiffness, length, nearest), /potential/V\n"
          "(N x N float64, V_eff); parameters and solver statistics are attributes of /.\n"
          "\n"
          "example: catex potential --lattice hexagon --side 5 --shell-layers 1 --kshell 10 -o V.h5\n");
}

static int parse_args(int argc, char **argv, potential_args *a)
{
  enum { OPT_LATTICE = 256, OPT_SIDE, OPT_SHELL, OPT_KSHELL, OPT_NNN, OPT_RIGID, OPT_FORCE };
  static const struct option longopts[] = {
      {"lattice", required_argument, NULL, OPT_LATTICE}, {"side", required_argument, NULL, OPT_SIDE},
      {"shell-layers", required_argument, NULL, OPT_SHELL}, {"kshell", required_argument, NULL, OPT_KSHELL},
      {"nnn-mismatch", required_argument, NULL, OPT_NNN},   {"rigid", required_argument, NULL, OPT_RIGID},
      {"output", required_argument, NULL, 'o'},             {"force", no_argument, NULL, OPT_FORCE},
      {NULL, 0, NULL, 0}};
  int have_lattice = 0, have_side = 0;
  catex_error err;
  memset(a, 0, sizeof *a);
  a->spec.kshell = 1.0;
  catex_elastic_options_default(&a->elastic);
  argc = catex_cli_strip_petsc_args(argc, argv);
  optind = 1;
  opterr = 0;
  for (;;) {
    int c = getopt_long(argc, argv, ":o:", longopts, NULL);
    if (c == -1) break;
    switch (c) {
    case OPT_LATTICE:
      if (catex_lattice_kind_parse(optarg, &a->spec.kind, &err)) {
        fprintf(stderr, "catex %s: --lattice: %s\n", CMD, err.message);
        return -1;
      }
      have_lattice = 1;
      break;
    case OPT_SIDE:
      if (catex_cli_parse_int(CMD, "--side", optarg, &a->spec.side)) return -1;
      if (a->spec.side < 2) {
        fprintf(stderr, "catex %s: --side: '%s' is too small (the core side must be >= 2)\n", CMD, optarg);
        return -1;
      }
      have_side = 1;
      break;
    case OPT_SHELL:
      if (catex_cli_parse_int(CMD, "--shell-layers", optarg, &a->spec.shell_layers)) return -1;
      if (a->spec.shell_layers < 0) {
        fprintf(stderr, "catex %s: --shell-layers: '%s' is negative\n", CMD, optarg);
        return -1;
      }
      break;
    case OPT_KSHELL:
      if (catex_cli_parse_double(CMD, "--kshell", optarg, &a->spec.kshell)) return -1;
      if (!(a->spec.kshell > 0)) {
        fprintf(stderr, "catex %s: --kshell: '%s' must be > 0\n", CMD, optarg);
        return -1;
      }
      break;
    case OPT_NNN:
      if (catex_nnn_mismatch_parse(optarg, &a->elastic.nnn, &err)) {
        fprintf(stderr, "catex %s: --nnn-mismatch: %s\n", CMD, err.message);
        return -1;
      }
      break;
    case OPT_RIGID:
      if (strcmp(optarg, "pin") == 0) a->elastic.rigid = CATEX_RIGID_PIN;
      else if (strcmp(optarg, "nullspace") == 0) a->elastic.rigid = CATEX_RIGID_NULLSPACE;
      else {
        fprintf(stderr, "catex %s: --rigid: '%s' is not 'pin' or 'nullspace'\n", CMD, optarg);
        return -1;
      }
      break;
    case 'o': a->output = optarg; break;
    case OPT_FORCE: a->force = 1; break;
    case ':':
      fprintf(stderr, "catex %s: option '%s' needs a value\n", CMD, argv[optind - 1]);
      return -1;
    default:
      fprintf(stderr, "catex %s: unknown option '%s' (see catex %s --help)\n", CMD, argv[optind - 1], CMD);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "catex %s: unexpected argument '%s'\n", CMD, argv[optind]);
    return -1;
  }
  if (!have_lattice || !have_side) {
    fprintf(stderr, "catex %s: %s is required (see catex %s --help)\n", CMD, !have_lattice ? "--lattice" : "--side",
            CMD);
    return -1;
  }
  /* the same limit and message as the job files (and `catex kmc`): a usage error */
  const long nsites = catex_lattice_spec_num_sites(a->spec.kind, a->spec.side, a->spec.shell_layers);
  if (nsites > CATEX_MAX_SITES) {
    fprintf(stderr, "catex %s: --side: core side %d with %d shell layers gives %s%ld sites (limit %d)\n", CMD,
            a->spec.side, a->spec.shell_layers, nsites == CATEX_MAX_SITES + 1 ? "more than " : "",
            nsites == CATEX_MAX_SITES + 1 ? (long)CATEX_MAX_SITES : nsites, CATEX_MAX_SITES);
    return -1;
  }
  return catex_cli_check_output(CMD, a->output, a->force);
}

/* ---- HDF5 output ---------------------------------------------------------- */

typedef struct {
  int i, j;
  double stiffness, length;
  signed char nearest;
} bond_record;

static int write_string_attr(hid_t obj, const char *name, const char *value)
{
  hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), attr = -1;
  int rc = -1;
  if (type >= 0 && space >= 0 && H5Tset_size(type, strlen(value) + 1) >= 0) {
    attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0 && H5Awrite(attr, type, value) >= 0) rc = 0;
  }
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  return rc;
}

static int write_scalar_attr(hid_t obj, const char *name, hid_t type, const void *value)
{
  hid_t space = H5Screate(H5S_SCALAR), attr = -1;
  int rc = -1;
  if (space >= 0) attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (attr >= 0 && H5Awrite(attr, type, value) >= 0) rc = 0;
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  return rc;
}

static int write_double_attr(hid_t obj, const char *name, double v) { return write_scalar_attr(obj, name, H5T_NATIVE_DOUBLE, &v); }
static int write_long_attr(hid_t obj, const char *name, long v) { return write_scalar_attr(obj, name, H5T_NATIVE_LONG, &v); }

static int write_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data,
                         const char *units, const char *description)
{
  hid_t space = H5Screate_simple(rank, dims, NULL), set = -1;
  int rc = -1;
  if (space >= 0) set = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (set >= 0 && H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0 &&
      write_string_attr(set, "units", units) == 0 && write_string_attr(set, "description", description) == 0)
    rc = 0;
  if (set >= 0) H5Dclose(set);
  if (space >= 0) H5Sclose(space);
  return rc;
}

static int write_lattice(hid_t file, const catex_lattice *lat)
{
  const int n = catex_lattice_num_sites(lat), d = catex_lattice_dim(lat), nb = catex_lattice_num_bonds(lat);
  const catex_bond *bonds = catex_lattice_bonds(lat);
  hid_t group = H5Gcreate2(file, "lattice", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), type = -1;
  bond_record *rec = malloc(sizeof(bond_record) * (size_t)(nb > 0 ? nb : 1));
  int rc = -1;
  if (group < 0 || !rec) goto done;
  hsize_t dims[2] = {(hsize_t)n, (hsize_t)d}, nbonds = (hsize_t)nb;
  for (int e = 0; e < nb; e++) {
    double unit[3], length;
    catex_lattice_bond_geometry(lat, &bonds[e], unit, &length);
    rec[e] = (bond_record){bonds[e].i, bonds[e].j, catex_lattice_bond_stiffness(lat, &bonds[e]), length,
                           (signed char)bonds[e].nearest};
  }
  type = H5Tcreate(H5T_COMPOUND, sizeof(bond_record));
  if (type < 0 || H5Tinsert(type, "i", offsetof(bond_record, i), H5T_NATIVE_INT) < 0 ||
      H5Tinsert(type, "j", offsetof(bond_record, j), H5T_NATIVE_INT) < 0 ||
      H5Tinsert(type, "stiffness", offsetof(bond_record, stiffness), H5T_NATIVE_DOUBLE) < 0 ||
      H5Tinsert(type, "length", offsetof(bond_record, length), H5T_NATIVE_DOUBLE) < 0 ||
      H5Tinsert(type, "nearest", offsetof(bond_record, nearest), H5T_NATIVE_SCHAR) < 0)
    goto done;
  if (write_dataset(group, "positions", H5T_NATIVE_DOUBLE, 2, dims, catex_lattice_positions(lat), "lattice constants",
                    "site positions (N x d), centred on the crystal") ||
      write_dataset(group, "layer", H5T_NATIVE_INT, 1, dims, catex_lattice_layer(lat), "1",
                    "layer index, 1 = outermost") ||
      write_dataset(group, "boundary", H5T_NATIVE_UCHAR, 1, dims, catex_lattice_boundary(lat), "1",
                    "1 on boundary sites (layer 1)") ||
      write_dataset(group, "shell", H5T_NATIVE_UCHAR, 1, dims, catex_lattice_shell(lat), "1",
                    "1 on shell sites (layers 1..shell_layers)") ||
      write_dataset(group, "bonds", type, 1, &nbonds, rec, "1",
                    "bonds: sites i < j, stiffness (K_shell or 1), length (1 NN, sqrt2 NNN), nearest (Ising bond)"))
    goto done;
  rc = 0;
done:
  if (type >= 0) H5Tclose(type);
  if (group >= 0) H5Gclose(group);
  free(rec);
  return rc;
}

static int write_attributes(hid_t file, const potential_args *a, const catex_potential_info *info, int dim)
{
  const char *rigid = a->elastic.rigid == CATEX_RIGID_NULLSPACE ? "nullspace" : "pin";
  const char *nnn = a->elastic.nnn == CATEX_NNN_GEOMETRIC ? "geometric" : "unit";
  return write_string_attr(file, "catex_version", CATEX_VERSION) ||
         write_string_attr(file, "lattice", catex_lattice_kind_name(a->spec.kind)) ||
         write_long_attr(file, "side", a->spec.side) || write_long_attr(file, "shell_layers", a->spec.shell_layers) ||
         write_double_attr(file, "kshell", a->spec.kshell) || write_string_attr(file, "nnn_mismatch", nnn) ||
         write_string_attr(file, "rigid", rigid) || write_long_attr(file, "n", info->n) ||
         write_long_attr(file, "dim", dim) || write_long_attr(file, "nnz_D", info->nnz_D) ||
         write_long_attr(file, "nnz_C", info->nnz_C) || write_long_attr(file, "nnz_S", info->nnz_S) ||
         write_double_attr(file, "solve_seconds", info->solve_seconds) ||
         write_double_attr(file, "max_row_sum", info->max_row_sum) ||
         write_double_attr(file, "max_row_sum_raw", info->max_row_sum_raw) ||
         write_double_attr(file, "symmetry_error", info->symmetry_error) ||
         write_double_attr(file, "residual", info->residual) || write_string_attr(file, "ksp_type", info->ksp_type) ||
         write_string_attr(file, "pc_type", info->pc_type) ||
         write_string_attr(file, "factor_solver", info->factor_solver);
}

static int write_file(const char *path, const potential_args *a, const catex_lattice *lat, const double *V,
                      const catex_potential_info *info)
{
  const int n = catex_lattice_num_sites(lat);
  catex_make_parent_dirs(path);
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), group = -1;
  int rc = -1;
  if (file < 0) return -1;
  group = H5Gcreate2(file, "potential", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {(hsize_t)n, (hsize_t)n};
  if (group >= 0 && write_lattice(file, lat) == 0 &&
      write_dataset(group, "V", H5T_NATIVE_DOUBLE, 2, dims, V, "eps",
                    "pair potential V_eff = P (4 S - C^T D^+ C) P, E_el = (eps/2) sigma^T V_eff sigma") == 0 &&
      write_attributes(file, a, info, catex_lattice_dim(lat)) == 0 &&
      write_long_attr(file, "V_checksum", (long)catex_potential_checksum(V, n)) == 0)
    rc = 0;
  if (group >= 0) H5Gclose(group);
  if (H5Fclose(file) < 0) rc = -1;
  return rc;
}

/* ---- the command ----------------------------------------------------------- */

static int compute(const potential_args *a, catex_lattice **lat, double **V, catex_potential_info *info)
{
  catex_error err = {0};
  catex_elastic *el = NULL;
  if (catex_lattice_create(&a->spec, lat, &err)) {
    fprintf(stderr, "catex %s: %s\n", CMD, err.message);
    return -1;
  }
  const int n = catex_lattice_num_sites(*lat);
  if (n > CATEX_MAX_DENSE_SITES) {
    fprintf(stderr, "catex %s: %d sites: the dense pair potential V (8 N^2 = %.0f GB) is limited to %d sites\n", CMD,
            n, 8.0 * n * n / 1e9, CATEX_MAX_DENSE_SITES);
    return -1;
  }
  *V = malloc(sizeof(double) * (size_t)n * (size_t)n);
  if (!*V) {
    fprintf(stderr, "catex %s: out of memory for V (%d x %d)\n", CMD, n, n);
    return -1;
  }
  int rc = 0;
  /* the command writes V only: no dense displacement response (d N^2 doubles) */
  catex_elastic_options opt = a->elastic;
  opt.skip_displacements = 1;
  catex_build_progress progress;
  catex_build_progress_init(&progress, stderr, 10.0, "catex %s: %s %s %d (%d sites)", CMD,
                            catex_lattice_kind_name(a->spec.kind), a->spec.kind == CATEX_LATTICE_CUBE ? "L" : "side",
                            a->spec.side, n);
  opt.progress = catex_build_progress_report;
  opt.progress_ctx = &progress;
  if (catex_elastic_create(*lat, &opt, &el, &err) || catex_elastic_potential(el, *V, info, &err)) {
    fprintf(stderr, "catex %s: %s\n", CMD, err.message);
    rc = -1;
  }
  catex_elastic_destroy(el);
  return rc;
}

int catex_cmd_potential(int argc, char **argv)
{
  int size = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  if (size != 1) {
    fprintf(stderr, "catex %s: runs on one rank only (got %d); use 'catex run' for parallel sweeps\n", CMD, size);
    return 1;
  }
  potential_args a;
  if (parse_args(argc, argv, &a)) return 2;
  catex_lattice *lat = NULL;
  double *V = NULL;
  catex_potential_info info;
  int rc = 1;
  char tmp[4096];
  if (compute(&a, &lat, &V, &info)) goto done;
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", a.output, (long)getpid()) >= (int)sizeof tmp) {
    fprintf(stderr, "catex %s: output path '%s' is too long\n", CMD, a.output);
    goto done;
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our message names the file; HDF5's stack adds nothing */
  if (write_file(tmp, &a, lat, V, &info) != 0) {
    fprintf(stderr, "catex %s: cannot write HDF5 file '%s'\n", CMD, tmp);
    unlink(tmp);
    goto done;
  }
  /* the existence check happened before the solve; check again so that a
   * file created meanwhile is not clobbered without --force */
  if (catex_cli_check_output(CMD, a.output, a.force) != 0) {
    unlink(tmp);
    goto done;
  }
  if (rename(tmp, a.output) != 0) {
    fprintf(stderr, "catex %s: cannot rename '%s' to '%s': %s\n", CMD, tmp, a.output, strerror(errno));
    unlink(tmp);
    goto done;
  }
  printf("lattice %s side %d shell_layers %d kshell %g nnn_mismatch %s: N = %d\n",
         catex_lattice_kind_name(a.spec.kind), a.spec.side, a.spec.shell_layers, a.spec.kshell,
         a.elastic.nnn == CATEX_NNN_GEOMETRIC ? "geometric" : "unit", info.n);
  printf("non-zeros: D %ld, C %ld, S %ld\n", info.nnz_D, info.nnz_C, info.nnz_S);
  printf("solver: %s/%s%s%s, %d of %d columns solved (symmetry group of order %d), residual %.3g\n", info.ksp_type,
         info.pc_type, info.factor_solver[0] ? "/" : "", info.factor_solver, info.solved_columns, info.n,
         info.symmetry_order, info.residual);
  printf("solve time: %.3f s (assembly %.3f s)\n", info.solve_seconds, info.assemble_seconds);
  printf("max |V_eff 1| = %.3g, max |V 1| before projection = %.3g\n", info.max_row_sum, info.max_row_sum_raw);
  printf("symmetry error max |V - V^T| / max |V| = %.3g\n", info.symmetry_error);
  printf("wrote %s\n", a.output);
  rc = 0;
done:
  free(V);
  catex_lattice_destroy(lat);
  return rc;
}
