/* Private to the job module (src/job*.c): the job object, and helpers that
 * read typed values out of a libyaml document while producing messages of
 * the form "<file>:<line>: <key>: <problem>". */
#ifndef CATEX_JOB_INTERNAL_H
#define CATEX_JOB_INTERNAL_H

#include <yaml.h>

#include "catex/job.h"

struct catex_job {
  char *name, *output, *text;
  long seed;
  double checkpoint_minutes;
  int nstudies;
  catex_study *studies;
  long ntasks;
  catex_task *tasks;
};

/* What every helper needs to report an error. */
typedef struct {
  const char *file;
  yaml_document_t *doc;
  catex_error *err;
} jctx;

/* One key of a mapping as found by jkeys(): NULL nodes if absent. */
typedef struct {
  yaml_node_t *key, *value;
  int rank; /* position among the mapping's pairs, -1 if absent */
} jentry;

int jline(const yaml_node_t *node); /* 1-based */
yaml_node_t *jnode(const jctx *c, int index);

/* Sets err to "<file>:<line>: <key>: <formatted problem>" (CATEX_ERR_PARSE). */
catex_status jfail(const jctx *c, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "<prefix>.<key>" (or "<key>" when prefix is empty) into buf. */
const char *jpath(char *buf, size_t size, const char *prefix, const char *key);

/* Closest candidate by edit distance if close enough to be a likely typo. */
const char *jsuggest(const char *word, const char *const *cands, int ncands);

/* Checks that map is a mapping whose keys are distinct plain strings, each
 * one of keys[0..nkeys-1] (unknown ones are errors with a suggestion), and
 * fills out[nkeys]. `what` names the mapping in messages ("a study"). */
catex_status jkeys(const jctx *c, const yaml_node_t *map, const char *path, const char *what,
                   const char *const *keys, int nkeys, jentry *out);

/* Typed scalars. Each fails with a message naming key at node's line. */
catex_status jstring(const jctx *c, const yaml_node_t *node, const char *key, const char **out);
catex_status jnumber(const jctx *c, const yaml_node_t *node, const char *key, double *out);
/* Integral number in [lo, hi] (1e5 is accepted as 100000). */
catex_status jinteger(const jctx *c, const yaml_node_t *node, const char *key, double lo, double hi,
                      long *out);
catex_status jbool(const jctx *c, const yaml_node_t *node, const char *key, int *out);
/* Describes a node's type for "expected X, got Y" messages ("a list", ...). */
const char *jtype(const yaml_node_t *node);

/* Study parsing (job_study.c): fills study k from node; on error the study
 * may hold partial allocations, released by jstudy_free. */
catex_status jstudy_parse(const jctx *c, const yaml_node_t *node, int k, catex_study *study);
void jstudy_free(catex_study *study);

/* Expansion into tasks (job_expand.c). */
catex_status jexpand(const jctx *c, catex_job *job);


#endif
