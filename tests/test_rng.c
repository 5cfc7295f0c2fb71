/* One SPRNG stream per task: reproducible, distinct between streams and
 * seeds, and uniform / exponential to within statistical bounds. */
#include <math.h>

#include "catex/rng.h"
#include "check.h"

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_rng", &argc, &argv)) return 1;
  enum { M = 200000 };
  catex_rng *a, *b, *c, *d;
  catex_error err;
  CHECK(&t, catex_rng_create(42, 7, &a, &err) == CATEX_OK, "create");
  CHECK(&t, catex_rng_create(42, 7, &b, &err) == CATEX_OK, "create");
  CHECK(&t, catex_rng_create(42, 8, &c, &err) == CATEX_OK, "create");
  CHECK(&t, catex_rng_create(43, 7, &d, &err) == CATEX_OK, "create");
  int same = 1, diff_stream = 0, diff_seed = 0;
  double sum = 0, sum2 = 0, esum = 0;
  long idx_count[3] = {0};
  for (int i = 0; i < M; i++) {
    double x = catex_rng_uniform(a), y = catex_rng_uniform(b);
    same &= x == y;
    diff_stream += x != catex_rng_uniform(c);
    diff_seed += x != catex_rng_uniform(d);
    sum += x;
    sum2 += x * x;
    CHECK(&t, x >= 0 && x < 1, "uniform %g out of [0,1)", x);
    esum += catex_rng_exponential(b);
    catex_rng_uniform(a); /* keep a and b in step */
    idx_count[catex_rng_index(b, 3)]++;
    catex_rng_uniform(a);
  }
  CHECK(&t, same, "same seed and stream give the same numbers");
  CHECK(&t, diff_stream > M * 0.99, "streams 7 and 8 differ (%d of %d)", diff_stream, M);
  CHECK(&t, diff_seed > M * 0.99, "seeds 42 and 43 differ (%d of %d)", diff_seed, M);
  /* 5-sigma bounds: mean 1/2 (sd 1/sqrt(12 M)), second moment 1/3 (sd ~0.298/sqrt M),
   * exponential mean 1 (sd 1/sqrt M), index counts binomial(M, 1/3). */
  CHECK_CLOSE(&t, sum / M, 0.5, 5 / sqrt(12.0 * M), "uniform mean");
  CHECK_CLOSE(&t, sum2 / M, 1.0 / 3, 5 * 0.2981 / sqrt(M), "uniform second moment");
  CHECK_CLOSE(&t, esum / M, 1.0, 5 / sqrt(M), "exponential mean");
  for (int k = 0; k < 3; k++)
    CHECK_CLOSE(&t, idx_count[k], M / 3.0, 5 * sqrt(M * 2.0 / 9), "index count");
  catex_rng *bad = NULL;
  CHECK(&t, catex_rng_create(-1, 0, &bad, &err) == CATEX_ERR_ARG && !bad, "negative seed rejected");
  catex_rng_destroy(a);
  catex_rng_destroy(b);
  catex_rng_destroy(c);
  catex_rng_destroy(d);
  return catex_check_finish(&t);
}
