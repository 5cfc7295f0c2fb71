/* Job files: expansion order and counts of a multi-study job (exact task
 * values), ranges with decimal steps including both ends, defaults of every
 * kind, the verbatim text, and the accessors added for the output writer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/job.h"
#include "check.h"

static catex_job *parse(catex_check *t, const char *text)
{
  catex_job *job = NULL;
  catex_error err = {0};
  catex_status st = catex_job_parse(text, "test.yaml", &job, &err);
  CHECK(t, st == CATEX_OK && job, "parse failed: %s", err.message);
  return st == CATEX_OK ? job : NULL;
}

static const char multi[] =
    "name: multi\n"
    "seed: 42\n"
    "studies:\n"
    "  - name: ens\n"
    "    kind: kmc\n"
    "    lattice: hexagon\n"
    "    side: [6, 8]\n"
    "    kT: 0.2\n"
    "    eps: 1\n"
    "    dmu: -20\n"
    "    t_max: [10, 1000]\n"
    "    trajectories: 3\n"
    "  - name: scan\n"
    "    kind: equilibrium\n"
    "    lattice: hexagon\n"
    "    kshell: {from: 1, to: 2, step: 0.5}\n"
    "    side: [8, 10]\n"
    "    shell_layers: 1\n"
    "    kT: 0.2\n"
    "    sweeps: {equilibrate: 10, measure: 1e2}\n"
    "    replicas: 2\n"
    "  - kind: potential\n"
    "    lattice: cube\n"
    "    side: 4\n"
    "    petsc_options: \"-potential_ksp_type cg\"\n";

static void check_task(catex_check *t, const catex_job *job, long id, int study, long index, int replica,
                       int side, int shell, double kshell)
{
  const catex_task *k = catex_job_task(job, id);
  CHECK(t, k != NULL, "task %ld exists", id);
  if (!k) return;
  CHECK(t, k->id == id && k->study == study && k->index == index && k->replica == replica,
        "task %ld: id %ld study %d index %ld replica %d (want %d %ld %d)", id, k->id, k->study, k->index,
        k->replica, study, index, replica);
  CHECK(t, k->lattice.side == side && k->lattice.shell_layers == shell && k->lattice.kshell == kshell,
        "task %ld: lattice %d/%d/%g, want %d/%d/%g", id, k->lattice.side, k->lattice.shell_layers,
        k->lattice.kshell, side, shell, kshell);
  CHECK(t, k->value[CATEX_PARAM_SIDE] == side && k->value[CATEX_PARAM_SHELL_LAYERS] == shell &&
               k->value[CATEX_PARAM_KSHELL] == kshell,
        "task %ld: value[] disagrees with the lattice spec", id);
}

static void test_multi(catex_check *t)
{
  catex_job *job = parse(t, multi);
  if (!job) return;
  CHECK(t, strcmp(catex_job_name(job), "multi") == 0, "name");
  CHECK(t, catex_job_seed(job) == 42, "seed");
  CHECK(t, strcmp(catex_job_output(job), "multi.h5") == 0, "default output '%s'", catex_job_output(job));
  CHECK(t, catex_job_checkpoint_minutes(job) == 10, "default checkpoint_minutes");
  CHECK(t, strcmp(catex_job_text(job), multi) == 0, "job text kept verbatim");
  CHECK(t, catex_job_num_studies(job) == 3, "3 studies");
  CHECK(t, catex_job_num_tasks(job) == 12 + 12 + 1, "ntasks %ld", catex_job_num_tasks(job));
  CHECK(t, catex_job_task(job, -1) == NULL && catex_job_task(job, 25) == NULL, "out-of-range task ids");

  /* kmc: side (listed first) slowest, then t_max, trajectory fastest */
  const catex_study *s = catex_job_study(job, 0);
  CHECK(t, strcmp(s->name, "ens") == 0 && s->kind == CATEX_STUDY_KMC && s->lattice == CATEX_LATTICE_HEXAGON,
        "study 0 header");
  CHECK(t, s->first_task == 0 && s->ntasks == 12 && s->replicas == 3, "study 0: first %ld ntasks %ld replicas %d",
        s->first_task, s->ntasks, s->replicas);
  CHECK(t, s->scanned[CATEX_PARAM_SIDE] && s->scanned[CATEX_PARAM_T_MAX] && !s->scanned[CATEX_PARAM_KT] &&
               s->nvalues[CATEX_PARAM_SIDE] == 2 && s->nvalues[CATEX_PARAM_KT] == 1,
        "study 0 scanned flags");
  CHECK(t, s->max_sites == 169, "study 0 max_sites %d", s->max_sites);
  const double sides0[2] = {6, 8}, tmax0[2] = {10, 1000};
  long id = 0;
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++)
      for (int r = 0; r < 3; r++, id++) {
        check_task(t, job, id, 0, id, r, (int)sides0[a], 0, 1.0);
        const catex_task *k = catex_job_task(job, id);
        CHECK(t, k->value[CATEX_PARAM_T_MAX] == tmax0[b] && k->value[CATEX_PARAM_KT] == 0.2 &&
                     k->value[CATEX_PARAM_EPS] == 1 && k->value[CATEX_PARAM_DMU] == -20 &&
                     k->value[CATEX_PARAM_J] == 0 && isnan(k->value[CATEX_PARAM_COMPOSITION]),
              "task %ld kmc values", id);
      }
  /* more work per task for the larger side and the longer t_max */
  CHECK(t, catex_job_task(job, 9)->cost > catex_job_task(job, 3)->cost &&
               catex_job_task(job, 3)->cost > catex_job_task(job, 0)->cost,
        "kmc costs ordered by N and t_max");

  /* equilibrium: kshell listed before side, so kshell is slowest */
  s = catex_job_study(job, 1);
  CHECK(t, strcmp(s->name, "scan") == 0 && s->first_task == 12 && s->ntasks == 12 && s->replicas == 2,
        "study 1 header");
  CHECK(t, s->equilibrate == 10 && s->measure == 100 && s->stride == 1 && !s->series && !s->area_deviation,
        "study 1 sweeps and defaults");
  CHECK(t, s->max_sites == 331, "study 1 max_sites %d (side 10 + 1 shell)", s->max_sites);
  CHECK(t, s->order[0] == CATEX_PARAM_KSHELL && s->order[1] == CATEX_PARAM_SIDE, "study 1 order");
  int n;
  const double *kv = catex_study_values(s, CATEX_PARAM_KSHELL, &n);
  CHECK(t, n == 3 && kv[0] == 1 && kv[1] == 1.5 && kv[2] == 2, "kshell range values");
  CHECK(t, catex_study_num_lattices(s) == 2, "study 1 has 2 lattices");
  int ls, ll;
  catex_study_lattice(s, 1, &ls, &ll);
  CHECK(t, ls == 10 && ll == 1, "second lattice %d_%d", ls, ll);
  const double k1[3] = {1, 1.5, 2}, sides1[2] = {8, 10};
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 2; b++)
      for (int r = 0; r < 2; r++, id++) {
        check_task(t, job, id, 1, id - 12, r, (int)sides1[b], 1, k1[a]);
        const catex_task *k = catex_job_task(job, id);
        CHECK(t, k->value[CATEX_PARAM_COMPOSITION] == 0.5 && isnan(k->value[CATEX_PARAM_T_MAX]) &&
                     k->value[CATEX_PARAM_KT] == 0.2 && k->value[CATEX_PARAM_EPS] == 0,
              "task %ld equilibrium values", id);
      }

  /* potential: default name, one task, no replicas */
  s = catex_job_study(job, 2);
  CHECK(t, strcmp(s->name, "study2") == 0 && s->kind == CATEX_STUDY_POTENTIAL && s->lattice == CATEX_LATTICE_CUBE,
        "study 2 header '%s'", s->name);
  CHECK(t, s->petsc_options && strcmp(s->petsc_options, "-potential_ksp_type cg") == 0, "petsc_options");
  CHECK(t, s->first_task == 24 && s->ntasks == 1 && s->max_sites == 64 && s->nnn == CATEX_NNN_UNIT, "study 2 sizes");
  check_task(t, job, 24, 2, 0, 0, 4, 0, 1.0);
  CHECK(t, isnan(catex_job_task(job, 24)->value[CATEX_PARAM_KT]), "kT does not apply to potential studies");
  CHECK(t, catex_task_num_sites(catex_job_task(job, 24)) == 64, "cube N");
  catex_job_destroy(job);
}

