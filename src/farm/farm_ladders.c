/* The farm's ladder phase: exchange ladders with ranks_per_ladder > 1, each
 * spread over a gang of ranks (catex_exchange_set_gang), run before the
 * dynamic farm, collectively.
 *
 * Why a phase of its own and not gangs inside the dynamic farm: a gang
 * needs all its ranks at once, while the dynamic farm's ranks stop only
 * between tasks for the collective flushes; assembling a gang there means
 * holding ranks idle until the others finish their tasks, and a flush
 * called while a gang is half assembled waits for ranks that wait for the
 * gang (deadlock). Here every rank knows the whole plan without a message:
 * per study (in file order), the ranks split into size / g gangs of
 * g = min(ranks_per_ladder, ranks, rungs) ranks (the ranks left over idle
 * through that study), and the study's pending ladders go to the gangs in
 * task order, ladder j to gang j mod ngangs. Then one collective flush, and
 * the dynamic farm takes every other task.
 *
 * Nothing of the data depends on this plan: a ladder's result is bitwise
 * that of the same ladder on one rank (src/exchange/exchange_gang.c), and
 * its checkpoint is the same file, so a run resumed with another number of
 * ranks (or another ranks_per_ladder) continues it. */
#include <stdio.h>
#include <stdlib.h>

#include "farm_internal.h"

int farm_ladder_phase_task(const catex_job *job, long t)
{
  const catex_task *task = catex_job_task(job, t);
  const catex_study *s = catex_job_study(job, task->study);
  return task->rung_stream >= 0 && s->kind == CATEX_STUDY_EXCHANGE && s->ranks_per_ladder > 1;
}

/* Ladders of study si still to run, in task order, to the gang `color`. */
static catex_status run_study(farm_ctx *f, int si, const signed char *status, long *done, long *failed,
                              catex_error *err)
{
  const catex_study *s = catex_job_study(f->job, si);
  const long ntasks = catex_job_num_tasks(f->job);
  long pending = 0;
  for (long t = 0; t < ntasks; t++)
    if (catex_job_task(f->job, t)->study == si && farm_ladder_phase_task(f->job, t) && status[t] != CATEX_TASK_DONE)
      pending++;
  if (pending == 0) return CATEX_OK;
  int g = s->ranks_per_ladder;
  if (g > f->size) g = f->size;
  if (g > s->nvalues[CATEX_PARAM_KSHELL]) g = s->nvalues[CATEX_PARAM_KSHELL];
  const int ngangs = f->size / g;
  const int color = f->rank < ngangs * g ? f->rank / g : MPI_UNDEFINED;
  if (f->rank == 0)
    fprintf(f->opt->log, "%s: study %s: %ld ladder%s over %d gang%s of %d rank%s\n", f->opt->label, s->name, pending,
            pending == 1 ? "" : "s", ngangs, ngangs == 1 ? "" : "s", g, g == 1 ? "" : "s");
  MPI_Comm gang = MPI_COMM_NULL;
  if (MPI_Comm_split(f->comm, color, f->rank, &gang) != MPI_SUCCESS)
    return catex_error_set(err, CATEX_ERR_MPI, "MPI_Comm_split into ladder gangs failed");
  if (gang == MPI_COMM_NULL) return CATEX_OK;
  int grank = 0;
  MPI_Comm_rank(gang, &grank);
  catex_status st = CATEX_OK;
  long j = 0;
  for (long t = 0; t < ntasks && !st; t++) {
    if (catex_job_task(f->job, t)->study != si || !farm_ladder_phase_task(f->job, t) || status[t] == CATEX_TASK_DONE)
      continue;
    if (j++ % ngangs != color) continue;
    catex_task_result *res = NULL;
    if ((st = catex_task_runner_run_gang(f->runner, t, f->rank, gang, &res, err))) {
      /* no record at all (out of memory): the gang's other ranks would wait
         for this one; end the job (the file stays resumable) */
      fprintf(stderr, "%s: rank %d: %s\n", f->opt->label, f->rank, err ? err->message : "ladder bookkeeping failed");
      MPI_Abort(f->comm, 1);
    }
    if (grank != 0 || res->status == CATEX_TASK_INTERRUPTED) {
      /* interrupted: not recorded; its checkpoint lets --resume continue it */
      catex_task_result_destroy(res);
      continue;
    }
    f->task_seconds += res->runtime;
    if (res->status == CATEX_TASK_DONE) (*done)++;
    else (*failed)++;
    st = catex_output_add(f->out, res, err);
  }
  MPI_Comm_free(&gang);
  return st;
}

catex_status farm_ladders(farm_ctx *f, const signed char *status, catex_error *err)
{
  int any = 0;
  for (long t = 0; t < catex_job_num_tasks(f->job) && !any; t++)
    any = farm_ladder_phase_task(f->job, t) && status[t] != CATEX_TASK_DONE;
  if (!any) return CATEX_OK; /* the same answer on every rank: nothing collective to do */
  catex_status st = CATEX_OK;
  long tally[2] = {0, 0}, total[2] = {0, 0};
  for (int si = 0; si < catex_job_num_studies(f->job) && !st; si++) {
    const catex_study *s = catex_job_study(f->job, si);
    if (s->kind == CATEX_STUDY_EXCHANGE && s->ranks_per_ladder > 1) st = run_study(f, si, status, &tally[0], &tally[1], err);
  }
  if (st) {
    /* the other ranks are headed for the flush below: end the job (resumable) */
    fprintf(stderr, "%s: rank %d: %s\n", f->opt->label, f->rank, err ? err->message : "ladder phase failed");
    MPI_Abort(f->comm, 1);
  }
  MPI_Reduce(tally, total, 2, MPI_LONG, MPI_SUM, 0, f->comm);
  if (f->rank == 0) {
    f->done += total[0];
    f->failed += total[1];
  }
  return farm_flush(f, err);
}
