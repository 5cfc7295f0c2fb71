/* A ladder spread over the ranks of a gang (catex_exchange_set_gang): member
 * m owns the contiguous rungs first[m] .. first[m+1]-1 and runs their
 * Kawasaki sweeps; everything a swap decision depends on besides the
 * configurations themselves (perm, the swap stream, the counters and round
 * trips) is replicated, every member drawing the same uniform numbers and
 * taking the same decisions, so no decision is ever broadcast.
 *
 * Per swap round the members all-gather one number per rung, the
 * quadratic difference sum_j z_j^2 (c_l,j - c_k,j) of the configuration at
 * that rung for the pair it is in (O(nr) doubles: the only thing a decision
 * needs); an accepted swap across a rank boundary sends the two
 * configurations point-to-point (sigma, h, m, E, the refresh counter, z,
 * the core spins z was last brought up to date with, and the deferred part
 * of the fields, wt), everything a local
 * catex_equilibrium_swap_configurations would have traded. Each side then
 * runs the same field correction (exchange_move_potentials) on the same
 * numbers as the single-rank ladder, so the result is bitwise that of one
 * rank whatever the gang size: only the transport differs.
 *
 * Cross-rank trades are Sendrecv's between neighbours, done by every member
 * in ascending pair order: a member's lower-boundary trade comes before its
 * upper one, so the chain of waits always ends at member 0 (no deadlock).
 *
 * Checkpoints and the final analysis need every rung: exchange_gang_gather
 * brings the owned rungs' engine states, streams, series, samples and the
 * projections of their configurations to member 0, whose ladder object is
 * then exactly that of a single-rank run; it writes the same checkpoint file
 * and computes the same result. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_internal.h"

enum { TAG_TRADE = 1, TAG_GATHER_LEN = 2, TAG_GATHER = 3 };

catex_status catex_exchange_set_gang(catex_exchange *ex, MPI_Comm comm, catex_error *err)
{
  if (!ex || comm == MPI_COMM_NULL) return catex_error_set(err, CATEX_ERR_ARG, "exchange: NULL ladder or communicator");
  if (ex->started || ex->gang != MPI_COMM_NULL)
    return catex_error_set(err, CATEX_ERR_STATE, "exchange: the gang is set once, before the ladder starts");
  int size = 1, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  if (size > ex->nr)
    return catex_error_set(err, CATEX_ERR_ARG, "exchange: %d ranks for a ladder of %d rungs (at most one rank per rung)",
                           size, ex->nr);
  if (size == 1) return CATEX_OK; /* the single-rank ladder as it is */
  int *first = malloc(sizeof(int) * (size_t)(size + 1));
  if (!first) return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory");
  if (MPI_Comm_dup(comm, &ex->gang) != MPI_SUCCESS) {
    free(first);
    return catex_error_set(err, CATEX_ERR_MPI, "exchange: MPI_Comm_dup failed");
  }
  for (int m = 0; m <= size; m++) first[m] = (int)((long)m * ex->nr / size);
  ex->first = first;
  ex->gang_size = size;
  ex->gang_rank = rank;
  ex->lo = first[rank];
  ex->hi = first[rank + 1];
  return CATEX_OK;
}

static int owner_of(const catex_exchange *ex, int k)
{
  int m = 0;
  while (ex->first[m + 1] <= k) m++;
  return m;
}

catex_status exchange_gang_agree(const catex_exchange *ex, catex_status st, catex_error *err)
{
  if (ex->gang_size < 2) return st;
  int mine = (int)st, worst = 0;
  if (MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, ex->gang) != MPI_SUCCESS)
    return catex_error_set(err, CATEX_ERR_MPI, "exchange: MPI_Allreduce in the ladder's gang failed");
  if (!st && worst) return catex_error_set(err, (catex_status)worst, "exchange: another rank of the ladder's gang failed");
  return st;
}

/* Configuration of the owned rung `mine` (and its projection) traded with
 * the peer owning `other`; then the same bookkeeping as a local swap. */
