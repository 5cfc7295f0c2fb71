/* HDF5 dimension scales (H5DS, hdf5_hl) for the result datasets, so that
 * netCDF-style readers (xarray with h5netcdf or netCDF4) see named
 * dimensions with coordinate variables instead of anonymous ones:
 *
 *   xarray.open_dataset(f, group="studies/<name>", engine="h5netcdf")
 *
 * Generic over the dataset table: every dataset of /tasks and of each
 * /studies/<name> group that carries an `axes` attribute ("task, sample,
 * phase") gets one scale per axis, so datasets added to the table later get
 * theirs for free. Per-task parameter columns (1-D, one row per task, no
 * `axes`) get the task axis. Axis names become dimension names with spaces
 * turned into underscores; a parenthesised list of labels, as in
 * "task, (exchange, swap)", becomes the dimension "<dataset>_kind" with the
 * labels as its coordinate; an axis repeated within a dataset ("site,
 * site") gets a "_2" suffix the second time. Coordinates: `task` holds the
 * global task ids, `phase` the phase names (the dataset's `phases`
 * attribute), labelled axes their labels, every other axis 0, 1, 2, ...
 *
 * Scales are created and attached at creation, before the rename: they are
 * metadata and the kill-safety rule of output.h forbids metadata writes
 * afterwards. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5_hl.h>

#include "output_internal.h"

enum { MAX_AXES = 4, NAME_LEN = 64, LABEL_LEN = 32, MAX_LABELS = 16, MAX_DIMS = 64 };

typedef struct {
  char name[NAME_LEN];
  hsize_t size;
  int nlabels;
  char labels[MAX_LABELS][LABEL_LEN];
} dimdef;

typedef struct {
  char name[NAME_LEN];
  int rank;
  hsize_t dims[MAX_AXES];
  int dim[MAX_AXES]; /* index into the group's dimdefs */
} dsdef;

typedef struct {
  dsdef *ds;
  int nds, cap;
} dslist;

/* (H5Oopen + H5Iget_type: the same calls in HDF5 1.10, 1.12 and 1.14) */
static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *ctx)
{
  (void)info;
  hid_t obj = H5Oopen(g, name, H5P_DEFAULT);
  if (obj < 0) return -1;
  const int dataset = H5Iget_type(obj) == H5I_DATASET;
  H5Oclose(obj);
  if (!dataset) return 0;
  dslist *l = ctx;
  if (l->nds == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 32;
    dsdef *n = realloc(l->ds, sizeof *n * (size_t)l->cap);
    if (!n) return -1;
    l->ds = n;
  }
  memset(&l->ds[l->nds], 0, sizeof l->ds[0]);
  snprintf(l->ds[l->nds].name, NAME_LEN, "%s", name);
  l->nds++;
  return 0;
}

/* Splits "a, (b, c), d" at top-level commas into trimmed tokens. */
static int split_axes(const char *axes, char tok[MAX_AXES][256])
{
  int n = 0, depth = 0;
  size_t k = 0;
  for (const char *p = axes;; p++) {
    if (*p == '(') depth++;
    if (*p == ')') depth--;
    if (*p == '\0' || (*p == ',' && depth == 0)) {
      if (n == MAX_AXES) return -1;
      tok[n][k] = '\0';
      char *s = tok[n];
      while (*s == ' ') s++;
      memmove(tok[n], s, strlen(s) + 1);
      for (size_t e = strlen(tok[n]); e > 0 && tok[n][e - 1] == ' '; e--) tok[n][e - 1] = '\0';
      n++;
      k = 0;
      if (*p == '\0') break;
      continue;
    }
    if (k < 255) tok[n][k++] = *p;
  }
  return n;
}

static int find_or_add(dimdef *defs, int *ndefs, const dimdef *d)
{
  for (int i = 0; i < *ndefs; i++)
    if (strcmp(defs[i].name, d->name) == 0 && defs[i].size == d->size) return i;
  if (*ndefs == MAX_DIMS) return -1;
  defs[*ndefs] = *d;
  /* the same name with another size (not made by catex's own table) */
  for (int i = 0; i < *ndefs; i++)
    if (strcmp(defs[i].name, d->name) == 0)
      snprintf(defs[*ndefs].name, NAME_LEN, "%.40s_%llu", d->name, (unsigned long long)d->size);
  return (*ndefs)++;
}

