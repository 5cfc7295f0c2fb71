/* Content of the output file that is known before any task runs: the job,
 * every task's parameters, the studies' attributes and lattices. Written
 * once, at creation, before the file is renamed into place. Rank 0 supplies
 * the data; the other ranks take part in the collective writes with empty
 * selections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catex/lattice.h"
#include "output_internal.h"

/* Creates dataset `name` (dims[0..rank-1]) and writes `data` from rank 0. */
static catex_status write_full(catex_output *o, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                               const hsize_t *dims, const void *data, const char *units, const char *desc,
                               catex_error *err)
{
  catex_status st = CATEX_OK;
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t d = -1, ms = -1;
  if (space < 0 || dcpl < 0 || H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 ||
      H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0 ||
      (d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot create dataset '%s'", name);
    goto done;
  }
  if (o->rank == 0) {
    ms = H5Screate_simple(rank, dims, NULL);
  } else {
    ms = H5Screate_simple(rank, dims, NULL);
    if (ms >= 0) H5Sselect_none(ms);
    H5Sselect_none(space);
  }
  static const char dummy = 0;
  if (ms < 0 || H5Dwrite(d, mtype, ms, space, o->dxpl, data ? data : (const void *)&dummy) < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot write dataset '%s'", name);
    goto done;
  }
  if ((st = out_attr_string(d, "units", units, err)) || (st = out_attr_string(d, "description", desc, err))) goto done;
done:
  if (ms >= 0) H5Sclose(ms);
  if (d >= 0) H5Dclose(d);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return st;
}

static const char *param_units(catex_param p)
{
  switch (p) {
  case CATEX_PARAM_KT: case CATEX_PARAM_EPS: case CATEX_PARAM_J: case CATEX_PARAM_DMU: return "energy unit";
  case CATEX_PARAM_T_MAX: return "1/k_diff0";
  case CATEX_PARAM_SIDE: case CATEX_PARAM_SHELL_LAYERS: return "sites";
  default: return "";
  }
}

static const char *param_desc(catex_param p)
{
  switch (p) {
  case CATEX_PARAM_SIDE: return "core side (hexagon) or core edge L (cube)";
  case CATEX_PARAM_SHELL_LAYERS: return "shell layers around the core";
  case CATEX_PARAM_KSHELL: return "shell-shell bond stiffness K_shell";
  case CATEX_PARAM_KT: return "temperature kT";
  case CATEX_PARAM_EPS: return "elastic coupling eps";
  case CATEX_PARAM_J: return "Ising coupling J";
  case CATEX_PARAM_DMU: return "chemical potential difference dmu";
  case CATEX_PARAM_COMPOSITION: return "initial core composition c";
  case CATEX_PARAM_T_MAX: return "KMC end time";
  default: return "";
  }
}

/* Per-task columns for tasks first .. first + n - 1 (rank 0 fills them). */
static catex_status write_task_columns(catex_output *o, hid_t loc, long first, long n, int all, catex_error *err)
{
  const catex_job *job = o->job;
  hsize_t dim = (hsize_t)n;
  catex_status st = CATEX_OK;
  double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
  long long *l = malloc((size_t)(n > 0 ? n : 1) * sizeof *l);
  int *in = malloc((size_t)(n > 0 ? n : 1) * sizeof *in);
  if (!v || !l || !in) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  /* the writes below are collective: every rank skips them, or none does */
  if ((st = out_agree(o, st, err))) goto done;
  const catex_study *s0 = all ? NULL : catex_job_study(job, catex_job_task(job, first)->study);
  for (int p = 0; p < CATEX_NUM_PARAMS; p++) {
    if (s0 && !catex_param_applies(s0->kind, (catex_param)p)) continue;
    for (long t = 0; t < n; t++) v[t] = catex_job_task(job, first + t)->value[p];
    if ((st = write_full(o, loc, catex_param_name((catex_param)p), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dim, v,
                         param_units((catex_param)p), param_desc((catex_param)p), err)))
      goto done;
  }
  for (long t = 0; t < n; t++) in[t] = catex_job_task(job, first + t)->replica;
  if ((st = write_full(o, loc, "replica", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &dim, in, "",
                       "replica (equilibrium) or trajectory (kmc) number", err)))
    goto done;
  if (all) {
    for (long t = 0; t < n; t++) in[t] = catex_job_task(job, t)->study;
    if ((st = write_full(o, loc, "study", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &dim, in, "", "study index", err)))
      goto done;
    for (long t = 0; t < n; t++) l[t] = catex_job_task(job, t)->index;
    if ((st = write_full(o, loc, "index", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, &dim, l, "",
                         "index of the task within its study (row of the study's datasets)", err)))
      goto done;
  }
done:
  free(v);
  free(l);
  free(in);
  return st;
}

static catex_status write_lattice(catex_output *o, hid_t loc, const catex_study *s, int side, int shell,
                                  catex_error *err)
{
  char name[64];
  snprintf(name, sizeof name, "%d_%d", side, shell);
  catex_status st = CATEX_OK;
  catex_lattice *lat = NULL;
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  hid_t g = gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) >= 0 ? H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
  signed char *b8 = NULL, *s8 = NULL;
  if (g < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot create lattice group %s", name);
    goto done;
  }
  catex_lattice_spec spec = {s->lattice, side, shell, 1.0};
  st = catex_lattice_create(&spec, &lat, err); /* every rank: the shapes must agree */
  if (!st) {
    b8 = malloc((size_t)catex_lattice_num_sites(lat));
    s8 = malloc((size_t)catex_lattice_num_sites(lat));
    if (!b8 || !s8) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  }
  /* the writes below are collective: every rank skips them, or none does */
  if ((st = out_agree(o, st, err))) goto done;
  int n = catex_lattice_num_sites(lat), dim = catex_lattice_dim(lat);
  for (int i = 0; i < n; i++) {
    b8[i] = (signed char)catex_lattice_boundary(lat)[i];
    s8[i] = (signed char)catex_lattice_shell(lat)[i];
  }
  hsize_t dims[2] = {(hsize_t)n, (hsize_t)dim};
  if ((st = write_full(o, g, "positions", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, catex_lattice_positions(lat),
                       "a", "site positions in lattice constants (site order of catex_lattice)", err)) ||
      (st = write_full(o, g, "layer", H5T_STD_I32LE, H5T_NATIVE_INT, 1, dims, catex_lattice_layer(lat), "",
                       "layer index, 1 = outermost", err)) ||
      (st = write_full(o, g, "shell", H5T_STD_I8LE, H5T_NATIVE_SCHAR, 1, dims, s8, "", "1 on shell sites", err)) ||
      (st = write_full(o, g, "boundary", H5T_STD_I8LE, H5T_NATIVE_SCHAR, 1, dims, b8, "",
                       "1 on boundary (layer 1) sites", err)))
    goto done;
done:
  free(b8);
  free(s8);
  catex_lattice_destroy(lat);
  if (g >= 0) H5Gclose(g);
  if (gcpl >= 0) H5Pclose(gcpl);
  return st;
}

