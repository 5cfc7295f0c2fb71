/* The energy of docs/model.md and its from-scratch pieces. The engines keep these
 * quantities incrementally; the functions here are the reference they are
 * refreshed from and tested against.
 *
 *   E(sigma) = (eps/2) sigma^T V sigma - J sum_<R,R'> sigma_R sigma_R' - (dmu/2) sum_R sigma_R
 *
 * V is the dense row-major N x N pair potential V_eff; it may be NULL when
 * eps == 0. sigma holds +1 (A) / -1 (B). */
#ifndef CATEX_ENERGY_H
#define CATEX_ENERGY_H

#include "catex/lattice.h"

typedef struct {
  double eps; /* elastic coupling */
  double J;   /* Ising coupling (nearest-neighbour bonds) */
  double dmu; /* chemical potential difference */
} catex_energy_params;

double catex_energy_total(const catex_lattice *lat, const double *V, const catex_energy_params *p,
                          const signed char *sigma);

/* h = V sigma (length N). */
void catex_local_fields(int n, const double *V, const signed char *sigma, double *h);

/* m_R = sum of the nearest-neighbour sigmas of R (length N). */
void catex_ising_fields(const catex_lattice *lat, const signed char *sigma, int *m);

/* Composition c = (sum sigma / N + 1) / 2. */
double catex_composition(int n, const signed char *sigma);

#endif
