/* Hamiltonian replica exchange across K_shell (docs/model.md): a ladder of
 * rungs k = 0 .. nr-1 with ascending K_shell, each running the fixed-shell
 * Kawasaki Monte Carlo of the equilibrium engine (catex/equilibrium.h) under
 * its own pair potential V_k, and every exchange_every sweeps swap attempts
 * between neighbouring rungs (pairs (k, k+1) with k even, then k odd,
 * alternating), accepted with the exact Metropolis probability
 *     min(1, exp(-beta [E_k(s_l) + E_l(s_k) - E_k(s_k) - E_l(s_l)])).
 * The joint distribution prod_k exp(-beta E_k(s_k)) / Z_k is stationary, so
 * every rung samples its own Boltzmann distribution while configurations
 * wander between the phases through the other rungs.
 *
 * Conventions fixed here (the output and the tests rely on them):
 *  - configuration r ("replica r" in round_trips) is the one that started
 *    at rung r; each rung's initial configuration comes from its own move
 *    stream, exactly as catex_equilibrium_init;
 *  - one sweep = one catex_equilibrium_sweeps(.., 1) on every rung (the
 *    _pending form where Z is rounded, exchange_pending.c), in rung
 *    order, with that rung's SPRNG stream; after sweep t (1-based, counted
 *    from the start) a swap round follows when t % exchange_every == 0, the
 *    q-th round (q = 0, 1, ...) trying the pairs (k, k+1) with k = q mod 2;
 *    one uniform number of the swap stream is drawn per attempted pair;
 *  - the measurement phase is sweeps equilibrate+1 .. equilibrate+measure;
 *    measurement m (1-based within it) is taken after the swap round of its
 *    sweep: the series at m % stride == 0, samples at m % sample_stride ==
 *    0, permutations at m % permutation_stride == 0 (so there are
 *    measure / stride, measure / sample_stride, measure / permutation_stride
 *    of them);
 *  - Kawasaki acceptance, swap attempts and acceptance and round trips count
 *    the measurement phase only; a round trip of a configuration is a visit
 *    to rung nr-1 followed by a visit to rung 0, counted at the latter,
 *    after a first visit to rung 0 within the measurement phase;
 *  - fU_var is the variance over the series measured AT the rung (whatever
 *    configuration sat there): the ladder's estimate of the equilibrium
 *    Var(f_U) at that K_shell. Its error comes from a delete-one jackknife
 *    over CATEX_EXCHANGE_JACKKNIFE_BLOCKS contiguous blocks of the series;
 *    means and their errors from the blocking analysis, as for equilibrium.
 *    The series are not stored: each is reduced as it is measured
 *    (blocking_stream.h), so a ladder's memory does not grow with its length.
 * The result depends only on the parameters, V, the seed and the streams. */
#ifndef CATEX_EXCHANGE_H
#define CATEX_EXCHANGE_H

#include <mpi.h>
#include <stddef.h>

#include "catex/blocking_stream.h"
#include "catex/equilibrium.h"

#define CATEX_EXCHANGE_JACKKNIFE_BLOCKS CATEX_BLOCKING_JACKKNIFE_BLOCKS

typedef struct {
  catex_equilibrium_params eq; /* per rung (energy, kT, composition, equilibrate, measure,
                                  stride, refresh_accepted); area_deviation must be 0 */
  long exchange_every;         /* sweeps between swap rounds, >= 1 (default 1) */
  int hist_bins;               /* bins of the f_U histogram over [0, 1] (default 50) */
  long sample_stride;          /* measured sweeps between stored samples, 0: none (default 100) */
  long permutation_stride;     /* measured sweeps between stored permutations, 0: none (default 100) */
  int swap_sign;               /* +1: the exact criterion. -1 flips the sign of the exponent:
                                  a deliberately wrong ladder for the tests' negative control */
  double pending_bound;        /* with Z in single precision, a configuration's field
                                  corrections (its swaps', and on rungs 1.. its moves' share of
                                  the rung's low-rank part) are deferred (exchange_pending.c)
                                  while the bound they put on a move's beta dE, 4 beta |eps|
                                  spread, stays <= this (default 0.5); 0: added at every swap
                                  and sweep */
} catex_exchange_params;

