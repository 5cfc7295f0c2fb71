/* Private to the output module (src/output/): the table of datasets and
 * the object layout. */
#ifndef CATEX_OUTPUT_INTERNAL_H
#define CATEX_OUTPUT_INTERNAL_H

#include <hdf5.h>
#include <stdint.h>

#include "catex/output.h"

/* Element types of result datasets. */
typedef enum { OT_F64, OT_I64, OT_I32, OT_I8, OT_STR, OT_U64 } otype;

/* What a result dataset holds; out_fill_row() knows how to pack each. */
typedef enum {
  OF_RUNTIME, OF_RANK, OF_MESSAGE, OF_STATUS, OF_CHECKSUM,     /* /tasks */
  OF_K_TIME, OF_K_C, OF_K_F, OF_K_DA, OF_K_EVENTS, OF_K_TEND,  /* kmc */
  OF_K_STOP, OF_K_SNAPT, OF_K_SNAP,
  OF_E_FMEAN, OF_E_FERR, OF_E_FUMEAN, OF_E_FUERR, OF_E_FUVAR,  /* equilibrium */
  OF_E_FUVARERR, OF_E_EMEAN, OF_E_EERR, OF_E_EVAR, OF_E_EVARERR,
  OF_E_DA2MEAN, OF_E_DA2ERR, OF_E_TAUFU, OF_E_TAUE, OF_E_ACC,
  OF_E_FUSERIES, OF_E_ESERIES,
  OF_P_V, OF_P_N,                                               /* potential */
  OF_K_FINT, OF_E_SNAP, OF_V_SUM,                               /* later additions */
  OF_X_KSHELL, OF_X_FMEAN, OF_X_FERR, OF_X_FUMEAN, OF_X_FUERR,  /* exchange */
  OF_X_FUVAR, OF_X_FUVARERR, OF_X_EMEAN, OF_X_EERR, OF_X_ACC, OF_X_HIST,
  OF_X_SWAPATT, OF_X_SWAPACC, OF_X_TRIPS, OF_X_PERM, OF_X_SFU, OF_X_SE, OF_X_SF
} ofield;

/* One result dataset: nrows rows (the tasks of a study, or all tasks for
 * /tasks) of rowlen elements. Row r holds task first_task + r. */
typedef struct {
  ofield field;
  int study;          /* -1 for /tasks/... */
  hid_t dset;
  otype type;
  int rank;           /* dataspace rank */
  hsize_t dims[4];
  long nrows, first_task;
  size_t rowlen;      /* elements per row */
  int nmax;           /* padding width for N-sized axes (kmc snapshots, V) */
} odset;

struct catex_output {
  MPI_Comm comm;
  int rank, size;
  const catex_job *job;
  hid_t file, dxpl;
  hid_t strtype;               /* fixed-length message strings */
  int ndsets;
  odset *dsets;                /* result datasets, in the same order on every rank */
  catex_task_result **pending; /* this rank's records not yet flushed */
  uint64_t *pending_sum;       /* during a flush: the checksum of each pending record */
  long npending, cap_pending;
  size_t pending_bytes;
};

/* Dataset table (output_layout.c). `create` selects H5Dcreate (fresh file,
 * with fill values, attributes and early allocation) or H5Dopen plus a shape
 * check (resume). Fills o->dsets. */
catex_status out_layout(catex_output *o, int create, catex_error *err);
hid_t out_h5type(const catex_output *o, otype t);
size_t out_elsize(otype t);

/* Static content written once at creation (output_static.c): /, /job,
 * /tasks parameters, /studies/<name> attributes, parameters and lattices. */
catex_status out_write_static(catex_output *o, catex_error *err);

/* /provenance (output_provenance.c): attributes and the end_time dataset
 * at creation (run_ranks: the MPI ranks of the run, which the serial build of
 * the file on rank 0 cannot see in o); out_write_end_time overwrites
 * end_time (raw data only) at every flush. Collective over o's ranks. */
catex_status out_write_provenance(catex_output *o, int run_ranks, catex_error *err);
catex_status out_write_end_time(catex_output *o, catex_error *err);

/* Dimension scales of every dataset with an `axes` attribute
 * (output_dims.c), at creation. Collective. */
catex_status out_attach_dimension_scales(catex_output *o, catex_error *err);

/* Attribute helpers (output_attr.c). */
catex_status out_attr_string(hid_t obj, const char *name, const char *value, catex_error *err);
catex_status out_attr_strings(hid_t obj, const char *name, const char *const *values, int n, catex_error *err);
catex_status out_attr_long(hid_t obj, const char *name, long value, catex_error *err);
catex_status out_attr_read_string(hid_t obj, const char *name, char **value, catex_error *err);
catex_status out_attr_read_long(hid_t obj, const char *name, long *value, catex_error *err);

/* Writes rows `rows[0..n-1]` (increasing, relative to the dataset) of d
 * from buf (n * rowlen elements, packed), collectively; n may be 0. */
catex_status out_write_rows(catex_output *o, const odset *d, long n, const long *rows, const void *buf,
                            catex_error *err);

/* Checksum of a task's result rows (output_checksum.c): every row of every
 * dataset of its study, in the order of o->dsets, as stored in the file.
 * Start with OUT_SUM_INIT, fold each row in with out_sum_row. */
#define OUT_SUM_INIT 0xcbf29ce484222325ULL
uint64_t out_sum_row(uint64_t h, const void *row, size_t bytes);
int out_sum_covers(const odset *d); /* 1 if the rows of d enter the checksum */

/* Collective agreement on a status: the worst over all ranks; if another
 * rank failed and this one did not, err says so. */
catex_status out_agree(catex_output *o, catex_status st, catex_error *err);

#endif
