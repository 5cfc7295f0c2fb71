/* The elastic object: assembly at creation, then V_eff and the displacement
 * response from one batched solve per site orbit (see elastic_solve.c for
 * the solver, elastic_symmetry.c for the orbits). */
#include <math.h>
#include <petsctime.h>
#include <stdlib.h>
#include <string.h>

#include "elastic_internal.h"

void catex_elastic_options_default(catex_elastic_options *opt)
{
  memset(opt, 0, sizeof *opt);
  opt->nnn = CATEX_NNN_UNIT;
  opt->rigid = CATEX_RIGID_PIN;
  opt->options_prefix = NULL;
  opt->petsc_options = NULL;
  opt->full_solve = 0;
}

catex_status catex_nnn_mismatch_parse(const char *name, catex_nnn_mismatch *out, catex_error *err)
{
  if (name && strcmp(name, "unit") == 0) { *out = CATEX_NNN_UNIT; return CATEX_OK; }
  if (name && strcmp(name, "geometric") == 0) { *out = CATEX_NNN_GEOMETRIC; return CATEX_OK; }
  return catex_error_set(err, CATEX_ERR_ARG, "unknown nnn_mismatch '%s' (expected 'unit' or 'geometric')",
                         name ? name : "(null)");
}

static double now(void)
{
  PetscLogDouble t = 0;
  PetscTime(&t);
  return (double)t;
}

/* -<prefix>symmetry false turns the orbit reduction off from the options. */
static catex_status symmetry_enabled(const catex_elastic *el, int *enabled, catex_error *err)
{
  catex_status st = CATEX_OK;
  PetscBool use = PETSC_TRUE, set = PETSC_FALSE;
  CATEX_PETSC(PetscOptionsGetBool(el->petsc_options, el->prefix, "-symmetry", &use, &set), done);
  *enabled = !el->full_solve && use;
done:
  return st;
}

catex_status catex_elastic_create(const catex_lattice *lat, const catex_elastic_options *opt_in,
                                  catex_elastic **out, catex_error *err)
{
  *out = NULL;
  catex_elastic_options opt;
  if (opt_in) opt = *opt_in; else catex_elastic_options_default(&opt);
  if (opt.rigid != CATEX_RIGID_PIN && opt.rigid != CATEX_RIGID_NULLSPACE)
    return catex_error_set(err, CATEX_ERR_ARG, "unknown rigid-mode treatment %d", (int)opt.rigid);
  const char *prefix = opt.options_prefix ? opt.options_prefix : "potential_";
  catex_elastic *el = calloc(1, sizeof *el);
  if (!el) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for the elastic operator");
  if (strlen(prefix) >= sizeof el->prefix) {
    free(el);
    return catex_error_set(err, CATEX_ERR_ARG, "PETSc options prefix '%s' is too long", prefix);
  }
  snprintf(el->prefix, sizeof el->prefix, "%s", prefix);
  el->n = catex_lattice_num_sites(lat);
  el->dim = catex_lattice_dim(lat);
  el->nnn = opt.nnn;
  el->rigid = opt.rigid;
  el->full_solve = opt.full_solve;
  el->skip_displacements = opt.skip_displacements;
  el->petsc_options = opt.petsc_options;
  el->progress = opt.progress;
  el->progress_ctx = opt.progress_ctx;
  const size_t ndof = (size_t)el->dim * el->n;
  catex_status st = CATEX_OK;
  int enabled = 1;
  el->positions = malloc(sizeof(double) * ndof);
  el->pinned = malloc(sizeof(int) * 6);
  if (!el->positions || !el->pinned) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for the elastic operator");
    goto fail;
  }
  memcpy(el->positions, catex_lattice_positions(lat), sizeof(double) * ndof);
  double t0 = now();
  if ((st = catex_elastic_assemble(lat, el->nnn, &el->D, &el->C, &el->S, err))) goto fail;
  el->assemble_seconds = now() - t0;
  if ((st = catex_elastic_rigid_modes(el->positions, el->n, el->dim, &el->rigid_modes, &el->nrigid, err)) ||
      (st = catex_elastic_choose_pins(el->rigid_modes, (int)ndof, el->nrigid, el->pinned, err)) ||
      (st = symmetry_enabled(el, &enabled, err)) ||
      (st = catex_elastic_symmetry_find(lat, enabled, &el->sym, err)))
    goto fail;
  *out = el;
  return CATEX_OK;
