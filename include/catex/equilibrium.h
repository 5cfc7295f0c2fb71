/* Equilibrium Monte Carlo of fixed-shell nanocrystals, MODEL.md: shell fixed
 * at B, Kawasaki swaps of two uniformly chosen distinct core sites with
 * Metropolis acceptance; sweep = N_core attempts. Observables over interior
 * core sites, with blocking error bars. */
#ifndef CATEX_EQUILIBRIUM_H
#define CATEX_EQUILIBRIUM_H

#include "catex/energy.h"
#include "catex/lattice.h"
#include "catex/observables.h"
#include "catex/rng.h"

typedef struct {
  catex_energy_params energy;
  double kT;
  double composition;   /* initial core composition c (fraction of A), default 0.5 */
  long equilibrate;     /* sweeps discarded */
  long measure;         /* sweeps measured */
  int stride;           /* measure every stride-th sweep (default 1) */
  int area_deviation;   /* also measure <Delta A^2> (2D; costs more) */
  int keep_series;      /* keep the f_U and E time series in the result */
} catex_equilibrium_params;

void catex_equilibrium_params_default(catex_equilibrium_params *p);

typedef struct {
  double f_mean[CATEX_NUM_PHASES], f_err[CATEX_NUM_PHASES];
  double fU_mean, fU_err;
  double fU_var, fU_var_err;
  double E_mean, E_err, E_var, E_var_err;
  double dA2_mean, dA2_err;   /* NaN unless area_deviation */
  double tau_fU, tau_E;       /* integrated autocorrelation times, in measured samples */
  double acceptance;
  long nmeasured;
  double *fU_series, *E_series; /* nmeasured each, or NULL unless keep_series */
} catex_equilibrium_result;

void catex_equilibrium_result_free(catex_equilibrium_result *res);

typedef struct catex_equilibrium catex_equilibrium;

/* V: dense N x N V_eff (may be NULL if energy.eps == 0); G: displacement
 * response (only if area_deviation). Borrowed. */
catex_status catex_equilibrium_create(const catex_lattice *lat, const double *V, const double *G,
                                      const catex_equilibrium_params *p, catex_equilibrium **out,
                                      catex_error *err);
void catex_equilibrium_destroy(catex_equilibrium *eq);

/* Runs one state point (random initial core from rng, equilibrate, measure). */
catex_status catex_equilibrium_run(catex_equilibrium *eq, catex_rng *rng, catex_equilibrium_result *res,
                                   catex_error *err);

/* Blocking analysis (Flyvbjerg-Petersen) of a series: standard error of the
 * mean and integrated autocorrelation time tau = (err^2 n / var) / 2 at the
 * plateau. Exposed for tests and for the sweep engine. */
catex_status catex_blocking_analysis(const double *x, long n, double *mean, double *err, double *tau);

#endif
