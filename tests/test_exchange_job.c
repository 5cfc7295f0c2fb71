/* Exchange studies in job files: the ladder is one task (not a scan), the
 * rung streams follow every task id without overlap, and each bad input
 * fails with "<file>:<line>: <key>: ..." naming the right line and key. */
#include <stdlib.h>
#include <string.h>

#include "catex/job.h"
#include "check.h"

#define H "name: b\nseed: 1\nstudies:\n"
/* exchange study on lines 4-10; additions start on line 11 */
#define X(kshell)                                                                                     \
  H "  - kind: exchange\n    lattice: hexagon\n    side: 6\n    shell_layers: 1\n    kT: 0.2\n    eps: 1\n" \
    "    sweeps: {equilibrate: 10, measure: 1000}\n    kshell: " kshell "\n"

typedef struct {
  int line;
  const char *key, *text, *yaml;
} bad_case;

static const bad_case cases[] = {
    {11, "studies[0].kshell", "at least 2 rungs", X("5")},
    {11, "studies[0].kshell", "ascend strictly", X("[1, 3, 2]")},
    {11, "studies[0].kshell", "ascend strictly", X("[1, 1]")},
    {4, "studies[0].kshell", "missing required key",
     H "  - kind: exchange\n    lattice: hexagon\n    side: 6\n    shell_layers: 1\n    kT: 0.2\n    eps: 1\n"
       "    sweeps: {equilibrate: 10, measure: 1000}\n"},
    {12, "studies[0].exchange_every", "out of range", X("[1, 2]") "    exchange_every: 0\n"},
    {12, "studies[0].hist_bins", "out of range", X("[1, 2]") "    hist_bins: 0\n"},
    {12, "studies[0].ranks_per_ladder", "out of range", X("[1, 2]") "    ranks_per_ladder: 0\n"},
    {9, "studies[0].ranks_per_ladder", "not a key of equilibrium studies",
     H "  - kind: equilibrium\n    lattice: hexagon\n    side: 6\n    kT: 0.2\n"
       "    sweeps: {equilibrate: 10, measure: 10}\n    ranks_per_ladder: 2\n"},
    {12, "studies[0].sample_stride", "exceeds the 1000 measured sweeps", X("[1, 2]") "    sample_stride: 2000\n"},
    {12, "studies[0].series", "not available in exchange studies", X("[1, 2]") "    series: true\n"},
    {12, "studies[0].area_deviation", "not available in exchange studies", X("[1, 2]") "    area_deviation: true\n"},
    {9, "studies[0].eps", "need eps != 0",
     H "  - kind: exchange\n    lattice: hexagon\n    side: 6\n    shell_layers: 1\n    kT: 0.2\n    eps: 0\n"
       "    sweeps: {equilibrate: 10, measure: 1000}\n    kshell: [1, 2]\n"},
    {7, "studies[0].shell_layers", "need shell_layers >= 1",
     H "  - kind: exchange\n    lattice: hexagon\n    side: 6\n    shell_layers: [0, 1]\n    kT: 0.2\n    eps: 1\n"
       "    sweeps: {equilibrate: 10, measure: 1000}\n    kshell: [1, 2]\n"},
    {9, "studies[0].exchange_every", "not a key of equilibrium studies",
     H "  - kind: equilibrium\n    lattice: hexagon\n    side: 6\n    kT: 0.2\n"
       "    sweeps: {equilibrate: 10, measure: 10}\n    exchange_every: 2\n"},
};

static void bad(catex_check *t, const bad_case *c)
{
  catex_job *job = NULL;
  catex_error err;
  catex_error_clear(&err);
  catex_status st = catex_job_parse(c->yaml, "x.yaml", &job, &err);
  char want[128];
  snprintf(want, sizeof want, "x.yaml:%d: %s: ", c->line, c->key);
  CHECK(t, st == CATEX_ERR_PARSE && !job, "'%s': status %d (want parse error)", c->text, (int)st);
  CHECK(t, strstr(err.message, want) == err.message && strstr(err.message, c->text),
        "message '%s' (want prefix '%s' and '%s')", err.message, want, c->text);
  catex_job_destroy(job);
}

static void good(catex_check *t)
{
  const char *yaml = H "  - kind: equilibrium\n    lattice: hexagon\n    side: 3\n    kT: 0.2\n"
                       "    sweeps: {equilibrate: 10, measure: 10}\n    replicas: 3\n"
                       "  - name: lad\n    kind: exchange\n    lattice: hexagon\n    side: [6, 8]\n"
                       "    shell_layers: 1\n    kT: 0.2\n    eps: 1\n    sweeps: {equilibrate: 10, measure: 1000}\n"
                       "    kshell: {from: 10, to: 11, step: 0.25}\n    replicas: 2\n    exchange_every: 3\n";
  catex_job *job = NULL;
  catex_error err;
  if (catex_job_parse(yaml, "g.yaml", &job, &err)) {
    CHECK(t, 0, "valid exchange job refused: %s", err.message);
    return;
  }
  const catex_study *s = catex_job_study(job, 1);
  CHECK(t, s->kind == CATEX_STUDY_EXCHANGE && s->ntasks == 4 && catex_job_num_tasks(job) == 7,
        "exchange study: %ld tasks (want 4: 2 sides x 2 replicas, the ladder is not a scan), job %ld", s->ntasks,
        catex_job_num_tasks(job));
  CHECK(t, s->nvalues[CATEX_PARAM_KSHELL] == 5 && !s->scanned[CATEX_PARAM_KSHELL], "ladder of %d rungs, scanned %d",
        s->nvalues[CATEX_PARAM_KSHELL], s->scanned[CATEX_PARAM_KSHELL]);
  CHECK(t, s->exchange_every == 3 && s->hist_bins == 50 && s->sample_stride == 100 && s->permutation_stride == 100 &&
               s->ranks_per_ladder == 1,
        "exchange keys / defaults");
  /* streams: ordinary tasks 0..6 use their ids; ladder rungs follow, disjoint */
  char used[64] = {0};
  for (long id = 0; id < catex_job_num_tasks(job); id++) {
    const catex_task *tk = catex_job_task(job, id);
    used[id]++;
    if (tk->study == 0) {
      CHECK(t, tk->rung_stream == -1, "task %ld: rung_stream %ld for a non-ladder task", id, tk->rung_stream);
      continue;
    }
    CHECK(t, tk->value[CATEX_PARAM_KSHELL] == 10, "ladder task %ld holds kshell %g (want its bottom rung)", id,
          tk->value[CATEX_PARAM_KSHELL]);
    for (int k = 0; k < 5; k++)
      if (tk->rung_stream + k >= 0 && tk->rung_stream + k < 64) used[tk->rung_stream + k]++;
  }
  int ok = 1;
  for (int i = 0; i < 7 + 4 * 5; i++) ok &= used[i] == 1;
  CHECK(t, ok, "task and rung streams must cover 0 .. %d exactly once", 7 + 4 * 5 - 1);
  catex_job_destroy(job);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_exchange_job", &argc, &argv)) return 1;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) bad(&t, &cases[i]);
  good(&t);
  return catex_check_finish(&t);
}
