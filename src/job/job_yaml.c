/* Typed access to a libyaml document with located error messages. libyaml
 * leaves every scalar untyped (tag !!str), so the YAML 1.2 core schema's
 * number and boolean forms are recognised here, on the scalar's text only;
 * the YAML syntax itself is entirely libyaml's. */
#include "job_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jline(const yaml_node_t *node) { return node ? (int)node->start_mark.line + 1 : 1; }

yaml_node_t *jnode(const jctx *c, int index) { return yaml_document_get_node(c->doc, index); }

catex_status jfail(const jctx *c, int line, const char *key, const char *fmt, ...)
{
  char problem[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(problem, sizeof problem, fmt, ap);
  va_end(ap);
  return catex_error_set(c->err, CATEX_ERR_PARSE, "%s:%d: %s: %s", c->file, line, key, problem);
}

const char *jpath(char *buf, size_t size, const char *prefix, const char *key)
{
  if (prefix && *prefix) snprintf(buf, size, "%s.%s", prefix, key);
  else snprintf(buf, size, "%s", key);
  return buf;
}

/* Optimal-string-alignment distance (Levenshtein plus adjacent
 * transpositions, the commonest typo), case-insensitive. */
static int edit_distance(const char *a, const char *b)
{
  enum { MAXLEN = 64 };
  const int la = (int)strlen(a), lb = (int)strlen(b);
  if (la >= MAXLEN || lb >= MAXLEN) return MAXLEN;
  int d[MAXLEN + 1][MAXLEN + 1];
  for (int i = 0; i <= la; i++) d[i][0] = i;
  for (int j = 0; j <= lb; j++) d[0][j] = j;
  for (int i = 1; i <= la; i++)
    for (int j = 1; j <= lb; j++) {
      int ai = tolower((unsigned char)a[i - 1]), bj = tolower((unsigned char)b[j - 1]);
      int best = d[i - 1][j - 1] + (ai != bj);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) && a[i - 2] && tolower((unsigned char)a[i - 2]) == bj &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

const char *jsuggest(const char *word, const char *const *cands, int ncands)
{
  const char *best = NULL;
  int bestd = 1 << 20;
  const size_t wl = strlen(word);
  for (int i = 0; i < ncands; i++) {
    int d = edit_distance(word, cands[i]);
    /* An abbreviation ("shell" for "shell_layers") is as good as a typo. */
    if (wl >= 3 && strncmp(word, cands[i], wl) == 0) d = 1;
    if (d < bestd) { bestd = d; best = cands[i]; }
  }
  /* A typo changes a couple of characters; more than a third of the word is
   * a different word, and suggesting it would mislead. */
  int limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
  return bestd <= limit ? best : NULL;
}

/* Scalar text for messages: truncated, so a pasted paragraph stays readable. */
static const char *shown(const yaml_node_t *n, char *buf, size_t size)
{
  snprintf(buf, size, "%.40s%s", (const char *)n->data.scalar.value, n->data.scalar.length > 40 ? "..." : "");
  return buf;
}

const char *jtype(const yaml_node_t *node)
{
  switch (node ? node->type : YAML_NO_NODE) {
  case YAML_SEQUENCE_NODE: return "a list";
  case YAML_MAPPING_NODE: return "a mapping";
  case YAML_SCALAR_NODE: return node->data.scalar.length == 0 ? "an empty value" : "a scalar";
  default: return "nothing";
  }
}

static int is_plain(const yaml_node_t *n) { return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE; }

/* An embedded NUL would make the C string silently shorter than the value. */
static int has_nul(const yaml_node_t *n) { return strlen((const char *)n->data.scalar.value) != n->data.scalar.length; }

catex_status jkeys(const jctx *c, const yaml_node_t *map, const char *path, const char *what,
                   const char *const *keys, int nkeys, jentry *out)
{
  for (int i = 0; i < nkeys; i++) out[i] = (jentry){NULL, NULL, -1};
  const char *where = path && *path ? path : "job"; /* the root has no key of its own */
  if (!map || map->type != YAML_MAPPING_NODE)
    return jfail(c, jline(map), where, "expected %s (a mapping of keys), got %s", what, jtype(map));
  int rank = 0;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++, rank++) {
    yaml_node_t *k = jnode(c, p->key), *v = jnode(c, p->value);
    if (!k || k->type != YAML_SCALAR_NODE || has_nul(k))
      return jfail(c, jline(k), where, "keys of %s must be plain names, got %s", what, jtype(k));
    const char *name = (const char *)k->data.scalar.value;
    char buf[256];
    int idx = -1;
    for (int i = 0; i < nkeys; i++)
      if (strcmp(name, keys[i]) == 0) idx = i;
    if (idx < 0) {
      char sh[64];
      const char *hint = jsuggest(name, keys, nkeys);
      char full[320];
      jpath(full, sizeof full, path, shown(k, sh, sizeof sh));
      if (hint) return jfail(c, jline(k), full, "unknown key (did you mean '%s'?)", hint);
      return jfail(c, jline(k), full, "unknown key in %s", what);
    }
    if (out[idx].rank >= 0)
      return jfail(c, jline(k), jpath(buf, sizeof buf, path, name), "duplicate key (first given on line %d)",
                   jline(out[idx].key));
    out[idx] = (jentry){k, v, rank};
  }
  return CATEX_OK;
}

catex_status jstring(const jctx *c, const yaml_node_t *node, const char *key, const char **out)
{
  if (!node || node->type != YAML_SCALAR_NODE)
    return jfail(c, jline(node), key, "expected a string, got %s", jtype(node));
  if (has_nul(node)) return jfail(c, jline(node), key, "string contains a NUL character");
  if (node->data.scalar.length == 0) return jfail(c, jline(node), key, "missing value (expected a string)");
  *out = (const char *)node->data.scalar.value;
  return CATEX_OK;
}

/* YAML 1.2 core-schema float/int syntax: [-+]? ( .digits | digits[.digits*] ) ([eE][-+]?digits)? */
static int number_syntax(const char *s)
{
  if (*s == '+' || *s == '-') s++;
  int digits = 0;
  while (isdigit((unsigned char)*s)) { s++; digits++; }
  if (*s == '.') {
    s++;
    while (isdigit((unsigned char)*s)) { s++; digits++; }
  }
  if (!digits) return 0;
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    if (!isdigit((unsigned char)*s)) return 0;
    while (isdigit((unsigned char)*s)) s++;
  }
  return *s == '\0';
}