/* Decimal steps: both ends included although k * 0.1 is not exact. */
static void test_ranges(catex_check *t)
{
  catex_job *job = parse(t, "name: r\nseed: 0\nstudies:\n"
                            "  - kind: equilibrium\n    lattice: hexagon\n    side: {from: 4, to: 10, step: 2}\n"
                            "    composition: {from: 0.1, to: 0.9, step: 0.1}\n"
                            "    kT: {from: 0.2, to: 0.3, step: 0.05}\n"
                            "    kshell: {from: 1, to: 1, step: 5}\n"
                            "    dmu: {from: 0, to: 1, step: 0.3}\n"
                            "    sweeps: {equilibrate: 0, measure: 1}\n");
  if (!job) return;
  const catex_study *s = catex_job_study(job, 0);
  int n;
  const double *v = catex_study_values(s, CATEX_PARAM_COMPOSITION, &n);
  CHECK(t, n == 9, "composition 0.1..0.9 step 0.1 has %d values (want 9)", n);
  for (int k = 0; k < n && k < 9; k++) CHECK_CLOSE(t, v[k], 0.1 * (k + 1), 1e-12, "composition value");
  CHECK(t, n == 9 && v[8] == 0.9, "last value exactly 0.9");
  v = catex_study_values(s, CATEX_PARAM_KT, &n);
  CHECK(t, n == 3 && v[2] == 0.3, "kT 0.2..0.3 step 0.05: %d values", n);
  v = catex_study_values(s, CATEX_PARAM_SIDE, &n);
  CHECK(t, n == 4 && v[0] == 4 && v[3] == 10, "side 4..10 step 2");
  v = catex_study_values(s, CATEX_PARAM_KSHELL, &n);
  CHECK(t, n == 1 && v[0] == 1 && !s->scanned[CATEX_PARAM_KSHELL], "from == to gives one value, not scanned");
  v = catex_study_values(s, CATEX_PARAM_DMU, &n);
  CHECK(t, n == 4 && fabs(v[3] - 0.9) < 1e-12, "dmu 0..1 step 0.3 stops at 0.9 (%d values)", n);
  CHECK(t, catex_job_num_tasks(job) == 4 * 9 * 3 * 4, "tasks %ld", catex_job_num_tasks(job));
  /* the last-listed parameter (dmu) varies fastest */
  CHECK(t, catex_job_task(job, 1)->value[CATEX_PARAM_DMU] == v[1] &&
               catex_job_task(job, 1)->value[CATEX_PARAM_KT] == 0.2,
        "dmu fastest");
  CHECK_CLOSE(t, catex_job_task(job, 4)->value[CATEX_PARAM_KT], 0.25, 1e-15, "then kT");
  catex_job_destroy(job);
}

