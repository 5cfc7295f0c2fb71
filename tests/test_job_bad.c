/* Bad job files: every one must fail with CATEX_ERR_PARSE, leave *out NULL,
 * and say "<file>:<line>: <key>: ..." with the right line and key. Two
 * sources: the fixtures tests/jobs_bad/<case>.yaml (their expectations are in
 * their leading "# expect-..." comments, so the CLI tests can reuse them) and
 * a table of inline texts covering every rule. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "catex/job.h"
#include "check.h"

typedef struct {
  int line;
  const char *key;  /* appears as ": <key>: " (or the syntax-error tag) */
  const char *text; /* a fragment of the problem */
  const char *yaml;
} bad_case;

/* Three header lines; the study then starts on line 4. */
#define H "name: b\nseed: 1\nstudies:\n"
/* kmc study on lines 4-8; additions start on line 9 */
#define KMC H "  - kind: kmc\n    lattice: hexagon\n    side: 6\n    kT: 0.2\n    t_max: 10\n"
/* equilibrium study on lines 4-8; additions start on line 9 */
#define EQ H "  - kind: equilibrium\n    lattice: hexagon\n    side: 6\n    kT: 0.2\n    sweeps: {equilibrate: 10, measure: 10}\n"
#define POT H "  - kind: potential\n    lattice: hexagon\n"