static catex_status trade(catex_exchange *ex, int k, catex_error *err)
{
  const int l = k + 1, r = ex->f.r, nc = ex->ncore;
  const int ok = exchange_owns(ex, k), ol = exchange_owns(ex, l);
  if (ok && ol) {
    catex_status st = catex_equilibrium_swap_configurations(ex->rung[k], ex->rung[l], err);
    if (st) return st;
  } else if (ok || ol) {
    const int mine = ok ? k : l, other = ok ? l : k, peer = owner_of(ex, other);
    const size_t sb = catex_equilibrium_state_bytes(ex->rung[mine]);
    const size_t len = sb + 2 * sizeof(double) * (size_t)r + (size_t)nc;
    if (len > INT_MAX) return catex_error_set(err, CATEX_ERR_ARG, "exchange: a configuration of %zu bytes is too big to send", len);
    char *out = malloc(len), *in = malloc(len);
    if (!out || !in) {
      free(out);
      free(in);
      return catex_error_set(err, CATEX_ERR_NOMEM, "exchange: out of memory for a trade of configurations");
    }
    const int cout = ex->perm[mine], cin = ex->perm[other];
    catex_equilibrium_state_save(ex->rung[mine], out);
    memcpy(out + sb, ex->z + (size_t)cout * r, sizeof(double) * (size_t)r);
    memcpy(out + sb + sizeof(double) * (size_t)r, ex->zsigma + (size_t)cout * nc, (size_t)nc);
    memcpy(out + sb + sizeof(double) * (size_t)r + nc, ex->wt + (size_t)cout * r, sizeof(double) * (size_t)r);
    catex_status st = CATEX_OK;
    if (MPI_Sendrecv(out, (int)len, MPI_BYTE, peer, TAG_TRADE, in, (int)len, MPI_BYTE, peer, TAG_TRADE, ex->gang,
                     MPI_STATUS_IGNORE) != MPI_SUCCESS)
      st = catex_error_set(err, CATEX_ERR_MPI, "exchange: MPI_Sendrecv of a configuration with rank %d failed", peer);
    if (!st) st = catex_equilibrium_configuration_load(ex->rung[mine], in, sb, err);
    if (!st) {
      memcpy(ex->z + (size_t)cin * r, in + sb, sizeof(double) * (size_t)r);
      memcpy(ex->zsigma + (size_t)cin * nc, in + sb + sizeof(double) * (size_t)r, (size_t)nc);
      memcpy(ex->wt + (size_t)cin * r, in + sb + sizeof(double) * (size_t)r + nc, sizeof(double) * (size_t)r);
    }
    free(out);
    free(in);
    if (st) return st;
  }
  const int a = ex->perm[k];
  ex->perm[k] = ex->perm[l];
  ex->perm[l] = a;
  if (ok || ol) exchange_move_potentials(ex, k, l);
  return CATEX_OK;
}

