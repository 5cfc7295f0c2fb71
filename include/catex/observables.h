/* Observables of docs/model.md shared by the KMC and equilibrium engines:
 * phase labels (2D plaquette rule, 3D U rule), phase fractions over a site
 * set, and the local area deviation (2D). */
#ifndef CATEX_OBSERVABLES_H
#define CATEX_OBSERVABLES_H

#include "catex/lattice.h"

/* Phase indices; this is also the order of the last axis of every `f`
 * dataset in the output files. */
enum {
  CATEX_PHASE_U1 = 0,
  CATEX_PHASE_S1 = 1,
  CATEX_PHASE_S2 = 2,
  CATEX_PHASE_U2 = 3,
  CATEX_PHASE_UNCLASSIFIED = 4,
  CATEX_NUM_PHASES = 5
};

/* Phase index of site i, or -1 if i lacks a full neighbour ring (6 in 2D,
 * 18 in 3D) and so cannot be classified. 3D knows only U1, U2 and
 * unclassified. */
int catex_phase_label(const catex_lattice *lat, const signed char *sigma, int i);

/* Plaquette order parameter s in {+2, +1, 0, -1, -2} of Eq. 13 (2D), or 0
 * for a site without a full ring. */
int catex_plaquette_value(const catex_lattice *lat, const signed char *sigma, int i);

/* f[alpha] = (sites of the set with label alpha) / nsites, alpha over
 * CATEX_NUM_PHASES. Every site of the set must have a full ring. */
void catex_phase_fractions(const catex_lattice *lat, const signed char *sigma, const int *sites,
                           int nsites, double f[CATEX_NUM_PHASES]);

/* Site sets. Each returns a malloc'd list (caller frees) and its length, or
 * -1 on allocation failure.
 *  - full ring: every site whose neighbour ring is complete (KMC observables);
 *  - interior core: core sites minus the outermost core layer (equilibrium
 *    observables; with no shell this equals the full-ring set). */
int catex_sites_full_ring(const catex_lattice *lat, int **sites);
int catex_sites_interior_core(const catex_lattice *lat, int **sites);

/* Mean square local area deviation over a site set (2D only):
 *   A_R = (1/Z_R) sum_{alpha(R)} | -delta (u_{R+alpha} - u_R) + alpha |^2,
 *   returns (1/n) sum_{R in set} (A_R - mean_set(A))^2
 * with u the N x 2 displacements in units of the mismatch
 * (u = (1/2) D^+ C sigma) and delta = (l_AA - l_BB)/2 (0.1 in the paper). */
double catex_area_deviation_ms(const catex_lattice *lat, const double *u, double delta,
                               const int *sites, int nsites);

/* The paper's mismatch: rest lengths 1.0 (A) and 0.8 (B). */
#define CATEX_AREA_MISMATCH 0.1

#endif