static const bad_case cases[] = {
    /* top level */
    {1, "nmae", "did you mean 'name'", "nmae: x\nseed: 1\nstudies: [{kind: potential, lattice: cube, side: 2}]\n"},
    {1, "seed", "missing required key", "name: x\nstudies: [{kind: potential, lattice: cube, side: 2}]\n"},
    {2, "seed", "out of range", "name: x\nseed: 2147483648\nstudies: []\n"},
    {2, "seed", "out of range", "name: x\nseed: -1\nstudies: []\n"},
    {2, "seed", "expected an integer", "name: x\nseed: 1.5\nstudies: []\n"},
    {2, "seed", "got a list", "name: x\nseed: [1, 2]\nstudies: []\n"},
    {3, "studies", "empty list", "name: b\nseed: 1\nstudies: []\n"},
    {3, "studies", "expected a list", "name: b\nseed: 1\nstudies: {kind: kmc}\n"},
    {3, "seed", "duplicate key", "name: b\nseed: 1\nseed: 2\nstudies: []\n"},
    {3, "checkpoint_minutes", "must be > 0", "name: b\nseed: 1\ncheckpoint_minutes: 0\nstudies: []\n"},
    {3, "output", "expected a string", "name: b\nseed: 1\noutput: [a.h5]\nstudies: []\n"},
    {1, "name", "not usable as a job name", "name: a/b\nseed: 1\nstudies: []\n"},
    {1, "job", "empty", ""},
    {1, "job", "empty", "# only a comment\n"},
    {1, "job", "expected a job", "- a\n- b\n"},
    {5, "job", "more than one YAML document", "name: b\nseed: 1\nstudies: [{kind: potential, lattice: cube, side: 2}]\n---\nname: c\n"},
    {2, "YAML syntax", "", "name: b\n  seed: 1\n"},
    /* an unclosed bracket is detected where the input ends */
    {5, "YAML syntax", "line 4", "name: b\nseed: 1\nstudies: [\n  {kind: kmc\n"},
    {4, "studies[0]", "expected a study", H "  - kmc\n"},
    {1, "job", "plain names", "? [a, b]\n: 1\n"},
    /* keys of a study */
    {4, "studies[0].kind", "missing required key", H "  - lattice: hexagon\n    side: 4\n"},
    {5, "studies[0].lattice", "missing required key", H "\n  - kind: potential\n    side: 4\n"},
    {4, "studies[0].side", "missing required key", POT},
    {4, "studies[0].kind", "did you mean 'kmc'", H "  - kind: kcm\n"},
    {5, "studies[0].lattice", "did you mean 'hexagon'", H "  - kind: potential\n    lattice: hexagn\n    side: 4\n"},
    {6, "studies[0].nnn_mismatch", "unit or geometric", POT "    nnn_mismatch: exact\n    side: 4\n"},
    {9, "studies[0].sweeps", "not a key of kmc studies", KMC "    sweeps: {equilibrate: 1, measure: 1}\n"},
    {9, "studies[0].replicas", "use 'trajectories'", KMC "    replicas: 3\n"},
    {9, "studies[0].trajectories", "use 'replicas'", EQ "    trajectories: 3\n"},
    {9, "studies[0].composition", "not a key of kmc studies", KMC "    composition: 0.5\n"},
    {9, "studies[0].t_max", "not a key of equilibrium studies", EQ "    t_max: 5\n"},
    {9, "studies[0].series", "not a key of kmc studies", KMC "    series: true\n"},
    {6, "studies[0].kT", "not a key of potential studies", POT "    kT: 1\n    side: 4\n"},
    {9, "studies[0].side", "duplicate key (first given on line 6)", KMC "    side: 8\n"},
    {9, "studies[0].tmax", "did you mean 't_max'", KMC "    tmax: 3\n"},
    {9, "studies[0].shell", "did you mean 'shell_layers'", KMC "    shell: 3\n"},
    {9, "studies[0].foo", "unknown key", KMC "    foo: 3\n"},
    {4, "studies[0].name", "not a usable study name", H "  - name: my study\n    kind: potential\n    lattice: cube\n    side: 2\n"},
    {5, "studies[1].name", "duplicate study name 'study1'",
     H "  - {name: study1, kind: potential, lattice: cube, side: 2}\n"
       "  - {kind: potential, lattice: cube, side: 2}\n"},
    {4, "studies[0].sweeps", "missing required key", H "  - kind: equilibrium\n    lattice: hexagon\n    side: 6\n    kT: 1\n"},
    {8, "studies[0].sweeps", "missing 'measure'", H "  - kind: equilibrium\n    lattice: hexagon\n    side: 6\n    kT: 1\n    sweeps: {equilibrate: 10}\n"},
    {8, "studies[0].sweeps.measure", "measure must be >= 1", H "  - kind: equilibrium\n    lattice: hexagon\n    side: 6\n    kT: 1\n    sweeps: {equilibrate: 10, measure: 0}\n"},
    {8, "studies[0].sweeps.equilibrate", "out of range", H "  - kind: equilibrium\n    lattice: hexagon\n    side: 6\n    kT: 1\n    sweeps: {equilibrate: -1, measure: 5}\n"},
    {8, "studies[0].sweeps.equilbrate", "did you mean 'equilibrate'", H "  - kind: equilibrium\n    lattice: hexagon\n    side: 6\n    kT: 1\n    sweeps: {equilbrate: 1, measure: 5}\n"},
    {9, "studies[0].stride", "exceeds the 10 measured sweeps", EQ "    stride: 11\n"},
    {9, "studies[0].replicas", "out of range", EQ "    replicas: 0\n"},
    {9, "studies[0].trajectories", "out of range", KMC "    trajectories: 0\n"},
    {9, "studies[0].samples", "out of range", KMC "    samples: 0\n"},
    {9, "studies[0].t_min", "below every t_max", KMC "    t_min: 10\n"},
    {9, "studies[0].t_min", "must be > 0", KMC "    t_min: 0\n"},
    {9, "studies[0].t_min", "expected a number", KMC "    t_min: soon\n"},
    {9, "studies[0].samples", "got a mapping", KMC "    samples: {from: 1, to: 3, step: 1}\n"},
    {9, "studies[0].snapshots[1]", "increasing", KMC "    snapshots: [5, 5]\n"},
    {9, "studies[0].snapshots[0]", "must be > 0", KMC "    snapshots: [0, 5]\n"},
    {9, "studies[0].snapshots", "after t_max", KMC "    snapshots: [5, 50]\n"},
    {9, "studies[0].c_stop", "outside [0, 1]", KMC "    c_stop: 1.5\n"},
    {9, "studies[0].max_events", "out of range", KMC "    max_events: -5\n"},
    {9, "studies[0].k_ex0", "must be > 0", KMC "    k_ex0: 0\n"},
    {9, "studies[0].area_deviation", "true or false", KMC "    area_deviation: maybe\n"},
    {9, "studies[0].area_deviation", "2D (hexagon) lattices only",
     H "  - kind: kmc\n    lattice: cube\n    side: 6\n    kT: 0.2\n    t_max: 10\n    area_deviation: true\n"},
    {9, "studies[0].petsc_options", "expected a string", KMC "    petsc_options: [a, b]\n"},
    /* values of the parameters */
    {6, "studies[0].side", "too small", H "  - kind: potential\n    lattice: hexagon\n    side: 1\n"},
    {6, "studies[0].side", "expected an integer", H "  - kind: potential\n    lattice: hexagon\n    side: 8.5\n"},
    {6, "studies[0].side[1]", "expected a number, got 'ten'", H "  - kind: potential\n    lattice: hexagon\n    side: [8, ten]\n"},
    {6, "studies[0].side[1]", "got a list", H "  - kind: potential\n    lattice: hexagon\n    side: [8, [9]]\n"},
    {6, "studies[0].side", "expected an integer", H "  - kind: potential\n    lattice: hexagon\n    side: {from: 2, to: 4, step: 0.5}\n"},
    {6, "studies[0].side", "sites (limit", H "  - kind: potential\n    lattice: hexagon\n    side: 1000\n"},
    {7, "studies[0].shell_layers", "negative", POT "    side: 4\n    shell_layers: -1\n"},
    {7, "studies[0].kshell", "must be > 0", POT "    side: 4\n    kshell: 0\n"},
    {7, "studies[0].kshell", "finite", POT "    side: 4\n    kshell: .inf\n"},
    {7, "studies[0].kshell", "finite", POT "    side: 4\n    kshell: .nan\n"},
    {7, "studies[0].kshell", "out of range", POT "    side: 4\n    kshell: 1e999\n"},
    {7, "studies[0].kshell", "quoted string", POT "    side: 4\n    kshell: \"5\"\n"},
    {7, "studies[0].kshell", "missing value", POT "    side: 4\n    kshell:\n"},
    {7, "studies[0].kshell", "empty list", POT "    side: 4\n    kshell: []\n"},
    {7, "studies[0].kshell", "empty range", POT "    side: 4\n    kshell: {from: 3, to: 2, step: 1}\n"},
    {7, "studies[0].kshell.step", "must be > 0", POT "    side: 4\n    kshell: {from: 1, to: 2, step: 0}\n"},
    {7, "studies[0].kshell.step", "must be > 0", POT "    side: 4\n    kshell: {from: 1, to: 2, step: -1}\n"},
    {7, "studies[0].kshell", "missing 'step'", POT "    side: 4\n    kshell: {from: 1, to: 2}\n"},
    {7, "studies[0].kshell.stop", "did you mean 'step'", POT "    side: 4\n    kshell: {from: 1, to: 2, stop: 1}\n"},
    {7, "studies[0].kshell.to", "expected a number", POT "    side: 4\n    kshell: {from: 1, to: x, step: 1}\n"},
    {7, "studies[0].kshell", "range has", POT "    side: 4\n    kshell: {from: 0, to: 1, step: 1e-9}\n"},
    {7, "studies[0].kT", "must be > 0", H "  - kind: kmc\n    lattice: hexagon\n    side: 6\n    kT: -0.2\n    t_max: 10\n"},
    {8, "studies[0].t_max", "must be > 0", H "  - kind: kmc\n    lattice: hexagon\n    side: 6\n    kT: 0.2\n    t_max: 0\n"},
    {9, "studies[0].composition", "outside [0, 1]", EQ "    composition: 1.5\n"},
    {9, "studies[0].eps", "expected a number", KMC "    eps: true\n"},
    {4, "studies[0]", "expands to", H "  - kind: potential\n    lattice: hexagon\n"
                                       "    side: {from: 2, to: 200, step: 1}\n    kshell: {from: 1, to: 10000, step: 1}\n"},
    {5, "studies[1]", "more than", H "  - {kind: potential, lattice: hexagon, side: 2, kshell: {from: 1, to: 600000, step: 1}}\n"
                                  "  - {name: b, kind: potential, lattice: hexagon, side: 2, kshell: {from: 1, to: 600000, step: 1}}\n"},
};

