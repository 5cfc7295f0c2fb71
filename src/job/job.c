/* Job files: reading, the top-level keys, and the accessors of job.h. The
 * YAML is parsed by libyaml into a document; studies (job_study.c) and the
 * expansion into tasks (job_expand.c) work on that document. */
#include "job_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A job file is a few hundred bytes; anything this large is a mistake (a
 * data file passed by accident) and would only waste rank 0's memory. */
#define JOB_MAX_BYTES (16L << 20)

static const char *const param_names[CATEX_NUM_PARAMS] = {"side", "shell_layers", "kshell", "kT",   "eps",
                                                           "J",    "dmu",          "composition", "t_max"};

const char *catex_param_name(catex_param p) { return (unsigned)p < CATEX_NUM_PARAMS ? param_names[p] : "unknown"; }

const char *catex_study_nnn_name(catex_nnn_mismatch nnn) { return nnn == CATEX_NNN_GEOMETRIC ? "geometric" : "unit"; }

void catex_job_destroy(catex_job *job)
{
  if (!job) return;
  for (int k = 0; k < job->nstudies; k++) jstudy_free(&job->studies[k]);
  free(job->studies);
  free(job->tasks);
  free(job->name);
  free(job->output);
  free(job->text);
  free(job);
}

/* The job name also names the default output file, so it must not contain
 * path separators or control characters. */
static int job_name_ok(const char *s)
{
  if (strlen(s) > 255 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return 0;
  for (; *s; s++)
    if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f) return 0;
  return 1;
}

static catex_status parse_studies(const jctx *c, const jentry *e, catex_job *job)
{
  const yaml_node_t *list = e->value;
  if (list->type != YAML_SEQUENCE_NODE)
    return jfail(c, jline(list), "studies", "expected a list of studies (each item starting with '- '), got %s",
                 jtype(list));
  long n = list->data.sequence.items.top - list->data.sequence.items.start;
  if (n == 0) return jfail(c, jline(list), "studies", "empty list: a job needs at least one study");
  if (n > 10000) return jfail(c, jline(list), "studies", "%ld studies is too many (limit 10000)", n);
  job->studies = calloc((size_t)n, sizeof(catex_study));
  if (!job->studies) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory reading studies");
  for (int k = 0; k < (int)n; k++) {
    const yaml_node_t *node = jnode(c, list->data.sequence.items.start[k]);
    job->nstudies = k + 1; /* so that destroy releases a partly read study */
    catex_status st = jstudy_parse(c, node, k, &job->studies[k]);
    if (st) return st;
    for (int j = 0; j < k; j++)
      if (strcmp(job->studies[j].name, job->studies[k].name) == 0) {
        char key[64];
        snprintf(key, sizeof key, "studies[%d].name", k);
        return jfail(c, job->studies[k].line, key, "duplicate study name '%s' (also studies[%d], line %d)",
                     job->studies[k].name, j, job->studies[j].line);
      }
  }
  return CATEX_OK;
}

static catex_status parse_top(const jctx *c, const yaml_node_t *root, catex_job *job)
{
  enum { T_NAME, T_SEED, T_OUTPUT, T_CHECKPOINT, T_STUDIES, NT };
  static const char *const keys[NT] = {"name", "seed", "output", "checkpoint_minutes", "studies"};
  jentry e[NT];
  catex_status st = jkeys(c, root, "", "a job (name, seed, studies, ...)", keys, NT, e);
  if (st) return st;
  const char *s;
  for (int i = 0; i < NT; i++)
    if ((i == T_NAME || i == T_SEED || i == T_STUDIES) && !e[i].value)
      return jfail(c, jline(root), keys[i], "missing required key");

  if ((st = jstring(c, e[T_NAME].value, "name", &s))) return st;
  if (!job_name_ok(s))
    return jfail(c, jline(e[T_NAME].value), "name", "'%.40s' is not usable as a job name (no '/', no control characters)", s);
  if (!(job->name = strdup(s))) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory");

  if ((st = jinteger(c, e[T_SEED].value, "seed", 0, 2147483647.0, &job->seed))) return st;

  if (e[T_OUTPUT].value) {
    if ((st = jstring(c, e[T_OUTPUT].value, "output", &s))) return st;
    job->output = strdup(s);
  } else {
    size_t len = strlen(job->name) + 4;
    if ((job->output = malloc(len))) snprintf(job->output, len, "%s.h5", job->name);
  }
  if (!job->output) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory");

  job->checkpoint_minutes = 10;
  if (e[T_CHECKPOINT].value) {
    if ((st = jnumber(c, e[T_CHECKPOINT].value, "checkpoint_minutes", &job->checkpoint_minutes))) return st;
    if (!(job->checkpoint_minutes > 0))
      return jfail(c, jline(e[T_CHECKPOINT].value), "checkpoint_minutes", "%g must be > 0", job->checkpoint_minutes);
  }
  if ((st = parse_studies(c, &e[T_STUDIES], job))) return st;
  return jexpand(c, job);
}