fail:
  catex_elastic_destroy(el);
  return catex_error_prefix(err, st, "elastic operator of %d sites", catex_lattice_num_sites(lat));
}

void catex_elastic_destroy(catex_elastic *el)
{
  if (!el) return;
  MatDestroy(&el->D);
  MatDestroy(&el->C);
  MatDestroy(&el->S);
  free(el->positions);
  free(el->rigid_modes);
  free(el->pinned);
  catex_elastic_symmetry_free(&el->sym);
  free(el->G);
  free(el->rhs);
  KSPDestroy(&el->ksp);
  MatDestroy(&el->A);
  free(el);
}

Mat catex_elastic_D(const catex_elastic *el) { return el->D; }
Mat catex_elastic_C(const catex_elastic *el) { return el->C; }
Mat catex_elastic_S(const catex_elastic *el) { return el->S; }
const double *catex_elastic_displacement_response(const catex_elastic *el) { return el->G; }

static long nonzeros(Mat A)
{
  MatInfo mi;
  return MatGetInfo(A, MAT_LOCAL, &mi) == 0 ? (long)mi.nz_used : -1;
}

/* Vrep[:, o] -= C^T X[:, o - o0] for the block of solved columns o0 .. o0 + nb
 * (Vrep N x nrep column-major, X dN x nb); Vrep[:, o] starts as 4 S[:, rep_o]
 * (S is symmetric, so its column is its row). Per entry, the terms are
 * added in the same order whatever the block size. */
static catex_status start_columns_of_V(const catex_elastic *el, double *Vrep, catex_error *err)
{
  const int n = el->n, nrep = el->sym.num_orbits;
  catex_status st = CATEX_OK;
  PetscInt nc;
  const PetscInt *cj;
  const PetscScalar *cv;
  memset(Vrep, 0, sizeof(double) * (size_t)n * (size_t)nrep);
  for (int o = 0; o < nrep; o++) {
    CATEX_PETSC(MatGetRow(el->S, el->sym.orbit_rep[o], &nc, &cj, &cv), done);
    for (PetscInt e = 0; e < nc; e++) Vrep[(size_t)o * n + cj[e]] += 4.0 * cv[e];
    CATEX_PETSC(MatRestoreRow(el->S, el->sym.orbit_rep[o], &nc, &cj, &cv), done);
  }
done:
  return st;
}

static catex_status block_columns_of_V(const catex_elastic *el, const double *X, int o0, int nb, double *Vrep,
                                       catex_error *err)
{
  const int n = el->n, ndof = el->dim * el->n;
  catex_status st = CATEX_OK;
  PetscInt nc;
  const PetscInt *cj;
  const PetscScalar *cv;
  for (PetscInt r = 0; r < ndof; r++) {
    CATEX_PETSC(MatGetRow(el->C, r, &nc, &cj, &cv), done);
    for (PetscInt e = 0; e < nc; e++)
      for (int o = 0; o < nb; o++) Vrep[(size_t)(o0 + o) * n + cj[e]] -= cv[e] * X[(size_t)o * ndof + r];
    CATEX_PETSC(MatRestoreRow(el->C, r, &nc, &cj, &cv), done);
  }
done:
  return st;
}

/* Column s of V (and of G) from its orbit's representative through the group
 * element g with g(rep) = s: V[g i][s] = V[i][rep], G[g i][s] = R_g X[i][rep] / 2.
 * Written row by row (i = g^-1 t for row t): V and G are far larger than
 * the solved columns, so their writes must be the contiguous ones. */
