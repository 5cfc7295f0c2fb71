/* Checkpoints of a running ladder: everything that the rest of the run
 * depends on, so that a restored ladder continues bit for bit.
 *
 * File: "CATEXXCK" | u32 version | u64 fingerprint | payload | u64 FNV-1a of
 * the payload. The fingerprint hashes what the ladder was created with
 * (sizes, parameters, K_shell values, the factor's c) so that a checkpoint
 * of another ladder is refused, and the checksum refuses a damaged file.
 * Written to "<path>.tmp", fsync'ed, renamed over path, directory fsync'ed:
 * after a kill -9 at any moment, path holds the old or the new checkpoint,
 * never a mixture. The move generators (xoshiro) hold no state between
 * sweeps (they are reseeded from the SPRNG streams at every sweep), so the
 * SPRNG streams (pack_sprng) are the whole random state. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exchange_internal.h"

/* 4: the layout of 3, from a catex whose factor may be in single
 *    precision (exchange_factor.c).
 * 3: the deferred field corrections wt of every configuration.
 * 2: streamed series instead of stored ones.
 * Formats 1 to 3 are still read, so a ladder checkpointed by a previous
 * version resumes instead of starting over: their fields hold every
 * correction (wt = 0), and format 1's stored series are replayed into the
 * streams, which gives exactly the streams of an uninterrupted run. Their
 * z, wt and fields were made with the unrounded factor: where the factor is
 * now rounded, they are recomputed from the configurations (recompute). */
enum { STATE_VERSION = 4, STATE_VERSION_ROUNDED = 4, STATE_VERSION_WT = 3, STATE_VERSION_STREAMS = 2,
       STATE_VERSION_SERIES = 1 };
static const char MAGIC[8] = {'C', 'A', 'T', 'E', 'X', 'X', 'C', 'K'};

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001b3ull;
  return h;
}

static uint64_t fingerprint(const catex_exchange *ex)
{
  uint64_t h = 0xcbf29ce484222325ull;
  const long sizes[] = {ex->nr, ex->n, ex->ncore, ex->f.r, ex->p.eq.equilibrate, ex->p.eq.measure, ex->p.eq.stride,
                        ex->p.exchange_every, ex->p.hist_bins, ex->p.sample_stride, ex->p.permutation_stride,
                        ex->p.swap_sign};
  h = fnv1a(sizes, sizeof sizes, h);
  const double par[] = {ex->p.eq.kT, ex->p.eq.energy.eps, ex->p.eq.energy.J, ex->p.eq.energy.dmu, ex->p.eq.composition};
  h = fnv1a(par, sizeof par, h);
  h = fnv1a(ex->kshell, sizeof(double) * (size_t)ex->nr, h);
  return fnv1a(ex->f.c, sizeof(double) * (size_t)ex->nr * (size_t)ex->f.r, h);
}

static void payload(const catex_exchange *ex, exchange_wbuf *w)
{
  const int nr = ex->nr, r = ex->f.r;
  const long counters[] = {ex->t, ex->round, ex->nmeas, ex->nsamp, ex->nperm};
  exchange_wbuf_put(w, counters, sizeof counters);
  const long origin[] = {ex->seed, ex->swap_stream};
  exchange_wbuf_put(w, origin, sizeof origin);
  exchange_wbuf_put(w, ex->rung_streams, sizeof(long) * nr);
  exchange_wbuf_put(w, ex->perm, sizeof(int) * nr);
  exchange_wbuf_put(w, ex->z, sizeof(double) * (size_t)nr * r);
  exchange_wbuf_put(w, ex->zsigma, (size_t)nr * ex->ncore);
  exchange_wbuf_put(w, ex->wt, sizeof(double) * (size_t)nr * r);
  exchange_wbuf_put(w, ex->last_end, sizeof(int) * nr);
  exchange_wbuf_put(w, ex->trips, sizeof(long long) * nr);
  exchange_wbuf_put(w, ex->swap_att, sizeof(long long) * nr);
  exchange_wbuf_put(w, ex->swap_acc, sizeof(long long) * nr);
  for (int k = 0; k < nr && !w->failed; k++) {
    size_t nb = catex_equilibrium_state_bytes(ex->rung[k]);
    char *tmp = malloc(nb);
    if (!tmp) {
      w->failed = 1;
      break;
    }
    catex_equilibrium_state_save(ex->rung[k], tmp);
    exchange_wbuf_put(w, &nb, sizeof nb);
    exchange_wbuf_put(w, tmp, nb);
    free(tmp);
  }
  for (int k = 0; k <= nr && !w->failed; k++) {
    char *packed = NULL;
    size_t nb = 0;
    if (catex_rng_pack(k < nr ? ex->rng[k] : ex->swap_rng, &packed, &nb, NULL)) {
      w->failed = 1;
      break;
    }
    exchange_wbuf_put(w, &nb, sizeof nb);
    exchange_wbuf_put(w, packed, nb);
    free(packed);
  }
  exchange_wbuf_put(w, ex->series, sizeof *ex->series * (size_t)nr * XS_NUM);
  exchange_wbuf_put(w, ex->hist, sizeof *ex->hist * (size_t)nr * (size_t)ex->p.hist_bins);
  exchange_wbuf_put(w, ex->perm_store, sizeof(int) * nr * (size_t)ex->nperm);
  exchange_wbuf_put(w, ex->samp_fU, sizeof(double) * nr * (size_t)ex->nsamp);
  exchange_wbuf_put(w, ex->samp_E, sizeof(double) * nr * nr * (size_t)ex->nsamp);
  exchange_wbuf_put(w, ex->samp_f, sizeof(double) * nr * CATEX_NUM_PHASES * (size_t)ex->nsamp);
}

