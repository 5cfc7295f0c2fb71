/* Buffering of finished tasks and the two-phase collective flush described
 * in output.h: phase A writes the results (and runtime, rank, message) and
 * syncs the file; only then phase B writes the status bytes and syncs again.
 * Every rank walks the same dataset list in the same order, so the
 * collective writes always match, whatever each rank has buffered. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/idle.h"
#include "output_internal.h"

/* Non-blocking and waited for politely: at a flush the ranks meet here,
 * and one may arrive only after a long task (a ladder runs for an hour)
 * while the others would busy-poll in a blocking MPI_Allreduce all that
 * time (catex/idle.h). */
catex_status out_agree(catex_output *o, catex_status st, catex_error *err)
{
  int mine = (int)st, worst = mine;
  MPI_Request req;
  if (MPI_Iallreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, o->comm, &req) != MPI_SUCCESS ||
      catex_idle_wait(&req) != MPI_SUCCESS)
    return catex_error_set(err, CATEX_ERR_MPI, "MPI_Iallreduce failed");
  if (worst != CATEX_OK && mine == CATEX_OK)
    return catex_error_set(err, (catex_status)worst, "another rank failed to write the output file");
  return (catex_status)worst;
}

catex_status catex_output_add(catex_output *o, catex_task_result *res, catex_error *err)
{
  if (o->npending == o->cap_pending) {
    long cap = o->cap_pending ? 2 * o->cap_pending : 64;
    catex_task_result **p = realloc(o->pending, (size_t)cap * sizeof *p);
    if (!p) {
      catex_task_result_destroy(res);
      return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory buffering task results");
    }
    o->pending = p;
    o->cap_pending = cap;
  }
  o->pending[o->npending++] = res;
  o->pending_bytes += sizeof *res + catex_task_result_bytes(res);
  return CATEX_OK;
}

size_t catex_output_buffered_bytes(const catex_output *o) { return o->pending_bytes; }
long catex_output_buffered_tasks(const catex_output *o) { return o->npending; }

catex_status out_write_rows(catex_output *o, const odset *d, long n, const long *rows, const void *buf,
                            catex_error *err)
{
  catex_status st = CATEX_OK;
  hid_t fs = H5Dget_space(d->dset), ms = -1;
  if (fs < 0) return catex_error_set(err, CATEX_ERR_IO, "cannot get a dataspace");
  if (n == 0) {
    hsize_t one = 1;
    ms = H5Screate_simple(1, &one, NULL);
    if (ms < 0 || H5Sselect_none(ms) < 0 || H5Sselect_none(fs) < 0) st = CATEX_ERR_IO;
  } else {
    hsize_t total = (hsize_t)n * d->rowlen;
    ms = H5Screate_simple(1, &total, NULL);
    if (ms < 0 || H5Sselect_none(fs) < 0) st = CATEX_ERR_IO;
    /* Runs of consecutive rows become one block: fewer hyperslabs to merge. */
    for (long i = 0; i < n && !st;) {
      long j = i + 1;
      while (j < n && rows[j] == rows[j - 1] + 1) j++;
      hsize_t start[4] = {(hsize_t)rows[i], 0, 0, 0}, count[4] = {(hsize_t)(j - i), d->dims[1], d->dims[2], d->dims[3]};
      if (H5Sselect_hyperslab(fs, H5S_SELECT_OR, start, NULL, count, NULL) < 0) st = CATEX_ERR_IO;
      i = j;
    }
  }
  static const double dummy = 0;
  if (st && ms >= 0) {
    /* the selection could not be built: still take part in the collective
     * write, with nothing, or every other rank would wait in it for ever */
    H5Sselect_none(ms);
    H5Sselect_none(fs);
  }
  if (ms >= 0 && H5Dwrite(d->dset, out_h5type(o, d->type), ms, fs, o->dxpl,
                          (n && !st) ? buf : (const void *)&dummy) < 0)
    st = CATEX_ERR_IO;
  if (ms >= 0) H5Sclose(ms);
  H5Sclose(fs);
  if (st) return catex_error_set(err, st, "collective write of %ld rows failed", n);
  return CATEX_OK;
}