static catex_status write_study(catex_output *o, hid_t studies, int k, catex_error *err)
{
  const catex_study *s = catex_job_study(o->job, k);
  catex_status st = CATEX_OK;
  hid_t g = H5Gopen2(studies, s->name, H5P_DEFAULT), lg = -1, gcpl = -1;
  if (g < 0) return catex_error_set(err, CATEX_ERR_IO, "cannot open /studies/%s", s->name);
  const char *scanned[CATEX_NUM_PARAMS];
  int nscanned = 0;
  for (int p = 0; p < CATEX_NUM_PARAMS; p++)
    if (s->scanned[p]) scanned[nscanned++] = catex_param_name((catex_param)p);
  if ((st = out_attr_string(g, "kind", catex_study_kind_name(s->kind), err)) ||
      (st = out_attr_string(g, "lattice", catex_lattice_kind_name(s->lattice), err)) ||
      (st = out_attr_string(g, "nnn_mismatch", catex_study_nnn_name(s->nnn), err)) ||
      (st = out_attr_strings(g, "scanned", scanned, nscanned, err)) ||
      (st = out_attr_long(g, "first_task", s->first_task, err)) || (st = out_attr_long(g, "ntasks", s->ntasks, err)) ||
      (st = out_attr_long(g, "replicas", s->replicas, err)) || (st = out_attr_long(g, "Nmax", s->max_sites, err)))
    goto done;
  if (s->kind == CATEX_STUDY_KMC && (st = out_attr_long(g, "samples", s->samples, err))) goto done;
  if (s->kind == CATEX_STUDY_KMC && (st = out_attr_long(g, "interior_layers", s->interior_layers, err))) goto done;
  if (s->kind == CATEX_STUDY_EQUILIBRIUM && s->snapshot_every > 0 &&
      (st = out_attr_long(g, "snapshot_every", s->snapshot_every, err)))
    goto done;
  if ((st = write_task_columns(o, g, s->first_task, s->ntasks, 0, err))) goto done;
  gcpl = H5Pcreate(H5P_GROUP_CREATE);
  lg = gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) >= 0 ? H5Gcreate2(g, "lattices", H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
  if (lg < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot create /studies/%s/lattices", s->name);
    goto done;
  }
  for (int i = 0; i < catex_study_num_lattices(s); i++) {
    int side, shell;
    catex_study_lattice(s, i, &side, &shell);
    if ((st = write_lattice(o, lg, s, side, shell, err))) goto done;
  }
done:
  if (st) catex_error_prefix(err, st, "/studies/%s", s->name);
  if (lg >= 0) H5Gclose(lg);
  if (gcpl >= 0) H5Pclose(gcpl);
  H5Gclose(g);
  return st;
}

catex_status out_write_static(catex_output *o, catex_error *err)
{
  const catex_job *job = o->job;
  catex_status st = CATEX_OK;
  hid_t jg = -1, tg = -1, sg = -1;
  if ((st = out_attr_string(o->file, "catex_version", CATEX_VERSION, err)) ||
      (st = out_attr_long(o->file, "format_version", CATEX_OUTPUT_FORMAT_VERSION, err)))
    return st;
  jg = H5Gopen2(o->file, "job", H5P_DEFAULT);
  tg = H5Gopen2(o->file, "tasks", H5P_DEFAULT);
  sg = H5Gopen2(o->file, "studies", H5P_DEFAULT);
  if (jg < 0 || tg < 0 || sg < 0) {
    st = catex_error_set(err, CATEX_ERR_IO, "cannot open the top-level groups");
    goto done;
  }
  if ((st = out_attr_string(jg, "name", catex_job_name(job), err)) ||
      (st = out_attr_long(jg, "seed", catex_job_seed(job), err)) ||
      (st = out_attr_string(jg, "text", catex_job_text(job), err)) ||
      (st = out_attr_long(jg, "ntasks", catex_job_num_tasks(job), err)))
    goto done;
  if ((st = write_task_columns(o, tg, 0, catex_job_num_tasks(job), 1, err))) goto done;
  for (int k = 0; k < catex_job_num_studies(job); k++)
    if ((st = write_study(o, sg, k, err))) goto done;
done:
  if (jg >= 0) H5Gclose(jg);
  if (tg >= 0) H5Gclose(tg);
  if (sg >= 0) H5Gclose(sg);
  return st;
}
