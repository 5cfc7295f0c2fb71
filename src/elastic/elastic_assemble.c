/* Assembly of D, C, S (docs/model.md, "Elastic operator") from the bond list, and
 * the rigid-body modes that span the null space of D. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "elastic_internal.h"

/* Preallocation: a site couples to itself and to each bonded neighbour.
 * nnz[0]: rows of D (d entries per coupled site), nnz[1]: rows of C (one per
 * coupled site, dN rows), nnz[2]: rows of S. */
static catex_status row_counts(const catex_lattice *lat, int dim, PetscInt *nnz[3], catex_error *err)
{
  const int n = catex_lattice_num_sites(lat);
  const int *off = catex_lattice_neighbor_offsets(lat);
  nnz[0] = malloc(sizeof(PetscInt) * (size_t)n * (size_t)dim);
  nnz[1] = malloc(sizeof(PetscInt) * (size_t)n * (size_t)dim);
  nnz[2] = malloc(sizeof(PetscInt) * (size_t)n);
  if (!nnz[0] || !nnz[1] || !nnz[2]) {
    for (int m = 0; m < 3; m++) {
      free(nnz[m]);
      nnz[m] = NULL;
    }
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory preallocating the elastic operators");
  }
  for (int i = 0; i < n; i++) {
    int deg = off[i + 1] - off[i];
    nnz[2][i] = deg + 1;
    for (int k = 0; k < dim; k++) {
      nnz[0][dim * i + k] = (PetscInt)dim * (deg + 1);
      nnz[1][dim * i + k] = deg + 1;
    }
  }
  return CATEX_OK;
}

