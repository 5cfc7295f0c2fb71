/* Rejection-free kinetic Monte Carlo (Gillespie / BKL) of ion exchange,
 * MODEL.md "Kinetic Monte Carlo": surface-exchange flips at boundary sites,
 * swaps of unlike bonded pairs (2D: NN; 3D: NN and NNN), rates
 * k0 exp(-beta dE / 2). Starts all-A at t = 0. */
#ifndef CATEX_KMC_H
#define CATEX_KMC_H

#include "catex/energy.h"
#include "catex/lattice.h"
#include "catex/observables.h"
#include "catex/rng.h"

typedef enum {
  CATEX_KMC_STOP_TMAX = 0,      /* reached t_max */
  CATEX_KMC_STOP_COMPOSITION,   /* c <= c_stop */
  CATEX_KMC_STOP_MAX_EVENTS,    /* event budget exhausted */
  CATEX_KMC_STOP_NO_EVENTS      /* no event left (absorbing state) */
} catex_kmc_stop;

typedef struct {
  catex_energy_params energy;
  double kT;
  double k_ex0, k_diff0;   /* attempt prefactors (default 1) */
  double t_max;            /* > 0 */
  double c_stop;           /* stop when c <= c_stop; < 0 disables (default) */
  long max_events;         /* <= 0: unlimited */
  int nsamples;            /* points of the observation grid */
  const double *sample_times; /* increasing, length nsamples; NULL -> log-spaced 1e-2 .. t_max */
  int nsnapshots;
  const double *snapshot_times; /* increasing, length nsnapshots (may be NULL if 0) */
  int area_deviation;      /* record dA_rms (2D only; needs the displacement response) */
  long refresh_interval;   /* exact recomputation of fields and rates every this many events (<= 0: default) */
} catex_kmc_params;

void catex_kmc_params_default(catex_kmc_params *p);

/* Per-trajectory results on the observation grid. Grid points after the end
 * of the trajectory hold the final state when it ended in an absorbing state
 * (no event left, state frozen for ever) and NaN otherwise. */
typedef struct {
  int nsamples, nsnapshots, nsites;
  double *time;            /* nsamples */
  double *c;               /* nsamples */
  double *f;               /* nsamples x CATEX_NUM_PHASES */
  double *dA_rms;          /* nsamples (NaN where not computed) */
  double *snapshot_time;   /* nsnapshots */
  signed char *snapshots;  /* nsnapshots x nsites */
  long events_exchange, events_swap;
  double t_end;
  catex_kmc_stop stop_reason;
} catex_kmc_result;

catex_status catex_kmc_result_alloc(catex_kmc_result *res, int nsamples, int nsnapshots, int nsites,
                                    catex_error *err);
void catex_kmc_result_free(catex_kmc_result *res);

typedef struct catex_kmc catex_kmc;

/* V: dense N x N V_eff (may be NULL if energy.eps == 0); G: displacement
 * response (dN x N, see elastic.h), needed only if area_deviation. Both are
 * borrowed and must outlive the engine. */
catex_status catex_kmc_create(const catex_lattice *lat, const double *V, const double *G,
                              const catex_kmc_params *p, catex_kmc **out, catex_error *err);
void catex_kmc_destroy(catex_kmc *kmc);

/* Runs one trajectory from the all-A state with the given stream. res must
 * be allocated with the grid sizes of p. The engine can be run again
 * (the state is reset), so one engine serves a whole ensemble. */
catex_status catex_kmc_run(catex_kmc *kmc, catex_rng *rng, catex_kmc_result *res, catex_error *err);

#endif
