/* The result datasets of the output file (README "Output file"): one table
 * drives both their creation (fresh file) and their reopening with a shape
 * check (--resume), so the two can never disagree.
 *
 * Every dataset is contiguous and allocated at creation with its fill value
 * written (H5D_ALLOC_TIME_EARLY, H5D_FILL_TIME_ALLOC) and without object
 * time stamps: later writes touch raw data only, never HDF5 metadata (the
 * basis of the kill-safety argument in output.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_internal.h"

typedef enum {
  SH_1, SH_2, SH_5, SH_NS, SH_NS5, SH_NSNAP, SH_SNAP, SH_SERIES, SH_V,
  SH_XR, SH_XR5, SH_XHIST, SH_XP, SH_XPERM, SH_XS, SH_XSE, SH_XS5 /* exchange: rung, pair, sample axes */
} oshape;

typedef struct {
  ofield field;
  const char *name;
  otype type;
  oshape shape;
  double fill;
  const char *units, *description;
} ofield_info;

static const ofield_info task_fields[] = {
    {OF_STATUS, "status", OT_I8, SH_1, 0, "", "0 pending, 1 done, 2 failed (written after the task's data)"},
    {OF_RUNTIME, "runtime", OT_F64, SH_1, NAN, "s", "wall-clock time of the task"},
    {OF_RANK, "rank", OT_I32, SH_1, -1, "", "MPI rank that ran the task (-1: not run)"},
    {OF_MESSAGE, "message", OT_STR, SH_1, 0, "", "error message of a failed task"},
    {OF_CHECKSUM, "checksum", OT_U64, SH_1, 0, "",
     "checksum of the task's result rows in its study's datasets (verified by --resume)"},
};

static const ofield_info kmc_fields[] = {
    {OF_K_TIME, "time", OT_F64, SH_NS, NAN, "1/k_diff0", "observation times (log-spaced t_min .. t_max)"},
    {OF_K_C, "c", OT_F64, SH_NS, NAN, "", "composition c = (sum sigma / N + 1) / 2"},
    {OF_K_F, "f", OT_F64, SH_NS5, NAN, "", "phase fractions over the full-ring sites"},
    {OF_K_DA, "dA_rms", OT_F64, SH_NS, NAN, "a^2", "RMS local area deviation (2D; NaN where not computed)"},
    {OF_K_EVENTS, "events", OT_I64, SH_2, -1, "", "events performed: exchange, swap"},
    {OF_K_TEND, "t_end", OT_F64, SH_1, NAN, "1/k_diff0", "time at which the trajectory ended"},
    {OF_K_STOP, "stop_reason", OT_I8, SH_1, -1, "",
     "0 t_max reached, 1 c <= c_stop, 2 event budget exhausted, 3 no event left"},
    {OF_K_SNAPT, "snapshot_time", OT_F64, SH_NSNAP, NAN, "1/k_diff0", "times of the snapshots"},
    {OF_K_SNAP, "snapshots", OT_I8, SH_SNAP, 0, "", "sigma (+1 A, -1 B) at the snapshot times, 0-padded to Nmax"},
    {OF_K_FINT, "f_interior", OT_F64, SH_NS5, NAN, "",
     "phase fractions over the sites of layer >= interior_layers (study attribute)"},
    {OF_V_SUM, "V_checksum", OT_I64, SH_1, 0, "",
     "FNV-1a 64-bit hash of the task's V_eff (N x N native doubles, row-major), 0 if no V was used"},
};

