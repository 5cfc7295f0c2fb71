/* Random numbers: one SPRNG 2 stream per task. Stream `stream` of seed
 * `seed` yields the same numbers whatever the number of ranks or tasks, so a
 * task's result depends only on (job, seed, task id). SPRNG's header is
 * confined to rng.c because it #defines short names (sprng, CHECK). */
#ifndef CATEX_RNG_H
#define CATEX_RNG_H

#include <stddef.h>

#include "catex/error.h"

typedef struct catex_rng catex_rng;

/* seed: the job's seed (only its low 31 bits are used by SPRNG, so seeds
 * must be in [0, 2^31)); stream: task id in [0, 2^31). */
catex_status catex_rng_create(long seed, long stream, catex_rng **out, catex_error *err);
void catex_rng_destroy(catex_rng *rng);

/* Uniform double in [0, 1). */
double catex_rng_uniform(catex_rng *rng);
/* Uniform double in (0, 1]: safe for log(). */
double catex_rng_uniform_pos(catex_rng *rng);
/* Uniform integer in [0, n), n >= 1. */
long catex_rng_index(catex_rng *rng, long n);
/* Exponential variate of rate 1. */
double catex_rng_exponential(catex_rng *rng);

/* The full state of a stream as bytes (SPRNG's pack_sprng), for checkpoints:
 * *out is malloc'ed (the caller frees it) and *n receives its length. */
catex_status catex_rng_pack(const catex_rng *rng, char **out, size_t *n, catex_error *err);
/* A stream in exactly the packed state: it continues with the numbers the
 * packed stream would have drawn next. */
catex_status catex_rng_unpack(const char *buf, size_t n, catex_rng **out, catex_error *err);

#endif