static catex_status write_all(int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n > 0) {
    ssize_t k = write(fd, c, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return CATEX_ERR_IO;
    c += k;
    n -= (size_t)k;
  }
  return CATEX_OK;
}

static catex_status write_file(const catex_exchange *ex, const char *path, catex_error *err)
{
  if (!ex || !ex->started || !path) return catex_error_set(err, CATEX_ERR_STATE, "exchange: nothing to checkpoint");
  exchange_wbuf w = {0};
  const uint32_t version = STATE_VERSION;
  const uint64_t fp = fingerprint(ex);
  exchange_wbuf_put(&w, MAGIC, sizeof MAGIC);
  exchange_wbuf_put(&w, &version, sizeof version);
  exchange_wbuf_put(&w, &fp, sizeof fp);
  const size_t start = w.len;
  payload(ex, &w);
  const uint64_t sum = w.failed ? 0 : fnv1a(w.buf + start, w.len - start, 0xcbf29ce484222325ull);
  exchange_wbuf_put(&w, &sum, sizeof sum);
  if (w.failed) {
    free(w.buf);
    return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory writing a checkpoint");
  }
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 5), *dir = malloc(plen + 1);
  if (!tmp || !dir) {
    free(w.buf);
    free(tmp);
    free(dir);
    return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory writing a checkpoint");
  }
  snprintf(tmp, plen + 5, "%s.tmp", path);
  memcpy(dir, path, plen + 1);
  catex_status st = CATEX_OK;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write_all(fd, w.buf, w.len) || fsync(fd) != 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: cannot write checkpoint %s: %s", tmp, strerror(errno));
  }
  if (fd >= 0 && close(fd) != 0 && !st)
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: cannot close checkpoint %s: %s", tmp, strerror(errno));
  if (!st && rename(tmp, path) != 0)
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: cannot rename %s to %s: %s", tmp, path, strerror(errno));
  if (!st) {
    int dfd = open(dirname(dir), O_RDONLY);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
  } else {
    unlink(tmp);
  }
  free(tmp);
  free(dir);
  free(w.buf);
  return st;
}

/* The stored series of a format-1 checkpoint (nr x XS_NUM x nmeas doubles)
 * fed, in the order they were measured, into fresh streams. */
static catex_status replay_series(catex_exchange *ex, exchange_rbuf *r, catex_error *err)
{
  const size_t n = (size_t)ex->nmeas, per_rung = (size_t)XS_NUM * n;
  double *x = malloc(sizeof(double) * (per_rung ? per_rung : 1));
  if (!x) return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory reading a checkpoint");
  exchange_begin_series(ex);
  for (int k = 0; k < ex->nr && !r->failed; k++) {
    exchange_rbuf_get(r, x, sizeof(double) * per_rung);
    for (size_t t = 0; t < n && !r->failed; t++) {
      double f[CATEX_NUM_PHASES];
      for (int a = 0; a < CATEX_NUM_PHASES; a++) f[a] = x[(size_t)(XS_F0 + a) * n + t];
      exchange_measure(ex, k, f, x[(size_t)XS_FU * n + t], x[(size_t)XS_E * n + t]);
    }
  }
  free(x);
  return CATEX_OK;
}