static void copy_doubles(double *dst, size_t n, const double *src, size_t nsrc)
{
  for (size_t i = 0; i < n; i++) dst[i] = (src && i < nsrc) ? src[i] : NAN;
}

/* Packs the row of field d->field of record r into row (d->rowlen elements). */
static void fill_row(const odset *d, const catex_task_result *r, void *row)
{
  double *x = row;
  const catex_kmc_result *k = &r->kmc;
  const catex_equilibrium_result *e = &r->eq;
  const catex_exchange_result *xr = &r->xr;
  const size_t nr = (size_t)xr->nrungs;
  size_t n = d->rowlen;
  switch (d->field) {
  case OF_RUNTIME: x[0] = r->runtime; break;
  case OF_RANK: *(int32_t *)row = r->rank; break;
  case OF_STATUS: *(int8_t *)row = (int8_t)r->status; break;
  case OF_MESSAGE:
    memset(row, 0, CATEX_TASK_MESSAGE_LEN);
    memcpy(row, r->message, strnlen(r->message, CATEX_TASK_MESSAGE_LEN - 1));
    break;
  case OF_K_TIME: copy_doubles(x, n, k->time, (size_t)k->nsamples); break;
  case OF_K_C: copy_doubles(x, n, k->c, (size_t)k->nsamples); break;
  case OF_K_F: copy_doubles(x, n, k->f, (size_t)k->nsamples * CATEX_NUM_PHASES); break;
  case OF_K_DA: copy_doubles(x, n, k->dA_rms, (size_t)k->nsamples); break;
  case OF_K_EVENTS:
    ((int64_t *)row)[0] = k->events_exchange;
    ((int64_t *)row)[1] = k->events_swap;
    break;
  case OF_K_TEND: x[0] = k->t_end; break;
  case OF_K_STOP: *(int8_t *)row = (int8_t)k->stop_reason; break;
  case OF_K_SNAPT: copy_doubles(x, n, k->snapshot_time, (size_t)k->nsnapshots); break;
  case OF_K_SNAP: {
    int8_t *s = row;
    memset(s, 0, n);
    for (int t = 0; t < k->nsnapshots && t < (int)d->dims[1]; t++)
      memcpy(s + (size_t)t * (size_t)d->nmax, k->snapshots + (size_t)t * (size_t)k->nsites,
             (size_t)(k->nsites < d->nmax ? k->nsites : d->nmax));
    break;
  }
  case OF_E_FMEAN: copy_doubles(x, n, e->f_mean, CATEX_NUM_PHASES); break;
  case OF_E_FERR: copy_doubles(x, n, e->f_err, CATEX_NUM_PHASES); break;
  case OF_E_FUMEAN: x[0] = e->fU_mean; break;
  case OF_E_FUERR: x[0] = e->fU_err; break;
  case OF_E_FUVAR: x[0] = e->fU_var; break;
  case OF_E_FUVARERR: x[0] = e->fU_var_err; break;
  case OF_E_EMEAN: x[0] = e->E_mean; break;
  case OF_E_EERR: x[0] = e->E_err; break;
  case OF_E_EVAR: x[0] = e->E_var; break;
  case OF_E_EVARERR: x[0] = e->E_var_err; break;
  case OF_E_DA2MEAN: x[0] = e->dA2_mean; break;
  case OF_E_DA2ERR: x[0] = e->dA2_err; break;
  case OF_E_TAUFU: x[0] = e->tau_fU; break;
  case OF_E_TAUE: x[0] = e->tau_E; break;
  case OF_E_ACC: x[0] = e->acceptance; break;
  case OF_E_FUSERIES: copy_doubles(x, n, e->fU_series, e->fU_series ? (size_t)e->nmeasured : 0); break;
  case OF_E_ESERIES: copy_doubles(x, n, e->E_series, e->E_series ? (size_t)e->nmeasured : 0); break;
  case OF_P_V: {
    int nn = r->nsites, m = d->nmax;
    memset(x, 0, n * sizeof *x);
    for (int i = 0; i < nn && i < m; i++) memcpy(x + (size_t)i * (size_t)m, r->V + (size_t)i * (size_t)nn, (size_t)(nn < m ? nn : m) * sizeof *x);
    break;
  }
  case OF_P_N: *(int32_t *)row = r->nsites; break;
  case OF_K_FINT: copy_doubles(x, n, k->f_interior, (size_t)k->nsamples * CATEX_NUM_PHASES); break;
  case OF_E_SNAP: {
    int8_t *s = row;
    memset(s, 0, n);
    for (int t = 0; e->snapshots && t < e->nsnapshots && t < (int)d->dims[1]; t++)
      memcpy(s + (size_t)t * (size_t)d->nmax, e->snapshots + (size_t)t * (size_t)e->nsites,
             (size_t)(e->nsites < d->nmax ? e->nsites : d->nmax));
    break;
  }
  case OF_V_SUM: *(int64_t *)row = (int64_t)r->V_checksum; break;
  case OF_X_KSHELL: copy_doubles(x, n, xr->kshell, nr); break;
  case OF_X_FMEAN: copy_doubles(x, n, xr->f_mean, nr * CATEX_NUM_PHASES); break;
  case OF_X_FERR: copy_doubles(x, n, xr->f_err, nr * CATEX_NUM_PHASES); break;
  case OF_X_FUMEAN: copy_doubles(x, n, xr->fU_mean, nr); break;
  case OF_X_FUERR: copy_doubles(x, n, xr->fU_err, nr); break;
  case OF_X_FUVAR: copy_doubles(x, n, xr->fU_var, nr); break;
  case OF_X_FUVARERR: copy_doubles(x, n, xr->fU_var_err, nr); break;
  case OF_X_EMEAN: copy_doubles(x, n, xr->E_mean, nr); break;
  case OF_X_EERR: copy_doubles(x, n, xr->E_err, nr); break;
  case OF_X_ACC: copy_doubles(x, n, xr->acceptance, nr); break;
  case OF_X_SWAPACC: copy_doubles(x, n, xr->swap_acceptance, nr - 1); break;
  case OF_X_SFU: copy_doubles(x, n, xr->sample_fU, nr * (size_t)xr->nsamples); break;
  case OF_X_SE: copy_doubles(x, n, xr->sample_energy, nr * nr * (size_t)xr->nsamples); break;
  case OF_X_SF: copy_doubles(x, n, xr->sample_f, nr * CATEX_NUM_PHASES * (size_t)xr->nsamples); break;
  case OF_X_HIST: case OF_X_SWAPATT: case OF_X_TRIPS: {
    const long long *src = d->field == OF_X_HIST ? xr->fU_hist : d->field == OF_X_SWAPATT ? xr->swap_attempts : xr->round_trips;
    const size_t have = d->field == OF_X_HIST ? nr * (size_t)xr->nbins : d->field == OF_X_SWAPATT ? nr - 1 : nr;
    for (size_t i = 0; i < n; i++) ((int64_t *)row)[i] = i < have ? src[i] : -1;
    break;
  }
  case OF_X_PERM:
    for (size_t i = 0; i < n; i++)
      ((int32_t *)row)[i] = i < nr * (size_t)xr->npermutations ? xr->permutation[i] : -1;
    break;
  case OF_CHECKSUM: break; /* filled by write_dset from o->pending_sum */
  }
}