/* The message must read "<file>:<line>: <key>: ..." and mention text. */
static void check_message(catex_check *t, const char *what, const char *msg, const char *file, int line,
                          const char *key, const char *text)
{
  char want[2600]; /* file path (< 2048) + line + key */
  if (key[0]) snprintf(want, sizeof want, "%s:%d: %s: ", file, line, key);
  else snprintf(want, sizeof want, "%s:%d: ", file, line);
  CHECK(t, strncmp(msg, want, strlen(want)) == 0, "%s: message '%s' does not start with '%s'", what, msg, want);
  CHECK(t, strstr(msg, text) != NULL, "%s: message '%s' lacks '%s'", what, msg, text);
}

static void test_inline(catex_check *t)
{
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const bad_case *c = &cases[i];
    catex_job *job = (catex_job *)&job; /* must be reset to NULL */
    catex_error err = {0};
    catex_status st = catex_job_parse(c->yaml, "bad.yaml", &job, &err);
    char what[64];
    snprintf(what, sizeof what, "case %zu (%s)", i, c->key);
    CHECK(t, st == CATEX_ERR_PARSE && err.code == CATEX_ERR_PARSE, "%s: status %s (%s)", what, catex_status_name(st),
          err.message);
    CHECK(t, job == NULL, "%s: *out not NULL on error", what);
    if (st == CATEX_OK) catex_job_destroy(job);
    printf("  %s\n", err.message); /* the messages users will see, for review in the log */
    check_message(t, what, err.message, "bad.yaml", c->line, c->key, c->text);
  }
}

