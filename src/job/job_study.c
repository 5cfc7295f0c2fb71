/* One study of a job file: its keys (which depend on its kind), the values
 * of its parameters (scalar, list or {from, to, step}) and every check that
 * can be made on the study alone. */
#include "job_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  /* 0 .. CATEX_NUM_PARAMS-1 are the parameters, in catex_param order */
  K_NAME = CATEX_NUM_PARAMS, K_KIND, K_LATTICE, K_NNN, K_SWEEPS, K_STRIDE, K_SERIES, K_AREA, K_REPLICAS,
  K_TRAJECTORIES, K_SAMPLES, K_T_MIN, K_SNAPSHOTS, K_C_STOP, K_MAX_EVENTS, K_K_EX0, K_K_DIFF0, K_PETSC,
  K_INTERIOR, K_SNAP_EVERY, K_EXCHANGE_EVERY, K_HIST_BINS, K_SAMPLE_STRIDE, K_PERMUTATION_STRIDE, K_RANKS_PER_LADDER,
  NKEYS
};

static const char *const other_keys[NKEYS - CATEX_NUM_PARAMS] = {
    "name", "kind", "lattice", "nnn_mismatch", "sweeps", "stride", "series", "area_deviation", "replicas",
    "trajectories", "samples", "t_min", "snapshots", "c_stop", "max_events", "k_ex0", "k_diff0", "petsc_options",
    "interior_layers", "snapshot_every", "exchange_every", "hist_bins", "sample_stride", "permutation_stride",
    "ranks_per_ladder"};

#define KMC (1u << CATEX_STUDY_KMC)
#define EQ (1u << CATEX_STUDY_EQUILIBRIUM)
#define POT (1u << CATEX_STUDY_POTENTIAL)
#define EXC (1u << CATEX_STUDY_EXCHANGE)
#define ALL (KMC | EQ | POT | EXC)

/* Which kinds each key belongs to (README, "Keys of a study"). */
static const unsigned key_kinds[NKEYS] = {
    ALL, ALL, ALL, KMC | EQ | EXC, KMC | EQ | EXC, KMC | EQ | EXC, KMC | EQ | EXC, EQ | EXC, KMC, /* parameters */
    ALL, ALL, ALL, ALL, EQ | EXC, EQ | EXC, EQ | EXC, KMC | EQ | EXC, EQ | EXC, /* name .. replicas */
    KMC, KMC, KMC, KMC, KMC, KMC, KMC, KMC, ALL,                                /* trajectories .. petsc */
    KMC, EQ,                                                                    /* interior_layers, snapshot_every */
    EXC, EXC, EXC, EXC, EXC};                                                   /* exchange_every .. */

static const char *const kind_names[] = {"kmc", "equilibrium", "potential", "exchange"};

const char *catex_study_kind_name(catex_study_kind kind)
{
  return (unsigned)kind < CATEX_NUM_STUDY_KINDS ? kind_names[kind] : "unknown";
}

int catex_param_applies(catex_study_kind kind, catex_param p)
{
  return (unsigned)p < CATEX_NUM_PARAMS && (unsigned)kind < CATEX_NUM_STUDY_KINDS && (key_kinds[p] & (1u << kind));
}

int catex_param_is_integer(catex_param p) { return p == CATEX_PARAM_SIDE || p == CATEX_PARAM_SHELL_LAYERS; }

static const char *kinds_of(unsigned mask)
{
  switch (mask) {
  case KMC: return "kmc";
  case EQ: return "equilibrium";
  case POT: return "potential";
  case EXC: return "exchange";
  case EQ | EXC: return "equilibrium and exchange";
  case KMC | EQ | EXC: return "kmc, equilibrium and exchange";
  case KMC | EQ: return "kmc and equilibrium";
  default: return "all";
  }
}