static void test_defaults(catex_check *t)
{
  catex_job *job = parse(t, "name: d\nseed: 2147483647\noutput: out/d.h5\ncheckpoint_minutes: 0.5\nstudies:\n"
                            "  - {kind: kmc, lattice: cube, side: 3, kT: 1.5, t_max: 5}\n"
                            "  - {kind: kmc, lattice: hexagon, side: 3, kT: 0.2, t_max: 5, c_stop: 0.1,\n"
                            "     max_events: 1e6, k_ex0: 2, k_diff0: 3, samples: 7, t_min: 1e-30, snapshots: [1, 2.5],\n"
                            "     area_deviation: false, nnn_mismatch: geometric}\n"
                            "  - {kind: equilibrium, lattice: hexagon, side: 3, shell_layers: 2, kT: 1,\n"
                            "     sweeps: {equilibrate: 5, measure: 6}, stride: 3, series: true,\n"
                            "     area_deviation: true, composition: 0.25}\n");
  if (!job) return;
  CHECK(t, catex_job_seed(job) == 2147483647L, "largest seed");
  CHECK(t, strcmp(catex_job_output(job), "out/d.h5") == 0 && catex_job_checkpoint_minutes(job) == 0.5,
        "output and checkpoint");
  const catex_study *s = catex_job_study(job, 0);
  CHECK(t, s->samples == 100 && s->t_min == 0 && s->c_stop < 0 && s->max_events == 0 && s->k_ex0 == 1 && s->k_diff0 == 1 &&
               s->nsnapshots == 0 && s->snapshot_times == NULL && s->replicas == 1 && !s->area_deviation &&
               s->petsc_options == NULL,
        "kmc defaults (3D: no area deviation)");
  CHECK(t, strcmp(s->name, "study0") == 0, "default name study0");
  const catex_task *k = catex_job_task(job, 0);
  CHECK(t, k->value[CATEX_PARAM_SHELL_LAYERS] == 0 && k->value[CATEX_PARAM_KSHELL] == 1 &&
               k->value[CATEX_PARAM_EPS] == 0 && k->value[CATEX_PARAM_J] == 0 && k->value[CATEX_PARAM_DMU] == 0,
        "parameter defaults");
  s = catex_job_study(job, 1);
  CHECK(t, s->c_stop == 0.1 && s->max_events == 1000000 && s->k_ex0 == 2 && s->k_diff0 == 3 && s->samples == 7 && s->t_min == 1e-30 &&
               s->nsnapshots == 2 && s->snapshot_times[1] == 2.5 && !s->area_deviation &&
               s->nnn == CATEX_NNN_GEOMETRIC,
        "kmc explicit values");
  s = catex_job_study(job, 2);
  CHECK(t, s->stride == 3 && s->series && s->area_deviation && s->equilibrate == 5 && s->measure == 6 &&
               s->max_sites == 61 && catex_job_task(job, 2)->value[CATEX_PARAM_COMPOSITION] == 0.25,
        "equilibrium explicit values");
  catex_job_destroy(job);

  job = parse(t, "name: d2\nseed: 0\nstudies:\n  - {kind: kmc, lattice: hexagon, side: 2, kT: 1, t_max: 1}\n");
  if (job) {
    CHECK(t, catex_job_study(job, 0)->area_deviation == 1, "kmc 2D: area deviation on by default");
    catex_job_destroy(job);
  }
}

