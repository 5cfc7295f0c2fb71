/* Rejection-free kinetic Monte Carlo (Gillespie / BKL) of ion exchange,
 * docs/model.md "Kinetic Monte Carlo": surface-exchange flips at boundary sites,
 * swaps of unlike bonded pairs (2D: NN; 3D: NN and NNN), rates
 * k0 exp(-beta dE / 2). Starts all-A at t = 0. */
#ifndef CATEX_KMC_H
#define CATEX_KMC_H

#include "catex/energy.h"
#include "catex/lattice.h"
#include "catex/observables.h"
#include "catex/rng.h"
#include "catex/run_hook.h"

typedef enum {
  CATEX_KMC_STOP_TMAX = 0,      /* reached t_max */
  CATEX_KMC_STOP_COMPOSITION,   /* c <= c_stop */
  CATEX_KMC_STOP_MAX_EVENTS,    /* event budget exhausted */
  CATEX_KMC_STOP_NO_EVENTS      /* no event left (absorbing state) */
} catex_kmc_stop;

/* How rates are kept up to date (see kmc_dense.c / kmc_local.c):
 *  DENSE: elastic fields change everywhere after each event; all rates are
 *         refreshed in one vectorised O(N + bonds) pass (needs V, any eps);
 *  LOCAL: only rates near the changed sites are recomputed, binary sum tree
 *         (cost independent of N; only for eps == 0);
 *  AUTO:  DENSE if eps != 0, else LOCAL (the default). */
typedef enum { CATEX_KMC_ALGO_AUTO = 0, CATEX_KMC_ALGO_DENSE, CATEX_KMC_ALGO_LOCAL } catex_kmc_algorithm;

/* Diagnostic hook: called once per residence, before the event that ends
 * it, with the state sigma (N sites) held from time t for `dwell`. The last
 * residence is cut at t_max (also when the state is absorbing). */
typedef void (*catex_kmc_observer)(void *ctx, const signed char *sigma, int n, double t, double dwell);

typedef struct {
  catex_energy_params energy;
  double kT;
  double k_ex0, k_diff0;   /* attempt prefactors (default 1; 0 switches a mechanism off) */
  double t_max;            /* > 0 */
  double c_stop;           /* stop when c <= c_stop; < 0 disables (default) */
  long max_events;         /* <= 0: unlimited */
  int nsamples;            /* points of the observation grid */
  double t_min;            /* first point of the default grid; <= 0: automatic, catex_kmc_auto_t_min() */
  const double *sample_times; /* increasing, length nsamples; NULL -> catex_kmc_log_grid(t_min, t_max) */
  int nsnapshots;
  const double *snapshot_times; /* increasing, length nsnapshots (may be NULL if 0) */
  int area_deviation;      /* record dA_rms (2D only; needs the displacement response) */
  long refresh_interval;   /* exact recomputation of fields and rates every this many events (<= 0: default) */
  /* additions (defaults: AUTO, no observer) */
  catex_kmc_algorithm algorithm;
  catex_kmc_observer observer;
  void *observer_ctx;
  /* f_interior is taken over the sites of layer >= interior_layers (<= 0:
   * CATEX_KMC_DEFAULT_INTERIOR_LAYERS; must be >= 2 so that every such site
   * has a full ring) */
  int interior_layers;
  const catex_run_hook *hook; /* progress / early stop, polled every 4096 events (NULL: none) */
  /* Area deviation without a dense G: u = (1/2) D^+ C sigma (dN, N x d
   * row-major) from this function at sample times only, e.g. a sparse solve
   * (catex_elastic_displacements); used when G is NULL. */
  catex_status (*displacements)(void *ctx, const signed char *sigma, double *u, catex_error *err);
  void *displacements_ctx;
  /* Optional precomputed table of the dense scheme (catex_kmc_dense_table_fill
   * for this lattice, V and beta eps; e.g. one node-shared copy): borrowed,
   * must outlive the engine. NULL: the engine builds its own. */
  const double *dense_table;
} catex_kmc_params;

/* Layers >= 6: the central 331 sites of the side-16 hexagon (N = 721). */
#define CATEX_KMC_DEFAULT_INTERIOR_LAYERS 6

/* Fraction of the mean waiting time for the first event of the all-A state
 * at which the automatic grid starts: t_min = CATEX_KMC_AUTO_T_MIN_FRACTION /
 * (total initial rate), so that on average 0.1 events (all exchanges) have
 * happened by t_min and c(t_min) = 1 within 1/N. */
#define CATEX_KMC_AUTO_T_MIN_FRACTION 0.1

/* Default exact-refresh interval (events). */
#define CATEX_KMC_DEFAULT_REFRESH 100000L

void catex_kmc_params_default(catex_kmc_params *p);

/* An observation grid: n points log-spaced from t_min to t_max;
 * t_min <= 0 or >= t_max means 1e-2 (t_max / 100 when t_max <= 1e-2);
 * n == 1 gives t_max. (The engine's own default grid starts at the
 * automatic t_min below instead.) */
