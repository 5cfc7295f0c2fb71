/* Private to the elastic module (src/elastic*.c): the object layout and the
 * steps that catex_elastic_potential chains together. */
#ifndef CATEX_ELASTIC_INTERNAL_H
#define CATEX_ELASTIC_INTERNAL_H

#include <petscksp.h>

#include "catex/elastic.h"

/* Turns a PETSc error code into a catex_status and jumps to the cleanup
 * label; `st` and `err` must be in scope. */
#define CATEX_PETSC(call, label)                                                                   \
  do {                                                                                             \
    PetscErrorCode ierr_ = (call);                                                                 \
    if (ierr_ != 0) {                                                                              \
      st = catex_error_set(err, CATEX_ERR_SOLVER, "PETSc error %d in %s", (int)ierr_, #call);    \
      goto label;                                                                                  \
    }                                                                                              \
  } while (0)

/* Point-group symmetries of the lattice (orthogonal maps about the origin
 * that carry sites to sites and bonds to bonds of equal stiffness), and the
 * orbits of the sites under them. V and D^+ C are equivariant under these
 * maps, so one solve per orbit determines every column. */
typedef struct {
  int order;          /* number of group elements found (>= 1: the identity) */
  double *rot;        /* order x 9: 3x3 row-major orthogonal matrices */
  int *perm;          /* order x N: perm[g*N + i] = image of site i under g */
  int *preimage;      /* N x order: preimage[t*order + g] = site that g maps to t */
  int num_orbits;
  int *orbit_rep;     /* num_orbits: one representative site per orbit */
  int *orbit_of;      /* N: index (into orbit_rep) of the orbit of site i */
  int *elem_of;       /* N: a group element g with g(rep of orbit) = i */
} catex_elastic_symmetry;

struct catex_elastic {
  int n, dim;
  catex_nnn_mismatch nnn;
  catex_rigid_treatment rigid;
  int full_solve;
  int skip_displacements;
  char prefix[128];
  PetscOptions petsc_options; /* not owned */
  Mat D, C, S;
  double *positions;         /* N x dim row-major copy of the lattice's */
  double *rigid_modes;       /* dN x nrigid, column-major, orthonormal */
  int nrigid;
  int *pinned;               /* nrigid DOFs pinned by the pin treatment */
  catex_elastic_symmetry sym;
  double *G;                 /* (1/2) D^+ C, dN x N row-major; NULL before potential */
  Mat A;                     /* the operator solved (pinned D or D with its null space) */
  KSP ksp;                   /* its solver (factored once: elastic_solve.c); NULL until the first solve */
  PetscReal residual_tol;
  double *rhs;               /* dN scratch of the displacement solve */
  catex_elastic_progress progress;
  void *progress_ctx;
  double assemble_seconds;
};

/* elastic_assemble.c */
catex_status catex_elastic_assemble(const catex_lattice *lat, catex_nnn_mismatch nnn, Mat *D, Mat *C, Mat *S,
                                    catex_error *err);
/* Orthonormal rigid-body modes (dN x m column-major) about the centroid. */
catex_status catex_elastic_rigid_modes(const double *pos, int n, int dim, double **modes, int *m,
                                       catex_error *err);
/* m DOFs on which the rigid modes restricted are well conditioned. */
catex_status catex_elastic_choose_pins(const double *modes, int ndof, int m, int *pins, catex_error *err);

/* elastic_symmetry.c */
catex_status catex_elastic_symmetry_find(const catex_lattice *lat, int enabled, catex_elastic_symmetry *sym,
                                         catex_error *err);
void catex_elastic_symmetry_free(catex_elastic_symmetry *sym);

/* elastic_solve.c: builds el->A and el->ksp (the factorisation) if absent. */
catex_status catex_elastic_factor(catex_elastic *el, catex_error *err);
/* X (dN x ncols, column-major) = D^+ C[:, cols], minimum-norm. Fills the
 * solver fields of info (may be NULL). */
catex_status catex_elastic_solve_columns(catex_elastic *el, const int *cols, int ncols, double *X,
                                         catex_potential_info *info, catex_error *err);

/* Right-hand sides solved at once by the V build (elastic.c). */
int catex_elastic_solve_block(int n, int dim, int columns);

/* X -= Q Q^T X for ncols columns of length ndof: removes the components
 * along the m orthonormal columns of Q (rigid modes, or Gram-Schmidt). */
void catex_elastic_project_out(const double *Q, int m, int ndof, int ncols, double *X);

#endif
