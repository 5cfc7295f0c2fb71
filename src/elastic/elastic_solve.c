/* X = D^+ C[:, cols] with KSP, for a block of right-hand sides at once.
 *
 * Default rigid-mode treatment: PIN. The d(d+1)/2 rigid DOFs are replaced by
 * identity rows/columns, which leaves an SPD matrix; it is factored once by a
 * fill-reducing sparse Cholesky (KSPPREONLY + PCCHOLESKY; CHOLMOD when PETSc
 * has SuiteSparse, else MUMPS, else PETSc's own with nested dissection) and
 * all right-hand sides go through one KSPMatSolve (MatMatSolve on the
 * factor, BLAS-3 in the supernodal solvers). Pinning is exact, not an approximation: C's columns are
 * orthogonal to the rigid modes and the pinned DOFs determine a rigid motion
 * uniquely, so the pinned solution solves D X = C on every row; projecting
 * it onto the complement of the rigid modes then gives exactly D^+ C. It is
 * the fastest robust choice: one factorisation, a direct solve per column
 * (no iteration count that grows with K_shell or N), and a factorisation
 * failure cannot go unnoticed. NULLSPACE (MatNullSpaceCreateRigidBody on the
 * singular D, CG + Jacobi by default) is kept as an independent second
 * treatment; its iteration count grows with the size and K_shell.
 *
 * Every default can be overridden from the options database with the
 * object's prefix (-potential_ksp_type, -potential_pc_type,
 * -potential_pc_factor_mat_solver_type, ...). The result is always checked:
 * a diverged KSP or a relative residual ||D X - C|| / ||C|| above
 * -<prefix>residual_tol (default 1e-8) is CATEX_ERR_SOLVER. KSPMatSolve
 * with a Krylov method reports the reason of its last column only; the
 * residual, taken over all columns, is what guarantees every one of them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "elastic_internal.h"

/* Dense column-major copy of C[:, cols]; colpos maps a site to its column. */
static catex_status extract_columns(Mat C, const int *colpos, int ndof, double *B, catex_error *err)
{
  catex_status st = CATEX_OK;
  for (PetscInt r = 0; r < ndof; r++) {
    PetscInt nc;
    const PetscInt *cj;
    const PetscScalar *cv;
    CATEX_PETSC(MatGetRow(C, r, &nc, &cj, &cv), done);
    for (PetscInt e = 0; e < nc; e++)
      if (colpos[cj[e]] >= 0) B[(size_t)colpos[cj[e]] * ndof + r] = cv[e];
    CATEX_PETSC(MatRestoreRow(C, r, &nc, &cj, &cv), done);
  }
done:
  return st;
}

/* ||D X - C[:, cols]||_F / ||C[:, cols]||_F, row by row (no dN x ncols copy). */
static catex_status relative_residual(Mat D, Mat C, const int *colpos, int ndof, int ncols, const double *X,
                                      double *res, catex_error *err)
{
  catex_status st = CATEX_OK;
  double *row = malloc(sizeof(double) * (size_t)ncols);
  if (!row) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for the residual");
  double rr = 0, cc = 0;
  for (PetscInt r = 0; r < ndof; r++) {
    PetscInt nc;
    const PetscInt *cj;
    const PetscScalar *cv;
    memset(row, 0, sizeof(double) * (size_t)ncols);
    CATEX_PETSC(MatGetRow(C, r, &nc, &cj, &cv), done);
    for (PetscInt e = 0; e < nc; e++)
      if (colpos[cj[e]] >= 0) {
        row[colpos[cj[e]]] = -cv[e];
        cc += cv[e] * cv[e];
      }
    CATEX_PETSC(MatRestoreRow(C, r, &nc, &cj, &cv), done);
    CATEX_PETSC(MatGetRow(D, r, &nc, &cj, &cv), done);
    for (PetscInt e = 0; e < nc; e++)
      for (int c = 0; c < ncols; c++) row[c] += cv[e] * X[(size_t)c * ndof + cj[e]];
    CATEX_PETSC(MatRestoreRow(D, r, &nc, &cj, &cv), done);
    for (int c = 0; c < ncols; c++) rr += row[c] * row[c];
  }
  *res = cc > 0 ? sqrt(rr / cc) : sqrt(rr);
done:
  free(row);
  return st;
}

void catex_elastic_project_out(const double *Q, int m, int ndof, int ncols, double *X)
{
  for (int c = 0; c < ncols; c++) {
    double *x = X + (size_t)c * ndof;
    for (int a = 0; a < m; a++) {
      const double *q = Q + (size_t)a * ndof;
      double dot = 0;
      for (int r = 0; r < ndof; r++) dot += q[r] * x[r];
      for (int r = 0; r < ndof; r++) x[r] -= dot * q[r];
    }
  }
}

/* The pinned SPD operator: D with the pinned rows and columns replaced by
 * identity rows scaled like D's diagonal (keeps the factor well scaled). */