/* The README's limits on a parameter value; line/key locate the value. */
static catex_status check_value(const jctx *c, int line, const char *key, catex_param p, double v)
{
  switch (p) {
  case CATEX_PARAM_SIDE:
  case CATEX_PARAM_SHELL_LAYERS:
    if (v != floor(v)) return jfail(c, line, key, "expected an integer, got %.17g", v);
    if (p == CATEX_PARAM_SIDE && v < 2) return jfail(c, line, key, "core side %g is too small (must be >= 2)", v);
    if (v < 0) return jfail(c, line, key, "%g is negative (must be >= 0)", v);
    if (v > 100000) return jfail(c, line, key, "%g is too large", v);
    return CATEX_OK;
  case CATEX_PARAM_KSHELL:
  case CATEX_PARAM_KT:
  case CATEX_PARAM_T_MAX:
    if (!(v > 0)) return jfail(c, line, key, "%g must be > 0", v);
    return CATEX_OK;
  case CATEX_PARAM_COMPOSITION:
    if (v < 0 || v > 1) return jfail(c, line, key, "%g is outside [0, 1]", v);
    return CATEX_OK;
  default:
    return CATEX_OK; /* eps, J, dmu: any finite value (finiteness checked by jnumber) */
  }
}

/* {from, to, step}: from + k step for k = 0, 1, ... while <= to (+ 1e-9 step,
 * so that a decimal step reaches the end it was meant to reach). */
static catex_status range_values(const jctx *c, const yaml_node_t *map, const char *path, double **vals, int *n)
{
  static const char *const rkeys[] = {"from", "to", "step"};
  jentry e[3];
  catex_status st = jkeys(c, map, path, "a range {from, to, step}", rkeys, 3, e);
  if (st) return st;
  double r[3];
  char key[256];
  for (int i = 0; i < 3; i++) {
    if (!e[i].value) return jfail(c, jline(map), path, "range is missing '%s' (write {from: a, to: b, step: h})", rkeys[i]);
    if ((st = jnumber(c, e[i].value, jpath(key, sizeof key, path, rkeys[i]), &r[i]))) return st;
  }
  const double from = r[0], to = r[1], step = r[2];
  if (!(step > 0)) return jfail(c, jline(e[2].value), jpath(key, sizeof key, path, "step"), "step %g must be > 0", step);
  if (from > to) return jfail(c, jline(map), path, "empty range: from %g is greater than to %g", from, to);
  double count = floor((to - from + 1e-9 * step) / step) + 1;
  if (!(count <= (double)CATEX_JOB_MAX_TASKS))
    return jfail(c, jline(map), path, "range has %.3g values (limit %ld)", count, CATEX_JOB_MAX_TASKS);
  *n = (int)count;
  *vals = malloc(sizeof(double) * (size_t)*n);
  if (!*vals) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory expanding %s", path);
  for (int k = 0; k < *n; k++) (*vals)[k] = from + k * step;
  if (fabs((*vals)[*n - 1] - to) <= 1e-9 * step) (*vals)[*n - 1] = to;
  return CATEX_OK;
}

/* A parameter's values from a scalar, a list or a range, each checked. */
static catex_status scan_values(const jctx *c, const yaml_node_t *node, const char *path, catex_param p,
                                double **vals, int *n)
{
  catex_status st = CATEX_OK;
  char key[300]; /* path (< 256) + "[index]" */
  *vals = NULL;
  *n = 0;
  if (node->type == YAML_MAPPING_NODE) {
    if ((st = range_values(c, node, path, vals, n))) goto fail;
    for (int k = 0; k < *n; k++)
      if ((st = check_value(c, jline(node), path, p, (*vals)[k]))) goto fail;
    return CATEX_OK;
  }
  if (node->type == YAML_SEQUENCE_NODE) {
    long len = node->data.sequence.items.top - node->data.sequence.items.start;
    if (len == 0) return jfail(c, jline(node), path, "empty list: a scan needs at least one value");
    *vals = malloc(sizeof(double) * (size_t)len);
    if (!*vals) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory reading %s", path);
    for (long i = 0; i < len; i++) {
      const yaml_node_t *item = jnode(c, node->data.sequence.items.start[i]);
      snprintf(key, sizeof key, "%s[%ld]", path, i);
      if (item && item->type != YAML_SCALAR_NODE) {
        st = jfail(c, jline(item), key, "expected a number, got %s (lists of a parameter hold plain values)", jtype(item));
        goto fail;
      }
      if ((st = jnumber(c, item, key, &(*vals)[i])) || (st = check_value(c, jline(item), key, p, (*vals)[i])))
        goto fail;
    }
    *n = (int)len;
    return CATEX_OK;
  }
  *vals = malloc(sizeof(double));
  if (!*vals) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory reading %s", path);
  if ((st = jnumber(c, node, path, *vals)) || (st = check_value(c, jline(node), path, p, **vals))) goto fail;
  *n = 1;
  return CATEX_OK;
fail:
  free(*vals);
  *vals = NULL;
  *n = 0;
  return st;
}