static const ofield_info eq_fields[] = {
    {OF_E_FMEAN, "f_mean", OT_F64, SH_5, NAN, "", "mean phase fractions over the interior core"},
    {OF_E_FERR, "f_err", OT_F64, SH_5, NAN, "", "standard errors of f_mean (blocking)"},
    {OF_E_FUMEAN, "fU_mean", OT_F64, SH_1, NAN, "", "mean of f_U = f_U1 + f_U2"},
    {OF_E_FUERR, "fU_err", OT_F64, SH_1, NAN, "", "standard error of fU_mean"},
    {OF_E_FUVAR, "fU_var", OT_F64, SH_1, NAN, "", "Var(f_U) = <f_U^2> - <f_U>^2"},
    {OF_E_FUVARERR, "fU_var_err", OT_F64, SH_1, NAN, "", "standard error of fU_var"},
    {OF_E_EMEAN, "E_mean", OT_F64, SH_1, NAN, "energy unit", "mean energy"},
    {OF_E_EERR, "E_err", OT_F64, SH_1, NAN, "energy unit", "standard error of E_mean"},
    {OF_E_EVAR, "E_var", OT_F64, SH_1, NAN, "energy unit^2", "variance of the energy"},
    {OF_E_EVARERR, "E_var_err", OT_F64, SH_1, NAN, "energy unit^2", "standard error of E_var"},
    {OF_E_DA2MEAN, "dA2_mean", OT_F64, SH_1, NAN, "a^4", "<Delta A^2> (NaN unless area_deviation)"},
    {OF_E_DA2ERR, "dA2_err", OT_F64, SH_1, NAN, "a^4", "standard error of dA2_mean"},
    {OF_E_TAUFU, "tau_fU", OT_F64, SH_1, NAN, "measured samples", "integrated autocorrelation time of f_U"},
    {OF_E_TAUE, "tau_E", OT_F64, SH_1, NAN, "measured samples", "integrated autocorrelation time of E"},
    {OF_E_ACC, "acceptance", OT_F64, SH_1, NAN, "", "acceptance ratio of the Kawasaki moves"},
    {OF_E_FUSERIES, "fU_series", OT_F64, SH_SERIES, NAN, "", "f_U at every measured sweep"},
    {OF_E_ESERIES, "E_series", OT_F64, SH_SERIES, NAN, "energy unit", "energy at every measured sweep"},
    {OF_E_SNAP, "snapshots", OT_I8, SH_SNAP, 0, "",
     "sigma (+1 A, -1 B) after every snapshot_every measured sweeps (study attribute), 0-padded to Nmax"},
    {OF_V_SUM, "V_checksum", OT_I64, SH_1, 0, "",
     "FNV-1a 64-bit hash of the task's V_eff (N x N native doubles, row-major), 0 if no V was used"},
};

static const ofield_info pot_fields[] = {
    {OF_P_V, "V", OT_F64, SH_V, NAN, "", "pair potential V_eff = P V P (N x N, 0-padded to Nmax)"},
    {OF_P_N, "n", OT_I32, SH_1, 0, "", "number of sites N of the task's lattice"},
    {OF_V_SUM, "V_checksum", OT_I64, SH_1, 0, "",
     "FNV-1a 64-bit hash of the task's V_eff (N x N native doubles, row-major), 0 if no V was used"},
};

/* Exchange studies (README "Output file", exchange studies): a leading axis
 * over the study's ladder tasks, then rungs (nr), pairs (nr - 1), bins,
 * stored samples or permutations. */