/* libyaml reports syntax errors with a problem and sometimes a context
 * ("while parsing a block mapping"); both help. */
static catex_status syntax_error(const yaml_parser_t *p, const char *file, catex_error *err)
{
  const yaml_mark_t *m = &p->problem_mark;
  if (p->error == YAML_MEMORY_ERROR) return catex_error_set(err, CATEX_ERR_NOMEM, "%s: out of memory parsing YAML", file);
  if (p->context)
    return catex_error_set(err, CATEX_ERR_PARSE, "%s:%d: YAML syntax: %s (%s, line %d)", file, (int)m->line + 1,
                           p->problem ? p->problem : "error", p->context, (int)p->context_mark.line + 1);
  return catex_error_set(err, CATEX_ERR_PARSE, "%s:%d: YAML syntax: %s", file, (int)m->line + 1,
                         p->problem ? p->problem : "error");
}

/* libyaml takes time quadratic in the nesting depth of flow collections
 * (200,000 levels of '[' stalled it for minutes), and a job needs only a
 * few levels: the text is scanned for its depth first, flow brackets and
 * runs of "- " block entries on one line, outside quotes and comments. */
enum { JOB_MAX_DEPTH = 64 };

static int too_deep(const char *text, int *line_out)
{
  int depth = 0, line = 1, dashes = 0, at_line_start = 1;
  char quote = 0;
  for (const char *p = text; *p; p++) {
    const char ch = *p;
    if (ch == '\n') {
      line++;
      dashes = 0;
      at_line_start = 1;
      continue; /* quoted scalars may span lines */
    }
    if (quote) {
      if (quote == '"' && ch == '\\' && p[1]) p++;
      else if (ch == quote) {
        if (quote == '\'' && p[1] == '\'') p++; /* '' inside '...' */
        else quote = 0;
      }
      continue;
    }
    if (ch == '#' && (p == text || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n')) {
      while (p[1] && p[1] != '\n') p++;
      continue;
    }
    if (ch == '"' || ch == '\'') quote = ch;
    else if (ch == '[' || ch == '{') depth++;
    else if ((ch == ']' || ch == '}') && depth > 0) depth--;
    else if (ch == '-' && at_line_start && (p[1] == ' ' || p[1] == '\t')) dashes++;
    else if (ch != ' ' && ch != '\t') at_line_start = 0;
    if (depth + dashes > JOB_MAX_DEPTH) {
      *line_out = line;
      return 1;
    }
  }
  return 0;
}

catex_status catex_job_parse(const char *text, const char *filename, catex_job **out, catex_error *err)
{
  if (!out) return catex_error_set(err, CATEX_ERR_ARG, "catex_job_parse: out is NULL");
  *out = NULL;
  if (!text) return catex_error_set(err, CATEX_ERR_ARG, "catex_job_parse: text is NULL");
  const char *file = filename ? filename : "<job>";
  int deep_line = 0;
  if (too_deep(text, &deep_line))
    return catex_error_set(err, CATEX_ERR_PARSE, "%s:%d: YAML nesting deeper than %d levels (a job needs a few)", file,
                           deep_line, JOB_MAX_DEPTH);
  catex_job *job = calloc(1, sizeof *job);
  if (!job || !(job->text = strdup(text))) {
    free(job);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory reading %s", file);
  }

  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) {
    catex_job_destroy(job);
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory creating the YAML parser");
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)job->text, strlen(job->text));
  catex_status st = CATEX_OK;
  if (!yaml_parser_load(&parser, &doc)) {
    st = syntax_error(&parser, file, err);
    yaml_parser_delete(&parser);
    catex_job_destroy(job);
    return st;
  }
  jctx c = {file, &doc, err};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root) {
    st = catex_error_set(err, CATEX_ERR_PARSE, "%s:1: job: the file is empty (expected name, seed and studies)", file);
  } else {
    /* A second document would be silently ignored otherwise. */
    yaml_document_t extra;
    if (!yaml_parser_load(&parser, &extra)) {
      st = syntax_error(&parser, file, err);
    } else {
      yaml_node_t *r2 = yaml_document_get_root_node(&extra);
      if (r2) st = jfail(&c, jline(r2), "job", "the file holds more than one YAML document ('---')");
      yaml_document_delete(&extra);
    }
    if (!st) st = parse_top(&c, root, job);
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  if (st) {
    catex_job_destroy(job);
    return st;
  }
  *out = job;
  return CATEX_OK;
}