static catex_status one_value(catex_study *s, catex_param p, double v, const jctx *c)
{
  s->values[p] = malloc(sizeof(double));
  if (!s->values[p]) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory");
  s->values[p][0] = v;
  s->nvalues[p] = 1;
  return CATEX_OK;
}

static double max_of(const double *v, int n)
{
  double m = v[0];
  for (int i = 1; i < n; i++) m = v[i] > m ? v[i] : m;
  return m;
}

static double min_of(const double *v, int n)
{
  double m = v[0];
  for (int i = 1; i < n; i++) m = v[i] < m ? v[i] : m;
  return m;
}

static int name_ok(const char *s)
{
  if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return 0;
  for (; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
          *s == '.' || *s == '-'))
      return 0;
  return 1;
}

static catex_status parse_kind(const jctx *c, const jentry *e, const char *key, catex_study *s)
{
  const char *v;
  catex_status st = jstring(c, e->value, key, &v);
  if (st) return st;
  for (int i = 0; i < CATEX_NUM_STUDY_KINDS; i++)
    if (strcmp(v, kind_names[i]) == 0) { s->kind = (catex_study_kind)i; return CATEX_OK; }
  const char *hint = jsuggest(v, kind_names, CATEX_NUM_STUDY_KINDS);
  if (hint) return jfail(c, jline(e->value), key, "unknown kind '%s' (did you mean '%s'?)", v, hint);
  return jfail(c, jline(e->value), key, "unknown kind '%s' (expected kmc, equilibrium, potential or exchange)", v);
}

static catex_status parse_lattice(const jctx *c, const jentry *e, const char *key, catex_study *s)
{
  const char *v;
  catex_status st = jstring(c, e->value, key, &v);
  if (st) return st;
  catex_error lerr;
  if (catex_lattice_kind_parse(v, &s->lattice, &lerr) == CATEX_OK) return CATEX_OK;
  static const char *const names[] = {"hexagon", "cube"};
  const char *hint = jsuggest(v, names, 2);
  if (hint) return jfail(c, jline(e->value), key, "%s (did you mean '%s'?)", lerr.message, hint);
  return jfail(c, jline(e->value), key, "%s", lerr.message);
}

static catex_status parse_nnn(const jctx *c, const jentry *e, const char *key, catex_study *s)
{
  const char *v;
  catex_status st = jstring(c, e->value, key, &v);
  if (st) return st;
  if (strcmp(v, "unit") == 0) { s->nnn = CATEX_NNN_UNIT; return CATEX_OK; }
  if (strcmp(v, "geometric") == 0) { s->nnn = CATEX_NNN_GEOMETRIC; return CATEX_OK; }
  return jfail(c, jline(e->value), key, "unknown value '%s' (expected unit or geometric)", v);
}

static catex_status parse_sweeps(const jctx *c, const jentry *e, const char *path, catex_study *s)
{
  static const char *const keys[] = {"equilibrate", "measure"};
  jentry w[2];
  char key[256];
  catex_status st = jkeys(c, e->value, path, "{equilibrate: n, measure: n}", keys, 2, w);
  if (st) return st;
  for (int i = 0; i < 2; i++)
    if (!w[i].value) return jfail(c, jline(e->value), path, "missing '%s' (write {equilibrate: n, measure: n})", keys[i]);
  if ((st = jinteger(c, w[0].value, jpath(key, sizeof key, path, "equilibrate"), 0, 1e15, &s->equilibrate)))
    return st;
  double m;
  if ((st = jnumber(c, w[1].value, jpath(key, sizeof key, path, "measure"), &m))) return st;
  if (m == 0) return jfail(c, jline(w[1].value), key, "no measured sweeps: measure must be >= 1");
  return jinteger(c, w[1].value, key, 1, 1e15, &s->measure);
}

