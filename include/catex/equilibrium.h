/* Equilibrium Monte Carlo of fixed-shell nanocrystals, docs/model.md: shell fixed
 * at B, Kawasaki swaps of two uniformly chosen distinct core sites with
 * Metropolis acceptance; sweep = N_core attempts. Observables over interior
 * core sites, with blocking error bars.
 *
 * Conventions fixed here (the sweep engine and the output rely on them):
 *  - initial core: floor(composition * N_core) A sites (+1e-9 guard against
 *    0.29 * 100 = 28.999...), placed uniformly at random from the task's rng;
 *  - an attempt picks an ordered pair of distinct core sites uniformly; a
 *    pair of like sites is a counted attempt that changes nothing and is NOT
 *    counted as accepted, so acceptance = (configuration-changing swaps) /
 *    (all attempts) over the measurement phase (at c = 1/2 it is at most
 *    about 1/2);
 *  - measurements after sweeps stride, 2 stride, ... of the measurement
 *    phase: nmeasured = measure / stride;
 *  - random numbers: the initial core and, at each catex_equilibrium_sweeps
 *    call, the 256-bit state of the engine's xoshiro256** move generator are
 *    drawn from the task's rng (SPRNG costs ~5 ns per number, a third of a
 *    whole rejected attempt); results depend only on (seed, stream);
 *  - h, E (and u) are kept incrementally and recomputed exactly after every
 *    refresh_accepted accepted moves;
 *  - error bars and tau from catex_blocking_analyse (automated
 *    Flyvbjerg-Petersen, Jonsson's plateau test); Var(f_U) and Var(E) error
 *    bars from blocking the series (x_t - mean)^2, whose mean is the
 *    variance (the extra fluctuation from using the sample mean is of order
 *    tau/n relative and is neglected). */
#ifndef CATEX_EQUILIBRIUM_H
#define CATEX_EQUILIBRIUM_H

#include "catex/energy.h"
#include "catex/lattice.h"
#include "catex/observables.h"
#include "catex/rng.h"
#include "catex/run_hook.h"

typedef struct {
  catex_energy_params energy;
  double kT;
  double composition;   /* initial core composition c (fraction of A), default 0.5 */
  long equilibrate;     /* sweeps discarded */
  long measure;         /* sweeps measured */
  int stride;           /* measure every stride-th sweep (default 1) */
  int area_deviation;   /* also measure <Delta A^2> (2D; costs more) */
  int keep_series;      /* keep the f_U and E time series in the result */
  long snapshot_every;  /* store sigma after every this many measured sweeps (a multiple of
                           stride; 0: none). Snapshots do not change the random sequence. */
  long refresh_accepted; /* recompute h, E (and u) exactly once this many accepted moves
                            have accumulated round-off (checked after each sweep); 0 = never
                            (tests). Default 100000: drift ~ sqrt(1e5) ulp, cost ~1% */
  const catex_run_hook *hook; /* progress / early stop, polled after every sweep (NULL: none) */
  /* Area deviation without a dense G: u = (1/2) D^+ C sigma from this
   * function at each measurement (e.g. a sparse solve,
   * catex_elastic_displacements); used when G is NULL. Default NULL. */
  catex_status (*displacements)(void *ctx, const signed char *sigma, double *u, catex_error *err);
  void *displacements_ctx;
} catex_equilibrium_params;

void catex_equilibrium_params_default(catex_equilibrium_params *p);

typedef struct {
  double f_mean[CATEX_NUM_PHASES], f_err[CATEX_NUM_PHASES];
  double fU_mean, fU_err;
  double fU_var, fU_var_err;
  double E_mean, E_err, E_var, E_var_err;
  double dA2_mean, dA2_err;   /* NaN unless area_deviation */
  double tau_fU, tau_E;       /* integrated autocorrelation times, in measured samples
                                 (1/2 for uncorrelated samples; NaN for a constant series) */
  double acceptance;
  long nmeasured;
  double *fU_series, *E_series; /* nmeasured each, or NULL unless keep_series */
  int blocking_converged;     /* 1 if every blocking analysis found its plateau; 0 means
                                 the run is too short for trustworthy error bars */
  long attempts, accepted;    /* of the measurement phase */
  int nsnapshots, nsites;     /* with snapshot_every: (measure / stride) / (snapshot_every / stride) */
  signed char *snapshots;     /* nsnapshots x nsites (the whole crystal, shell included), or NULL */
} catex_equilibrium_result;

void catex_equilibrium_result_free(catex_equilibrium_result *res);

typedef struct catex_equilibrium catex_equilibrium;

/* V: dense N x N V_eff (may be NULL if energy.eps == 0); G: displacement
 * response (only if area_deviation). Borrowed: they must outlive eq.
 * Copies the core-core block of V (N_core^2 doubles) so that accepted moves
 * stream two contiguous rows. */
