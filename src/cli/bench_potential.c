/* `catex bench potential`: wall time to build V_eff (assembly + solve +
 * projection) for the two sizes of the paper's scans: hexagon core side 24 +
 * 1 shell layer at K_shell = 17 (N = 1801) and cube core L = 12 + 1 shell
 * layer (N = 2744). Targets on one core: <= 1 s and <= 15 s. PETSc options
 * (-potential_pc_factor_mat_solver_type mumps, -potential_symmetry false,
 * ...) pass through, so solver choices can be compared. */
#include <petsctime.h>
#include <stdio.h>
#include <stdlib.h>

#include "catex/elastic.h"
#include "commands.h"

typedef struct {
  const char *name;
  catex_lattice_spec spec;
  double target_seconds;
} bench_case;

static int run_case(const bench_case *bc, int first)
{
  catex_error err = {0};
  catex_lattice *lat = NULL;
  catex_elastic *el = NULL;
  catex_potential_info info = {0};
  double *V = NULL;
  PetscLogDouble t0 = 0, t1 = 0;
  int rc = 1;
  PetscTime(&t0);
  if (catex_lattice_create(&bc->spec, &lat, &err)) goto done;
  const int n = catex_lattice_num_sites(lat);
  V = malloc(sizeof(double) * (size_t)n * (size_t)n);
  if (!V) {
    catex_error_set(&err, CATEX_ERR_NOMEM, "out of memory for V (%d sites)", n);
    goto done;
  }
  if (catex_elastic_create(lat, NULL, &el, &err) || catex_elastic_potential(el, V, &info, &err)) goto done;
  PetscTime(&t1);
  printf("%s    \"%s\": {\"n\": %d, \"seconds\": %.4f, \"target_seconds\": %.1f, \"assemble_seconds\": %.4f, "
         "\"solve_seconds\": %.4f, \"nnz_D\": %ld, \"nnz_C\": %ld, \"nnz_S\": %ld, \"ksp\": \"%s\", \"pc\": \"%s\", "
         "\"factor_solver\": \"%s\", \"symmetry_order\": %d, \"solved_columns\": %d, \"residual\": %.3g, "
         "\"max_row_sum\": %.3g, \"symmetry_error\": %.3g}",
         first ? "" : ",\n", bc->name, n, (double)(t1 - t0), bc->target_seconds, info.assemble_seconds,
         info.solve_seconds, info.nnz_D, info.nnz_C, info.nnz_S, info.ksp_type, info.pc_type, info.factor_solver,
         info.symmetry_order, info.solved_columns, info.residual, info.max_row_sum, info.symmetry_error);
  rc = 0;
done:
  if (rc) fprintf(stderr, "catex bench potential: %s: %s\n", bc->name, err.message);
  catex_elastic_destroy(el);
  catex_lattice_destroy(lat);
  free(V);
  return rc;
}

int catex_bench_potential(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  const bench_case cases[] = {
      {"hexagon_side24_shell1_k17", {CATEX_LATTICE_HEXAGON, 24, 1, 17.0}, 1.0},
      {"cube_L12_shell1_k17", {CATEX_LATTICE_CUBE, 12, 1, 17.0}, 15.0},
  };
  printf("{\n  \"benchmark\": \"potential\",\n  \"cases\": {\n");
  int rc = 0;
  for (int c = 0; c < 2 && rc == 0; c++) rc = run_case(&cases[c], c == 0);
  printf("\n  }\n}\n");
  return rc;
}