void catex_exchange_params_default(catex_exchange_params *p);

typedef struct {
  int nrungs, nbins;
  long nmeasured, nsamples, npermutations;
  double *kshell;                    /* nr */
  double *f_mean, *f_err;            /* nr x CATEX_NUM_PHASES */
  double *fU_mean, *fU_err, *fU_var, *fU_var_err; /* nr */
  double *E_mean, *E_err, *acceptance;            /* nr */
  long long *fU_hist;                /* nr x nbins */
  long long *swap_attempts;          /* nr - 1 */
  double *swap_acceptance;           /* nr - 1 */
  long long *round_trips;            /* nr, per configuration */
  int *permutation;                  /* npermutations x nr: configuration at each rung */
  double *sample_fU;                 /* nsamples x nr */
  double *sample_energy;             /* nsamples x nr x nr: [s][k][l] = E_l(configuration at rung k) */
  double *sample_f;                  /* nsamples x nr x CATEX_NUM_PHASES */
  int factor_rank;                   /* rank of the low-rank form of the V differences */
  double factor_residual;            /* its measured relative residual (of the factor used) */
  int factor_single;                 /* 1: the factor is used in single precision */
  int blocking_converged;
} catex_exchange_result;

void catex_exchange_result_free(catex_exchange_result *res);
size_t catex_exchange_result_bytes(const catex_exchange_result *res);

typedef struct catex_exchange catex_exchange;

/* lat: the lattice (any rung's: only its sites, bonds and shell are used);
 * V[k]: dense N x N V_eff of rung k, ascending kshell[k]. Borrowed: lat and
 * V must outlive the ladder. Factors the differences of the V's (costs about
 * (nr + 2) N^2 r flops, r ~ shell-shell bonds) and fails with CATEX_ERR_INTERNAL
 * if the low-rank form does not reproduce them to CATEX_EXCHANGE_FACTOR_TOL. */
#define CATEX_EXCHANGE_FACTOR_TOL 1e-10
catex_status catex_exchange_create(const catex_lattice *lat, int nrungs, const double *kshell,
                                   const double *const *V, const catex_exchange_params *p, catex_exchange **out,
                                   catex_error *err);
void catex_exchange_destroy(catex_exchange *ex);

/* Spreads the ladder over the ranks of comm (a "gang"; every member creates
 * the same ladder and calls this, after create and before start or
 * checkpoint_read): member m of g owns rungs m nr / g .. (m+1) nr / g - 1
 * (g <= nr) and runs their sweeps; per swap round the members all-gather
 * one number per rung and trade configurations across rank boundaries
 * point-to-point (exchange_gang.c). From then on start, advance,
 * checkpoint_write, checkpoint_read and finish are collective over comm and
 * the result is bitwise that of the same ladder on one rank, whatever g;
 * checkpoints are written by member 0 (path is ignored on the others), and
 * finish fills res on member 0 only (zeroed elsewhere). A communicator of
 * one rank changes nothing. comm is duplicated; the diagnostics below are
 * for single-rank ladders. */
catex_status catex_exchange_set_gang(catex_exchange *ex, MPI_Comm comm, catex_error *err);
/* 1 on member 0 of the gang (or without a gang). */
int catex_exchange_gang_leader(const catex_exchange *ex);

/* Creates the streams (rung k: stream rung_streams[k] of seed; swaps:
 * swap_stream) and the initial configurations. */
catex_status catex_exchange_start(catex_exchange *ex, long seed, const long *rung_streams, long swap_stream,
                                  catex_error *err);
/* Runs up to nsweeps more sweeps (fewer at the end of the run); *done is
 * set to 1 once all equilibrate + measure sweeps are done. Results do not
 * depend on how the run is cut into calls. */
