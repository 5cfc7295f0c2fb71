/* `catex bench kmc`: KMC events/s over the early, active part of
 * trajectories (all-A start until c <= 0.01, at most ~1e6 events in all)
 * for the paper's systems, against the targets of issue 3. Each case is
 * measured twice: the engine alone (the target) and with the production
 * observation grid (100 log-spaced samples: c, phase fractions, and in 2D
 * the area deviation). Rates are events per second of this thread's CPU
 * time (wall time is reported too). V and G come from the elastic module;
 * the solve is timed separately. Prints one JSON object. */
#include <getopt.h>
#include <math.h>
#include <petscsys.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catex/elastic.h"
#include "catex/kmc.h"
#include "cli_common.h"
#include "commands.h"

typedef struct {
  const char *name;
  catex_lattice_kind kind;
  int side;
  double kT, eps, J, dmu;
  long events;   /* event budget (times --scale) */
  double target; /* events/s */
} bench_case;

static const bench_case cases[] = {
    {"elastic_hexagon_side10", CATEX_LATTICE_HEXAGON, 10, 0.2, 1, 0, -20, 1000000, 5e5},
    {"elastic_hexagon_side16", CATEX_LATTICE_HEXAGON, 16, 0.2, 1, 0, -20, 1000000, 2.5e5},
    {"elastic_cube_L12", CATEX_LATTICE_CUBE, 12, 1.5, 1, 0, -200, 200000, 5e4},
    {"ising_hexagon_side16", CATEX_LATTICE_HEXAGON, 16, 2, 0, 1, -10, 2000000, 2e6},
};

/* CPU time of this thread: on a shared machine wall time also counts the
 * other processes; the targets are for one dedicated core. */
static double cpu_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct {
  long trajectories, events, exchanges;
  double seconds, wall, c_end;
  catex_kmc_algorithm algo;
} measurement;

/* Runs trajectories (streams 0, 1, ...) until the event budget is spent:
 * at these parameters an elastic trajectory completes the exchange in a
 * few N events, so one trajectory would not be enough. Only
 * catex_kmc_run is timed. */
static catex_status measure(const bench_case *bc, const catex_lattice *lat, const double *V, const double *G,
                            int observe, long budget, long seed, measurement *m, catex_error *err)
{
  const int n = catex_lattice_num_sites(lat);
  catex_kmc_params p;
  catex_kmc_params_default(&p);
  p.energy = (catex_energy_params){bc->eps, bc->J, bc->dmu};
  p.kT = bc->kT;
  p.t_max = 1e4;
  p.c_stop = 0.01; /* the active part, not the fluctuations of the exchanged crystal */
  p.max_events = budget;
  p.nsamples = observe ? 100 : 0;
  p.area_deviation = observe && G;
  catex_kmc *kmc = NULL;
  catex_rng *rng = NULL;
  catex_kmc_result res = {0};
  memset(m, 0, sizeof *m);
  catex_status st = catex_kmc_create(lat, V, G, &p, &kmc, err);
  if (!st) st = catex_kmc_result_alloc(&res, p.nsamples, 0, n, err);
  while (!st && m->events < budget) {
    catex_rng_destroy(rng);
    rng = NULL;
    if ((st = catex_rng_create(seed, m->trajectories, &rng, err))) break;
    const double c0 = cpu_seconds(), t0 = MPI_Wtime();
    if ((st = catex_kmc_run(kmc, rng, &res, err))) break;
    m->seconds += cpu_seconds() - c0;
    m->wall += MPI_Wtime() - t0;
    m->events += res.events_exchange + res.events_swap;
    m->exchanges += res.events_exchange;
    m->c_end += catex_composition(n, catex_kmc_state(kmc));
    m->trajectories++;
  }
  if (!st) {
    m->c_end /= m->trajectories;
    m->algo = catex_kmc_get_algorithm(kmc);
  }
  catex_rng_destroy(rng);
  catex_kmc_result_free(&res);
  catex_kmc_destroy(kmc);
  return st;
}

