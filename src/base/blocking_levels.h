/* The part of the blocking analysis shared by the batch form (blocking.c,
 * a stored series) and the streaming one (blocking_stream.c): per level,
 * the variance of the block means and their lag-1 autocovariance about the
 * global mean, from which the plateau level is chosen. */
#ifndef CATEX_BLOCKING_LEVELS_H
#define CATEX_BLOCKING_LEVELS_H

#include "catex/blocking_stream.h"
#include "catex/equilibrium.h"

typedef struct {
  long n;                               /* length of the series */
  int levels;                           /* levels with >= 2 block means */
  double s2[CATEX_BLOCKING_MAX_LEVELS];       /* variance of the block means (1/n_k) */
  double gamma[CATEX_BLOCKING_MAX_LEVELS];    /* lag-1 autocovariance about the global mean (1/n_k) */
  long nk[CATEX_BLOCKING_MAX_LEVELS];         /* block means at the level */
} blocking_levels;

/* Fills err, err_err, var, tau, block_size, nblocks, converged (n >= 2, not constant). */
void blocking_levels_choose(const blocking_levels *lv, catex_blocking_info *info);
/* info of a series with n < 2 points (NaN errors) or of an exactly constant one (0). */
void blocking_info_trivial(long n, double mean, int constant, catex_blocking_info *info);

#endif