static const ofield_info exchange_fields[] = {
    {OF_X_KSHELL, "kshell", OT_F64, SH_XR, NAN, "", "K_shell of each rung (ascending)"},
    {OF_X_FMEAN, "f_mean", OT_F64, SH_XR5, NAN, "", "mean phase fractions over the interior core, per rung"},
    {OF_X_FERR, "f_err", OT_F64, SH_XR5, NAN, "", "standard errors of f_mean (blocking)"},
    {OF_X_FUMEAN, "fU_mean", OT_F64, SH_XR, NAN, "", "mean of f_U = f_U1 + f_U2 at each rung"},
    {OF_X_FUERR, "fU_err", OT_F64, SH_XR, NAN, "", "standard error of fU_mean (blocking)"},
    {OF_X_FUVAR, "fU_var", OT_F64, SH_XR, NAN, "",
     "Var(f_U) = <f_U^2> - <f_U>^2 over the series measured at the rung: the ladder's equilibrium variance"},
    {OF_X_FUVARERR, "fU_var_err", OT_F64, SH_XR, NAN, "", "standard error of fU_var (jackknife over 32 blocks)"},
    {OF_X_EMEAN, "E_mean", OT_F64, SH_XR, NAN, "energy unit", "mean energy under the rung's own potential"},
    {OF_X_EERR, "E_err", OT_F64, SH_XR, NAN, "energy unit", "standard error of E_mean (blocking)"},
    {OF_X_ACC, "acceptance", OT_F64, SH_XR, NAN, "", "acceptance ratio of the Kawasaki moves at each rung"},
    {OF_X_HIST, "fU_hist", OT_I64, SH_XHIST, -1, "counts",
     "histogram of the measured f_U at each rung; bin b = [b, b+1) / nb, the last closed (attribute bin_edges)"},
    {OF_X_SWAPATT, "swap_attempts", OT_I64, SH_XP, -1, "", "swap attempts of the pair (k, k+1), measurement phase"},
    {OF_X_SWAPACC, "swap_acceptance", OT_F64, SH_XP, NAN, "", "accepted / attempted swaps of the pair (k, k+1)"},
    {OF_X_TRIPS, "round_trips", OT_I64, SH_XR, -1, "",
     "completed rung 0 -> top -> rung 0 round trips of configuration r (the one that started at rung r)"},
    {OF_X_PERM, "permutation", OT_I32, SH_XPERM, -1, "",
     "configuration at rung k at the s-th stored point (after measured sweeps stride, 2 stride, ...)"},
    {OF_X_SFU, "sample_fU", OT_F64, SH_XS, NAN, "", "f_U of the configuration at rung k at stored sample s"},
    {OF_X_SE, "sample_energy", OT_F64, SH_XSE, NAN, "energy unit",
     "[t, s, k, l]: full energy under rung l's potential of the configuration at rung k at sample s"},
    {OF_X_SF, "sample_f", OT_F64, SH_XS5, NAN, "", "phase fractions of the configuration at rung k at sample s"},
    {OF_V_SUM, "V_checksum", OT_I64, SH_1, 0, "",
     "FNV-1a 64-bit hash continued over every rung's V_eff, bottom rung first (N x N native doubles, row-major)"},
};

static const char *const phase_names[CATEX_NUM_PHASES] = {"U1", "S1", "S2", "U2", "unclassified"};

size_t out_elsize(otype t)
{
  switch (t) {
  case OT_F64: case OT_I64: case OT_U64: return 8;
  case OT_I32: return 4;
  case OT_I8: return 1;
  case OT_STR: return CATEX_TASK_MESSAGE_LEN;
  }
  return 0;
}

hid_t out_h5type(const catex_output *o, otype t)
{
  switch (t) {
  case OT_F64: return H5T_NATIVE_DOUBLE;
  case OT_I64: return H5T_NATIVE_INT64;
  case OT_U64: return H5T_NATIVE_UINT64;
  case OT_I32: return H5T_NATIVE_INT32;
  case OT_I8: return H5T_NATIVE_INT8;
  case OT_STR: return o->strtype;
  }
  return -1;
}

static hid_t file_type(const catex_output *o, otype t)
{
  switch (t) {
  case OT_F64: return H5T_IEEE_F64LE;
  case OT_I64: return H5T_STD_I64LE;
  case OT_U64: return H5T_STD_U64LE;
  case OT_I32: return H5T_STD_I32LE;
  case OT_I8: return H5T_STD_I8LE;
  case OT_STR: return o->strtype;
  }
  return -1;
}