catex_status catex_equilibrium_create(const catex_lattice *lat, const double *V, const double *G,
                                      const catex_equilibrium_params *p, catex_equilibrium **out,
                                      catex_error *err);
void catex_equilibrium_destroy(catex_equilibrium *eq);

/* Runs one state point (random initial core from rng, equilibrate, measure). */
catex_status catex_equilibrium_run(catex_equilibrium *eq, catex_rng *rng, catex_equilibrium_result *res,
                                   catex_error *err);

/* --- Finer-grained access (tests, benchmarks, diagnostics) ----------------
 * catex_equilibrium_run is init + sweeps + measured sweeps; these expose the
 * steps and the state so that invariants can be checked from outside. */

/* Shell to B, random core at the configured composition, exact h, m, E (u). */
catex_status catex_equilibrium_init(catex_equilibrium *eq, catex_rng *rng, catex_error *err);
/* nsweeps sweeps of N_core attempts without measuring (still refreshing
 * after refresh_accepted accepted moves). Requires catex_equilibrium_init. */
catex_status catex_equilibrium_sweeps(catex_equilibrium *eq, catex_rng *rng, long nsweeps, catex_error *err);
/* Recompute h, E (and u) from scratch. */
void catex_equilibrium_refresh(catex_equilibrium *eq);

int catex_equilibrium_num_core(const catex_equilibrium *eq);
const int *catex_equilibrium_core_sites(const catex_equilibrium *eq);   /* N_core site indices */
const signed char *catex_equilibrium_sigma(const catex_equilibrium *eq); /* N, current configuration */
/* The same at the core sites, core order (N_core, contiguous). */
const signed char *catex_equilibrium_core_spins(const catex_equilibrium *eq);
/* (V sigma) at the core sites, in core order, as kept incrementally; NULL if eps == 0. */
const double *catex_equilibrium_core_fields(const catex_equilibrium *eq);
/* Displacements u = G sigma (N x d) as kept incrementally (with G; with a
 * displacement function: as of the last measurement); NULL unless area_deviation. */
const double *catex_equilibrium_displacements(const catex_equilibrium *eq);
double catex_equilibrium_energy(const catex_equilibrium *eq);           /* incremental E */
void catex_equilibrium_counts(const catex_equilibrium *eq, long *attempts, long *accepted);
/* Phase fractions of the current configuration over the interior core
 * sites, with the engine's fast labelling (equals catex_phase_fractions). */
void catex_equilibrium_phase_fractions(const catex_equilibrium *eq, double f[CATEX_NUM_PHASES]);

/* --- Replica exchange (src/exchange/) --------------------------------------
 * Engines built on the same lattice with the same parameters except V (one
 * per rung of a K_shell ladder) trade configurations. None of this changes
 * what a single engine does. */

/* Swaps the configurations of a and b with everything kept per
 * configuration (sigma, core fields h, Ising fields m, E, the round-off
 * counter of the refresh); the move generators and the attempt/acceptance
 * counters stay with their engines. After the call a's h and E are still
 * those of the configuration under b's V: the caller corrects them with
 * catex_equilibrium_adjust. Both engines must be initialised, built on the
 * same lattice, and without area deviations (u depends on V). */
catex_status catex_equilibrium_swap_configurations(catex_equilibrium *a, catex_equilibrium *b, catex_error *err);
/* h[a] += dh[a] over the core sites (core order) and E += dE: the exact
 * change of the fields and energy when the potential changes under a
 * fixed configuration. dh may be NULL (eps == 0). */
void catex_equilibrium_adjust(catex_equilibrium *eq, const double *dh, double dE);
/* Fields with a part not yet added (the exchange's deferred field
 * correction, src/exchange/exchange_pending.c): the true core fields are
 * h[a] + t(core[a]) with t(i) = sum_j Z[i][j] w[j], and adding t everywhere
 * costs N_core r. A sweep given this decides an attempt from h alone
 * whenever |t(i) - t(i')| <= 2 spread settles it, spread being a bound on
 * |t(core[a]) - c| over the core sites for some constant c (the caller's;
 * a uniform part of t changes no dE), and adds t at the two sites only
 * where it does not. The decisions are those of the exact fields, E gets
 * the exact dE, and the random numbers drawn are the same (u is drawn iff
 * the exact dE > 0). */
