/* Elastic operator and pair potential of docs/model.md:
 *   D (dN x dN), C (dN x N), S (N x N) assembled from the bond list as PETSc
 *   AIJ matrices;  V = 4 S - C^T D^+ C;  V_eff = P V P, P = I - 1 1^T / N.
 * Each object lives on PETSC_COMM_SELF: every worker solves its own lattice.
 * PetscInitialize must have been called. */
#ifndef CATEX_ELASTIC_H
#define CATEX_ELASTIC_H

#include <petscmat.h>

#include "catex/lattice.h"

typedef enum {
  CATEX_NNN_UNIT = 0,     /* the paper: every bond has mismatch (s_R + s_R')/2 */
  CATEX_NNN_GEOMETRIC = 1 /* NNN mismatch scaled by bond length (sqrt2 in C, 2 in S) */
} catex_nnn_mismatch;

typedef enum {
  CATEX_RIGID_PIN = 0,      /* remove the rigid-body DOFs, solve the SPD rest */
  CATEX_RIGID_NULLSPACE = 1 /* MatNullSpace on D with a Krylov solve */
} catex_rigid_treatment;

/* Progress of the V build: called after each block of solved columns with
 * the columns done so far, their total and the seconds since the solve began. */
typedef void (*catex_elastic_progress)(void *ctx, int done, int total, double seconds);

typedef struct {
  catex_nnn_mismatch nnn;
  catex_rigid_treatment rigid;
  const char *options_prefix; /* PETSc options prefix; NULL -> "potential_" */
  PetscOptions petsc_options; /* options database (e.g. a study's petsc_options); NULL -> global */
  int full_solve;             /* 1: solve all N columns instead of one per symmetry orbit of the
                                 lattice (same result, slower; for testing). Also set by the
                                 PETSc option -<prefix>symmetry false. Default 0. */
  int skip_displacements;     /* 1: do not keep the displacement response G (saves d N^2
                                 doubles, e.g. 180 MB at N = 2744 in 3D); the displacement
                                 functions then use the sparse solve. Default 0. */
  catex_elastic_progress progress; /* NULL: silent */
  void *progress_ctx;
} catex_elastic_options;

/* Defaults: unit NNN mismatch, the default rigid treatment, prefix "potential_". */
void catex_elastic_options_default(catex_elastic_options *opt);
catex_status catex_nnn_mismatch_parse(const char *name, catex_nnn_mismatch *out, catex_error *err);

typedef struct {
  int n;                  /* sites */
  long nnz_D, nnz_C, nnz_S;
  double assemble_seconds, solve_seconds;
  double max_row_sum;     /* max_i |sum_j V_eff[i][j]| */
  double max_row_sum_raw; /* the same for V before projection */
  double symmetry_error;  /* max |V_eff - V_eff^T| / max |V_eff| of the solves, before V_eff is symmetrised */
  double residual;        /* relative residual of the solve D X = C */
  char ksp_type[64], pc_type[64];
  char factor_solver[64]; /* e.g. "petsc" or "mumps" for factorisation PCs, else "" */
  int symmetry_order;     /* point-group elements used (1 = none) */
  int solved_columns;     /* right-hand sides actually solved (N / symmetry_order .. N) */
} catex_potential_info;

typedef struct catex_elastic catex_elastic;

catex_status catex_elastic_create(const catex_lattice *lat, const catex_elastic_options *opt,
                                  catex_elastic **out, catex_error *err);
void catex_elastic_destroy(catex_elastic *el);

/* The assembled operators (owned by el; do not destroy). */
Mat catex_elastic_D(const catex_elastic *el);
Mat catex_elastic_C(const catex_elastic *el);
Mat catex_elastic_S(const catex_elastic *el);

/* Solves for X = D^+ C (minimum-norm: orthogonal to the rigid modes) and
 * fills V (N x N row-major, caller-allocated) with V_eff. info may be NULL.
 * A solver that does not converge is an error (CATEX_ERR_SOLVER), never a
 * silently used result. Also keeps X for the displacement functions. */
catex_status catex_elastic_potential(catex_elastic *el, double *V, catex_potential_info *info,
                                     catex_error *err);

/* After catex_elastic_potential: the displacement response
 * G = (1/2) D^+ C, dense (dN x N) row-major, so that u = G sigma
 * (u is N x d row-major: u[d*i + k]). Returned pointer owned by el; NULL
 * before a successful catex_elastic_potential or with skip_displacements. */
const double *catex_elastic_displacement_response(const catex_elastic *el);

/* u = (1/2) D^+ C sigma (N x d row-major): from G when it is kept, else
 * by one sparse solve with the factorisation of D (built at the first
 * call, or kept from catex_elastic_potential, and reused by every later
 * call: O(nnz of the factor) per call, no N x N array). Both give the same
 * u to rounding (~1e-15 relative). Works before catex_elastic_potential. */
catex_status catex_elastic_displacements(catex_elastic *el, const signed char *sigma, double *u,
                                         catex_error *err);

/* Bytes held by el beyond the lattice: the sparse D, C, S, the factor (if
 * built) and G (if kept). */
size_t catex_elastic_bytes(const catex_elastic *el);

#endif