static catex_status parse_snapshots(const jctx *c, const jentry *e, const char *path, catex_study *s)
{
  const yaml_node_t *node = e->value;
  char key[300];
  catex_status st;
  if (node->type == YAML_MAPPING_NODE)
    return jfail(c, jline(node), path, "expected a list of times, got a mapping");
  long len = node->type == YAML_SEQUENCE_NODE ? node->data.sequence.items.top - node->data.sequence.items.start : 1;
  if (len > 100000) return jfail(c, jline(node), path, "%ld snapshots is too many (limit 100000)", len);
  if (len == 0) return CATEX_OK;
  s->snapshot_times = malloc(sizeof(double) * (size_t)len);
  if (!s->snapshot_times) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory reading %s", path);
  for (long i = 0; i < len; i++) {
    const yaml_node_t *item = node->type == YAML_SEQUENCE_NODE ? jnode(c, node->data.sequence.items.start[i]) : node;
    if (node->type == YAML_SEQUENCE_NODE) snprintf(key, sizeof key, "%s[%ld]", path, i);
    else snprintf(key, sizeof key, "%s", path);
    double t;
    if ((st = jnumber(c, item, key, &t))) return st;
    if (!(t > 0)) return jfail(c, jline(item), key, "snapshot time %g must be > 0", t);
    if (i > 0 && !(t > s->snapshot_times[i - 1]))
      return jfail(c, jline(item), key, "snapshot times must be increasing (%g after %g)", t, s->snapshot_times[i - 1]);
    s->snapshot_times[i] = t;
    s->nsnapshots = (int)i + 1;
  }
  return CATEX_OK;
}

/* Reports the first key (in file order) that does not belong to the kind. */
static catex_status check_kind_keys(const jctx *c, const jentry *e, const char *path, catex_study_kind kind)
{
  int worst = -1;
  for (int i = 0; i < NKEYS; i++)
    if (e[i].rank >= 0 && !(key_kinds[i] & (1u << kind)) && (worst < 0 || e[i].rank < e[worst].rank)) worst = i;
  if (worst < 0) return CATEX_OK;
  char key[256];
  const char *name = (const char *)e[worst].key->data.scalar.value;
  const char *hint = kind == CATEX_STUDY_KMC && worst == K_REPLICAS             ? " (kmc studies use 'trajectories')"
                     : kind == CATEX_STUDY_EQUILIBRIUM && worst == K_TRAJECTORIES ? " (equilibrium studies use 'replicas')"
                                                                                 : "";
  return jfail(c, jline(e[worst].key), jpath(key, sizeof key, path, name), "not a key of %s studies (only of %s)%s",
               kind_names[kind], kinds_of(key_kinds[worst]), hint);
}

static catex_status parse_params(const jctx *c, const jentry *e, const char *path, catex_study *s)
{
  char key[256];
  catex_status st;
  for (int p = 0; p < CATEX_NUM_PARAMS; p++) {
    const char *pname = catex_param_name((catex_param)p);
    jpath(key, sizeof key, path, pname);
    if (e[p].value) {
      if ((st = scan_values(c, e[p].value, key, (catex_param)p, &s->values[p], &s->nvalues[p]))) return st;
    } else if (!catex_param_applies(s->kind, (catex_param)p)) {
      if ((st = one_value(s, (catex_param)p, NAN, c))) return st;
    } else {
      int required = p == CATEX_PARAM_SIDE || p == CATEX_PARAM_KT || p == CATEX_PARAM_T_MAX;
      if (required) return jfail(c, s->line, key, "missing required key (%s studies need it)", kind_names[s->kind]);
      double def = p == CATEX_PARAM_KSHELL ? 1.0 : p == CATEX_PARAM_COMPOSITION ? 0.5 : 0.0;
      if ((st = one_value(s, (catex_param)p, def, c))) return st;
    }
    s->scanned[p] = s->nvalues[p] > 1;
  }
  /* Expansion order: listed parameters in file order, then the rest. */
  int n = 0;
  for (int r = 0; r < NKEYS; r++)
    for (int p = 0; p < CATEX_NUM_PARAMS; p++)
      if (e[p].rank == r) s->order[n++] = p;
  for (int p = 0; p < CATEX_NUM_PARAMS; p++)
    if (e[p].rank < 0) s->order[n++] = p;
  return CATEX_OK;
}

