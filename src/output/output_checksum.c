/* Per-task checksums (/tasks/checksum): written with the results in phase A
 * of a flush, verified by --resume (catex_output_verify), so that a row that
 * was corrupted or edited after its task was marked done is run again
 * instead of being trusted. The checksum covers every row of every dataset
 * of the task's study, as stored in the file and in the order of the
 * dataset table (output_layout.c), so a dataset added to the table is
 * covered without further code. It does not cover /tasks bookkeeping
 * (runtime and rank depend on the schedule; message only matters for failed
 * tasks), so it is the same for any number of ranks and any resume history.
 * It guards against accidents, not against someone who recomputes it. */
#include <stdlib.h>
#include <string.h>

#include "output_internal.h"

/* 64-bit multiply-xorshift over 8-byte words (the tail byte by byte), with a
 * final avalanche: fast enough for the large V and snapshot rows, and any
 * change of one bit changes the result. */
uint64_t out_sum_row(uint64_t h, const void *row, size_t bytes)
{
  const unsigned char *p = row;
  const uint64_t m = 0x9e3779b97f4a7c15ULL;
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ w) * m;
    h ^= h >> 29;
  }
  for (; i < bytes; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  h ^= bytes;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

int out_sum_covers(const odset *d) { return d->study >= 0; }

/* Reads rows [r0, r1) of d into buf independently (this rank only). */
static int read_rows(catex_output *o, const odset *d, long r0, long r1, void *buf, hid_t dxpl)
{
  hid_t fs = H5Dget_space(d->dset);
  hsize_t start[3] = {(hsize_t)r0, 0, 0}, count[3] = {(hsize_t)(r1 - r0), d->dims[1], d->dims[2]};
  hsize_t total = (hsize_t)(r1 - r0) * d->rowlen;
  hid_t ms = H5Screate_simple(1, &total, NULL);
  int ok = fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
           H5Dread(d->dset, out_h5type(o, d->type), ms, fs, dxpl, buf) >= 0;
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return ok ? 0 : -1;
}

catex_status catex_output_verify(catex_output *o, signed char *status, long *nbad, long *bad, long nbad_max,
                                 catex_error *err)
{
  const long ntasks = catex_job_num_tasks(o->job);
  const long lo = ntasks * o->rank / o->size, hi = ntasks * (o->rank + 1) / o->size, n = hi - lo;
  uint64_t *sum = malloc((size_t)(n ? n : 1) * sizeof *sum), *stored = malloc((size_t)(n ? n : 1) * sizeof *stored);
  unsigned char *mine = calloc((size_t)(ntasks ? ntasks : 1), 1), *all = calloc((size_t)(ntasks ? ntasks : 1), 1);
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER); /* default: independent I/O */
  catex_status st = CATEX_OK;
  char *buf = NULL;
  if (!sum || !stored || !mine || !all || dxpl < 0) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory verifying checksums");
    goto agree;
  }
  for (long t = 0; t < n; t++) sum[t] = OUT_SUM_INIT;
  for (int i = 0; i < o->ndsets && !st; i++) {
    const odset *d = &o->dsets[i];
    if (d->field == OF_CHECKSUM && n > 0) {
      if (read_rows(o, d, lo, hi, stored, dxpl)) st = catex_error_set(err, CATEX_ERR_IO, "cannot read /tasks/checksum");
      continue;
    }
    if (!out_sum_covers(d)) continue;
    long r0 = lo - d->first_task, r1 = hi - d->first_task;
    if (r0 < 0) r0 = 0;
    if (r1 > d->nrows) r1 = d->nrows;
    const size_t rowbytes = d->rowlen * out_elsize(d->type);
    long block = (long)((16u << 20) / (rowbytes ? rowbytes : 1));
    if (block < 1) block = 1;
    for (long a = r0; a < r1 && !st; a += block) {
      long b = a + block < r1 ? a + block : r1;
      char *p = realloc(buf, (size_t)(b - a) * rowbytes);
      if (!p) {
        st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory verifying checksums");
        break;
      }
      buf = p;
      if (read_rows(o, d, a, b, buf, dxpl)) {
        st = catex_error_set(err, CATEX_ERR_IO, "cannot read rows of a result dataset to verify them");
        break;
      }
      for (long r = a; r < b; r++) {
        long t = d->first_task + r;
        sum[t - lo] = out_sum_row(sum[t - lo], buf + (size_t)(r - a) * rowbytes, rowbytes);
      }
    }
  }
  for (long t = 0; t < n && !st; t++)
    if (status[lo + t] == CATEX_TASK_DONE && sum[t] != stored[t]) mine[lo + t] = 1;
agree:
  free(buf);
  free(sum);
  free(stored);
  if (dxpl >= 0) H5Pclose(dxpl);
  st = out_agree(o, st, err);
  if (!st && MPI_Allreduce(mine, all, (int)ntasks, MPI_UNSIGNED_CHAR, MPI_MAX, o->comm) != MPI_SUCCESS)
    st = catex_error_set(err, CATEX_ERR_MPI, "MPI_Allreduce failed");
  long count = 0;
  for (long t = 0; t < ntasks && !st; t++)
    if (all[t]) {
      status[t] = CATEX_TASK_PENDING;
      if (bad && count < nbad_max) bad[count] = t;
      count++;
    }
  if (nbad) *nbad = count;
  free(mine);
  free(all);
  return st;
}
