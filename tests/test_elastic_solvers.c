/* The rigid-mode treatment and the solver must not change V: pinned DOFs vs
 * MatNullSpace + Krylov, direct vs iterative, with and without the symmetry
 * reduction, options from a private database or a custom prefix. Failures
 * (non-convergence, a residual above tolerance) must be errors. */
#include <petscksp.h>
#include <stdlib.h>
#include <string.h>

#include "test_elastic_util.h"

typedef struct {
  const char *label;
  catex_rigid_treatment rigid;
  int full_solve;
  const char *options; /* private PETSc options database, or NULL */
  const char *want_ksp, *want_pc, *want_factor; /* want_factor NULL: any */
} variant;

static PetscOptions private_options(const char *text)
{
  PetscOptions o = NULL;
  if (!text) return NULL;
  if (PetscOptionsCreate(&o) || PetscOptionsInsertString(o, text)) return NULL;
  return o;
}

static void compare_variants(catex_check *t, catex_lattice_kind kind, int side, int shell, double k,
                             catex_nnn_mismatch nnn)
{
  const variant variants[] = {
      {"pin, default solver", CATEX_RIGID_PIN, 0, NULL, "preonly", "cholesky", NULL},
      {"pin, no symmetry", CATEX_RIGID_PIN, 1, NULL, "preonly", "cholesky", NULL},
      {"pin, PETSc Cholesky", CATEX_RIGID_PIN, 0, "-potential_pc_factor_mat_solver_type petsc", "preonly", "cholesky",
       "petsc"},
      {"pin, MUMPS LU", CATEX_RIGID_PIN, 0, "-potential_pc_type lu -potential_pc_factor_mat_solver_type mumps",
       "preonly", "lu", "mumps"},
      {"pin, CG + ICC", CATEX_RIGID_PIN, 0,
       "-potential_ksp_type cg -potential_pc_type icc -potential_ksp_rtol 1e-15 -potential_ksp_atol 1e-300", "cg",
       "icc", NULL},
      {"nullspace, CG + Jacobi", CATEX_RIGID_NULLSPACE, 0, NULL, "cg", "jacobi", ""},
      {"nullspace, GMRES + Jacobi, no symmetry", CATEX_RIGID_NULLSPACE, 1,
       "-potential_ksp_type gmres -potential_ksp_gmres_restart 400 -potential_ksp_rtol 1e-14", "gmres", "jacobi",
       ""},
  };
  const int nv = (int)(sizeof variants / sizeof variants[0]);
  catex_lattice *lat = tu_lattice(kind, side, shell, k);
  CHECK(t, lat != NULL, "lattice");
  if (!lat) return;
  const int n = catex_lattice_num_sites(lat);
  double *first = NULL;
  for (int v = 0; v < nv; v++) {
    catex_elastic_options opt;
    catex_elastic_options_default(&opt);
    opt.nnn = nnn;
    opt.rigid = variants[v].rigid;
    opt.full_solve = variants[v].full_solve;
    opt.petsc_options = private_options(variants[v].options);
    CHECK(t, !variants[v].options || opt.petsc_options, "options '%s'", variants[v].options);
    catex_potential_info info;
    double *V = tu_potential(lat, &opt, &info);
    CHECK(t, V != NULL, "%s %d+%d K %g: %s failed", catex_lattice_kind_name(kind), side, shell, k,
          variants[v].label);
    if (opt.petsc_options) PetscOptionsDestroy(&opt.petsc_options);
    if (!V) continue;
    /* the options really reached the solver, or the comparison proves nothing */
    CHECK(t, strcmp(info.ksp_type, variants[v].want_ksp) == 0 && strcmp(info.pc_type, variants[v].want_pc) == 0,
          "%s: solver was %s/%s", variants[v].label, info.ksp_type, info.pc_type);
    CHECK(t, !variants[v].want_factor || strcmp(info.factor_solver, variants[v].want_factor) == 0,
          "%s: factorisation by '%s', want '%s'", variants[v].label, info.factor_solver, variants[v].want_factor);
    CHECK(t, info.solved_columns == (variants[v].full_solve ? n : info.solved_columns) &&
                 (variants[v].full_solve || info.solved_columns < n),
          "%s: solved %d of %d columns", variants[v].label, info.solved_columns, n);
    if (!first) {
      first = V;
      continue;
    }
    const double scale = tu_max_abs(first, (long)n * n), diff = tu_max_abs_diff(V, first, (long)n * n);
    CHECK(t, diff <= 1e-10 * (scale > 1 ? scale : 1), "%s %d+%d K %g: '%s' differs from '%s' by %g (max |V| %g)",
          catex_lattice_kind_name(kind), side, shell, k, variants[v].label, variants[0].label, diff, scale);
    free(V);
  }
  free(first);
  catex_lattice_destroy(lat);
}