static PetscErrorCode pinned_operator(const catex_elastic *el, Mat *A)
{
  PetscCall(MatDuplicate(el->D, MAT_COPY_VALUES, A));
  PetscScalar trace;
  PetscCall(MatGetTrace(el->D, &trace));
  PetscInt rows[6];
  for (int a = 0; a < el->nrigid; a++) rows[a] = el->pinned[a];
  PetscCall(MatZeroRowsColumns(*A, el->nrigid, rows, trace / (el->dim * el->n), NULL, NULL));
  PetscCall(MatSetOption(*A, MAT_SPD, PETSC_TRUE));
  return 0;
}

static PetscErrorCode nullspace_operator(const catex_elastic *el, const double *pos, Mat *A)
{
  const PetscInt ndof = (PetscInt)el->dim * el->n;
  Vec coords;
  MatNullSpace ns;
  PetscScalar *xa;
  PetscCall(MatDuplicate(el->D, MAT_COPY_VALUES, A));
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, ndof, &coords));
  PetscCall(VecSetBlockSize(coords, el->dim));
  PetscCall(VecGetArray(coords, &xa));
  for (PetscInt r = 0; r < ndof; r++) xa[r] = pos[r];
  PetscCall(VecRestoreArray(coords, &xa));
  PetscCall(MatNullSpaceCreateRigidBody(coords, &ns));
  PetscCall(MatSetNullSpace(*A, ns));
  PetscCall(MatSetTransposeNullSpace(*A, ns)); /* also cleans the right-hand side */
  PetscCall(MatSetNearNullSpace(*A, ns));      /* for -potential_pc_type gamg */
  PetscCall(MatNullSpaceDestroy(&ns));
  PetscCall(VecDestroy(&coords));
  return 0;
}

/* Measured on the benchmark sizes (one core, netlib BLAS; see bench_potential.c):
 * CHOLMOD's supernodal Cholesky is fastest on the 3D operator (~2x MUMPS,
 * ~3x PETSc's own), all three are within noise on 2D. Fall back to what
 * this PETSc was built with. */
static MatSolverType default_factor_solver(void)
{
#if defined(PETSC_HAVE_SUITESPARSE)
  return MATSOLVERCHOLMOD;
#elif defined(PETSC_HAVE_MUMPS)
  return MATSOLVERMUMPS;
#else
  return MATSOLVERPETSC;
#endif
}

static PetscErrorCode configure_ksp(const catex_elastic *el, Mat A, KSP *ksp, PetscReal *residual_tol)
{
  PC pc;
  PetscBool set;
  PetscCall(KSPCreate(PETSC_COMM_SELF, ksp));
  if (el->petsc_options) PetscCall(PetscObjectSetOptions((PetscObject)*ksp, el->petsc_options));
  PetscCall(KSPSetOptionsPrefix(*ksp, el->prefix));
  PetscCall(KSPSetOperators(*ksp, A, A));
  PetscCall(KSPGetPC(*ksp, &pc));
  if (el->rigid == CATEX_RIGID_PIN) {
    PetscCall(KSPSetType(*ksp, KSPPREONLY));
    PetscCall(PCSetType(pc, PCCHOLESKY));
    PetscCall(PCFactorSetMatOrderingType(pc, MATORDERINGND)); /* used by the petsc solver */
    PetscCall(PCFactorSetMatSolverType(pc, default_factor_solver()));
  } else {
    PetscCall(KSPSetType(*ksp, KSPCG));
    PetscCall(PCSetType(pc, PCJACOBI));
    PetscCall(KSPSetTolerances(*ksp, 1e-14, 0.0, PETSC_DEFAULT, 100 + 10 * el->dim * el->n));
  }
  PetscCall(KSPSetFromOptions(*ksp));
  *residual_tol = 1e-8;
  PetscCall(PetscOptionsGetReal(el->petsc_options, el->prefix, "-residual_tol", residual_tol, &set));
  return 0;
}

static void describe_solver(KSP ksp, catex_potential_info *info)
{
  PC pc;
  KSPType kt = NULL;
  PCType pt = NULL;
  MatSolverType mst = NULL;
  PetscBool factor = PETSC_FALSE;
  if (!info) return;
  info->ksp_type[0] = info->pc_type[0] = info->factor_solver[0] = '\0';
  if (KSPGetType(ksp, &kt) == 0 && kt) snprintf(info->ksp_type, sizeof info->ksp_type, "%s", kt);
  if (KSPGetPC(ksp, &pc) != 0) return;
  if (PCGetType(pc, &pt) == 0 && pt) snprintf(info->pc_type, sizeof info->pc_type, "%s", pt);
  if (PetscObjectTypeCompareAny((PetscObject)pc, &factor, PCLU, PCCHOLESKY, PCILU, PCICC, "") == 0 && factor &&
      PCFactorGetMatSolverType(pc, &mst) == 0 && mst)
    snprintf(info->factor_solver, sizeof info->factor_solver, "%s", mst);
}

