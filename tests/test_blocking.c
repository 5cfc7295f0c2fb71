/* Blocking analysis on synthetic AR(1) series x_t = a x_{t-1} + e_t, whose
 * integrated autocorrelation time tau = (1 + a) / (2 (1 - a)) and whose exact
 * variance of the sample mean are known. Tolerances come from the
 * estimator's own uncertainty (err_err), pooled over independent seeds:
 *  - per series, |err - err_true| within 4.5 err_err (+ the small bias a
 *    blocking plateau of finite block size can have);
 *  - pooled over R seeds, <err^2 / err_true^2> within 4 of its standard error;
 *  - the z-scores (mean - 0) / err of the R series follow N(0, 1): sum z^2
 *    inside the 99.9% range of chi^2(R) — the practical meaning of "honest
 *    error bars";
 *  - tau matches (1 + a) / (2 (1 - a)) the same way.
 * Plus edge cases: constant series, one point, white noise, too-short series
 * flagged as not converged, and the legacy wrapper.
 * The streaming form (blocking_stream.h) must give the batch form's result
 * for the same series: the same mean (the same sum), the same plateau level
 * and flags, errors equal to rounding; its variance and jackknife error
 * against a two-pass recomputation here. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "catex/blocking_stream.h"
#include "catex/equilibrium.h"
#include "check.h"

/* splitmix64: a self-contained generator so the test does not depend on
 * the rng module it is not about. */