catex_status catex_job_load(const char *path, catex_job **out, catex_error *err)
{
  if (!out) return catex_error_set(err, CATEX_ERR_ARG, "catex_job_load: out is NULL");
  *out = NULL;
  if (!path) return catex_error_set(err, CATEX_ERR_ARG, "catex_job_load: path is NULL");
  /* A FIFO (or a device) would block here for ever, or never end: only
   * regular files are job files (checked before opening, which is what
   * blocks on a FIFO without a writer). */
  struct stat sb;
  if (stat(path, &sb) != 0)
    return catex_error_set(err, CATEX_ERR_IO, "%s: cannot open job file: %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode))
    return catex_error_set(err, CATEX_ERR_IO, "%s: not a regular file (%s); give the job as a file", path,
                           S_ISDIR(sb.st_mode)    ? "a directory"
                           : S_ISFIFO(sb.st_mode) ? "a FIFO"
                                                  : "a device or socket");
  FILE *f = fopen(path, "rb");
  if (!f) return catex_error_set(err, CATEX_ERR_IO, "%s: cannot open job file: %s", path, strerror(errno));
  /* Grow the buffer as needed: job files are small, pipes have no size. */
  size_t cap = 0, n = 0;
  char *text = NULL;
  catex_status st = CATEX_OK;
  for (;;) {
    if (n + 1 >= cap) {
      size_t want = cap ? 2 * cap : 4096;
      char *bigger = want <= (size_t)JOB_MAX_BYTES + 2 ? realloc(text, want) : NULL;
      if (!bigger) {
        st = want > (size_t)JOB_MAX_BYTES + 2
                 ? catex_error_set(err, CATEX_ERR_PARSE, "%s: job file larger than %ld bytes", path, JOB_MAX_BYTES)
                 : catex_error_set(err, CATEX_ERR_NOMEM, "out of memory reading %s", path);
        break;
      }
      text = bigger;
      cap = want;
    }
    size_t got = fread(text + n, 1, cap - 1 - n, f);
    n += got;
    if (got == 0) break;
  }
  if (!st && ferror(f)) st = catex_error_set(err, CATEX_ERR_IO, "%s: read error: %s", path, strerror(errno));
  fclose(f);
  if (!st && memchr(text, '\0', n))
    st = catex_error_set(err, CATEX_ERR_PARSE, "%s: job file contains a NUL byte (not a text file?)", path);
  if (!st) {
    text[n] = '\0';
    st = catex_job_parse(text, path, out, err);
  }
  free(text);
  return st;
}

const char *catex_job_name(const catex_job *job) { return job->name; }
const char *catex_job_text(const catex_job *job) { return job->text; }
const char *catex_job_output(const catex_job *job) { return job->output; }
long catex_job_seed(const catex_job *job) { return job->seed; }
double catex_job_checkpoint_minutes(const catex_job *job) { return job->checkpoint_minutes; }
int catex_job_num_studies(const catex_job *job) { return job->nstudies; }
long catex_job_num_tasks(const catex_job *job) { return job->ntasks; }

const catex_study *catex_job_study(const catex_job *job, int k)
{
  return k >= 0 && k < job->nstudies ? &job->studies[k] : NULL;
}

const catex_task *catex_job_task(const catex_job *job, long id)
{
  return id >= 0 && id < job->ntasks ? &job->tasks[id] : NULL;
}

const double *catex_study_values(const catex_study *study, catex_param p, int *n)
{
  if ((unsigned)p >= CATEX_NUM_PARAMS) {
    if (n) *n = 0;
    return NULL;
  }
  if (n) *n = study->nvalues[p];
  return study->values[p];
}

int catex_study_num_lattices(const catex_study *study) { return study->nlattices; }

void catex_study_lattice(const catex_study *study, int i, int *side, int *shell_layers)
{
  int ok = i >= 0 && i < study->nlattices;
  if (side) *side = ok ? study->lattice_side[i] : 0;
  if (shell_layers) *shell_layers = ok ? study->lattice_shell[i] : 0;
}