/* The dimension of axis token tok (size n) of dataset ds. */
static void axis_def(const char *ds, hid_t dset, const char *tok, hsize_t n, dimdef *d)
{
  memset(d, 0, sizeof *d);
  d->size = n;
  if (tok[0] == '(') {
    snprintf(d->name, NAME_LEN, "%.50s_kind", ds);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", tok + 1);
    char *close = strchr(buf, ')');
    if (close) *close = '\0';
    for (char *save = NULL, *l = strtok_r(buf, ",", &save); l && d->nlabels < MAX_LABELS;
         l = strtok_r(NULL, ",", &save)) {
      while (*l == ' ') l++;
      snprintf(d->labels[d->nlabels++], LABEL_LEN, "%s", l);
    }
    if ((hsize_t)d->nlabels != n) d->nlabels = 0;
    return;
  }
  size_t k = 0;
  for (const char *p = tok; *p && k < NAME_LEN - 1; p++) d->name[k++] = isalnum((unsigned char)*p) ? *p : '_';
  d->name[k] = '\0';
  if (strcmp(d->name, "phase") == 0 && H5Aexists(dset, "phases") > 0) {
    char *v[MAX_LABELS] = {0};
    hid_t a = H5Aopen(dset, "phases", H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    hssize_t m = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    if (m == (hssize_t)n && m <= MAX_LABELS && H5Tis_variable_str(t) > 0 && H5Aread(a, t, v) >= 0) {
      for (int i = 0; i < (int)m; i++) snprintf(d->labels[i], LABEL_LEN, "%s", v[i] ? v[i] : "");
      d->nlabels = (int)m;
      H5Dvlen_reclaim(t, s, H5P_DEFAULT, v);
    }
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
  }
}

/* Creates the coordinate dataset of d in g and makes it a dimension scale;
 * rank 0 writes the values. */
static catex_status make_scale(catex_output *o, hid_t g, const dimdef *d, long first_task, hid_t *out,
                               catex_error *err)
{
  *out = -1;
  if (H5Lexists(g, d->name, H5P_DEFAULT) > 0)
    return catex_error_set(err, CATEX_ERR_INTERNAL, "dimension '%s' clashes with a dataset of that name", d->name);
  catex_status st = CATEX_OK;
  hsize_t n = d->size;
  hid_t space = H5Screate_simple(1, &n, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), type = -1, mtype = -1;
  hid_t ds = -1, ms = -1;
  void *buf = NULL;
  int task = strcmp(d->name, "task") == 0;
  if (d->nlabels > 0) {
    /* fixed-length (parallel HDF5 cannot write variable-length data); the
     * _Encoding attribute makes xarray decode them to str (ds.sel(phase="U1")) */
    type = H5Tcopy(H5T_C_S1);
    if (type >= 0 && (H5Tset_size(type, LABEL_LEN) < 0 || H5Tset_strpad(type, H5T_STR_NULLTERM) < 0)) {
      H5Tclose(type);
      type = -1;
    }
    mtype = type >= 0 ? H5Tcopy(type) : -1;
    buf = calloc(n ? n : 1, LABEL_LEN);
    if (buf)
      for (hsize_t i = 0; i < n; i++) memcpy((char *)buf + i * LABEL_LEN, d->labels[i], LABEL_LEN);
  } else {
    type = H5Tcopy(H5T_STD_I64LE);
    mtype = H5Tcopy(H5T_NATIVE_INT64);
    long long *v = malloc(sizeof *v * (n ? n : 1));
    if (v)
      for (hsize_t i = 0; i < n; i++) v[i] = (long long)i + (task ? first_task : 0);
    buf = v;
  }
  if (!buf) {
    st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    goto done;
  }
  if (space < 0 || dcpl < 0 || type < 0 || mtype < 0 || H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 ||
      H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0 ||
      (ds = H5Dcreate2(g, d->name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0 ||
      (ms = H5Screate_simple(1, &n, NULL)) < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot create dimension '%s'", d->name);
    goto done;
  }
  if (o->rank != 0) {
    H5Sselect_none(ms);
    H5Sselect_none(space);
  }
  if (H5Dwrite(ds, mtype, ms, space, o->dxpl, buf) < 0 || H5DSset_scale(ds, d->name) < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot write dimension '%s'", d->name);
    goto done;
  }
  if (d->nlabels > 0 && (st = out_attr_string(ds, "_Encoding", "utf-8", err))) goto done;
  *out = ds;
  ds = -1;
done:
  free(buf);
  if (ds >= 0) H5Dclose(ds);
  if (ms >= 0) H5Sclose(ms);
  if (type >= 0) H5Tclose(type);
  if (mtype >= 0) H5Tclose(mtype);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return st;
}

/* Reads shape and axes of every dataset of g, then creates and attaches. */
static catex_status scale_group(catex_output *o, hid_t g, long first_task, long ntasks, catex_error *err)
{
  dslist l = {0};
  dimdef defs[MAX_DIMS];
  int ndefs = 0;
  hid_t scales[MAX_DIMS];
  for (int i = 0; i < MAX_DIMS; i++) scales[i] = -1;
  catex_status st = CATEX_OK;
  /* name order: the same on every rank */
  if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect, &l) < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot list a group's datasets");
    goto done;
  }
  int nused = 0;
  for (int i = 0; i < l.nds; i++) {
    dsdef *x = &l.ds[i];
    hid_t d = H5Dopen2(g, x->name, H5P_DEFAULT), s = d >= 0 ? H5Dget_space(d) : -1;
    x->rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (x->rank > 0 && x->rank <= MAX_AXES) H5Sget_simple_extent_dims(s, x->dims, NULL);
    char tok[MAX_AXES][256];
    int ntok = -1;
    if (d >= 0 && H5Aexists(d, "axes") > 0) {
      char *axes = NULL;
      catex_error e;
      if (out_attr_read_string(d, "axes", &axes, &e) == CATEX_OK) ntok = split_axes(axes, tok);
      free(axes);
    } else if (x->rank == 1 && (long)x->dims[0] == ntasks) {
      snprintf(tok[0], sizeof tok[0], "task");
      ntok = 1;
    }
    if (ntok != x->rank || x->rank <= 0 || x->rank > MAX_AXES) x->rank = 0; /* not scaled */
    for (int a = 0; a < x->rank; a++) {
      dimdef def;
      axis_def(x->name, d, tok[a], x->dims[a], &def);
      for (int b = 0; b < a; b++)
        if (strcmp(defs[x->dim[b]].name, def.name) == 0 || strncmp(defs[x->dim[b]].name, def.name, NAME_LEN) == 0) {
          char base[NAME_LEN];
          snprintf(base, sizeof base, "%s", def.name);
          snprintf(def.name, NAME_LEN, "%.50s_2", base);
        }
      x->dim[a] = find_or_add(defs, &ndefs, &def);
      if (x->dim[a] < 0) x->rank = 0;
    }
    if (s >= 0) H5Sclose(s);
    if (d >= 0) H5Dclose(d);
  }
  for (int k = 0; k < ndefs; k++)
    if ((st = make_scale(o, g, &defs[k], first_task, &scales[k], err))) goto done;
  for (int i = 0; i < l.nds && !st; i++) {
    dsdef *x = &l.ds[i];
    if (x->rank == 0) continue;
    hid_t d = H5Dopen2(g, x->name, H5P_DEFAULT);
    for (int a = 0; a < x->rank && !st; a++)
      if (d < 0 || H5DSattach_scale(d, scales[x->dim[a]], (unsigned)a) < 0)
        st = catex_error_set(err, CATEX_ERR_IO, "cannot attach dimension '%s' to '%s'", defs[x->dim[a]].name,
                             x->name);
    if (d >= 0) H5Dclose(d);
    nused++;
  }
  (void)nused;
done:
  for (int k = 0; k < ndefs; k++)
    if (scales[k] >= 0) H5Dclose(scales[k]);
  free(l.ds);
  return st;
}

catex_status out_attach_dimension_scales(catex_output *o, catex_error *err)
{
  const catex_job *job = o->job;
  hid_t g = H5Gopen2(o->file, "tasks", H5P_DEFAULT);
  if (g < 0) return catex_error_set(err, CATEX_ERR_IO, "cannot open /tasks");
  catex_status st = scale_group(o, g, 0, catex_job_num_tasks(job), err);
  H5Gclose(g);
  if (st) return catex_error_prefix(err, st, "/tasks");
  for (int k = 0; k < catex_job_num_studies(job) && !st; k++) {
    const catex_study *s = catex_job_study(job, k);
    char path[128];
    snprintf(path, sizeof path, "studies/%s", s->name);
    if ((g = H5Gopen2(o->file, path, H5P_DEFAULT)) < 0)
      return catex_error_set(err, CATEX_ERR_IO, "cannot open /%s", path);
    st = scale_group(o, g, s->first_task, s->ntasks, err);
    H5Gclose(g);
    if (st) catex_error_prefix(err, st, "/%s", path);
  }
  return st;
}