/* The ladder (kshell) and the keys of exchange studies. The ladder is one
 * task's rungs, so it must have >= 2 strictly ascending values; every
 * lattice needs a shell and every eps must be non-zero, or all rungs would
 * be the same system. */
static catex_status parse_exchange_keys(const jctx *c, const jentry *e, const char *path, catex_study *s)
{
  char key[256];
  catex_status st;
  long v;
  const double *K = s->values[CATEX_PARAM_KSHELL];
  const int nk = s->nvalues[CATEX_PARAM_KSHELL];
  const yaml_node_t *kn = e[CATEX_PARAM_KSHELL].value;
  jpath(key, sizeof key, path, "kshell");
  if (!kn) return jfail(c, s->line, key, "missing required key: the ladder of K_shell values (a list or {from, to, step})");
  if (nk < 2) return jfail(c, jline(kn), key, "a ladder needs at least 2 rungs, got %d", nk);
  s->scanned[CATEX_PARAM_KSHELL] = 0; /* one ladder, not a scan */
  for (int k = 1; k < nk; k++)
    if (!(K[k] > K[k - 1]))
      return jfail(c, jline(kn), key, "the ladder must ascend strictly: value %d (%g) after %g", k, K[k], K[k - 1]);
  for (int i = 0; i < s->nvalues[CATEX_PARAM_SHELL_LAYERS]; i++)
    if (s->values[CATEX_PARAM_SHELL_LAYERS][i] < 1)
      return jfail(c, e[CATEX_PARAM_SHELL_LAYERS].value ? jline(e[CATEX_PARAM_SHELL_LAYERS].value) : s->line,
                   jpath(key, sizeof key, path, "shell_layers"),
                   "exchange studies need shell_layers >= 1 (without a shell K_shell changes nothing)");
  for (int i = 0; i < s->nvalues[CATEX_PARAM_EPS]; i++)
    if (s->values[CATEX_PARAM_EPS][i] == 0)
      return jfail(c, e[CATEX_PARAM_EPS].value ? jline(e[CATEX_PARAM_EPS].value) : s->line,
                   jpath(key, sizeof key, path, "eps"), "exchange studies need eps != 0 (K_shell acts through the elastic energy)");
  if (s->series)
    return jfail(c, jline(e[K_SERIES].value), jpath(key, sizeof key, path, "series"),
                 "not available in exchange studies (use sample_stride for stored samples)");
  if (s->area_deviation)
    return jfail(c, jline(e[K_AREA].value), jpath(key, sizeof key, path, "area_deviation"),
                 "not available in exchange studies (displacements depend on the rung)");
#define XKEY(k) jpath(key, sizeof key, path, other_keys[(k) - CATEX_NUM_PARAMS])
  if (e[K_EXCHANGE_EVERY].value) {
    if ((st = jinteger(c, e[K_EXCHANGE_EVERY].value, XKEY(K_EXCHANGE_EVERY), 1, 1e15, &v))) return st;
    s->exchange_every = v;
  }
  if (e[K_RANKS_PER_LADDER].value) {
    if ((st = jinteger(c, e[K_RANKS_PER_LADDER].value, XKEY(K_RANKS_PER_LADDER), 1, 1e6, &v))) return st;
    s->ranks_per_ladder = (int)v;
  }
  if (e[K_HIST_BINS].value) {
    if ((st = jinteger(c, e[K_HIST_BINS].value, XKEY(K_HIST_BINS), 1, 100000, &v))) return st;
    s->hist_bins = (int)v;
  }
  const int sk[2] = {K_SAMPLE_STRIDE, K_PERMUTATION_STRIDE};
  long *sv[2] = {&s->sample_stride, &s->permutation_stride};
  for (int i = 0; i < 2; i++) {
    if (!e[sk[i]].value) continue;
    if ((st = jinteger(c, e[sk[i]].value, XKEY(sk[i]), 0, 1e15, sv[i]))) return st;
    if (*sv[i] > s->measure)
      return jfail(c, jline(e[sk[i]].value), key, "%ld exceeds the %ld measured sweeps (0 stores nothing)", *sv[i],
                   s->measure);
  }
  if (s->sample_stride > s->measure) s->sample_stride = s->measure;
  if (s->permutation_stride > s->measure) s->permutation_stride = s->measure;
#undef XKEY
  return CATEX_OK;
}