static PetscErrorCode create_aij(PetscInt rows, PetscInt cols, const PetscInt *nnz, Mat *A)
{
  PetscCall(MatCreate(PETSC_COMM_SELF, A));
  PetscCall(MatSetSizes(*A, rows, cols, rows, cols));
  PetscCall(MatSetType(*A, MATSEQAIJ));
  PetscCall(MatSeqAIJSetPreallocation(*A, 0, nnz));
  /* exact preallocation: a new nonzero would be an assembly bug */
  PetscCall(MatSetOption(*A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  return 0;
}

/* Adds the contributions of one bond. The mismatch scale is the bond length
 * under the geometric NNN convention (sqrt2 in C, 2 in S) and 1 otherwise. */
static PetscErrorCode add_bond(Mat D, Mat C, Mat S, int dim, const catex_bond *b, const double unit[3], double k,
                               double scale)
{
  const PetscInt i = b->i, j = b->j;
  PetscScalar blk[9];
  PetscInt ri[3], rj[3];
  for (int a = 0; a < dim; a++) {
    ri[a] = (PetscInt)dim * i + a;
    rj[a] = (PetscInt)dim * j + a;
    for (int c = 0; c < dim; c++) blk[dim * a + c] = k * unit[a] * unit[c];
  }
  /* D: + k aa^T on the diagonal blocks, - k aa^T off the diagonal */
  PetscCall(MatSetValues(D, dim, ri, dim, ri, blk, ADD_VALUES));
  PetscCall(MatSetValues(D, dim, rj, dim, rj, blk, ADD_VALUES));
  for (int a = 0; a < dim * dim; a++) blk[a] = -blk[a];
  PetscCall(MatSetValues(D, dim, ri, dim, rj, blk, ADD_VALUES));
  PetscCall(MatSetValues(D, dim, rj, dim, ri, blk, ADD_VALUES));
  /* C: row i sees +k a at columns i and j; row j (unit vector -a) sees -k a */
  PetscInt cols[2] = {i, j};
  PetscScalar cv[6];
  for (int a = 0; a < dim; a++) cv[2 * a] = cv[2 * a + 1] = k * scale * unit[a];
  PetscCall(MatSetValues(C, dim, ri, 2, cols, cv, ADD_VALUES));
  for (int a = 0; a < 2 * dim; a++) cv[a] = -cv[a];
  PetscCall(MatSetValues(C, dim, rj, 2, cols, cv, ADD_VALUES));
  /* S: each end adds k/4 to its diagonal and to the pair entry */
  PetscScalar sv[4];
  for (int a = 0; a < 4; a++) sv[a] = 0.25 * k * scale * scale;
  PetscCall(MatSetValues(S, 2, cols, 2, cols, sv, ADD_VALUES));
  return 0;
}

static PetscErrorCode assemble_all(const catex_lattice *lat, catex_nnn_mismatch nnn, PetscInt *const nnz[3],
                                   Mat *D, Mat *C, Mat *S)
{
  const int dim = catex_lattice_dim(lat), n = catex_lattice_num_sites(lat);
  const catex_bond *bonds = catex_lattice_bonds(lat);
  PetscCall(create_aij((PetscInt)dim * n, (PetscInt)dim * n, nnz[0], D));
  PetscCall(MatSetBlockSize(*D, dim));
  PetscCall(create_aij((PetscInt)dim * n, n, nnz[1], C));
  PetscCall(create_aij(n, n, nnz[2], S));
  /* explicit zero diagonals keep the pattern square even for odd bonds */
  for (PetscInt r = 0; r < (PetscInt)dim * n; r++) PetscCall(MatSetValue(*D, r, r, 0.0, ADD_VALUES));
  for (int e = 0; e < catex_lattice_num_bonds(lat); e++) {
    double unit[3], length;
    catex_lattice_bond_geometry(lat, &bonds[e], unit, &length);
    const double scale = nnn == CATEX_NNN_GEOMETRIC ? length : 1.0;
    PetscCall(add_bond(*D, *C, *S, dim, &bonds[e], unit, catex_lattice_bond_stiffness(lat, &bonds[e]), scale));
  }
  Mat all[3] = {*D, *C, *S};
  for (int m = 0; m < 3; m++) {
    PetscCall(MatAssemblyBegin(all[m], MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(all[m], MAT_FINAL_ASSEMBLY));
  }
  for (int m = 0; m < 3; m += 2) {
    PetscCall(MatSetOption(all[m], MAT_SYMMETRIC, PETSC_TRUE));
    PetscCall(MatSetOption(all[m], MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
  }
  return 0;
}

catex_status catex_elastic_assemble(const catex_lattice *lat, catex_nnn_mismatch nnn, Mat *D, Mat *C, Mat *S,
                                    catex_error *err)
{
  *D = *C = *S = NULL;
  if (nnn != CATEX_NNN_UNIT && nnn != CATEX_NNN_GEOMETRIC)
    return catex_error_set(err, CATEX_ERR_ARG, "unknown NNN mismatch convention %d", (int)nnn);
  PetscInt *nnz[3];
  catex_status st = row_counts(lat, catex_lattice_dim(lat), nnz, err);
  if (st) return st;
  PetscErrorCode ierr = assemble_all(lat, nnn, nnz, D, C, S);
  for (int m = 0; m < 3; m++) free(nnz[m]);
  if (ierr) {
    MatDestroy(D);
    MatDestroy(C);
    MatDestroy(S);
    return catex_error_set(err, CATEX_ERR_SOLVER, "PETSc error %d assembling D, C, S", (int)ierr);
  }
  return CATEX_OK;
}

catex_status catex_elastic_rigid_modes(const double *pos, int n, int dim, double **modes_out, int *m_out,
                                       catex_error *err)
{
  const int m = dim * (dim + 1) / 2;
  const size_t ndof = (size_t)dim * n;
  double *q = calloc(ndof * (size_t)m, sizeof(double));
  if (!q) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for the rigid modes");
  double centre[3] = {0, 0, 0};
  for (int i = 0; i < n; i++)
    for (int k = 0; k < dim; k++) centre[k] += pos[(size_t)dim * i + k] / n;
  /* rotations: (a, b) plane, displacement (-x_b, x_a) in components (a, b) */
  static const int planes[3][2] = {{0, 1}, {1, 2}, {2, 0}};
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < dim; k++) q[(size_t)k * ndof + (size_t)dim * i + k] = 1.0;
    for (int r = 0; r < m - dim; r++) {
      int a = planes[r][0], b = planes[r][1];
      double *col = q + (size_t)(dim + r) * ndof + (size_t)dim * i;
      col[a] = -(pos[(size_t)dim * i + b] - centre[b]);
      col[b] = pos[(size_t)dim * i + a] - centre[a];
    }
  }
  /* modified Gram-Schmidt, twice for orthogonality to machine precision */
  for (int pass = 0; pass < 2; pass++)
    for (int c = 0; c < m; c++) {
      double *v = q + (size_t)c * ndof;
      catex_elastic_project_out(q, c, (int)ndof, 1, v); /* against the columns already orthonormal */
      double norm = 0;
      for (size_t r = 0; r < ndof; r++) norm += v[r] * v[r];
      norm = sqrt(norm);
      if (!(norm > 1e-8)) {
        free(q);
        return catex_error_set(err, CATEX_ERR_INTERNAL, "rigid modes are degenerate (lattice of %d sites)", n);
      }
      for (size_t r = 0; r < ndof; r++) v[r] /= norm;
    }
  *modes_out = q;
  *m_out = m;
  return CATEX_OK;
}

/* LU with row pivoting on the modes (ndof x m): the pivot rows are DOFs
 * whose values determine a rigid motion uniquely, so fixing them to zero
 * removes exactly the null space; the largest pivots keep the pinned
 * operator well conditioned (they pick far-apart sites for rotations). */
catex_status catex_elastic_choose_pins(const double *modes, int ndof, int m, int *pins, catex_error *err)
{
  double *a = malloc(sizeof(double) * (size_t)ndof * (size_t)m);
  unsigned char *used = calloc((size_t)ndof, 1);
  if (!a || !used) {
    free(a);
    free(used);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory choosing pinned DOFs");
  }
  memcpy(a, modes, sizeof(double) * (size_t)ndof * (size_t)m);
  catex_status st = CATEX_OK;
  for (int c = 0; c < m; c++) {
    const double *col = a + (size_t)c * ndof;
    int best = -1;
    double big = 0;
    for (int r = 0; r < ndof; r++)
      if (!used[r] && fabs(col[r]) > big * (1 + 1e-12)) {
        big = fabs(col[r]);
        best = r;
      }
    if (best < 0 || big < 1e-10) {
      st = catex_error_set(err, CATEX_ERR_INTERNAL, "cannot pin rigid mode %d (pivot %g)", c, big);
      break;
    }
    pins[c] = best;
    used[best] = 1;
    for (int c2 = c + 1; c2 < m; c2++) {
      double *v = a + (size_t)c2 * ndof, f = v[best] / col[best];
      for (int r = 0; r < ndof; r++) v[r] -= f * col[r];
    }
  }
  free(a);
  free(used);
  return st;
}