static const char *axes_name(oshape s)
{
  switch (s) {
  case SH_1: return "task";
  case SH_2: return "task, (exchange, swap)";
  case SH_5: return "task, phase";
  case SH_NS: return "task, sample";
  case SH_NS5: return "task, sample, phase";
  case SH_NSNAP: return "task, snapshot";
  case SH_SNAP: return "task, snapshot, site";
  case SH_SERIES: return "task, measured sample";
  case SH_V: return "task, site, site";
  case SH_XR: return "task, rung";
  case SH_XR5: return "task, rung, phase";
  case SH_XHIST: return "task, rung, bin";
  case SH_XP: return "task, pair";
  case SH_XPERM: return "task, permutation_point, rung";
  case SH_XS: return "task, sample, rung";
  case SH_XSE: return "task, sample, rung, rung";
  case SH_XS5: return "task, sample, rung, phase";
  }
  return "";
}

/* Fill value in the element type (a union so that H5Pset_fill_value gets the right bytes). */
typedef union {
  double d;
  long long l;
  unsigned long long u;
  int i;
  signed char c;
  char s[CATEX_TASK_MESSAGE_LEN];
} ofill;

/* The dataset of field fi for nrows tasks of study s (NULL: /tasks). */
static odset field_shape(const ofield_info *fi, int study, long nrows, long first_task, const catex_study *s)
{
  odset d;
  memset(&d, 0, sizeof d);
  d.field = fi->field;
  d.study = study;
  d.type = fi->type;
  d.nrows = nrows;
  d.first_task = first_task;
  d.nmax = s ? s->max_sites : 0;
  d.dims[0] = (hsize_t)nrows;
  d.rank = 1;
  long nmeas = s && s->stride > 0 ? s->measure / s->stride : 0;
  const int nr = s ? s->nvalues[CATEX_PARAM_KSHELL] : 0;
  const long nsamp = s && s->sample_stride > 0 ? s->measure / s->sample_stride : 0;
  const long nperm = s && s->permutation_stride > 0 ? s->measure / s->permutation_stride : 0;
  switch (fi->shape) {
  case SH_1: break;
  case SH_2: d.rank = 2; d.dims[1] = 2; break;
  case SH_5: d.rank = 2; d.dims[1] = CATEX_NUM_PHASES; break;
  case SH_NS: d.rank = 2; d.dims[1] = (hsize_t)s->samples; break;
  case SH_NS5: d.rank = 3; d.dims[1] = (hsize_t)s->samples; d.dims[2] = CATEX_NUM_PHASES; break;
  case SH_NSNAP: d.rank = 2; d.dims[1] = (hsize_t)s->nsnapshots; break;
  case SH_SNAP: d.rank = 3; d.dims[1] = (hsize_t)s->nsnapshots; d.dims[2] = (hsize_t)s->max_sites; break;
  case SH_SERIES: d.rank = 2; d.dims[1] = (hsize_t)nmeas; break;
  case SH_V: d.rank = 3; d.dims[1] = d.dims[2] = (hsize_t)s->max_sites; break;
  case SH_XR: d.rank = 2; d.dims[1] = (hsize_t)nr; break;
  case SH_XR5: d.rank = 3; d.dims[1] = (hsize_t)nr; d.dims[2] = CATEX_NUM_PHASES; break;
  case SH_XHIST: d.rank = 3; d.dims[1] = (hsize_t)nr; d.dims[2] = (hsize_t)s->hist_bins; break;
  case SH_XP: d.rank = 2; d.dims[1] = (hsize_t)(nr - 1); break;
  case SH_XPERM: d.rank = 3; d.dims[1] = (hsize_t)nperm; d.dims[2] = (hsize_t)nr; break;
  case SH_XS: d.rank = 3; d.dims[1] = (hsize_t)nsamp; d.dims[2] = (hsize_t)nr; break;
  case SH_XSE: d.rank = 4; d.dims[1] = (hsize_t)nsamp; d.dims[2] = d.dims[3] = (hsize_t)nr; break;
  case SH_XS5: d.rank = 4; d.dims[1] = (hsize_t)nsamp; d.dims[2] = (hsize_t)nr; d.dims[3] = CATEX_NUM_PHASES; break;
  }
  d.rowlen = 1;
  for (int k = 1; k < d.rank; k++) d.rowlen *= (size_t)d.dims[k];
  return d;
}

