/* Private to the exchange module (src/exchange/): the ladder object, the
 * low-rank form of the potential differences, and the small dense linear
 * algebra they need. */
#ifndef CATEX_EXCHANGE_INTERNAL_H
#define CATEX_EXCHANGE_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "catex/exchange.h"
#include "catex/rng.h"

/* V_l - V_0 = Z diag(c_l) Z^T for every rung l (c_0 = 0), Z of n x r. */
typedef struct {
  int n, r;
  double *Z;        /* n x r, row-major: row i is site i's coefficients */
  float *Zs;        /* NULL, or Z in single precision: then every entry of Z
                       is exactly that float (exchange_factor.c) */
  double *c;        /* nrungs x r */
  double residual;  /* max over rungs and probes of |(V_l - V_0) x - Z c_l Z^T x| / |V_l x|, for the Z kept */
} exchange_factor;

catex_status exchange_factor_build(const catex_lattice *lat, int nrungs, const double *const *V,
                                   exchange_factor *f, catex_error *err);
/* Vl (n x n) = V0 + Z diag(c_l) Z^T, exactly symmetric where V0 is: the
 * potential rung l samples when Z is rounded (exchange.c). */
void exchange_factor_potential(const exchange_factor *f, int l, const double *V0, double *Vl);
void exchange_factor_free(exchange_factor *f);

/* Symmetric eigenproblem by cyclic Jacobi (a is overwritten): eigenvalues w
 * (descending) and eigenvectors in the columns of vec (p x p row-major). */
catex_status exchange_jacobi_eigen(double *a, int p, double *w, double *vec, catex_error *err);

/* Series recorded per measurement and rung. */
enum { XS_F0 = 0, XS_FU = CATEX_NUM_PHASES, XS_E, XS_NUM };

/* Sites per panel of Z (exchange.c): 16 doubles = 4 AVX2 registers per sum,
 * 8 for the two sums of a field correction, enough independent additions
 * to cover the add latency without spilling. */
enum { EXCHANGE_PANEL = 16 };
static inline int exchange_panels(int ncore) { return (ncore + EXCHANGE_PANEL - 1) / EXCHANGE_PANEL; }

struct catex_exchange {
  const catex_lattice *lat;
  catex_exchange_params p;
  int nr, n, ncore;
  double beta, eps;
  double *kshell;            /* nr */
  const int *core;           /* the engines' core order */
  catex_equilibrium **rung;  /* nr engines, rung k's V */
  const double **V;          /* nr: the V each rung samples (borrowed, or one of Vown) */
  double **Vown;             /* NULL, or nr (entry 0 NULL: rung 0 samples V[0]): with a
                                single-precision factor, V_0 + Z diag(c_l) Z^T */
  exchange_factor f;

  /* per configuration c (0 .. nr-1) */
  int *perm;                 /* perm[k] = configuration at rung k */
  double *z;                 /* nr x r: Z^T sigma of configuration c */
  signed char *zsigma;       /* nr x ncore: core spins at which z was last brought up to date */
  int *last_end;             /* -1 none yet, 0 rung 0, 1 rung nr-1 (round trips) */
  long long *trips;

  /* streams */
  catex_rng **rng;           /* nr move streams */
  catex_rng *swap_rng;
  long seed, swap_stream, *rung_streams; /* what the streams were created from */
  int started;

  /* progress and accumulators */
  long t;                    /* sweeps done */
  long round;                /* swap rounds done */
  long long *swap_att, *swap_acc; /* nr - 1 */
  long nmeas, nsamp, nperm;  /* recorded so far */
  long nmeas_max, nsamp_max, nperm_max;
  catex_blocking_stream *series; /* nr x XS_NUM: each measured series, reduced as it comes */
  long long *hist;           /* nr x hist_bins: f_U histogram of the measurements */
  int *perm_store;           /* nperm_max x nr */
  double *samp_fU, *samp_E, *samp_f;

  double *Zp;                /* Z at the core sites in panels (correction_pass in exchange.c):
                                panel b holds sites b P .. b P + P-1 as r rows of P numbers,
                                P = EXCHANGE_PANEL; the sites past ncore are 0 */
  double *scratch;           /* 2 (ncore rounded up to P) doubles: a flush's field corrections */