static catex_status parse_kind_keys(const jctx *c, const jentry *e, const char *path, catex_study *s)
{
  char key[256];
  catex_status st;
  long v;
#define KEY(k) jpath(key, sizeof key, path, other_keys[(k) - CATEX_NUM_PARAMS])
  if (s->kind == CATEX_STUDY_EQUILIBRIUM || s->kind == CATEX_STUDY_EXCHANGE) {
    if (!e[K_SWEEPS].value) return jfail(c, s->line, KEY(K_SWEEPS), "missing required key (write {equilibrate: n, measure: n})");
    if ((st = parse_sweeps(c, &e[K_SWEEPS], KEY(K_SWEEPS), s))) return st;
    if (e[K_STRIDE].value) {
      if ((st = jinteger(c, e[K_STRIDE].value, KEY(K_STRIDE), 1, 2147483647.0, &v))) return st;
      if (v > s->measure)
        return jfail(c, jline(e[K_STRIDE].value), key, "stride %ld exceeds the %ld measured sweeps", v, s->measure);
      s->stride = (int)v;
    }
    if (e[K_SERIES].value && (st = jbool(c, e[K_SERIES].value, KEY(K_SERIES), &s->series))) return st;
    if (e[K_REPLICAS].value) {
      if ((st = jinteger(c, e[K_REPLICAS].value, KEY(K_REPLICAS), 1, CATEX_JOB_MAX_TASKS, &v))) return st;
      s->replicas = (int)v;
    }
    if (e[K_SNAP_EVERY].value) {
      if ((st = jinteger(c, e[K_SNAP_EVERY].value, KEY(K_SNAP_EVERY), 1, 2147483647.0, &v))) return st;
      if (v > s->measure)
        return jfail(c, jline(e[K_SNAP_EVERY].value), key, "%ld exceeds the %ld measured sweeps", v, s->measure);
      if (v % s->stride != 0)
        return jfail(c, jline(e[K_SNAP_EVERY].value), key, "%ld is not a multiple of stride %d", v, s->stride);
      const long nsnap = (s->measure / s->stride) / (v / s->stride);
      if (nsnap > 10000)
        return jfail(c, jline(e[K_SNAP_EVERY].value), key, "%ld gives %ld snapshots per task (at most 10000)", v, nsnap);
      s->snapshot_every = v;
      s->nsnapshots = (int)nsnap;
    }
  }
  if (s->kind == CATEX_STUDY_KMC) {
    if (e[K_TRAJECTORIES].value) {
      if ((st = jinteger(c, e[K_TRAJECTORIES].value, KEY(K_TRAJECTORIES), 1, CATEX_JOB_MAX_TASKS, &v))) return st;
      s->replicas = (int)v;
    }
    if (e[K_SAMPLES].value) {
      if ((st = jinteger(c, e[K_SAMPLES].value, KEY(K_SAMPLES), 1, 1000000, &v))) return st;
      s->samples = (int)v;
    }
    if (e[K_INTERIOR].value) {
      if ((st = jinteger(c, e[K_INTERIOR].value, KEY(K_INTERIOR), 2, 1000000, &v))) return st;
      s->interior_layers = (int)v;
    }
    if (e[K_T_MIN].value) {
      if ((st = jnumber(c, e[K_T_MIN].value, KEY(K_T_MIN), &s->t_min))) return st;
      double smallest_tmax = min_of(s->values[CATEX_PARAM_T_MAX], s->nvalues[CATEX_PARAM_T_MAX]);
      if (!(s->t_min > 0) || !(s->t_min < smallest_tmax))
        return jfail(c, jline(e[K_T_MIN].value), key, "%g must be > 0 and below every t_max (smallest %g)",
                     s->t_min, smallest_tmax);
    }
    if (e[K_SNAPSHOTS].value) {
      if ((st = parse_snapshots(c, &e[K_SNAPSHOTS], KEY(K_SNAPSHOTS), s))) return st;
      double tmax = max_of(s->values[CATEX_PARAM_T_MAX], s->nvalues[CATEX_PARAM_T_MAX]);
      if (s->nsnapshots > 0 && s->snapshot_times[s->nsnapshots - 1] > tmax)
        return jfail(c, jline(e[K_SNAPSHOTS].value), key, "snapshot time %g is after t_max = %g",
                     s->snapshot_times[s->nsnapshots - 1], tmax);
    }
    if (e[K_C_STOP].value) {
      if ((st = jnumber(c, e[K_C_STOP].value, KEY(K_C_STOP), &s->c_stop))) return st;
      if (s->c_stop < 0 || s->c_stop > 1)
        return jfail(c, jline(e[K_C_STOP].value), key, "%g is outside [0, 1] (omit c_stop to run to t_max)", s->c_stop);
    }
    if (e[K_MAX_EVENTS].value) {
      if ((st = jinteger(c, e[K_MAX_EVENTS].value, KEY(K_MAX_EVENTS), 0, 9e15, &s->max_events))) return st;
    }
    const int rk[2] = {K_K_EX0, K_K_DIFF0};
    double *rv[2] = {&s->k_ex0, &s->k_diff0};
    for (int i = 0; i < 2; i++) {
      if (!e[rk[i]].value) continue;
      if ((st = jnumber(c, e[rk[i]].value, KEY(rk[i]), rv[i]))) return st;
      if (!(*rv[i] > 0)) return jfail(c, jline(e[rk[i]].value), key, "rate prefactor %g must be > 0", *rv[i]);
    }
  }
  if (e[K_AREA].value) {
    if ((st = jbool(c, e[K_AREA].value, KEY(K_AREA), &s->area_deviation))) return st;
    if (s->area_deviation && s->lattice != CATEX_LATTICE_HEXAGON)
      return jfail(c, jline(e[K_AREA].value), key, "the area deviation is defined for 2D (hexagon) lattices only");
  }
  if (e[K_PETSC].value) {
    const char *opt;
    if ((st = jstring(c, e[K_PETSC].value, KEY(K_PETSC), &opt))) return st;
    if (!(s->petsc_options = strdup(opt))) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory");
  }
  if (s->kind == CATEX_STUDY_EXCHANGE && (st = parse_exchange_keys(c, e, path, s))) return st;
#undef KEY
  return CATEX_OK;
}