/* Runs one case; fills the JSON fragment. Returns 0 on success. */
static int run_case(const bench_case *bc, double scale, long seed, char *json, size_t len, int *met)
{
  catex_error err = {0};
  catex_lattice_spec spec = {bc->kind, bc->side, 0, 1.0};
  catex_lattice *lat = NULL;
  catex_elastic *el = NULL;
  double *V = NULL, t_solve = 0;
  const double *G = NULL;
  measurement a, b;
  int rc = 1;
  const long budget = (long)(bc->events * scale) > 0 ? (long)(bc->events * scale) : 1;
  if (catex_lattice_create(&spec, &lat, &err)) goto done;
  const int n = catex_lattice_num_sites(lat), twod = bc->kind == CATEX_LATTICE_HEXAGON;
  if (bc->eps != 0 || twod) { /* V for the energy, G for the area deviation */
    V = malloc(sizeof(double) * (size_t)n * n);
    if (!V) {
      catex_error_set(&err, CATEX_ERR_NOMEM, "out of memory for V");
      goto done;
    }
    const double t0 = MPI_Wtime();
    if (catex_elastic_create(lat, NULL, &el, &err) || catex_elastic_potential(el, V, NULL, &err)) goto done;
    t_solve = MPI_Wtime() - t0;
    if (twod) G = catex_elastic_displacement_response(el);
  }
  const double *Veng = bc->eps != 0 ? V : NULL;
  if (measure(bc, lat, Veng, NULL, 0, budget, seed, &a, &err) || measure(bc, lat, Veng, G, 1, budget, seed, &b, &err))
    goto done;
  const double rate = a.events / a.seconds;
  *met = rate >= bc->target;
  snprintf(json, len,
           "{\"name\": \"%s\", \"lattice\": \"%s\", \"side\": %d, \"N\": %d, \"kT\": %g, \"eps\": %g, \"J\": %g, "
           "\"dmu\": %g, \"algorithm\": \"%s\", \"trajectories\": %ld, \"events\": %ld, \"exchange_events\": %ld, "
           "\"mean_c_end\": %.4g, \"cpu_seconds\": %.4f, \"wall_seconds\": %.4f, \"events_per_s\": %.4g, "
           "\"target_events_per_s\": %.4g, \"meets_target\": %s, \"events_per_s_with_observables\": %.4g, "
           "\"potential_seconds\": %.3f}",
           bc->name, catex_lattice_kind_name(bc->kind), bc->side, n, bc->kT, bc->eps, bc->J, bc->dmu,
           catex_kmc_algorithm_name(a.algo), a.trajectories, a.events, a.exchanges, a.c_end, a.seconds, a.wall, rate,
           bc->target, *met ? "true" : "false", b.events / b.seconds, t_solve);
  rc = 0;
done:
  if (rc) fprintf(stderr, "catex bench kmc: %s: %s\n", bc->name, err.message);
  catex_elastic_destroy(el);
  free(V);
  catex_lattice_destroy(lat);
  return rc;
}

int catex_bench_kmc(int argc, char **argv)
{
  static const struct option opts[] = {{"scale", required_argument, 0, 's'},
                                       {"case", required_argument, 0, 'c'},
                                       {"seed", required_argument, 0, 'S'},
                                       {0, 0, 0, 0}};
  double scale = 1;
  long seed = 1;
  const char *only = NULL;
  argc = catex_cli_strip_petsc_args(argc, argv);
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
    if (c == 's') {
      if (catex_cli_parse_double("bench kmc", "--scale", optarg, &scale)) return 2;
      if (!(scale > 0)) {
        fprintf(stderr, "catex bench kmc: --scale: '%s' is not > 0\n", optarg);
        return 2;
      }
    } else if (c == 'c') {
      only = optarg;
    } else if (c == 'S') {
      if (catex_cli_parse_long("bench kmc", "--seed", optarg, &seed)) return 2;
    } else {
      fprintf(stderr, "usage: catex bench kmc [--scale x] [--case name] [--seed s]\n");
      return 2;
    }
  }
  enum { NCASES = sizeof cases / sizeof cases[0] };
  char frag[NCASES][1024];
  int met_all = 1, ran = 0, failed = 0;
  for (int k = 0; k < NCASES; k++) {
    frag[k][0] = 0;
    if (only && strcmp(only, cases[k].name) != 0) continue;
    int met = 0;
    if (run_case(&cases[k], scale, seed, frag[k], sizeof frag[k], &met)) {
      failed = 1;
      continue;
    }
    met_all &= met;
    ran++;
  }
  if (only && !ran && !failed) {
    fprintf(stderr, "catex bench kmc: unknown case '%s'\n", only);
    return 2;
  }
  printf("{\"benchmark\": \"kmc\", \"cores\": 1, \"scale\": %g, \"all_targets_met\": %s, \"cases\": [", scale,
         met_all && ran ? "true" : "false");
  for (int k = 0, first = 1; k < NCASES; k++) {
    if (!frag[k][0]) continue;
    printf("%s\n  %s", first ? "" : ",", frag[k]);
    first = 0;
  }
  printf("\n]}\n");
  return failed ? 1 : 0;
}