static void test_names(catex_check *t)
{
  CHECK(t, strcmp(catex_param_name(CATEX_PARAM_KT), "kT") == 0 &&
               strcmp(catex_param_name(CATEX_PARAM_SHELL_LAYERS), "shell_layers") == 0,
        "param names");
  CHECK(t, strcmp(catex_study_kind_name(CATEX_STUDY_EQUILIBRIUM), "equilibrium") == 0, "kind name");
  CHECK(t, strcmp(catex_study_nnn_name(CATEX_NNN_GEOMETRIC), "geometric") == 0, "nnn name");
  CHECK(t, catex_param_applies(CATEX_STUDY_KMC, CATEX_PARAM_T_MAX) &&
               !catex_param_applies(CATEX_STUDY_KMC, CATEX_PARAM_COMPOSITION) &&
               catex_param_applies(CATEX_STUDY_POTENTIAL, CATEX_PARAM_KSHELL) &&
               !catex_param_applies(CATEX_STUDY_POTENTIAL, CATEX_PARAM_KT),
        "param_applies");
  CHECK(t, catex_param_is_integer(CATEX_PARAM_SIDE) && !catex_param_is_integer(CATEX_PARAM_KSHELL), "is_integer");
}

/* catex_job_load reads the file verbatim; a missing file is an I/O error. */
static void test_load(catex_check *t)
{
  const char *text = "# comment kept\nname: f\nseed: 3\nstudies:\n  - {kind: potential, lattice: hexagon, side: 3}\n";
  char path[] = "/tmp/catex_test_job_XXXXXX";
  int fd = mkstemp(path);
  CHECK(t, fd >= 0, "mkstemp");
  if (fd < 0) return;
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  catex_job *job = NULL;
  catex_error err = {0};
  catex_status st = catex_job_load(path, &job, &err);
  CHECK(t, st == CATEX_OK, "load: %s", err.message);
  if (job) {
    CHECK(t, strcmp(catex_job_text(job), text) == 0, "loaded text verbatim");
    catex_job_destroy(job);
  }
  remove(path);
  st = catex_job_load(path, &job, &err);
  CHECK(t, st == CATEX_ERR_IO && job == NULL && strstr(err.message, path), "missing file: %s", err.message);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_job", &argc, &argv)) return 1;
  test_multi(&t);
  test_ranges(&t);
  test_defaults(&t);
  test_names(&t);
  test_load(&t);
  return catex_check_finish(&t);
}