/* Reads "# expect-line: N", "# expect-key: K", "# expect-text: T" headers. */
static int read_expect(const char *path, int *line, char *key, char *text, size_t size)
{
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char buf[200];
  int found = 0;
  *line = 0;
  key[0] = text[0] = '\0';
  while (fgets(buf, sizeof buf, f) && strncmp(buf, "# expect-", 9) == 0) {
    buf[strcspn(buf, "\n")] = '\0';
    if (sscanf(buf, "# expect-line: %d", line) == 1) found |= 1;
    else if (strncmp(buf, "# expect-key: ", 14) == 0) { snprintf(key, size, "%s", buf + 14); found |= 2; }
    else if (strncmp(buf, "# expect-text: ", 15) == 0) { snprintf(text, size, "%s", buf + 15); found |= 4; }
  }
  fclose(f);
  return found == 7;
}

static void test_fixtures(catex_check *t)
{
  const char *src = getenv("CATEX_SOURCE_DIR");
  CHECK(t, src != NULL, "CATEX_SOURCE_DIR is set");
  if (!src) return;
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/jobs_bad", src);
  DIR *d = opendir(dir);
  CHECK(t, d != NULL, "open %s", dir);
  if (!d) return;
  int nfiles = 0;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    size_t len = strlen(ent->d_name);
    if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0) continue;
    char path[2048], key[256], text[256];
    int line;
    snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
    nfiles++;
    CHECK(t, read_expect(path, &line, key, text, sizeof key), "%s: has expect-line/key/text headers", path);
    catex_job *job = NULL;
    catex_error err = {0};
    catex_status st = catex_job_load(path, &job, &err);
    CHECK(t, st == CATEX_ERR_PARSE && job == NULL, "%s: status %s (%s)", ent->d_name, catex_status_name(st),
          err.message);
    if (job) catex_job_destroy(job);
    printf("  %s\n", err.message);
    check_message(t, ent->d_name, err.message, path, line, key, text);
  }
  closedir(d);
  CHECK(t, nfiles >= 10, "%d fixtures in %s", nfiles, dir);
}