/* The operator and its KSP (for PIN: the sparse Cholesky factor), built at
 * the first solve and kept in el: the V build solves its columns block by
 * block through it and the displacement function reuses it for every
 * sample of every trajectory of the lattice. */
catex_status catex_elastic_factor(catex_elastic *el, catex_error *err)
{
  catex_status st = CATEX_OK;
  if (el->ksp) return CATEX_OK;
  if (el->rigid == CATEX_RIGID_PIN)
    CATEX_PETSC(pinned_operator(el, &el->A), fail);
  else
    CATEX_PETSC(nullspace_operator(el, el->positions, &el->A), fail);
  CATEX_PETSC(configure_ksp(el, el->A, &el->ksp, &el->residual_tol), fail);
  {
    PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
    PetscErrorCode ierr = KSPSetUp(el->ksp);
    PetscPopErrorHandler();
    if (ierr) {
      const char *what = NULL;
      PetscErrorMessage(ierr, &what, NULL);
      st = catex_error_set(err, CATEX_ERR_SOLVER,
                           "elastic operator setup failed (%s, PETSc error %d: %s); check -%sksp_type / -%spc_type",
                           el->rigid == CATEX_RIGID_PIN ? "pinned rigid modes" : "rigid-body null space", (int)ierr,
                           what ? what : "unknown", el->prefix, el->prefix);
      goto fail;
    }
  }
  return CATEX_OK;
fail:
  KSPDestroy(&el->ksp);
  MatDestroy(&el->A);
  return st;
}

catex_status catex_elastic_solve_columns(catex_elastic *el, const int *cols, int ncols, double *X,
                                         catex_potential_info *info, catex_error *err)
{
  const int ndof = el->dim * el->n;
  catex_status st = CATEX_OK;
  Mat Bmat = NULL, Xmat = NULL;
  KSP ksp = NULL;
  PetscReal residual_tol = 1e-8;
  double *B = calloc((size_t)ndof * (size_t)ncols, sizeof(double));
  int *colpos = malloc(sizeof(int) * (size_t)el->n);
  if (!B || !colpos) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for %d right-hand sides of size %d", ncols, ndof);
    goto done;
  }
  for (int i = 0; i < el->n; i++) colpos[i] = -1;
  for (int c = 0; c < ncols; c++) colpos[cols[c]] = c;
  st = extract_columns(el->C, colpos, ndof, B, err);
  if (st) goto done;
  if ((st = catex_elastic_factor(el, err))) goto done;
  if (el->rigid == CATEX_RIGID_PIN)
    for (int c = 0; c < ncols; c++)
      for (int a = 0; a < el->nrigid; a++) B[(size_t)c * ndof + el->pinned[a]] = 0.0;
  ksp = el->ksp;
  residual_tol = el->residual_tol;
  CATEX_PETSC(MatCreateSeqDense(PETSC_COMM_SELF, ndof, ncols, B, &Bmat), done);
  CATEX_PETSC(MatCreateSeqDense(PETSC_COMM_SELF, ndof, ncols, X, &Xmat), done);
  {
    /* A failing solve (e.g. a factorisation breakdown under user options)
     * is reported in the task's message; PETSc's own traceback would only
     * flood every worker's stderr, so errors are returned, not printed. */
    PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
    PetscErrorCode ierr = KSPMatSolve(ksp, Bmat, Xmat);
    PetscPopErrorHandler();
    KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
    KSPGetConvergedReason(ksp, &reason);
    if (ierr || reason < 0) {
      const char *what = NULL;
      char detail[160] = "";
      if (ierr) {
        PetscErrorMessage(ierr, &what, NULL);
        snprintf(detail, sizeof detail, ", PETSc error %d: %s", (int)ierr, what ? what : "unknown");
      }
      st = catex_error_set(err, CATEX_ERR_SOLVER,
                           "elastic solve D X = C failed (%s, KSP reason %s%s); check -%sksp_type / -%spc_type",
                           el->rigid == CATEX_RIGID_PIN ? "pinned rigid modes" : "rigid-body null space",
                           KSPConvergedReasons[reason], detail, el->prefix, el->prefix);
      goto done;
    }
  }
  describe_solver(ksp, info);
  catex_elastic_project_out(el->rigid_modes, el->nrigid, ndof, ncols, X);
  double res = 0;
  st = relative_residual(el->D, el->C, colpos, ndof, ncols, X, &res, err);
  if (st) goto done;
  if (info) info->residual = res;
  if (!(res <= residual_tol)) {
    st = catex_error_set(err, CATEX_ERR_SOLVER,
                         "elastic solve D X = C inaccurate: relative residual %.3g > %.3g "
                         "(-%sresidual_tol); the result is not used",
                         res, residual_tol, el->prefix);
    goto done;
  }
done:
  MatDestroy(&Bmat);
  MatDestroy(&Xmat);
  free(B);
  free(colpos);
  return st;
}
