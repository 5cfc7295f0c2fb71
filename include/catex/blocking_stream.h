/* The blocking analysis of a series that is never stored: a run adds each
 * measurement as it is made, and at the end gets what catex_blocking_analyse
 * (equilibrium.h) would give for the whole series, plus the variance of
 * the series with its delete-one-block jackknife error. The levels and the
 * mean are the same; the level statistics agree to rounding, so the plateau
 * is the same unless its test sits on a tie to ~1e-12. Memory is O(log n)
 * per series instead of O(n): a ladder of 16 rungs measured for 2e6 sweeps
 * held 1.8 GB of series per rank.
 *
 * How: at level k the series of block means of 2^k points is reduced on the
 * fly to its count, sum, sum of squares, sum of lag-1 products and its first
 * and last values (pairs are averaged exactly as the batch form does, an odd
 * trailing point dropped), all of x - x_0, x_0 the first point, so that a
 * large offset (energies) does not cost digits. The jackknife needs block
 * boundaries, hence the number of points n_total at creation.
 *
 * A plain fixed-size value with no pointers: it is copied, checkpointed and
 * sent between ranks as bytes. catex_blocking_stream_init zeroes it all
 * (padding included), so that equal histories give equal bytes. */
#ifndef CATEX_BLOCKING_STREAM_H
#define CATEX_BLOCKING_STREAM_H

#include "catex/equilibrium.h"

/* Levels are at most log2(n) + 1 <= 64 for any long n. */
#define CATEX_BLOCKING_MAX_LEVELS 64
/* Contiguous blocks of the delete-one-block jackknife of the variance. */
#define CATEX_BLOCKING_JACKKNIFE_BLOCKS 32

typedef struct {
  long count;       /* block means seen at this level */
  double sum, sumsq, lag, first, last;
  double carry;     /* the first of an unpaired couple, if has_carry */
  long has_carry;
} catex_blocking_level;

typedef struct {
  long n, n_total;  /* points added; points the series will have (jackknife blocks) */
  double x0, min, max;
  catex_blocking_level level[CATEX_BLOCKING_MAX_LEVELS];
  double block_sum[CATEX_BLOCKING_JACKKNIFE_BLOCKS], block_sumsq[CATEX_BLOCKING_JACKKNIFE_BLOCKS];
} catex_blocking_stream;

/* An empty stream for a series of n_total points (n_total >= 1). */
void catex_blocking_stream_init(catex_blocking_stream *b, long n_total);
void catex_blocking_stream_add(catex_blocking_stream *b, double x);
/* As catex_blocking_analyse of the points added (at least 1). */
catex_status catex_blocking_stream_analyse(const catex_blocking_stream *b, catex_blocking_info *info, catex_error *err);
/* Var = <x^2> - <x>^2 of the points added (1/n) and its delete-one-block
 * jackknife error over CATEX_BLOCKING_JACKKNIFE_BLOCKS blocks of
 * n_total / B points (the n_total % B trailing points stay in every
 * subsample). The error is NaN unless all n_total points were added and
 * n_total >= 2 B. */
void catex_blocking_stream_variance(const catex_blocking_stream *b, double *var, double *err);

#endif