typedef struct {
  int r;
  const float *Z;    /* N x r, row i for site i (borrowed), in single precision:
                        half the bytes of what an accepted move waits for */
  double *w;         /* r: the pending coefficients (borrowed; a refresh adds
                        nothing and zeroes it: the refreshed h are exact) */
  double spread;     /* as above, set by the caller (0 after a refresh) */
  double trust;      /* 1: the bound as stated. < 1 shrinks it, a deliberately
                        unsafe kernel for the tests' negative control */
  long exact;        /* attempts that needed t (incremented; benchmarks) */
  /* For an engine sweeping a core block not its own (catex_equilibrium_
   * borrow_core_block), NULL otherwise: its potential is the block's plus
   * Z diag(c) Z^T. Its kernel then takes the pair term V_ab from the block
   * plus q_ab = sum_j c_j Z_aj Z_bj (bounded by pair_bound, computed where
   * the bound does not settle the attempt), and an accepted move adds the
   * block's rows to h and delta_a c (Z_a - Z_b) to w, spread growing by
   * 2 (site_spread[a] + site_spread[b]) (the caller reads it back). */
  const double *c;           /* r */
  const double *site_spread; /* N_core, core order: a bound of the spread of c Z_a (as above) */
  double pair_bound;         /* >= |q_ab| for every pair of core sites a != b */
} catex_equilibrium_pending;

/* catex_equilibrium_sweeps with pending field parts (pd->spread == 0 and
 * pd->c == NULL: the plain kernel). Needs eps != 0. */
catex_status catex_equilibrium_sweeps_pending(catex_equilibrium *eq, catex_rng *rng, long nsweeps,
                                              catex_equilibrium_pending *pd, catex_error *err);
/* Makes eq sweep owner's core block instead of its own (which is freed):
 * the rungs of a ladder whose potentials differ from one another by a low
 * rank form then read one block, not one each (src/exchange/exchange.c).
 * eq keeps its own V for the exact refresh and its own diagonal, and
 * sweeps only with pending parts that carry the difference (pd->c above).
 * owner must outlive eq's sweeps and be built on the same lattice. */
catex_status catex_equilibrium_borrow_core_block(catex_equilibrium *eq, const catex_equilibrium *owner,
                                                 catex_error *err);
/* Zeroes the attempt and acceptance counters (start of a measurement). */
void catex_equilibrium_reset_counts(catex_equilibrium *eq);
/* The complete dynamic state of an initialised engine (configuration, h, m,
 * E, counters; the move generator is reseeded at every
 * catex_equilibrium_sweeps call, so it holds no state between calls) as
 * bytes for checkpoints: _state_bytes() of them; _load restores exactly
 * what _save wrote, so an engine continues bit for bit. */
size_t catex_equilibrium_state_bytes(const catex_equilibrium *eq);
void catex_equilibrium_state_save(const catex_equilibrium *eq, void *buf);
catex_status catex_equilibrium_state_load(catex_equilibrium *eq, const void *buf, size_t n, catex_error *err);
/* The per-configuration part of that state (what swap_configurations
 * trades), for a trade between engines on different ranks: _save writes the
 * state image (catex_equilibrium_state_bytes), _load installs the
 * configuration of such an image but keeps this engine's attempt and
 * acceptance counters. Exactly what a local swap_configurations would have
 * put there, so a ladder spread over ranks stays bitwise that of one rank. */
catex_status catex_equilibrium_configuration_load(catex_equilibrium *eq, const void *buf, size_t n, catex_error *err);

/* --- Blocking analysis ---------------------------------------------------- */

typedef struct {
  double mean;
  double err;        /* standard error of the mean at the chosen level */
  double err_err;    /* its own statistical uncertainty, err / sqrt(2 (nblocks - 1)) */
  double var;        /* sample variance of the series (n - 1 denominator) */
  double tau;        /* err^2 n / (2 var); 1/2 for uncorrelated data, NaN if var == 0 */
  long block_size, nblocks;
  int converged;     /* 0 if no level with >= CATEX_BLOCKING_MIN_BLOCKS blocks passed the
                        test (series too short): err then comes from the coarsest such
                        level and is likely an underestimate */
} catex_blocking_info;

#define CATEX_BLOCKING_MIN_BLOCKS 16

/* Flyvbjerg-Petersen blocking (pairwise averaging, an odd trailing element
 * dropped at each level) with the automated plateau choice of Jonsson (Phys.
 * Rev. E 98, 043304 (2018)): the first level j whose statistic
 * M_j = sum_{k >= j} n_k (gamma_k / s_k^2)^2 (gamma_k the lag-1
 * autocovariance of the level-k series) is below the 99% quantile of
 * chi^2(#levels summed). n >= 1; a series of fewer than 2 points gives NaN
 * errors. */
catex_status catex_blocking_analyse(const double *x, long n, catex_blocking_info *info, catex_error *err);

/* Blocking analysis (Flyvbjerg-Petersen) of a series: standard error of the
 * mean and integrated autocorrelation time tau = (err^2 n / var) / 2 at the
 * plateau. Exposed for tests and for the sweep engine. */
catex_status catex_blocking_analysis(const double *x, long n, double *mean, double *err, double *tau);

#endif