/* Robustness: every prefix of a job using every feature, and deterministic
 * byte mutations of it, must either load or fail cleanly with a located
 * message (under ASan this is where a parser's memory bugs show up). */
static const char full[] =
    "name: full\nseed: 7\noutput: full.h5\ncheckpoint_minutes: 2\nstudies:\n"
    "  - name: a\n    kind: kmc\n    lattice: hexagon\n    side: [3, 4]\n    kT: {from: 0.2, to: 0.4, step: 0.1}\n"
    "    t_max: 10\n    snapshots: [1, 2]\n    c_stop: 0.1\n    max_events: 100\n    trajectories: 2\n"
    "  - name: b\n    kind: equilibrium\n    lattice: cube\n    side: 3\n    shell_layers: [0, 1]\n"
    "    kshell: {from: 1, to: 3, step: 1}\n    sweeps: {equilibrate: 1, measure: 2}\n    kT: 1.5\n"
    "    replicas: 2\n    series: true\n    petsc_options: \"-potential_ksp_type cg\"\n"
    "  - {kind: potential, lattice: hexagon, side: 3, nnn_mismatch: geometric}\n";

static int outcome_ok(catex_status st, const catex_job *job, const catex_error *err)
{
  if (st == CATEX_OK) return job != NULL;
  return st == CATEX_ERR_PARSE && job == NULL && strncmp(err->message, "fuzz.yaml:", 10) == 0;
}

static void test_mutations(catex_check *t)
{
  const size_t len = strlen(full);
  char *buf = malloc(len + 1);
  int bad = 0, loaded = 0;
  catex_job *job = NULL;
  catex_error err = {0};
  CHECK(t, catex_job_parse(full, "fuzz.yaml", &job, &err) == CATEX_OK, "full job loads: %s", err.message);
  CHECK(t, job && catex_job_num_tasks(job) == 2 * 3 * 2 + 2 * 3 * 2 + 1, "full job task count");
  catex_job_destroy(job);
  for (size_t n = 0; n < len; n++) {
    memcpy(buf, full, n);
    buf[n] = '\0';
    catex_status st = catex_job_parse(buf, "fuzz.yaml", &job, &err);
    if (!outcome_ok(st, job, &err)) bad++;
    loaded += st == CATEX_OK;
    catex_job_destroy(job);
  }
  static const char alphabet[] = " \n:-[]{},'\"#&*!|>%@`0123456789.eE+_abcxyz\t";
  unsigned long r = 12345;
  for (int trial = 0; trial < 4000; trial++) {
    memcpy(buf, full, len + 1);
    for (int m = 0; m < 1 + trial % 3; m++) {
      r = r * 6364136223846793005UL + 1442695040888963407UL;
      size_t pos = (size_t)(r >> 33) % len;
      buf[pos] = alphabet[(r >> 17) % (sizeof alphabet - 1)];
    }
    catex_status st = catex_job_parse(buf, "fuzz.yaml", &job, &err);
    if (!outcome_ok(st, job, &err)) {
      if (bad++ < 3) printf("  bad outcome %s: %s\n", catex_status_name(st), err.message);
    }
    loaded += st == CATEX_OK;
    catex_job_destroy(job);
  }
  free(buf);
  CHECK(t, bad == 0, "%d mutated jobs neither loaded nor failed cleanly", bad);
  printf("  mutations: %d of %zu loaded\n", loaded, len + 4000);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_job_bad", &argc, &argv)) return 1;
  test_inline(&t);
  test_fixtures(&t);
  test_mutations(&t);
  return catex_check_finish(&t);
}