static double uniform(uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double normal(uint64_t *s)
{
  return sqrt(-2.0 * log(uniform(s))) * cos(2.0 * M_PI * uniform(s));
}

/* Stationary AR(1) with unit innovation variance. */
static void ar1(double *x, long n, double a, uint64_t seed)
{
  uint64_t s = seed;
  x[0] = normal(&s) / sqrt(1.0 - a * a);
  for (long t = 1; t < n; t++) x[t] = a * x[t - 1] + normal(&s);
}

/* Exact Var(mean) of n stationary AR(1) samples:
 * (var / n) [1 + 2 sum_{k=1}^{n-1} (1 - k/n) a^k]. */
static double var_of_mean(double a, long n)
{
  const double var = 1.0 / (1.0 - a * a);
  double s = 1.0, ak = 1.0;
  for (long k = 1; k < n && ak > 1e-300; k++) {
    ak *= a;
    s += 2.0 * (1.0 - (double)k / n) * ak;
  }
  return var / n * s;
}

/* chi^2(df) 99.9% bounds via Wilson-Hilferty (df >= 10: good to ~1%). */
static void chi2_bounds(int df, double *lo, double *hi)
{
  const double z = 3.2905, c = 2.0 / (9.0 * df);
  *lo = df * pow(1.0 - c - z * sqrt(c), 3);
  *hi = df * pow(1.0 - c + z * sqrt(c), 3);
}

static void check_ar1(catex_check *t, double a, long n, int R)
{
  double *x = malloc(sizeof(double) * (size_t)n);
  const double true_err = sqrt(var_of_mean(a, n)), true_tau = (1 + a) / (2 * (1 - a));
  double ratio_sum = 0, ratio_var_pred = 0, tau_sum = 0, z2 = 0;
  int per_series_bad = 0, unconverged = 0;
  for (int r = 0; r < R; r++) {
    ar1(x, n, a, 1000003ull * (uint64_t)(r + 1) + (uint64_t)(a * 1e6));
    catex_blocking_info info;
    CHECK(t, catex_blocking_analyse(x, n, &info, NULL) == CATEX_OK, "analyse");
    unconverged += !info.converged;
    /* a plateau at block size B leaves a relative bias of about tau / B in
     * err^2, half that in err */
    const double bias = 0.5 * true_err * true_tau / (double)info.block_size;
    if (fabs(info.err - true_err) > 4.5 * info.err_err + bias) {
      per_series_bad++;
      fprintf(stderr, "a = %g seed %d: err %.4g vs true %.4g (err_err %.3g, block %ld)\n", a, r, info.err,
              true_err, info.err_err, info.block_size);
    }
    const double rel = info.err * info.err / (true_err * true_err);
    ratio_sum += rel;
    ratio_var_pred += 2.0 / (double)(info.nblocks - 1); /* Var of a chi^2 / dof estimate */
    tau_sum += info.tau / true_tau;
    z2 += (info.mean / info.err) * (info.mean / info.err);
  }
  const double ratio = ratio_sum / R, se = sqrt(ratio_var_pred) / R, tau_ratio = tau_sum / R;
  printf("AR(1) a = %.2f, n = %ld, %d series: <err^2/true^2> = %.4f +- %.4f, <tau/tau_true> = %.4f, sum z^2 = %.1f\n", a,
         n, R, ratio, se, tau_ratio, z2);
  CHECK(t, unconverged == 0, "a = %g: %d of %d series without a plateau (n = %ld)", a, unconverged, R, n);
  CHECK(t, per_series_bad == 0, "a = %g: %d of %d series with err off by > 4.5 err_err", a, per_series_bad, R);
  CHECK(t, fabs(ratio - 1) <= 4 * se, "a = %g: <err^2 / true^2> = %.4f, want 1 within %.4f", a, ratio, 4 * se);
  /* tau = err^2 n / (2 var): its fluctuation is that of err^2 (var is far better known) */
  CHECK(t, fabs(tau_ratio - 1) <= 4 * se + 0.01, "a = %g: <tau / tau_true> = %.4f (tau_true %.3f), within %.4f", a,
        tau_ratio, true_tau, 4 * se + 0.01);
  double lo, hi;
  chi2_bounds(R, &lo, &hi);
  CHECK(t, z2 >= lo && z2 <= hi, "a = %g: sum of z^2 over %d series = %.2f outside [%.2f, %.2f]", a, R, z2, lo, hi);
  free(x);
}

static void check_edges(catex_check *t)
{
  double c[100];
  for (int i = 0; i < 100; i++) c[i] = 0.123;
  catex_blocking_info info = {0};
  CHECK(t, catex_blocking_analyse(c, 100, &info, NULL) == CATEX_OK && info.err == 0 && info.mean == 0.123 &&
               isnan(info.tau) && info.converged,
        "constant series: mean %g err %g tau %g", info.mean, info.err, info.tau);
  CHECK(t, catex_blocking_analyse(c, 1, &info, NULL) == CATEX_OK && isnan(info.err) && info.mean == 0.123,
        "one point: mean %g, err NaN", info.mean);
  CHECK(t, catex_blocking_analyse(c, 0, &info, NULL) == CATEX_ERR_ARG, "empty series refused");

  enum { N = 1 << 16 };
  double *x = malloc(sizeof(double) * 100001);
  uint64_t s = 7;
  for (int i = 0; i < N; i++) x[i] = 1e6 + normal(&s); /* large offset: variance must survive it */
  CHECK(t, catex_blocking_analyse(x, N, &info, NULL) == CATEX_OK, "white noise");
  CHECK(t, info.converged && info.block_size <= 4, "white noise: plateau at block %ld", info.block_size);
  CHECK(t, fabs(info.tau - 0.5) < 0.05, "white noise: tau %.4f (want 0.5)", info.tau);
  CHECK(t, fabs(info.var - 1.0) < 0.03, "white noise: var %.4f", info.var);
  double mean, err, tau;
  CHECK(t, catex_blocking_analysis(x, N, &mean, &err, &tau) == CATEX_OK && mean == info.mean && err == info.err &&
               tau == info.tau,
        "catex_blocking_analysis agrees with catex_blocking_analyse");

  /* far too short for its correlation time: must say so */
  ar1(x, 512, 0.999, 5);
  CHECK(t, catex_blocking_analyse(x, 512, &info, NULL) == CATEX_OK && !info.converged,
        "tau ~ 1000 with 512 points flagged as not converged (block %ld)", info.block_size);
  /* odd lengths: trailing elements dropped level by level, still sane */
  ar1(x, 100001, 0.5, 9);
  CHECK(t, catex_blocking_analyse(x, 100001, &info, NULL) == CATEX_OK && info.converged &&
               fabs(info.err / sqrt(var_of_mean(0.5, 100001)) - 1) < 5 * info.err_err / info.err,
        "odd length: err %.4g vs %.4g", info.err, sqrt(var_of_mean(0.5, 100001)));
  free(x);
}

static int rel_close(double a, double b, double tol)
{
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return fabs(a - b) <= tol * fmax(fabs(a), fabs(b)) || a == b;
}

/* Var (1/n, two-pass) of x without [skip_from, skip_to), its own mean. */
static double two_pass_variance(const double *x, long n, long skip_from, long skip_to)
{
  double m = 0, v = 0;
  long c = 0;
  for (long t = 0; t < n; t++)
    if (t < skip_from || t >= skip_to) m += x[t], c++;
  m /= (double)c;
  for (long t = 0; t < n; t++)
    if (t < skip_from || t >= skip_to) v += (x[t] - m) * (x[t] - m);
  return v / (double)c;
}

static void check_stream_matches(catex_check *t, const double *x, long n, const char *what)
{
  catex_blocking_info batch, stream;
  catex_blocking_stream b;
  catex_blocking_stream_init(&b, n);
  for (long i = 0; i < n; i++) catex_blocking_stream_add(&b, x[i]);
  CHECK(t, catex_blocking_analyse(x, n, &batch, NULL) == CATEX_OK, "%s: batch", what);
  CHECK(t, catex_blocking_stream_analyse(&b, &stream, NULL) == CATEX_OK, "%s: stream", what);
  CHECK(t, stream.mean == batch.mean, "%s (n = %ld): mean %.17g vs batch %.17g", what, n, stream.mean, batch.mean);
  CHECK(t, stream.block_size == batch.block_size && stream.nblocks == batch.nblocks && stream.converged == batch.converged,
        "%s (n = %ld): level %ld x %ld converged %d vs batch %ld x %ld converged %d", what, n, stream.block_size,
        stream.nblocks, stream.converged, batch.block_size, batch.nblocks, batch.converged);
  const double tol = 1e-9;
  CHECK(t, rel_close(stream.err, batch.err, tol) && rel_close(stream.err_err, batch.err_err, tol) &&
               rel_close(stream.var, batch.var, tol) && rel_close(stream.tau, batch.tau, tol),
        "%s (n = %ld): err %.17g var %.17g tau %.17g vs batch %.17g %.17g %.17g", what, n, stream.err, stream.var,
        stream.tau, batch.err, batch.var, batch.tau);
  double var, err;
  catex_blocking_stream_variance(&b, &var, &err);
  /* absolute 1e-30: a constant series has variance 0, where the two-pass
     form leaves the round-off of its mean (~1e-32) */
  const double ref = two_pass_variance(x, n, 0, 0);
  CHECK(t, fabs(var - ref) <= 1e-10 * ref + 1e-30, "%s (n = %ld): variance %.17g vs two-pass %.17g", what, n, var, ref);
  const int B = CATEX_BLOCKING_JACKKNIFE_BLOCKS;
  if (n < 2 * B) {
    CHECK(t, isnan(err), "%s (n = %ld < 2 B): jackknife error %g, want NaN", what, n, err);
    return;
  }
  const long len = n / B;
  double vb[CATEX_BLOCKING_JACKKNIFE_BLOCKS], vmean = 0, ss = 0;
  for (int k = 0; k < B; k++) vmean += (vb[k] = two_pass_variance(x, n, k * len, (k + 1) * len)) / B;
  for (int k = 0; k < B; k++) ss += (vb[k] - vmean) * (vb[k] - vmean);
  const double want = sqrt((double)(B - 1) / B * ss);
  CHECK(t, rel_close(err, want, 1e-7), "%s (n = %ld): jackknife error %.17g vs recomputed %.17g", what, n, err, want);
}

static void check_stream(catex_check *t)
{
  const long lengths[] = {2, 3, 63, 64, 65, 1000, 4097, 100001, 1L << 17};
  const long nmax = 1L << 17;
  double *x = malloc(sizeof(double) * (size_t)nmax);
  CHECK(t, x != NULL, "memory");
  if (!x) return;
  for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
    const long n = lengths[i];
    ar1(x, n, 0.95, 1000 + (uint64_t)i);
    for (long k = 0; k < n; k++) x[k] = -1234.5 + 3.0 * x[k]; /* an energy: offset >> spread */
    check_stream_matches(t, x, n, "AR(1) a = 0.95 with an offset");
    ar1(x, n, 0.0, 2000 + (uint64_t)i);
    check_stream_matches(t, x, n, "white noise");
    for (long k = 0; k < n; k++) x[k] = x[k] > 0.3 ? 0.7 : 0.2; /* two-valued, like f_U across phases */
    check_stream_matches(t, x, n, "two-valued");
  }
  for (long k = 0; k < 100; k++) x[k] = 0.123;
  check_stream_matches(t, x, 100, "constant");
  check_stream_matches(t, x, 1, "one point");
  /* the jackknife needs the whole announced series */
  catex_blocking_stream b;
  catex_blocking_stream_init(&b, 1001);
  ar1(x, 1000, 0.5, 7);
  for (long k = 0; k < 1000; k++) catex_blocking_stream_add(&b, x[k]);
  double var, err;
  catex_blocking_stream_variance(&b, &var, &err);
  CHECK(t, isnan(err) && rel_close(var, two_pass_variance(x, 1000, 0, 0), 1e-10),
        "an incomplete series: variance %g, jackknife error %g (want NaN)", var, err);
  catex_blocking_info info;
  catex_blocking_stream_init(&b, 10);
  CHECK(t, catex_blocking_stream_analyse(&b, &info, NULL) == CATEX_ERR_ARG, "empty stream refused");
  free(x);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_blocking", &argc, &argv)) return 1;
  check_edges(&t);
  check_stream(&t);
  check_ar1(&t, 0.0, 1 << 16, 40);
  check_ar1(&t, 0.5, 1 << 16, 40);
  check_ar1(&t, 0.9, 1 << 17, 40);
  check_ar1(&t, 0.98, 1 << 18, 30);
  return catex_check_finish(&t);
}
