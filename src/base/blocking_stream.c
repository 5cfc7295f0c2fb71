/* The streaming blocking analysis (include/catex/blocking_stream.h). The
 * level statistics come from running sums of x - x_0 instead of the
 * two-pass sums of the batch form; with the offset removed the one-pass
 * variance loses digits only as (mean shift / spread of the block means)^2,
 * which for the f and E series of a run is far below their statistical
 * error. The plateau choice is the batch form's own code (blocking_levels). */
#include <math.h>
#include <string.h>

#include "blocking_levels.h"

void catex_blocking_stream_init(catex_blocking_stream *b, long n_total)
{
  memset(b, 0, sizeof *b);
  b->n_total = n_total;
}

static void push(catex_blocking_stream *b, double y)
{
  for (int k = 0; k < CATEX_BLOCKING_MAX_LEVELS; k++) {
    catex_blocking_level *L = &b->level[k];
    if (L->count == 0) L->first = y;
    else L->lag += L->last * y;
    L->last = y;
    L->sum += y;
    L->sumsq += y * y;
    L->count++;
    if (!L->has_carry) {
      L->carry = y;
      L->has_carry = 1;
      return;
    }
    y = 0.5 * (L->carry + y); /* the batch form's pair average (of y - mean there: equal to rounding) */
    L->has_carry = 0;
  }
}

void catex_blocking_stream_add(catex_blocking_stream *b, double x)
{
  if (b->n == 0) b->x0 = b->min = b->max = x;
  const double y = x - b->x0;
  const long len = b->n_total / CATEX_BLOCKING_JACKKNIFE_BLOCKS;
  if (len > 0 && b->n < CATEX_BLOCKING_JACKKNIFE_BLOCKS * len) {
    b->block_sum[b->n / len] += y;
    b->block_sumsq[b->n / len] += y * y;
  }
  b->min = fmin(b->min, x);
  b->max = fmax(b->max, x);
  b->n++;
  push(b, y);
}

/* sum of (y - sum/count)^2 from the running sums, never negative */
static double centred_squares(double sum, double sumsq, double count)
{
  const double v = sumsq - sum * (sum / count);
  return v > 0 ? v : 0;
}

catex_status catex_blocking_stream_analyse(const catex_blocking_stream *b, catex_blocking_info *info, catex_error *err)
{
  if (!info) return catex_error_set(err, CATEX_ERR_ARG, "blocking analysis without an output");
  blocking_info_trivial(0, NAN, 0, info);
  if (!b || b->n < 1) return catex_error_set(err, CATEX_ERR_ARG, "blocking analysis of an empty series");
  const long n = b->n;
  const double shift = b->level[0].sum / (double)n;
  blocking_info_trivial(n, b->x0 + shift, b->min == b->max, info);
  if (n < 2 || b->min == b->max) return CATEX_OK;
  blocking_levels lv = {.n = n};
  for (int k = 0; k < CATEX_BLOCKING_MAX_LEVELS && b->level[k].count >= 2; k++) {
    const catex_blocking_level *L = &b->level[k];
    const double len = (double)L->count;
    /* lag-1 products about the global mean: sum (y_t - mu)(y_t+1 - mu) over len - 1 pairs */
    const double g = L->lag - shift * (2.0 * L->sum - L->first - L->last) + (len - 1.0) * shift * shift;
    lv.s2[k] = centred_squares(L->sum, L->sumsq, len) / len;
    lv.gamma[k] = g / len;
    lv.nk[k] = L->count;
    lv.levels = k + 1;
  }
  blocking_levels_choose(&lv, info);
  return CATEX_OK;
}

void catex_blocking_stream_variance(const catex_blocking_stream *b, double *var, double *err)
{
  const int B = CATEX_BLOCKING_JACKKNIFE_BLOCKS;
  const long n = b->n;
  *var = *err = NAN;
  if (n < 1) return;
  const double s1 = b->level[0].sum, s2 = b->level[0].sumsq;
  *var = centred_squares(s1, s2, (double)n) / (double)n;
  if (n != b->n_total || n < 2 * B) return;
  const long len = n / B;
  const double nb = (double)(n - len);
  double vb[CATEX_BLOCKING_JACKKNIFE_BLOCKS], vmean = 0;
  for (int k = 0; k < B; k++) {
    vb[k] = centred_squares(s1 - b->block_sum[k], s2 - b->block_sumsq[k], nb) / nb;
    vmean += vb[k] / B;
  }
  double ss = 0;
  for (int k = 0; k < B; k++) ss += (vb[k] - vmean) * (vb[k] - vmean);
  *err = sqrt((double)(B - 1) / B * ss);
}