catex_status catex_exchange_advance(catex_exchange *ex, long nsweeps, int *done, catex_error *err);
long catex_exchange_sweeps_done(const catex_exchange *ex);
/* Analysis of a finished run into res (allocated here). */
catex_status catex_exchange_finish(catex_exchange *ex, catex_exchange_result *res, catex_error *err);
/* start + advance to the end + finish. */
catex_status catex_exchange_run(catex_exchange *ex, long seed, const long *rung_streams, long swap_stream,
                                catex_exchange_result *res, catex_error *err);

/* Checkpoints of a started ladder: the whole state (configurations, fields,
 * projections, streams, permutation, accumulators) in a file. _write goes
 * to "<path>.tmp", fsyncs it and renames it to path, then fsyncs the
 * directory: a kill at any moment leaves either the old or the new file.
 * _read restores a ladder created with the same arguments (checked by a
 * fingerprint) and started with the same seed and streams (checked too)
 * so that it continues bit for bit. */
catex_status catex_exchange_checkpoint_write(catex_exchange *ex, const char *path, catex_error *err);
catex_status catex_exchange_checkpoint_read(catex_exchange *ex, const char *path, long seed, const long *rung_streams,
                                            long swap_stream, catex_error *err);

/* --- Diagnostics (tests, benchmarks) -------------------------------------- */

/* Energy of the configuration now at rung k under rung l's potential, from
 * the low-rank form (after bringing the projections up to date). */
double catex_exchange_cross_energy(catex_exchange *ex, int k, int l);
/* Engine of rung k, the configuration now at rung k. */
const catex_equilibrium *catex_exchange_rung(const catex_exchange *ex, int k);
/* The N x N potential rung k samples: V[k] as given, or, with a
 * single-precision factor, V[0] + Z diag(c_k) Z^T, within
 * CATEX_EXCHANGE_FACTOR_TOL of V[k] (see catex_exchange_factor_info). */
const double *catex_exchange_rung_potential(const catex_exchange *ex, int k);
int catex_exchange_configuration_at(const catex_exchange *ex, int k);
/* Rank of the low-rank form and its measured residual; single (may be NULL)
 * is 1 where the factor is used in single precision: rounded, it still
 * reproduces the V's to CATEX_EXCHANGE_FACTOR_TOL (src/exchange/exchange_factor.c). */
void catex_exchange_factor_info(const catex_exchange *ex, int *rank, double *residual, int *single);
/* One swap attempt between rungs k and k+1 with the uniform number u
 * (instead of the swap stream); returns 1 if accepted. For the detailed-
 * balance test of the swap move alone. */
int catex_exchange_try_swap(catex_exchange *ex, int k, double u, catex_error *err);
/* The fields (V_k sigma at the core sites, core order) of the configuration
 * at rung k: the engine's kept fields plus its deferred correction (the
 * engine's own catex_equilibrium_core_fields lack the latter). out: N_core. */
void catex_exchange_core_fields(const catex_exchange *ex, int k, double *out);
/* The bound the sweeps of rung k are given on its deferred correction t:
 * |t_a - c| <= spread at every core site a, for some constant c. */
double catex_exchange_pending_spread(const catex_exchange *ex, int k);
/* Where rung k sweeps rung 0's core block (Z rounded, k >= 1): the bounds
 * its sweeps get on its own low-rank part D = V_k - V_0, *pair_bound >=
 * |D_ab| for core sites a != b and site_spread[a] >= |D_xa - c_a| at every
 * core site x, c_a the mean over x (N_core, core order). Returns 0, and
 * NULL and 0, where the rung sweeps a block of its own. */
int catex_exchange_shared_block_bounds(const catex_exchange *ex, int k, double *pair_bound, const double **site_spread);
/* Counters of the deferred field corrections since create: attempts whose
 * dE needed the deferred part, and corrections added in full (flushes). */
void catex_exchange_pending_counts(const catex_exchange *ex, long long *exact, long long *flushes);

#endif