/* bin_edges of fU_hist, stride of the stored permutations and samples. */
static catex_status exchange_attrs(hid_t dset, const ofield_info *fi, const catex_study *s, catex_error *err)
{
  if (fi->field == OF_X_HIST) {
    const int nb = s->hist_bins;
    double *edges = malloc(sizeof(double) * (size_t)(nb + 1));
    if (!edges) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    for (int b = 0; b <= nb; b++) edges[b] = (double)b / nb;
    hsize_t dim = (hsize_t)(nb + 1);
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t a = sp >= 0 ? H5Acreate2(dset, "bin_edges", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int bad = a < 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, edges) < 0;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    free(edges);
    if (bad) return catex_error_set(err, CATEX_ERR_IO, "cannot write attribute bin_edges");
    return CATEX_OK;
  }
  if (fi->field == OF_X_PERM) return out_attr_long(dset, "stride", s->permutation_stride, err);
  if (fi->field == OF_X_SFU || fi->field == OF_X_SE || fi->field == OF_X_SF)
    return out_attr_long(dset, "stride", s->sample_stride, err);
  return CATEX_OK;
}

static catex_status open_or_create(catex_output *o, hid_t loc, const ofield_info *fi, int study, long nrows,
                                   long first_task, const catex_study *s, int create, catex_error *err)
{
  odset d = field_shape(fi, study, nrows, first_task, s);
  catex_status st = CATEX_OK;
  hid_t space = -1, dcpl = -1;
  if (create) {
    ofill fill;
    memset(&fill, 0, sizeof fill);
    switch (fi->type) {
    case OT_F64: fill.d = fi->fill; break;
    case OT_I64: fill.l = (long long)fi->fill; break;
    case OT_U64: fill.u = (unsigned long long)fi->fill; break;
    case OT_I32: fill.i = (int)fi->fill; break;
    case OT_I8: fill.c = (signed char)fi->fill; break;
    case OT_STR: break;
    }
    space = H5Screate_simple(d.rank, d.dims, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (space < 0 || dcpl < 0 || H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 ||
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 || H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) < 0 ||
        H5Pset_fill_value(dcpl, out_h5type(o, fi->type), &fill) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0) {
      st = catex_error_set(err, CATEX_ERR_IO, "cannot set up dataset '%s'", fi->name);
      goto done;
    }
    d.dset = H5Dcreate2(loc, fi->name, file_type(o, fi->type), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d.dset < 0) {
      st = catex_error_set(err, CATEX_ERR_IO, "cannot create dataset '%s'", fi->name);
      goto done;
    }
    if ((st = out_attr_string(d.dset, "units", fi->units, err)) || (st = out_attr_string(d.dset, "description", fi->description, err)) ||
        (st = out_attr_string(d.dset, "axes", axes_name(fi->shape), err)))
      goto done;
    if (fi->shape == SH_NS5 || fi->shape == SH_5 || fi->shape == SH_XR5 || fi->shape == SH_XS5)
      if ((st = out_attr_strings(d.dset, "phases", phase_names, CATEX_NUM_PHASES, err))) goto done;
    if ((st = exchange_attrs(d.dset, fi, s, err))) goto done;
  } else {
    if (H5Lexists(loc, fi->name, H5P_DEFAULT) <= 0) {
      st = catex_error_set(err, CATEX_ERR_IO, "dataset '%s' is missing", fi->name);
      goto done;
    }
    d.dset = H5Dopen2(loc, fi->name, H5P_DEFAULT);
    space = d.dset >= 0 ? H5Dget_space(d.dset) : -1;
    hsize_t fd[4] = {0, 0, 0, 0};
    int r = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (r == d.rank) H5Sget_simple_extent_dims(space, fd, NULL);
    if (r != d.rank || memcmp(fd, d.dims, sizeof fd) != 0) {
      st = catex_error_set(err, CATEX_ERR_IO, "dataset '%s' does not have the shape this job needs", fi->name);
      goto done;
    }
  }
  o->dsets[o->ndsets++] = d;
  d.dset = -1;
done:
  if (d.dset >= 0) H5Dclose(d.dset);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return st;
}

