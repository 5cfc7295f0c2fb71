/* Helpers shared by the elastic tests (tests/test_elastic*.c). The dense
 * reference here is built from the bond list independently of
 * src/elastic/, so that comparing against it can catch assembly bugs. */
#ifndef CATEX_TEST_ELASTIC_UTIL_H
#define CATEX_TEST_ELASTIC_UTIL_H

#include "catex/elastic.h"
#include "catex/lattice.h"
#include "check.h"

catex_lattice *tu_lattice(catex_lattice_kind kind, int side, int shell, double kshell);

/* V_eff from the module (malloc'd N x N), or NULL after printing the error. */
double *tu_potential(const catex_lattice *lat, const catex_elastic_options *opt, catex_potential_info *info);

double tu_max_abs(const double *a, long n);
double tu_max_abs_diff(const double *a, const double *b, long n);
double tu_max_row_sum(const double *V, int n);
/* Smallest eigenvalue of the symmetric n x n matrix (LAPACK dsyev). */
double tu_min_eigenvalue(const double *A, int n);

/* Dense D (dN x dN), C (dN x N), S (N x N), all row-major, from the bonds.
 * scale_nnn: multiply C by the bond length and S by its square. */
void tu_dense_operators(const catex_lattice *lat, int scale_nnn, double *D, double *C, double *S);

/* Reference by eigen-decomposition of D, dropping its d(d+1)/2 smallest
 * eigenvalues: V = 4 S - C^T D^+ C (raw, N x N), G = D^+ C / 2 (dN x N).
 * Returns 0, or -1 if the dropped eigenvalues are not a clean null space. */
int tu_reference(const catex_lattice *lat, int scale_nnn, double *V, double *G);

/* P V P in place. */
void tu_project(double *V, int n);

#endif