  /* deferred field corrections (exchange_move_potentials in exchange.c) */
  int nhead;                 /* columns of Z bounded one by one */
  int *head;                 /* nhead column indices */
  double *rest;              /* r: 0 at a head column, 1 elsewhere */
  double *head_dev;          /* nhead: largest |Z_aj - mean_j| over the core sites a, j = head[h] */
  double rho_max;            /* largest |Z row - mean row| at a core site, over the other columns */
  double *wt;                /* nr x r, per configuration: coefficients not yet in its fields */
  double *site_spread;       /* NULL, or with Z rounded nr x ncore: spread of c_k Z_a (rung k's moves' share of wt) */
  double *pair_bound;        /* NULL, or nr: >= |sum_j c_kj Z_aj Z_bj| over the pairs of core sites */
  long long exact, flushes;  /* counters (diagnostics only, not in checkpoints) */

  /* spread over ranks (exchange_gang.c): this rank advances rungs lo .. hi-1;
     perm, round trips, swap counters and the swap stream are replicated on
     every member (each draws the same numbers and takes the same decisions).
     One rank: gang = MPI_COMM_NULL, gang_size = 1, lo = 0, hi = nr. */
  MPI_Comm gang;
  int gang_rank, gang_size, lo, hi;
  int *first;                /* gang_size + 1: member m owns rungs first[m] .. first[m+1]-1 */
};

/* Empty series and histograms for the measurement phase. */
void exchange_begin_series(catex_exchange *ex);
/* Adds one measurement of rung k (phase fractions f, f_U, energy E) to its series and histogram. */
void exchange_measure(catex_exchange *ex, int k, const double *f, double fU, double E);
/* Brings z of the configuration at rung k up to date with its spins. */
void exchange_sync_projection(catex_exchange *ex, int k);
/* Recomputes z of every configuration from scratch. */
void exchange_recompute_projections(catex_exchange *ex);
/* After an accepted swap of rungs k and l = k + 1 (perm already swapped):
 * corrects the fields (now or deferred) and energy of whichever of the two
 * rungs this rank owns (both on one rank). The same arithmetic whichever
 * rank does it. */
void exchange_move_potentials(catex_exchange *ex, int k, int l);
/* Sets up the head columns, rho and the deferred parts (exchange_pending.c). */
catex_status exchange_pending_setup(catex_exchange *ex, catex_error *err);
void exchange_pending_free(catex_exchange *ex);
/* A bound on |(Z_a - mean row) wt| over the core sites a for configuration
 * cfg: the kernel's catex_equilibrium_pending.spread. */
double exchange_pending_spread(const catex_exchange *ex, int cfg);
/* The pending parts rung k's sweep gets (with Z rounded, rungs 1.. sweep
 * rung 0's block and carry the rest of their potential in them). */
void exchange_pending_for(const catex_exchange *ex, int k, catex_equilibrium_pending *pd);
/* After a sweep of rung k: adds its configuration's pending part to the
 * fields if its bound has outgrown pending_bound. */
void exchange_pending_settle(catex_exchange *ex, int k);
static inline int exchange_owns(const catex_exchange *ex, int k) { return k >= ex->lo && k < ex->hi; }

/* exchange_gang.c: one swap round of a ladder spread over ranks (collective
 * over the gang; failed != 0 makes every member return an error at the same
 * round), the gathering of every rung's state on member 0 (collective), and
 * the agreement of the members on a status (collective). */
catex_status exchange_gang_swap_round(catex_exchange *ex, int failed, catex_error *err);
catex_status exchange_gang_gather(catex_exchange *ex, catex_error *err);
catex_status exchange_gang_agree(const catex_exchange *ex, catex_status st, catex_error *err);

/* exchange.c: the serial parts of a swap round that every member repeats. */
int exchange_measuring(const catex_exchange *ex);
void exchange_track_ends(catex_exchange *ex);
int exchange_accept(const catex_exchange *ex, double delta, double u);

/* sum_j z_j^2 (c_l,j - c_k,j) for configuration cfg, i.e. (2/eps)(E_l - E_k). */
double exchange_quadratic_difference(const catex_exchange *ex, int cfg, int k, int l);


/* exchange_buf.c: a growable write buffer and a bounded read cursor; a
 * failure (no memory, reading past the end: the bytes read are then 0)
 * sticks in `failed`. */
typedef struct {
  char *buf;
  size_t len, cap;
  int failed;
} exchange_wbuf;
typedef struct {
  const char *buf;
  size_t len, pos;
  int failed;
} exchange_rbuf;
void exchange_wbuf_put(exchange_wbuf *w, const void *p, size_t n);
void exchange_rbuf_get(exchange_rbuf *r, void *p, size_t n);

#endif
