#include "catex/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* SPRNG's header must come last: it #defines sprng, CHECK, ... */
#include <sprng.h>

struct catex_rng {
  int *stream;
};

catex_status catex_rng_create(long seed, long stream, catex_rng **out, catex_error *err)
{
  *out = NULL;
  if (seed < 0 || seed > 0x7fffffffL)
    return catex_error_set(err, CATEX_ERR_ARG, "seed %ld out of range [0, 2^31)", seed);
  if (stream < 0 || stream >= 0x7fffffffL)
    return catex_error_set(err, CATEX_ERR_ARG, "stream %ld out of range [0, 2^31-1)", stream);
  catex_rng *rng = malloc(sizeof *rng);
  if (!rng) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory allocating RNG");
  /* The numbers of stream k do not depend on nstreams, so nstreams = k + 1
   * keeps every task independent of how many tasks the job has. */
  rng->stream = init_sprng(SPRNG_LFG, (int)stream, (int)stream + 1, (int)seed, SPRNG_DEFAULT);
  if (!rng->stream) {
    free(rng);
    return catex_error_set(err, CATEX_ERR_INTERNAL, "SPRNG failed to initialise stream %ld", stream);
  }
  *out = rng;
  return CATEX_OK;
}

void catex_rng_destroy(catex_rng *rng)
{
  if (!rng) return;
  free_sprng(rng->stream);
  free(rng);
}

double catex_rng_uniform(catex_rng *rng) { return sprng(rng->stream); }

double catex_rng_uniform_pos(catex_rng *rng) { return 1.0 - sprng(rng->stream); }

long catex_rng_index(catex_rng *rng, long n)
{
  /* floor(u n) with u in [0,1) is unbiased to within the 2^-52 resolution of
   * u, far below any statistical test; guard against rounding up to n. */
  long k = (long)(sprng(rng->stream) * (double)n);
  return k < n ? k : n - 1;
}

double catex_rng_exponential(catex_rng *rng) { return -log(catex_rng_uniform_pos(rng)); }

catex_status catex_rng_pack(const catex_rng *rng, char **out, size_t *n, catex_error *err)
{
  *out = NULL;
  *n = 0;
  char *buf = NULL;
  int len = pack_sprng(rng->stream, &buf);
  if (len <= 0 || !buf) {
    free(buf);
    return catex_error_set(err, CATEX_ERR_INTERNAL, "SPRNG failed to pack a stream");
  }
  *out = buf;
  *n = (size_t)len;
  return CATEX_OK;
}

catex_status catex_rng_unpack(const char *buf, size_t n, catex_rng **out, catex_error *err)
{
  *out = NULL;
  /* unpack_sprng takes a non-const buffer: give it a private copy */
  char *copy = malloc(n ? n : 1);
  catex_rng *rng = malloc(sizeof *rng);
  if (!copy || !rng) {
    free(copy);
    free(rng);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory unpacking an RNG stream");
  }
  memcpy(copy, buf, n);
  rng->stream = unpack_sprng(copy);
  free(copy);
  if (!rng->stream) {
    free(rng);
    return catex_error_set(err, CATEX_ERR_IO, "SPRNG could not unpack a stream (corrupt checkpoint?)");
  }
  *out = rng;
  return CATEX_OK;
}
