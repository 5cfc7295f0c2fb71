/* Expansion of the parsed studies into the job's dense task list: the
 * Cartesian product of each study's parameter values (slowest first, in the
 * study's order[]) times its replicas, which vary fastest of all. */
#include "job_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

long catex_task_num_sites(const catex_task *t)
{
  return catex_lattice_spec_num_sites(t->lattice.kind, t->lattice.side, t->lattice.shell_layers);
}

/* Relative cost for longest-first dispatch; only the order matters. Every
 * engine first needs the dense V (about N solves of a sparse 2N/3N system,
 * ~N^2.5); each accepted event or move then updates the field h at all N
 * sites. KMC events per unit time scale with the N possible events; an
 * equilibrium sweep is N_core attempts. */
static double task_cost(const catex_study *s, const catex_task *t)
{
  const double n = (double)catex_task_num_sites(t);
  const double potential = n * n * sqrt(n);
  switch (s->kind) {
  case CATEX_STUDY_KMC: {
    double events = n * t->value[CATEX_PARAM_T_MAX];
    if (s->max_events > 0 && events > (double)s->max_events) events = (double)s->max_events;
    return potential + events * n;
  }
  case CATEX_STUDY_EQUILIBRIUM: {
    double ncore = (double)catex_lattice_spec_num_sites(t->lattice.kind, t->lattice.side, 0);
    return potential + ncore * (double)(s->equilibrate + s->measure) * n;
  }
  case CATEX_STUDY_EXCHANGE: { /* one equilibrium run and one V per rung */
    double ncore = (double)catex_lattice_spec_num_sites(t->lattice.kind, t->lattice.side, 0);
    return s->nvalues[CATEX_PARAM_KSHELL] * (potential + ncore * (double)(s->equilibrate + s->measure) * n);
  }
  default:
    return potential;
  }
}

/* Distinct (side, shell_layers) pairs in order of first appearance among the
 * tasks, i.e. nested in the study's order of the two parameters. */
static catex_status collect_lattices(const jctx *c, catex_study *s)
{
  int side_first = 1;
  for (int i = 0; i < CATEX_NUM_PARAMS; i++) {
    if (s->order[i] == CATEX_PARAM_SIDE) break;
    if (s->order[i] == CATEX_PARAM_SHELL_LAYERS) { side_first = 0; break; }
  }
  const int ns = s->nvalues[CATEX_PARAM_SIDE], nl = s->nvalues[CATEX_PARAM_SHELL_LAYERS];
  const size_t most = (size_t)ns * (size_t)nl;
  s->lattice_side = malloc(sizeof(int) * most);
  s->lattice_shell = malloc(sizeof(int) * most);
  if (!s->lattice_side || !s->lattice_shell)
    return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory listing the lattices of study %s", s->name);
  s->nlattices = 0;
  const int outer = side_first ? ns : nl, inner = side_first ? nl : ns;
  for (int a = 0; a < outer; a++)
    for (int b = 0; b < inner; b++) {
      int side = (int)s->values[CATEX_PARAM_SIDE][side_first ? a : b];
      int shell = (int)s->values[CATEX_PARAM_SHELL_LAYERS][side_first ? b : a];
      int seen = 0;
      for (int i = 0; i < s->nlattices && !seen; i++)
        seen = s->lattice_side[i] == side && s->lattice_shell[i] == shell;
      if (seen) continue;
      s->lattice_side[s->nlattices] = side;
      s->lattice_shell[s->nlattices++] = shell;
    }
  return CATEX_OK;
}

static void fill_study(catex_job *job, int k)
{
  const catex_study *s = &job->studies[k];
  for (long idx = 0; idx < s->ntasks; idx++) {
    catex_task *t = &job->tasks[s->first_task + idx];
    t->id = s->first_task + idx;
    t->study = k;
    t->index = idx;
    t->replica = (int)(idx % s->replicas);
    long rest = idx / s->replicas;
    for (int i = CATEX_NUM_PARAMS - 1; i >= 0; i--) {
      const int p = s->order[i];
      if (s->kind == CATEX_STUDY_EXCHANGE && p == CATEX_PARAM_KSHELL) {
        t->value[p] = s->values[p][0]; /* the ladder is not scanned: the task holds its bottom rung */
        continue;
      }
      t->value[p] = s->values[p][rest % s->nvalues[p]];
      rest /= s->nvalues[p];
    }
    t->rung_stream = -1;
    t->lattice.kind = s->lattice;
    t->lattice.side = (int)t->value[CATEX_PARAM_SIDE];
    t->lattice.shell_layers = (int)t->value[CATEX_PARAM_SHELL_LAYERS];
    t->lattice.kshell = t->value[CATEX_PARAM_KSHELL];
    t->cost = task_cost(s, t);
  }
}

catex_status jexpand(const jctx *c, catex_job *job)
{
  long total = 0;
  for (int k = 0; k < job->nstudies; k++) {
    catex_study *s = &job->studies[k];
    s->first_task = total;
    if (s->ntasks > CATEX_JOB_MAX_TASKS - total) {
      char key[32];
      snprintf(key, sizeof key, "studies[%d]", k);
      return jfail(c, s->line, key, "with this study's %ld tasks the job expands to more than %ld tasks",
                   s->ntasks, CATEX_JOB_MAX_TASKS);
    }
    total += s->ntasks;
  }
  job->tasks = calloc((size_t)total, sizeof(catex_task));
  if (!job->tasks) return catex_error_set(c->err, CATEX_ERR_NOMEM, "out of memory expanding %ld tasks", total);
  job->ntasks = total;
  for (int k = 0; k < job->nstudies; k++) {
    catex_status st = collect_lattices(c, &job->studies[k]);
    if (st) return st;
    fill_study(job, k);
  }
  /* rung streams of the ladders after all task ids (stream t is task t's) */
  long next = total;
  for (long t = 0; t < total; t++) {
    const catex_study *s = &job->studies[job->tasks[t].study];
    if (s->kind != CATEX_STUDY_EXCHANGE) continue;
    job->tasks[t].rung_stream = next;
    next += s->nvalues[CATEX_PARAM_KSHELL];
  }
  if (next >= 0x7fffffffL)
    return catex_error_set(c->err, CATEX_ERR_PARSE, "%s: the job needs %ld random streams (limit 2^31 - 1)", c->file, next);
  return CATEX_OK;
}