void catex_kmc_log_grid(double t_min, double t_max, int n, double *times);

/* Per-trajectory results on the observation grid. Grid points after the end
 * of the trajectory hold the final state when it ended in an absorbing state
 * (no event left, state frozen for ever) and NaN otherwise. time[] always
 * holds the grid times. A snapshot that was not taken has snapshot_time NaN
 * and all-zero sites. The state at grid time t is the state after every
 * event at times <= t. */
typedef struct {
  int nsamples, nsnapshots, nsites;
  double *time;            /* nsamples */
  double *c;               /* nsamples */
  double *f;               /* nsamples x CATEX_NUM_PHASES, over the full-ring sites */
  double *f_interior;      /* nsamples x CATEX_NUM_PHASES, over layers >= interior_layers (NaN if none) */
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

/* V: dense N x N V_eff, symmetric (may be NULL if energy.eps == 0); G:
 * displacement response (dN x N, see elastic.h), needed only if
 * area_deviation in 2D and p->displacements is NULL. Both are borrowed and must outlive the engine. The
 * parameter arrays (sample/snapshot times) are copied. */
catex_status catex_kmc_create(const catex_lattice *lat, const double *V, const double *G,
                              const catex_kmc_params *p, catex_kmc **out, catex_error *err);
void catex_kmc_destroy(catex_kmc *kmc);

/* Runs one trajectory from the all-A state with the given stream. res must
 * be allocated with the grid sizes of p. The engine can be run again
 * (the state is reset), so one engine serves a whole ensemble. After the
 * run the engine keeps the final state for the inspection functions below. */
catex_status catex_kmc_run(catex_kmc *kmc, catex_rng *rng, catex_kmc_result *res, catex_error *err);

/* The automatic first grid time of an engine: CATEX_KMC_AUTO_T_MIN_FRACTION
 * over the total event rate of the all-A state, capped at t_max / 100 (and
 * t_max / 100 if the all-A state has no event). */
double catex_kmc_auto_t_min(const catex_kmc *kmc);
/* The observation grid in use (nsamples times). */
const double *catex_kmc_sample_times(const catex_kmc *kmc);
/* Sites over which f_interior is taken, and their number. */
const int *catex_kmc_interior_sites(const catex_kmc *kmc, int *n);
/* The dense scheme's table exp(2 beta eps V) in its grid layout: doubles
 * needed for a lattice, and the table itself (rows [row0, row1) of it, so
 * that several ranks can fill one shared copy). Bitwise the same values as
 * an engine builds for itself. */
size_t catex_kmc_dense_table_size(const catex_lattice *lat);
catex_status catex_kmc_dense_table_fill(const catex_lattice *lat, const double *V, double beta_eps, int row0,
                                        int row1, double *table, catex_error *err);

const char *catex_kmc_stop_name(catex_kmc_stop s);
const char *catex_kmc_algorithm_name(catex_kmc_algorithm a);
/* The scheme actually in use (never AUTO). */
catex_kmc_algorithm catex_kmc_get_algorithm(const catex_kmc *kmc);

/* --- inspection (tests, diagnostics) ------------------------------------ */

/* Current state (N sites), time, events so far and total rate. */
const signed char *catex_kmc_state(const catex_kmc *kmc);
double catex_kmc_time(const catex_kmc *kmc);
long catex_kmc_num_events(const catex_kmc *kmc);
double catex_kmc_total_rate(const catex_kmc *kmc);

typedef enum { CATEX_KMC_EVENT_EXCHANGE = 0, CATEX_KMC_EVENT_SWAP = 1 } catex_kmc_event_type;
typedef struct {
  catex_kmc_event_type type;
  int i, j;    /* sites (j = -1 for an exchange); swaps have i < j */
  double rate; /* the engine's (incrementally maintained) rate */
} catex_kmc_event;

/* Every event possible in the current state with its rate: exchanges at all
 * boundary sites (if k_ex0 > 0) and swaps of all unlike bonded pairs (if
 * k_diff0 > 0). Writes at most cap entries; returns the number of events. */
long catex_kmc_list_events(const catex_kmc *kmc, catex_kmc_event *ev, long cap);

/* Recomputes the fields (h = V sigma, Ising m) and every rate from scratch
 * with docs/model.md's dE formulas and compares them with the engine's
 * incrementally kept values: field_err = max |h_inc - h| / max(1, max |h|)
 * (and any Ising field mismatch), rate_err = max relative error over the
 * rates and the total rate. Either output may be NULL. */
catex_status catex_kmc_consistency(const catex_kmc *kmc, double *field_err, double *rate_err,
                                   catex_error *err);
/* max(field_err, rate_err), or NaN if the check could not run. */
double catex_kmc_consistency_error(const catex_kmc *kmc);

#endif