static void fill_V_by_symmetry(const catex_elastic *el, const double *Vrep, double *V)
{
  const int n = el->n, order = el->sym.order;
  for (int t = 0; t < n; t++) {
    const int *pre = el->sym.preimage + (size_t)t * order;
    double *vrow = V + (size_t)t * n;
    for (int s = 0; s < n; s++) vrow[s] = Vrep[(size_t)el->sym.orbit_of[s] * n + pre[el->sym.elem_of[s]]];
  }
}

static void fill_G_by_symmetry(const catex_elastic *el, const double *X, double *G)
{
  const int n = el->n, dim = el->dim, ndof = dim * n, order = el->sym.order;
  for (int t = 0; t < n; t++) {
    const int *pre = el->sym.preimage + (size_t)t * order;
    double *grow[3];
    for (int a = 0; a < dim; a++) grow[a] = G + ((size_t)dim * t + a) * n;
    for (int s = 0; s < n; s++) {
      const int o = el->sym.orbit_of[s], g = el->sym.elem_of[s], i = pre[g];
      const double *R = el->sym.rot + 9 * g, *x = X + (size_t)o * ndof + (size_t)dim * i;
      for (int a = 0; a < dim; a++) {
        double sum = 0;
        for (int b = 0; b < dim; b++) sum += R[3 * a + b] * x[b];
        grow[a][s] = 0.5 * sum;
      }
    }
  }
}

static double max_abs_row_sum(const double *V, int n)
{
  double worst = 0;
  for (int i = 0; i < n; i++) {
    double sum = 0;
    for (int j = 0; j < n; j++) sum += V[(size_t)i * n + j];
    if (!(fabs(sum) <= worst)) worst = fabs(sum); /* NaN propagates */
  }
  return worst;
}

/* V <- P V P (P = I - 1 1^T / N); measures the asymmetry left by the solves
 * (V[i][j] and V[j][i] come from different right-hand sides) and then
 * symmetrises V, because the engines rely on exact symmetry: they stream row
 * k as column k in every field update, and any asymmetry would make the
 * incremental fields drift from V sigma and break detailed balance. */
static catex_status project(double *V, int n, double *symmetry_error, catex_error *err)
{
  double *row_mean = malloc(sizeof(double) * (size_t)n), *col_mean = calloc((size_t)n, sizeof(double));
  if (!row_mean || !col_mean) {
    free(row_mean);
    free(col_mean);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory projecting V");
  }
  double total = 0;
  for (int i = 0; i < n; i++) {
    double sum = 0;
    for (int j = 0; j < n; j++) {
      sum += V[(size_t)i * n + j];
      col_mean[j] += V[(size_t)i * n + j] / n;
    }
    row_mean[i] = sum / n;
    total += sum / n;
  }
  total /= n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) V[(size_t)i * n + j] += total - row_mean[i] - col_mean[j];
  double asym = 0, big = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++) {
      double a = V[(size_t)i * n + j], b = V[(size_t)j * n + i];
      if (!(fabs(a - b) <= asym)) asym = fabs(a - b);
      if (!(fabs(a) <= big)) big = fabs(a);
    }
  *symmetry_error = big > 0 ? asym / big : asym;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) {
      double mean = 0.5 * (V[(size_t)i * n + j] + V[(size_t)j * n + i]);
      V[(size_t)i * n + j] = V[(size_t)j * n + i] = mean;
    }
  free(row_mean);
  free(col_mean);
  return CATEX_OK;
}

/* Columns solved at once: a block of right-hand sides and solutions takes
 * 2 x 8 dN x block bytes, capped at ~2 x 128 MB (a small fraction of V for
 * any N where the cap binds), so the V build needs V, the N x orbits
 * representative columns and the factor, never a dense dN x N array. */
#define SOLVE_BLOCK_DOUBLES (16L << 20)
#define SOLVE_BLOCK_MAX 128 /* columns: BLAS-3 is efficient long before; progress every block */
/* CHOLMOD solves right-hand sides in groups of 4, with other code (and other
 * rounding) for a last group of 1-3: blocks that are multiples of 4 keep the
 * groups of a one-block solve, so V does not depend on the block size
 * (tested, test_memory_blocks); other sizes change its last bits. */
#define SOLVE_GROUP 4

