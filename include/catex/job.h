/* Job files: YAML (parsed with libyaml) describing one or more studies, each
 * expanded into tasks = Cartesian product of its scanned parameters times
 * its replicas / trajectories. Errors name the file, line and key.
 *
 * Task ids are global, dense (0 .. ntasks-1), in study order then in
 * expansion order (last-listed parameter varies fastest, replica fastest of
 * all); task t uses SPRNG stream t of the job's seed. */
#ifndef CATEX_JOB_H
#define CATEX_JOB_H

#include "catex/elastic.h"
#include "catex/kmc.h"
#include "catex/lattice.h"

/* exchange: replica exchange across K_shell (catex/exchange.h): the kshell values are the
 * rungs of ONE ladder per task, not a scan. */
typedef enum {
  CATEX_STUDY_KMC = 0,
  CATEX_STUDY_EQUILIBRIUM = 1,
  CATEX_STUDY_POTENTIAL = 2,
  CATEX_STUDY_EXCHANGE = 3
} catex_study_kind;
#define CATEX_NUM_STUDY_KINDS 4

/* Every parameter that may be scanned (a list or {from, to, step}). */
typedef enum {
  CATEX_PARAM_SIDE = 0,
  CATEX_PARAM_SHELL_LAYERS,
  CATEX_PARAM_KSHELL,
  CATEX_PARAM_KT,
  CATEX_PARAM_EPS,
  CATEX_PARAM_J,
  CATEX_PARAM_DMU,
  CATEX_PARAM_COMPOSITION,
  CATEX_PARAM_T_MAX,
  CATEX_NUM_PARAMS
} catex_param;

/* YAML key of a parameter ("side", "shell_layers", "kshell", "kT", ...). */
const char *catex_param_name(catex_param p);

/* Upper bound on the tasks of one job: each task costs ~150 bytes on every
 * rank that loads the job, and no sensible job comes near it. */
#define CATEX_JOB_MAX_TASKS 1000000L

typedef struct {
  char name[64];               /* study name (YAML `name`, default "study<k>"); HDF5 group /studies/<name> */
  catex_study_kind kind;
  catex_lattice_kind lattice;
  catex_nnn_mismatch nnn;
  int scanned[CATEX_NUM_PARAMS];  /* 1 if the parameter takes more than one value */
  int nvalues[CATEX_NUM_PARAMS];  /* number of values of each parameter */
  int replicas;                /* replicas (equilibrium) or trajectories (kmc), >= 1 */
  long first_task, ntasks;     /* the study's tasks are first_task .. first_task + ntasks - 1 */
  /* kmc */
  int samples;                 /* observation grid points, log-spaced t_min .. t_max */
  double t_min;                /* first grid point; 0: the engine's default (from the initial rates) */
  int interior_layers;         /* f_interior over layers >= this (>= 2) */
  int nsnapshots;
  double *snapshot_times;      /* nsnapshots, increasing */
  double c_stop;               /* < 0: off */
  long max_events;             /* <= 0: unlimited */
  double k_ex0, k_diff0;
  int area_deviation;          /* kmc: dA_rms on by default in 2D; equilibrium: off by default */
  /* equilibrium */
  long equilibrate, measure;
  int stride;
  int series;                  /* keep f_U and E time series */
  long snapshot_every;         /* store sigma every this many measured sweeps (0: none; then
                                  nsnapshots = measure / snapshot_every) */
  /* exchange (the ladder is values[CATEX_PARAM_KSHELL], nvalues of them, ascending) */
  long exchange_every;         /* sweeps between swap rounds (default 1) */
  int ranks_per_ladder;        /* ranks sharing one ladder (default 1: a farm task on one rank;
                                  > 1: the farm's ladder phase, src/farm/farm_ladders.c) */
  int hist_bins;               /* f_U histogram bins over [0, 1] (default 50) */
  long sample_stride;          /* measured sweeps between stored samples (0: none; default 100) */
  long permutation_stride;     /* measured sweeps between stored permutations (0: none; default 100) */
  /* all kinds */
  char *petsc_options;         /* PETSc options string for the potential solve, or NULL */
  int max_sites;               /* largest N among the study's tasks (for padded datasets) */
  /* Additions (job module): */
  double *values[CATEX_NUM_PARAMS]; /* nvalues[p] values of each parameter, in file order; a
                                       parameter that does not apply to the kind holds one NaN */
  int order[CATEX_NUM_PARAMS]; /* parameters from slowest to fastest varying (file order of
                                  the listed ones, then the others) */
  int line;                    /* line of the study in the job file (1-based) */
  int nlattices;               /* distinct (side, shell_layers) pairs; see catex_study_lattice */
  int *lattice_side, *lattice_shell;
} catex_study;