catex_status exchange_gang_swap_round(catex_exchange *ex, int failed, catex_error *err)
{
  const int nr = ex->nr, g = ex->gang_size, k0 = (int)(ex->round % 2), own = ex->hi - ex->lo;
  double *mine = malloc(sizeof(double) * (size_t)(own + 1));
  double *all = malloc(sizeof(double) * (size_t)(nr + g));
  int *counts = malloc(sizeof(int) * (size_t)g), *displs = malloc(sizeof(int) * (size_t)g);
  catex_status st = CATEX_OK;
  if (!mine || !all || !counts || !displs) {
    /* cannot even join the collective: nothing sensible is left but to end the job */
    fprintf(stderr, "catex: out of memory in a swap round of a ladder spread over ranks\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  /* the numbers of the owned rungs, bringing their projections up to date
     exactly where the single-rank ladder does: the rungs of attempted pairs */
  for (int k = ex->lo; k < ex->hi; k++) {
    const int pk = (k - k0) % 2 == 0 ? k : k - 1; /* lower rung of k's pair this round */
    mine[k - ex->lo] = 0;
    if (failed || pk < k0 || pk + 1 >= nr) continue;
    exchange_sync_projection(ex, k);
    mine[k - ex->lo] = exchange_quadratic_difference(ex, ex->perm[k], pk, pk + 1);
  }
  mine[own] = failed;
  for (int m = 0; m < g; m++) {
    counts[m] = ex->first[m + 1] - ex->first[m] + 1;
    displs[m] = ex->first[m] + m;
  }
  if (MPI_Allgatherv(mine, own + 1, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, ex->gang) != MPI_SUCCESS)
    st = catex_error_set(err, CATEX_ERR_MPI, "exchange: MPI_Allgatherv in a swap round failed");
  int anyfailed = 0;
  for (int m = 0; m < g && !st; m++) anyfailed |= all[ex->first[m + 1] + m] != 0;
  if (!st && anyfailed)
    st = failed ? CATEX_ERR_STATE : catex_error_set(err, CATEX_ERR_STATE, "exchange: another rank of the ladder's gang failed");
  for (int k = k0, m = 0; !st && k + 1 < nr; k += 2) {
    const double u = catex_rng_uniform(ex->swap_rng);
    const int l = k + 1;
    while (ex->first[m + 1] <= k) m++;
    const int ml = ex->first[m + 1] <= l ? m + 1 : m;
    /* the single-rank ladder's delta: E_k(s_l) + E_l(s_k) - E_k(s_k) - E_l(s_l) */
    const double delta = 0.5 * ex->eps * (all[k + m] - all[l + ml]);
    const int acc = exchange_accept(ex, delta, u);
    if (acc) st = trade(ex, k, err);
    if (!st && exchange_measuring(ex)) {
      ex->swap_att[k]++;
      ex->swap_acc[k] += acc;
    }
  }
  free(mine);
  free(all);
  free(counts);
  free(displs);
  if (st) return st;
  ex->round++;
  if (exchange_measuring(ex)) exchange_track_ends(ex);
  return CATEX_OK;
}

/* --- gathering on member 0 ------------------------------------------------ */

static int take(const char *buf, size_t len, size_t *pos, void *p, size_t n)
{
  if (*pos + n > len) return 1;
  memcpy(p, buf + *pos, n);
  *pos += n;
  return 0;
}

/* Everything of rung k that lives only on its owner. */
static void pack_rung(const catex_exchange *ex, int k, exchange_wbuf *w)
{
  const int nr = ex->nr, r = ex->f.r, nc = ex->ncore;
  const size_t sb = catex_equilibrium_state_bytes(ex->rung[k]);
  char *state = malloc(sb);
  if (!state) {
    w->failed = 1;
    return;
  }
  catex_equilibrium_state_save(ex->rung[k], state);
  exchange_wbuf_put(w, state, sb);
  free(state);
  char *packed = NULL;
  size_t nb = 0;
  if (catex_rng_pack(ex->rng[k], &packed, &nb, NULL)) {
    w->failed = 1;
    return;
  }
  exchange_wbuf_put(w, &nb, sizeof nb);
  exchange_wbuf_put(w, packed, nb);
  free(packed);
  const size_t bins = (size_t)ex->p.hist_bins;
  exchange_wbuf_put(w, ex->series + (size_t)k * XS_NUM, sizeof *ex->series * XS_NUM);
  exchange_wbuf_put(w, ex->hist + (size_t)k * bins, sizeof *ex->hist * bins);
  for (long s = 0; s < ex->nsamp; s++) {
    const size_t sk = (size_t)s * nr + k;
    exchange_wbuf_put(w, ex->samp_fU + sk, sizeof(double));
    exchange_wbuf_put(w, ex->samp_f + sk * CATEX_NUM_PHASES, sizeof(double) * CATEX_NUM_PHASES);
    exchange_wbuf_put(w, ex->samp_E + sk * nr, sizeof(double) * (size_t)nr);
  }
  const int cfg = ex->perm[k];
  exchange_wbuf_put(w, ex->z + (size_t)cfg * r, sizeof(double) * (size_t)r);
  exchange_wbuf_put(w, ex->zsigma + (size_t)cfg * nc, (size_t)nc);
  exchange_wbuf_put(w, ex->wt + (size_t)cfg * r, sizeof(double) * (size_t)r);
}

static catex_status unpack_rung(catex_exchange *ex, int k, const char *buf, size_t len, size_t *pos, catex_error *err)
{
  const int nr = ex->nr, r = ex->f.r, nc = ex->ncore;
  const size_t sb = catex_equilibrium_state_bytes(ex->rung[k]);
  if (*pos + sb > len) goto bad;
  catex_status st = catex_equilibrium_state_load(ex->rung[k], buf + *pos, sb, err);
  if (st) return st;
  *pos += sb;
  size_t nb = 0;
  if (take(buf, len, pos, &nb, sizeof nb) || *pos + nb > len) goto bad;
  catex_rng *fresh = NULL;
  if ((st = catex_rng_unpack(buf + *pos, nb, &fresh, err))) return st;
  *pos += nb;
  catex_rng_destroy(ex->rng[k]);
  ex->rng[k] = fresh;
  const size_t bins = (size_t)ex->p.hist_bins;
  if (take(buf, len, pos, ex->series + (size_t)k * XS_NUM, sizeof *ex->series * XS_NUM) ||
      take(buf, len, pos, ex->hist + (size_t)k * bins, sizeof *ex->hist * bins))
    goto bad;
  for (long s = 0; s < ex->nsamp; s++) {
    const size_t sk = (size_t)s * nr + k;
    if (take(buf, len, pos, ex->samp_fU + sk, sizeof(double)) ||
        take(buf, len, pos, ex->samp_f + sk * CATEX_NUM_PHASES, sizeof(double) * CATEX_NUM_PHASES) ||
        take(buf, len, pos, ex->samp_E + sk * nr, sizeof(double) * (size_t)nr))
      goto bad;
  }
  const int cfg = ex->perm[k];
  if (take(buf, len, pos, ex->z + (size_t)cfg * r, sizeof(double) * (size_t)r) ||
      take(buf, len, pos, ex->zsigma + (size_t)cfg * nc, (size_t)nc) ||
      take(buf, len, pos, ex->wt + (size_t)cfg * r, sizeof(double) * (size_t)r))
    goto bad;
  return CATEX_OK;
bad:
  return catex_error_set(err, CATEX_ERR_INTERNAL, "exchange: the state of rung %d arrived incomplete", k);
}

catex_status exchange_gang_gather(catex_exchange *ex, catex_error *err)
{
  if (ex->gang_size < 2) return CATEX_OK;
  catex_status st = CATEX_OK;
  if (ex->gang_rank > 0) {
    exchange_wbuf w = {0};
    for (int k = ex->lo; k < ex->hi; k++) pack_rung(ex, k, &w);
    long long len = w.failed || w.len > INT_MAX ? -1 : (long long)w.len;
    if (len < 0) st = catex_error_set(err, CATEX_ERR_NOMEM, "exchange: cannot pack rungs %d-%d for rank 0", ex->lo, ex->hi - 1);
    if (MPI_Send(&len, 1, MPI_LONG_LONG, 0, TAG_GATHER_LEN, ex->gang) != MPI_SUCCESS ||
        (len > 0 && MPI_Send(w.buf, (int)len, MPI_BYTE, 0, TAG_GATHER, ex->gang) != MPI_SUCCESS))
      st = catex_error_set(err, CATEX_ERR_MPI, "exchange: sending rungs %d-%d to rank 0 failed", ex->lo, ex->hi - 1);
    free(w.buf);
  } else {
    for (int m = 1; m < ex->gang_size; m++) {
      long long len = -1;
      if (MPI_Recv(&len, 1, MPI_LONG_LONG, m, TAG_GATHER_LEN, ex->gang, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        st = catex_error_set(err, CATEX_ERR_MPI, "exchange: receiving from rank %d of the gang failed", m);
        continue;
      }
      if (len <= 0) {
        if (!st) st = catex_error_set(err, CATEX_ERR_NOMEM, "exchange: rank %d of the gang could not send its rungs", m);
        continue;
      }
      char *buf = malloc((size_t)len);
      if (!buf) {
        /* the sender waits for this message: unrecoverable without leaving it
           waiting, so end the job (the output and the last checkpoint stay) */
        fprintf(stderr, "catex: out of memory gathering a ladder (%lld bytes from rank %d of its gang)\n", len, m);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      if (MPI_Recv(buf, (int)len, MPI_BYTE, m, TAG_GATHER, ex->gang, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        st = catex_error_set(err, CATEX_ERR_MPI, "exchange: receiving from rank %d of the gang failed", m);
      size_t pos = 0;
      for (int k = ex->first[m]; k < ex->first[m + 1] && !st; k++) st = unpack_rung(ex, k, buf, (size_t)len, &pos, err);
      if (!st && pos != (size_t)len) st = catex_error_set(err, CATEX_ERR_INTERNAL, "exchange: rank %d sent %lld bytes, %zu expected", m, len, pos);
      free(buf);
    }
  }
  return exchange_gang_agree(ex, st, err);
}

int catex_exchange_gang_leader(const catex_exchange *ex) { return ex->gang_rank == 0; }