int catex_elastic_solve_block(int n, int dim, int columns)
{
  long nb = SOLVE_BLOCK_DOUBLES / ((long)dim * n);
  if (nb > SOLVE_BLOCK_MAX) nb = SOLVE_BLOCK_MAX;
  nb = nb / SOLVE_GROUP * SOLVE_GROUP;
  if (nb < SOLVE_GROUP) nb = SOLVE_GROUP;
  return nb < columns ? (int)nb : columns;
}

catex_status catex_elastic_potential(catex_elastic *el, double *V, catex_potential_info *info, catex_error *err)
{
  const int n = el->n, ndof = el->dim * el->n, nrep = el->sym.num_orbits;
  catex_potential_info local;
  if (!info) info = &local;
  memset(info, 0, sizeof *info);
  info->n = n;
  info->nnz_D = nonzeros(el->D);
  info->nnz_C = nonzeros(el->C);
  info->nnz_S = nonzeros(el->S);
  info->assemble_seconds = el->assemble_seconds;
  info->symmetry_order = el->sym.order;
  info->solved_columns = nrep;
  const double t0 = now();
  catex_status st = CATEX_OK;
  const int keep_G = !el->skip_displacements;
  /* with G kept, X holds every solved column (G is built from them) */
  int nb = keep_G ? nrep : catex_elastic_solve_block(n, el->dim, nrep);
  {
    /* -<prefix>block_columns n: fewer columns per block (progress lines
     * more often; the tests check that V does not depend on it) */
    PetscInt cap = 0;
    PetscBool set = PETSC_FALSE;
    if (!keep_G && PetscOptionsGetInt(el->petsc_options, el->prefix, "-block_columns", &cap, &set) == 0 && set &&
        cap >= 1 && cap < nb)
      nb = cap < SOLVE_GROUP ? SOLVE_GROUP : (int)cap / SOLVE_GROUP * SOLVE_GROUP;
  }
  double *X = malloc(sizeof(double) * (size_t)ndof * (size_t)nb);
  double *Vrep = malloc(sizeof(double) * (size_t)n * (size_t)nrep);
  double *G = el->G || !keep_G ? el->G : malloc(sizeof(double) * (size_t)ndof * (size_t)n);
  el->G = NULL; /* valid again only after a successful solve */
  if (!X || !Vrep || (!G && keep_G)) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for the pair potential of %d sites", n);
    goto done;
  }
  if ((st = start_columns_of_V(el, Vrep, err))) goto done;
  for (int o0 = 0, m = 0; o0 < nrep; o0 += m) {
    m = nrep - o0 < nb ? nrep - o0 : nb;
    catex_potential_info block;
    if ((st = catex_elastic_solve_columns(el, el->sym.orbit_rep + o0, m, X, &block, err))) goto done;
    if ((st = block_columns_of_V(el, X, o0, m, Vrep, err))) goto done;
    if (o0 == 0 || block.residual > info->residual) info->residual = block.residual;
    memcpy(info->ksp_type, block.ksp_type, sizeof info->ksp_type);
    memcpy(info->pc_type, block.pc_type, sizeof info->pc_type);
    memcpy(info->factor_solver, block.factor_solver, sizeof info->factor_solver);
    if (el->progress) el->progress(el->progress_ctx, o0 + m, nrep, now() - t0);
  }
  fill_V_by_symmetry(el, Vrep, V);
  if (keep_G) fill_G_by_symmetry(el, X, G);
  free(X);
  free(Vrep);
  X = Vrep = NULL;
  info->max_row_sum_raw = max_abs_row_sum(V, n);
  if ((st = project(V, n, &info->symmetry_error, err))) goto done;
  info->max_row_sum = max_abs_row_sum(V, n);
  if (!isfinite(info->max_row_sum) || !isfinite(info->symmetry_error)) {
    st = catex_error_set(err, CATEX_ERR_SOLVER, "pair potential contains non-finite values");
    goto done;
  }
  el->G = G;
  G = NULL;