static int special_float(const char *s)
{
  if (*s == '+' || *s == '-') s++;
  static const char *const forms[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"};
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
    if (strcmp(s, forms[i]) == 0) return 1;
  return 0;
}

catex_status jnumber(const jctx *c, const yaml_node_t *node, const char *key, double *out)
{
  char sh[64];
  if (!node || node->type != YAML_SCALAR_NODE)
    return jfail(c, jline(node), key, "expected a number, got %s", jtype(node));
  const char *s = (const char *)node->data.scalar.value;
  if (node->data.scalar.length == 0 && is_plain(node))
    return jfail(c, jline(node), key, "missing value (expected a number)");
  if (!is_plain(node) || has_nul(node))
    return jfail(c, jline(node), key, "expected a number, got the quoted string \"%s\"", shown(node, sh, sizeof sh));
  if (special_float(s)) return jfail(c, jline(node), key, "must be a finite number, got %s", s);
  if (!number_syntax(s))
    return jfail(c, jline(node), key, "expected a number, got '%s'", shown(node, sh, sizeof sh));
  double v = strtod(s, NULL);
  if (!isfinite(v)) return jfail(c, jline(node), key, "number %s is out of range", shown(node, sh, sizeof sh));
  *out = v;
  return CATEX_OK;
}

catex_status jinteger(const jctx *c, const yaml_node_t *node, const char *key, double lo, double hi,
                      long *out)
{
  double v;
  catex_status st = jnumber(c, node, key, &v);
  if (st) return st;
  if (v != floor(v)) return jfail(c, jline(node), key, "expected an integer, got %.17g", v);
  if (v < lo || v > hi) return jfail(c, jline(node), key, "%.17g is out of range [%.17g, %.17g]", v, lo, hi);
  *out = (long)v;
  return CATEX_OK;
}

catex_status jbool(const jctx *c, const yaml_node_t *node, const char *key, int *out)
{
  static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False", "FALSE"};
  if (node && node->type == YAML_SCALAR_NODE && is_plain(node)) {
    const char *s = (const char *)node->data.scalar.value;
    for (int i = 0; i < 3; i++) {
      if (strcmp(s, yes[i]) == 0) { *out = 1; return CATEX_OK; }
      if (strcmp(s, no[i]) == 0) { *out = 0; return CATEX_OK; }
    }
  }
  if (node && node->type == YAML_SCALAR_NODE) {
    char sh[64];
    return jfail(c, jline(node), key, "expected true or false, got '%s'", shown(node, sh, sizeof sh));
  }
  return jfail(c, jline(node), key, "expected true or false, got %s", jtype(node));
}