static int by_id(const void *a, const void *b)
{
  long x = (*(catex_task_result *const *)a)->id, y = (*(catex_task_result *const *)b)->id;
  return (x > y) - (x < y);
}

/* Writes field d for the buffered records selected by `status_phase`:
 * result and bookkeeping columns take done records (bookkeeping: all);
 * the status column is phase B. */
static catex_status write_dset(catex_output *o, const odset *d, catex_error *err)
{
  long n = 0;
  long *rows = calloc((size_t)(o->npending ? o->npending : 1), sizeof *rows);
  size_t el = out_elsize(d->type);
  char *buf = NULL;
  catex_status st = CATEX_OK;
  if (!rows) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    goto write;
  }
  int bookkeeping = d->study < 0;
  for (long i = 0; i < o->npending; i++) {
    const catex_task_result *r = o->pending[i];
    if (bookkeeping || (r->study == d->study && r->status == CATEX_TASK_DONE)) n++;
  }
  buf = malloc(n ? (size_t)n * d->rowlen * el : 1);
  if (!buf) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory packing %ld rows", n);
    n = 0;
    goto write;
  }
  n = 0;
  for (long i = 0; i < o->npending; i++) {
    const catex_task_result *r = o->pending[i];
    if (!(bookkeeping || (r->study == d->study && r->status == CATEX_TASK_DONE))) continue;
    rows[n] = r->id - d->first_task;
    char *row = buf + (size_t)n * d->rowlen * el;
    if (d->field == OF_CHECKSUM) {
      memcpy(row, &o->pending_sum[i], sizeof o->pending_sum[i]);
    } else {
      fill_row(d, r, row);
      if (out_sum_covers(d)) o->pending_sum[i] = out_sum_row(o->pending_sum[i], row, d->rowlen * el);
    }
    n++;
  }