done:
  info->solve_seconds = now() - t0;
  free(X);
  free(Vrep);
  free(G);
  if (st) return catex_error_prefix(err, st, "pair potential of %d sites", n);
  return CATEX_OK;
}

/* One sparse solve: u = (1/2) P_rigid A^-1 C sigma with the pinned (or
 * null-space) operator, i.e. catex_elastic_solve_columns for the single
 * right-hand side C sigma. */
static catex_status sparse_displacements(catex_elastic *el, const signed char *sigma, double *u, catex_error *err)
{
  const int ndof = el->dim * el->n;
  catex_status st = CATEX_OK;
  Vec b = NULL, x = NULL;
  if ((st = catex_elastic_factor(el, err))) return st;
  if (!el->rhs && !(el->rhs = malloc(sizeof(double) * (size_t)ndof)))
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for the displacement solve");
  for (PetscInt r = 0; r < ndof; r++) {
    PetscInt nc;
    const PetscInt *cj;
    const PetscScalar *cv;
    double sum = 0;
    CATEX_PETSC(MatGetRow(el->C, r, &nc, &cj, &cv), done);
    for (PetscInt e = 0; e < nc; e++) sum += cv[e] * sigma[cj[e]];
    CATEX_PETSC(MatRestoreRow(el->C, r, &nc, &cj, &cv), done);
    el->rhs[r] = sum;
  }
  if (el->rigid == CATEX_RIGID_PIN)
    for (int a = 0; a < el->nrigid; a++) el->rhs[el->pinned[a]] = 0.0;
  CATEX_PETSC(VecCreateSeqWithArray(PETSC_COMM_SELF, 1, ndof, el->rhs, &b), done);
  CATEX_PETSC(VecCreateSeqWithArray(PETSC_COMM_SELF, 1, ndof, u, &x), done);
  {
    PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
    PetscErrorCode ierr = KSPSolve(el->ksp, b, x);
    PetscPopErrorHandler();
    KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
    KSPGetConvergedReason(el->ksp, &reason);
    if (ierr || reason < 0) {
      st = catex_error_set(err, CATEX_ERR_SOLVER, "displacement solve failed (PETSc error %d, KSP reason %s)",
                           (int)ierr, KSPConvergedReasons[reason]);
      goto done;
    }
  }
  catex_elastic_project_out(el->rigid_modes, el->nrigid, ndof, 1, u);
  for (int r = 0; r < ndof; r++) u[r] *= 0.5;
done:
  VecDestroy(&b);
  VecDestroy(&x);
  return st;
}

catex_status catex_elastic_displacements(catex_elastic *el, const signed char *sigma, double *u,
                                         catex_error *err)
{
  if (!el->G) return sparse_displacements(el, sigma, u, err);
  const int n = el->n, ndof = el->dim * el->n;
  for (int r = 0; r < ndof; r++) {
    const double *g = el->G + (size_t)r * n;
    double sum = 0;
    for (int j = 0; j < n; j++) sum += g[j] * sigma[j];
    u[r] = sum;
  }
  return CATEX_OK;
}

static size_t mat_bytes(Mat A)
{
  MatInfo mi;
  if (!A || MatGetInfo(A, MAT_LOCAL, &mi) != 0) return 0;
  return (size_t)mi.memory > 0 ? (size_t)mi.memory : (size_t)mi.nz_allocated * 12;
}

size_t catex_elastic_bytes(const catex_elastic *el)
{
  size_t b = mat_bytes(el->D) + mat_bytes(el->C) + mat_bytes(el->S) + mat_bytes(el->A);
  if (el->ksp) {
    PC pc;
    Mat F = NULL;
    PetscBool factor = PETSC_FALSE;
    if (KSPGetPC(el->ksp, &pc) == 0 &&
        PetscObjectTypeCompareAny((PetscObject)pc, &factor, PCLU, PCCHOLESKY, PCILU, PCICC, "") == 0 && factor &&
        PCFactorGetMatrix(pc, &F) == 0)
      b += mat_bytes(F);
  }
  if (el->G) b += sizeof(double) * (size_t)el->dim * el->n * el->n;
  return b;
}