static int field_wanted(const catex_study *s, ofield f)
{
  switch (f) {
  case OF_K_SNAPT: case OF_K_SNAP: case OF_E_SNAP: return s->nsnapshots > 0;
  case OF_E_FUSERIES: case OF_E_ESERIES: return s->series && s->stride > 0 && s->measure / s->stride > 0;
  case OF_X_PERM: return s->permutation_stride > 0;
  case OF_X_SFU: case OF_X_SE: case OF_X_SF: return s->sample_stride > 0;
  default: return 1;
  }
}

static const ofield_info *study_fields(const catex_study *s, size_t *n)
{
  switch (s->kind) {
  case CATEX_STUDY_KMC: *n = sizeof kmc_fields / sizeof kmc_fields[0]; return kmc_fields;
  case CATEX_STUDY_EQUILIBRIUM: *n = sizeof eq_fields / sizeof eq_fields[0]; return eq_fields;
  case CATEX_STUDY_EXCHANGE: *n = sizeof exchange_fields / sizeof exchange_fields[0]; return exchange_fields;
  default: *n = sizeof pot_fields / sizeof pot_fields[0]; return pot_fields;
  }
}

/* An upper bound of the file's size (catex_output_create pre-allocates it,
 * so that no write of the creation can meet a full disk): the result
 * datasets exactly, plus bounds of the static content (output_static.c) and
 * of HDF5's metadata. Static per-task columns: at most every parameter
 * (float64) and replica, study (int32) and index (int64), once in /tasks and
 * once in the study. Lattices: at most max_sites sites of positions
 * (3 float64), layer (int32), shell and boundary (int8). Metadata: 8 KiB per
 * object (header, attributes, B-tree and heap of a group; measured: ~1.5 KiB
 * per dataset with its attributes), the job text twice (attribute and its
 * heap copy) and 64 KiB for the superblock and root. Checked against real
 * files by tests/test_fault_disk.py. */
static double estimate_static_and_metadata(const catex_job *job)
{
  const double per_object = 8192, per_task = 2.0 * CATEX_NUM_PARAMS * 8 + 2 * 4 + 4 + 8;
  double bytes = 65536 + 2.0 * (double)strlen(catex_job_text(job));
  double objects = 3 + sizeof task_fields / sizeof task_fields[0] + CATEX_NUM_PARAMS + 3;
  bytes += per_task * (double)catex_job_num_tasks(job);
  for (int k = 0; k < catex_job_num_studies(job); k++) {
    const catex_study *s = catex_job_study(job, k);
    const double nlat = catex_study_num_lattices(s);
    objects += 2 + sizeof eq_fields / sizeof eq_fields[0] + sizeof kmc_fields / sizeof kmc_fields[0] +
               sizeof exchange_fields / sizeof exchange_fields[0] + CATEX_NUM_PARAMS + 1 + 5 * nlat;
    bytes += nlat * (double)s->max_sites * (3 * 8 + 4 + 1 + 1);
  }
  /* /provenance: a group, its attributes and five string datasets; the
   * coordinate datasets of the dimension scales: the axes of /tasks and of
   * each study group (fewer than 16 distinct names each) */
  objects += 6 + 16.0 * (1 + catex_job_num_studies(job));
  return bytes + per_object * objects;
}

/* Dimension scales (output_dims.c) of one dataset: the values of a
 * coordinate dataset per axis (8 bytes each; datasets of a group share
 * their axes, so counting them per dataset is an upper bound) and the
 * references that attach it. The coordinate datasets themselves are
 * objects, counted per group in estimate_static_and_metadata. */
static double estimate_dimension_scales(const odset *d)
{
  const double per_attachment = 256;
  double bytes = 0;
  for (int a = 0; a < d->rank; a++) bytes += 8.0 * (double)d->dims[a] + per_attachment;
  return bytes;
}