/* Largest lattice of the study against the limits of catex_lattice_create
 * (N grows with both side and shell_layers, so the largest pair decides). */
static catex_status check_size(const jctx *c, const jentry *e, const char *path, catex_study *s)
{
  long side = (long)max_of(s->values[CATEX_PARAM_SIDE], s->nvalues[CATEX_PARAM_SIDE]);
  long shell = (long)max_of(s->values[CATEX_PARAM_SHELL_LAYERS], s->nvalues[CATEX_PARAM_SHELL_LAYERS]);
  long n = catex_lattice_spec_num_sites(s->lattice, side, shell);
  char key[256];
  if (n > (long)CATEX_MAX_SITES) {
    const yaml_node_t *at = e[CATEX_PARAM_SIDE].value;
    return jfail(c, jline(at), jpath(key, sizeof key, path, "side"),
                 "core %s %ld with %ld shell layers gives %ld sites (limit %ld)",
                 s->lattice == CATEX_LATTICE_HEXAGON ? "side" : "L", side, shell, n, (long)CATEX_MAX_SITES);
  }
  const double eps_max = fmax(fabs(max_of(s->values[CATEX_PARAM_EPS], s->nvalues[CATEX_PARAM_EPS])),
                              fabs(min_of(s->values[CATEX_PARAM_EPS], s->nvalues[CATEX_PARAM_EPS])));
  if (n > (long)CATEX_MAX_DENSE_SITES && (s->kind == CATEX_STUDY_POTENTIAL || eps_max != 0)) {
    const yaml_node_t *at = e[CATEX_PARAM_SIDE].value;
    return jfail(c, jline(at), jpath(key, sizeof key, path, "side"),
                 "core %s %ld with %ld shell layers gives %ld sites (limit %ld where the dense pair potential "
                 "V is needed, as for %s: 8 N^2 = %.0f GB; short-range models with eps = 0 allow up to %ld)",
                 s->lattice == CATEX_LATTICE_HEXAGON ? "side" : "L", side, shell, n, (long)CATEX_MAX_DENSE_SITES,
                 s->kind == CATEX_STUDY_POTENTIAL ? "a potential study" : "eps != 0", 8.0 * n * n / 1e9,
                 (long)CATEX_MAX_SITES);
  }
  s->max_sites = (int)n;
  double ntasks = s->replicas;
  for (int p = 0; p < CATEX_NUM_PARAMS; p++)
    if (!(s->kind == CATEX_STUDY_EXCHANGE && p == CATEX_PARAM_KSHELL)) ntasks *= s->nvalues[p];
  if (ntasks > (double)CATEX_JOB_MAX_TASKS)
    return jfail(c, s->line, path, "expands to %.3g tasks (limit %ld)", ntasks, CATEX_JOB_MAX_TASKS);
  s->ntasks = (long)ntasks;
  return CATEX_OK;
}

