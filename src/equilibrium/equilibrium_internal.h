/* Private state of the equilibrium engine, shared by src/equilibrium/
 * only. The move kernel works in "core order" (a = 0..N_core-1, site
 * core[a]) so that the fields, the core spins and the rows of the core-core
 * block of V are all contiguous: shell sites never change, so neither their
 * fields nor the shell columns of V are ever needed during a run (the
 * shell's constant contribution sits in h from the exact refresh). */
#ifndef CATEX_EQUILIBRIUM_INTERNAL_H
#define CATEX_EQUILIBRIUM_INTERNAL_H

#include <stdint.h>

#include "catex/equilibrium.h"

struct catex_equilibrium {
  const catex_lattice *lat;
  catex_equilibrium_params p;
  int n, ncore, dim;
  double beta;

  int *core;          /* N_core site indices, ascending */
  int *perm;          /* scratch for the random initial core */
  signed char *sigma; /* N: the configuration */
  signed char *sc;    /* N_core: sigma at the core sites (kernel copy) */

  /* elastic part; all NULL if eps == 0 */
  const double *V;    /* borrowed N x N V_eff */
  double *Vcc;        /* N_core x N_core core block, row-major (owned, or borrowed) */
  int borrowed;       /* Vcc is another engine's (catex_equilibrium_borrow_core_block) */
  double *Vdiag;      /* N_core: diagonal of the block */
  double *h;          /* N_core: (V sigma)[core[a]] */

  /* Ising part; NULL if J == 0 */
  int *m;             /* N: sum of the nearest-neighbour sigmas */

  /* area deviation; NULL unless requested */
  const double *G;    /* borrowed dN x N */
  double *Gc;         /* N_core x dN: column core[a] of G, contiguous */
  double *u;          /* dN: displacements */

  /* phase labels over the interior core sites */
  int ninterior;
  int *interior;       /* site indices */
  int width;           /* stencil width: 7 (2D: site + ring) or 19 (3D: site + bonds) */
  int *stencil;        /* ninterior x width site indices */
  signed char table[128]; /* 2D: label of the 7-bit stencil code */

  uint64_t xs[4];      /* move generator (xoshiro256**), reseeded from the task's rng
                          at every catex_equilibrium_sweeps call */
  double E;            /* energy, kept incrementally */
  long attempts, accepted;
  long since_refresh;  /* accepted moves since the last exact refresh */
  int initialised;
  long sweeps_done; /* since catex_equilibrium_init (progress of the run hook) */
};

/* equilibrium_measure.c */
catex_status catex_eq_labels_setup(catex_equilibrium *eq, catex_error *err);
double catex_eq_area_deviation(const catex_equilibrium *eq);

/* equilibrium_moves.c: seed the move generator from rng; one sweep of
 * N_core attempts (with pending field parts: catex_equilibrium_pending). */
void catex_eq_seed_moves(catex_equilibrium *eq, catex_rng *rng);
void catex_eq_sweep(catex_equilibrium *eq, catex_equilibrium_pending *pd); /* pd may be NULL */

#endif