/* The exact state of the configurations as they are, from scratch: each
 * rung's fields and energy under its V (no deferred part left) and the
 * projections z. The chain goes on from the same configurations; only the
 * kept quantities lose the rounding history of the old factor. */
static void recompute(catex_exchange *ex)
{
  for (int k = 0; k < ex->nr; k++) catex_equilibrium_refresh(ex->rung[k]);
  memset(ex->wt, 0, sizeof(double) * (size_t)ex->nr * (size_t)ex->f.r);
  exchange_recompute_projections(ex);
}

static catex_status read_file(catex_exchange *ex, const char *path, long seed, const long *rung_streams, long swap_stream,
                              catex_error *err)
{
  if (!ex || !path || !rung_streams) return catex_error_set(err, CATEX_ERR_ARG, "exchange: NULL argument");
  FILE *fp = fopen(path, "rb");
  if (!fp) return catex_error_set(err, CATEX_ERR_IO, "exchange: cannot open checkpoint %s: %s", path, strerror(errno));
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? 2 * cap : 1 << 16;
      char *b = realloc(buf, cap);
      if (!b) {
        free(buf);
        fclose(fp);
        return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory reading %s", path);
      }
      buf = b;
    }
    size_t k = fread(buf + len, 1, cap - len, fp);
    len += k;
    if (k == 0) break;
  }
  fclose(fp);
  catex_status st = CATEX_OK;
  exchange_rbuf r = {buf, len, 0, 0};
  char magic[8];
  uint32_t version;
  uint64_t fp_file, sum;
  exchange_rbuf_get(&r, magic, sizeof magic);
  exchange_rbuf_get(&r, &version, sizeof version);
  exchange_rbuf_get(&r, &fp_file, sizeof fp_file);
  if (r.failed || memcmp(magic, MAGIC, sizeof magic) != 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: %s is not a ladder checkpoint", path);
    goto done;
  }
  if (version < STATE_VERSION_SERIES || version > STATE_VERSION) {
    st = catex_error_set(err, CATEX_ERR_IO,
                         "exchange: checkpoint %s has format %u, this catex reads %u to %u; remove it to restart "
                         "the ladder from its start",
                         path, (unsigned)version, (unsigned)STATE_VERSION_SERIES, (unsigned)STATE_VERSION);
    goto done;
  }
  if (fp_file != fingerprint(ex)) {
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: checkpoint %s belongs to another ladder", path);
    goto done;
  }
  if (len < r.pos + sizeof sum) {
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: checkpoint %s is truncated", path);
    goto done;
  }
  memcpy(&sum, buf + len - sizeof sum, sizeof sum);
  if (sum != fnv1a(buf + r.pos, len - sizeof sum - r.pos, 0xcbf29ce484222325ull)) {
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: checkpoint %s is damaged (checksum)", path);
    goto done;
  }
  r.len = len - sizeof sum;
  const int nr = ex->nr, rr = ex->f.r;
  long counters[5];
  exchange_rbuf_get(&r, counters, sizeof counters);
  if (r.failed || counters[2] > ex->nmeas_max || counters[3] > ex->nsamp_max || counters[4] > ex->nperm_max ||
      counters[2] < 0 || counters[3] < 0 || counters[4] < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: checkpoint %s has impossible counters", path);
    goto done;
  }
  long origin[2];
  exchange_rbuf_get(&r, origin, sizeof origin);
  int same = !r.failed && origin[0] == seed && origin[1] == swap_stream;
  for (int k = 0; k < nr && same; k++) {
    long v;
    exchange_rbuf_get(&r, &v, sizeof v);
    same = !r.failed && v == rung_streams[k];
  }
  if (!same) {
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: checkpoint %s was started with another seed or streams", path);
    goto done;
  }
  ex->seed = seed;
  ex->swap_stream = swap_stream;
  memcpy(ex->rung_streams, rung_streams, sizeof(long) * (size_t)nr);
  ex->t = counters[0];
  ex->round = counters[1];
  ex->nmeas = counters[2];
  ex->nsamp = counters[3];
  ex->nperm = counters[4];
  exchange_rbuf_get(&r, ex->perm, sizeof(int) * nr);
  exchange_rbuf_get(&r, ex->z, sizeof(double) * (size_t)nr * rr);
  exchange_rbuf_get(&r, ex->zsigma, (size_t)nr * ex->ncore);
  if (version >= STATE_VERSION_WT) exchange_rbuf_get(&r, ex->wt, sizeof(double) * (size_t)nr * rr);
  else memset(ex->wt, 0, sizeof(double) * (size_t)nr * rr);
  exchange_rbuf_get(&r, ex->last_end, sizeof(int) * nr);
  exchange_rbuf_get(&r, ex->trips, sizeof(long long) * nr);
  exchange_rbuf_get(&r, ex->swap_att, sizeof(long long) * nr);
  exchange_rbuf_get(&r, ex->swap_acc, sizeof(long long) * nr);
  for (int k = 0; k < nr && !st && !r.failed; k++) {
    size_t nb = 0;
    exchange_rbuf_get(&r, &nb, sizeof nb);
    if (r.failed || nb > r.len - r.pos) break;
    st = catex_equilibrium_state_load(ex->rung[k], r.buf + r.pos, nb, err);
    r.pos += nb;
  }
  for (int k = 0; k <= nr && !st && !r.failed; k++) {
    size_t nb = 0;
    exchange_rbuf_get(&r, &nb, sizeof nb);
    if (r.failed || nb > r.len - r.pos) {
      r.failed = 1;
      break;
    }
    catex_rng **slot = k < nr ? &ex->rng[k] : &ex->swap_rng;
    catex_rng *fresh = NULL;
    st = catex_rng_unpack(r.buf + r.pos, nb, &fresh, err);
    r.pos += nb;
    if (st) break;
    catex_rng_destroy(*slot);
    *slot = fresh;
  }
  if (version >= STATE_VERSION_STREAMS) {
    exchange_rbuf_get(&r, ex->series, sizeof *ex->series * (size_t)nr * XS_NUM);
    exchange_rbuf_get(&r, ex->hist, sizeof *ex->hist * (size_t)nr * (size_t)ex->p.hist_bins);
  } else if (!st) {
    st = replay_series(ex, &r, err);
  }
  for (size_t i = 0; i < (size_t)nr * XS_NUM && !st && !r.failed; i++)
    if (ex->nmeas > 0 && (ex->series[i].n != ex->nmeas || ex->series[i].n_total != ex->nmeas_max))
      st = catex_error_set(err, CATEX_ERR_IO, "exchange: checkpoint %s: a series holds %ld of %ld measurements, "
                           "the counters say %ld of %ld", path, ex->series[i].n, ex->series[i].n_total, ex->nmeas,
                           ex->nmeas_max);
  exchange_rbuf_get(&r, ex->perm_store, sizeof(int) * nr * (size_t)ex->nperm);
  exchange_rbuf_get(&r, ex->samp_fU, sizeof(double) * nr * (size_t)ex->nsamp);
  exchange_rbuf_get(&r, ex->samp_E, sizeof(double) * nr * nr * (size_t)ex->nsamp);
  exchange_rbuf_get(&r, ex->samp_f, sizeof(double) * nr * CATEX_NUM_PHASES * (size_t)ex->nsamp);
  if (!st && (r.failed || r.pos != r.len))
    st = catex_error_set(err, CATEX_ERR_IO, "exchange: checkpoint %s does not have the expected layout", path);
  if (!st && version < STATE_VERSION_ROUNDED && ex->f.Zs) recompute(ex);
  if (!st) ex->started = 1;
done:
  free(buf);
  return st;
}

/* Spread over ranks: member 0 gathers every rung and writes the file of a
 * single-rank ladder; every member reads the whole file (and then runs its
 * own rungs from it). */
catex_status catex_exchange_checkpoint_write(catex_exchange *ex, const char *path, catex_error *err)
{
  if (!ex || !ex->started) return catex_error_set(err, CATEX_ERR_STATE, "exchange: nothing to checkpoint");
  if (ex->gang_size < 2) return write_file(ex, path, err);
  catex_status st = exchange_gang_gather(ex, err);
  if (!st && ex->gang_rank == 0) st = write_file(ex, path, err);
  return exchange_gang_agree(ex, st, err);
}

catex_status catex_exchange_checkpoint_read(catex_exchange *ex, const char *path, long seed, const long *rung_streams,
                                            long swap_stream, catex_error *err)
{
  if (!ex) return catex_error_set(err, CATEX_ERR_ARG, "exchange: NULL argument");
  catex_status st = read_file(ex, path, seed, rung_streams, swap_stream, err);
  return exchange_gang_agree(ex, st, err);
}