catex_status jstudy_parse(const jctx *c, const yaml_node_t *node, int k, catex_study *s)
{
  char path[64], key[256];
  snprintf(path, sizeof path, "studies[%d]", k);
  memset(s, 0, sizeof *s);
  s->line = jline(node);
  s->replicas = 1;
  s->samples = 100;
  s->t_min = 0; /* the engine's default grid start (from the initial rates) */
  s->interior_layers = CATEX_KMC_DEFAULT_INTERIOR_LAYERS;
  s->c_stop = -1;
  s->k_ex0 = s->k_diff0 = 1;
  s->stride = 1;
  s->exchange_every = 1;
  s->ranks_per_ladder = 1;
  s->hist_bins = 50;
  s->sample_stride = 100;
  s->permutation_stride = 100;
  s->nnn = CATEX_NNN_UNIT;
  snprintf(s->name, sizeof s->name, "study%d", k);

  const char *keys[NKEYS];
  for (int i = 0; i < NKEYS; i++)
    keys[i] = i < CATEX_NUM_PARAMS ? catex_param_name((catex_param)i) : other_keys[i - CATEX_NUM_PARAMS];
  jentry e[NKEYS];
  catex_status st = jkeys(c, node, path, "a study", keys, NKEYS, e);
  if (st) return st;

  if (!e[K_KIND].value)
    return jfail(c, s->line, jpath(key, sizeof key, path, "kind"), "missing required key (kmc, equilibrium or potential)");
  if ((st = parse_kind(c, &e[K_KIND], jpath(key, sizeof key, path, "kind"), s))) return st;
  if ((st = check_kind_keys(c, e, path, s->kind))) return st;
  if (e[K_NAME].value) {
    const char *name;
    if ((st = jstring(c, e[K_NAME].value, jpath(key, sizeof key, path, "name"), &name))) return st;
    if (!name_ok(name) || strlen(name) >= sizeof s->name)
      return jfail(c, jline(e[K_NAME].value), key,
                   "'%.40s' is not a usable study name (1-63 characters from A-Z a-z 0-9 _ . -)", name);
    snprintf(s->name, sizeof s->name, "%s", name);
  }
  if (!e[K_LATTICE].value)
    return jfail(c, s->line, jpath(key, sizeof key, path, "lattice"), "missing required key (hexagon or cube)");
  if ((st = parse_lattice(c, &e[K_LATTICE], jpath(key, sizeof key, path, "lattice"), s))) return st;
  if (e[K_NNN].value && (st = parse_nnn(c, &e[K_NNN], jpath(key, sizeof key, path, "nnn_mismatch"), s))) return st;
  s->area_deviation = s->kind == CATEX_STUDY_KMC && s->lattice == CATEX_LATTICE_HEXAGON;
  if ((st = parse_params(c, e, path, s))) return st;
  if ((st = parse_kind_keys(c, e, path, s))) return st;
  return check_size(c, e, path, s);
}

void jstudy_free(catex_study *s)
{
  if (!s) return;
  for (int p = 0; p < CATEX_NUM_PARAMS; p++) {
    free(s->values[p]);
    s->values[p] = NULL;
  }
  free(s->snapshot_times);
  free(s->petsc_options);
  free(s->lattice_side);
  free(s->lattice_shell);
  s->snapshot_times = NULL;
  s->petsc_options = NULL;
  s->lattice_side = s->lattice_shell = NULL;
}