double catex_output_estimate_bytes(const catex_job *job, char *largest, size_t nlargest)
{
  double total = estimate_static_and_metadata(job), most = -1;
  for (size_t i = 0; i < sizeof task_fields / sizeof task_fields[0]; i++) {
    odset d = field_shape(&task_fields[i], -1, catex_job_num_tasks(job), 0, NULL);
    total += (double)d.nrows * (double)d.rowlen * (double)out_elsize(d.type) + estimate_dimension_scales(&d);
  }
  for (int k = 0; k < catex_job_num_studies(job); k++) {
    const catex_study *s = catex_job_study(job, k);
    size_t n;
    const ofield_info *tab = study_fields(s, &n);
    for (size_t i = 0; i < n; i++) {
      if (!field_wanted(s, tab[i].field)) continue;
      odset d = field_shape(&tab[i], k, s->ntasks, s->first_task, s);
      double bytes = (double)d.nrows * (double)d.rowlen * (double)out_elsize(d.type);
      total += bytes + estimate_dimension_scales(&d);
      if (bytes > most && largest) {
        most = bytes;
        snprintf(largest, nlargest, "/studies/%s/%s", s->name, tab[i].name);
      }
    }
  }
  return total;
}

static hid_t group(hid_t loc, const char *name, int create)
{
  if (!create) return H5Gopen2(loc, name, H5P_DEFAULT);
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  if (gcpl < 0) return -1;
  hid_t g = H5Pset_obj_track_times(gcpl, 0) < 0 ? -1 : H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  return g;
}

catex_status out_layout(catex_output *o, int create, catex_error *err)
{
  const catex_job *job = o->job;
  int nst = catex_job_num_studies(job);
  int max = (int)(sizeof task_fields / sizeof task_fields[0]) +
            nst * (int)(sizeof eq_fields / sizeof eq_fields[0] + sizeof kmc_fields / sizeof kmc_fields[0] +
                        sizeof exchange_fields / sizeof exchange_fields[0]);
  o->dsets = calloc((size_t)max, sizeof *o->dsets);
  if (!o->dsets) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  o->ndsets = 0;
  catex_status st = CATEX_OK;
  hid_t tasks = -1, studies = -1, g = -1;
  if (create) {
    hid_t jg = group(o->file, "job", 1);
    if (jg < 0) return catex_error_set(err, CATEX_ERR_IO, "cannot create group /job");
    H5Gclose(jg);
  }
  tasks = group(o->file, "tasks", create);
  studies = group(o->file, "studies", create);
  if (tasks < 0 || studies < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot %s groups /tasks and /studies", create ? "create" : "open");
    goto done;
  }
  for (size_t i = 0; i < sizeof task_fields / sizeof task_fields[0]; i++)
    if ((st = open_or_create(o, tasks, &task_fields[i], -1, catex_job_num_tasks(job), 0, NULL, create, err)))
      goto done;
  for (int k = 0; k < nst; k++) {
    const catex_study *s = catex_job_study(job, k);
    if (!create && H5Lexists(studies, s->name, H5P_DEFAULT) <= 0) {
      st = catex_error_set(err, CATEX_ERR_IO, "group /studies/%s is missing", s->name);
      goto done;
    }
    g = group(studies, s->name, create);
    if (g < 0) {
      st = catex_error_set(err, CATEX_ERR_IO, "cannot %s group /studies/%s", create ? "create" : "open", s->name);
      goto done;
    }
    size_t n;
    const ofield_info *tab = study_fields(s, &n);
    for (size_t i = 0; i < n; i++) {
      if (!field_wanted(s, tab[i].field)) continue;
      if ((st = open_or_create(o, g, &tab[i], k, s->ntasks, s->first_task, s, create, err))) {
        catex_error_prefix(err, st, "/studies/%s", s->name);
        goto done;
      }
    }
    H5Gclose(g);
    g = -1;
  }
done:
  if (g >= 0) H5Gclose(g);
  if (tasks >= 0) H5Gclose(tasks);
  if (studies >= 0) H5Gclose(studies);
  return st;
}