/* A solver that stops early, or a residual above tolerance, is an error. */
static void check_failure(catex_check *t, const char *options, const char *needle)
{
  catex_lattice *lat = tu_lattice(CATEX_LATTICE_HEXAGON, 4, 1, 17.0);
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  opt.petsc_options = private_options(options);
  catex_elastic *el = NULL;
  catex_error err = {0};
  const int n = catex_lattice_num_sites(lat);
  double *V = malloc(sizeof(double) * (size_t)n * n);
  catex_status st = catex_elastic_create(lat, &opt, &el, &err);
  if (st == CATEX_OK) st = catex_elastic_potential(el, V, NULL, &err);
  CHECK(t, st == CATEX_ERR_SOLVER, "options '%s': status %s, want solver failure", options, catex_status_name(st));
  CHECK(t, strstr(err.message, needle) != NULL, "options '%s': message '%s' lacks '%s'", options, err.message,
        needle);
  CHECK(t, st != CATEX_OK && catex_elastic_displacement_response(el) == NULL,
        "no displacement response after a failed solve");
  catex_elastic_destroy(el);
  PetscOptionsDestroy(&opt.petsc_options);
  free(V);
  catex_lattice_destroy(lat);
}

/* A custom prefix reads the global options database. */
static void check_prefix(catex_check *t)
{
  catex_lattice *lat = tu_lattice(CATEX_LATTICE_CUBE, 2, 1, 3.0);
  PetscOptionsSetValue(NULL, "-mine_ksp_type", "cg");
  PetscOptionsSetValue(NULL, "-mine_pc_type", "jacobi");
  PetscOptionsSetValue(NULL, "-mine_ksp_rtol", "1e-14");
  catex_elastic_options opt;
  catex_elastic_options_default(&opt);
  opt.options_prefix = "mine_";
  catex_potential_info info;
  double *V = tu_potential(lat, &opt, &info);
  CHECK(t, V && strcmp(info.ksp_type, "cg") == 0 && strcmp(info.pc_type, "jacobi") == 0,
        "prefix mine_: solver %s/%s", V ? info.ksp_type : "-", V ? info.pc_type : "-");
  double *Vdefault = tu_potential(lat, NULL, NULL);
  const int n = catex_lattice_num_sites(lat);
  if (V && Vdefault) {
    double diff = tu_max_abs_diff(V, Vdefault, (long)n * n), scale = tu_max_abs(Vdefault, (long)n * n);
    CHECK(t, diff <= 1e-10 * scale, "prefix mine_ (CG) vs default: %g (max |V| %g)", diff, scale);
  }
  PetscOptionsClearValue(NULL, "-mine_ksp_type");
  PetscOptionsClearValue(NULL, "-mine_pc_type");
  PetscOptionsClearValue(NULL, "-mine_ksp_rtol");
  free(V);
  free(Vdefault);
  catex_lattice_destroy(lat);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_elastic_solvers", &argc, &argv)) return 1;
  compare_variants(&t, CATEX_LATTICE_HEXAGON, 3, 1, 17.0, CATEX_NNN_UNIT);
  compare_variants(&t, CATEX_LATTICE_HEXAGON, 5, 2, 100.0, CATEX_NNN_UNIT);
  compare_variants(&t, CATEX_LATTICE_CUBE, 3, 0, 1.0, CATEX_NNN_UNIT);
  compare_variants(&t, CATEX_LATTICE_CUBE, 2, 1, 17.0, CATEX_NNN_GEOMETRIC);
  check_failure(&t, "-potential_ksp_type cg -potential_pc_type jacobi -potential_ksp_max_it 3", "failed");
  check_failure(&t, "-potential_residual_tol 1e-30", "residual");
  check_prefix(&t);
  return catex_check_finish(&t);
}