write:;
  /* Even after a local failure this rank must take part (with nothing), or
   * the others would wait in the collective for ever. */
  catex_error e2;
  catex_status w = out_write_rows(o, d, st ? 0 : n, rows, buf, st ? &e2 : err);
  free(rows);
  free(buf);
  return st ? st : w;
}

catex_status catex_output_flush(catex_output *o, long *flushed, catex_error *err)
{
  catex_status st = CATEX_OK;
  /* Increasing task order = increasing file order within every dataset,
   * which is the order HDF5 maps a packed memory buffer onto a union of
   * hyperslabs. */
  if (o->npending > 1) qsort(o->pending, (size_t)o->npending, sizeof *o->pending, by_id);
  o->pending_sum = malloc((size_t)(o->npending ? o->npending : 1) * sizeof *o->pending_sum);
  if (!o->pending_sum) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory for checksums");
  for (long i = 0; i < o->npending && !st; i++) o->pending_sum[i] = OUT_SUM_INIT;
  /* agreed before the first collective write: a rank without its sums
   * takes no part in them, so none may */
  if ((st = out_agree(o, st, err))) {
    free(o->pending_sum);
    o->pending_sum = NULL;
    return catex_error_prefix(err, st, "flush");
  }

  /* Phase A: results, runtime, rank, message, then the checksums of the
   * results (summed while they were packed). */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < o->ndsets; i++) {
      const ofield fld = o->dsets[i].field;
      if (fld == OF_STATUS || (fld == OF_CHECKSUM) != (pass == 1)) continue;
      catex_status s = write_dset(o, &o->dsets[i], err);
      if (s && !st) st = s;
    }
  free(o->pending_sum);
  o->pending_sum = NULL;
  /* H5Fflush is collective: call it even after a local failure */
  if (H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0 && !st) st = catex_error_set(err, CATEX_ERR_IO, "H5Fflush failed");
  if ((st = out_agree(o, st, err))) return catex_error_prefix(err, st, "flush (results)");

  /* Phase B: status bytes, only once every rank's data are in the file. */
  for (int i = 0; i < o->ndsets; i++) {
    if (o->dsets[i].field != OF_STATUS) continue;
    catex_status s = write_dset(o, &o->dsets[i], err);
    if (s && !st) st = s;
  }
  {
    catex_status s = out_write_end_time(o, err); /* collective, raw data only */
    if (s && !st) st = s;
  }
  /* H5Fflush is collective: call it even after a local failure */
  if (H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0 && !st) st = catex_error_set(err, CATEX_ERR_IO, "H5Fflush failed");
  if ((st = out_agree(o, st, err))) return catex_error_prefix(err, st, "flush (status)");

  long mine = o->npending, total = mine;
  MPI_Allreduce(&mine, &total, 1, MPI_LONG, MPI_SUM, o->comm);
  if (flushed) *flushed = total;
  for (long i = 0; i < o->npending; i++) catex_task_result_destroy(o->pending[i]);
  o->npending = 0;
  o->pending_bytes = 0;
  return CATEX_OK;
}