typedef struct {
  long id;                     /* global task id = SPRNG stream */
  int study;                   /* study index */
  long index;                  /* index within the study */
  int replica;                 /* replica / trajectory number */
  catex_lattice_spec lattice;
  double value[CATEX_NUM_PARAMS]; /* every parameter's value (scanned or not); NaN where the
                                     parameter does not apply to the study's kind (e.g. kT of a
                                     potential study, composition of a kmc study) */
  double cost;                 /* relative cost estimate for longest-first dispatch */
  long rung_stream;            /* exchange: rung k moves with SPRNG stream rung_stream + k (swap
                                  decisions use stream id); these follow all task ids, ladder
                                  after ladder, so no two streams of a job coincide. -1 otherwise */
} catex_task;

typedef struct catex_job catex_job;

/* Reads and validates a job file; on error nothing is allocated and the
 * message reads "<file>:<line>: <key>: <problem>" (key e.g. "studies[0].side",
 * or "YAML syntax" for libyaml's errors). Status: CATEX_ERR_PARSE for every
 * problem of the text, CATEX_ERR_IO if the file cannot be read. */
catex_status catex_job_load(const char *path, catex_job **out, catex_error *err);
/* The same from text in memory (filename is used in messages only); used by
 * the one-shot `catex kmc` / `catex equilibrium` commands. */
catex_status catex_job_parse(const char *text, const char *filename, catex_job **out, catex_error *err);
void catex_job_destroy(catex_job *job);

const char *catex_job_name(const catex_job *job);
const char *catex_job_text(const catex_job *job);   /* the job file verbatim */
const char *catex_job_output(const catex_job *job); /* output path (YAML `output`) */
long catex_job_seed(const catex_job *job);
double catex_job_checkpoint_minutes(const catex_job *job);
int catex_job_num_studies(const catex_job *job);
const catex_study *catex_job_study(const catex_job *job, int k);
long catex_job_num_tasks(const catex_job *job);
const catex_task *catex_job_task(const catex_job *job, long id);

/* --- additions ------------------------------------------------------------ */

/* "kmc", "equilibrium", "potential". */
const char *catex_study_kind_name(catex_study_kind kind);
/* "unit", "geometric" (the job-file spelling of nnn_mismatch). */
const char *catex_study_nnn_name(catex_nnn_mismatch nnn);
/* 1 if parameter p is a key of studies of this kind (side, shell_layers and
 * kshell apply to all; kT, eps, J, dmu to kmc and equilibrium; composition to
 * equilibrium; t_max to kmc). Output writers skip the others or store NaN. */
int catex_param_applies(catex_study_kind kind, catex_param p);
/* 1 for integer-valued parameters (side, shell_layers). */
int catex_param_is_integer(catex_param p);
/* The values a parameter takes in a study (nvalues[p] of them, file order). */
const double *catex_study_values(const catex_study *study, catex_param p, int *n);
/* Number of sites N of a task's lattice (closed form, no lattice built). */
long catex_task_num_sites(const catex_task *task);
/* Number of distinct (side, shell_layers) lattices of a study, and the i-th
 * of them (in order of first appearance among the study's tasks), e.g. for
 * /studies/<name>/lattices/<side>_<shell_layers>. */
int catex_study_num_lattices(const catex_study *study);
void catex_study_lattice(const catex_study *study, int i, int *side, int *shell_layers);

#endif
