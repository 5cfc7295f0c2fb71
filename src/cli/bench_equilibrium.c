/* `catex bench equilibrium`: Kawasaki attempts/s at the paper's largest 2D
 * state point (hexagon core side 24 + 1 shell layer, K_shell = 17,
 * kT = 0.2 eps, N_core = 1657, N = 1801) and the projected time of the
 * paper's protocol (1e5 equilibration + 1e5 measured sweeps). The rate is
 * measured after a short equilibration, so the acceptance (which sets the
 * O(N) share of the cost) is printed with it; --full also runs the whole
 * protocol through catex_equilibrium_run and reports its real cost. One JSON
 * object on stdout. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "catex/elastic.h"
#include "catex/equilibrium.h"
#include "cli_common.h"
#include "commands.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of this process: on a shared machine the wall clock also counts
 * the time other processes held the core, so both are reported. */
static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *out)
{
  fprintf(out, "usage: catex bench equilibrium [--side 24] [--shell-layers 1] [--kshell 17] [--kT 0.2]\n"
               "                               [--equilibrate 300] [--sweeps 500] [--seed 1] [--full]\n"
               "--full: also run the paper protocol (1e5 + 1e5 sweeps) and time it\n");
}

typedef struct {
  int side, shell;
  double kshell, kT;
  long equilibrate, sweeps, seed;
  int full;
} options;

static int parse(int argc, char **argv, options *o)
{
  static const struct option longopts[] = {
      {"side", required_argument, 0, 's'},        {"shell-layers", required_argument, 0, 'l'},
      {"kshell", required_argument, 0, 'k'},      {"kT", required_argument, 0, 't'},
      {"equilibrate", required_argument, 0, 'e'}, {"sweeps", required_argument, 0, 'm'},
      {"seed", required_argument, 0, 'r'},        {"full", no_argument, 0, 'f'},
      {0, 0, 0, 0}};
  const char *cmd = "bench equilibrium";
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    int bad = 0;
    switch (c) {
    case 's': bad = catex_cli_parse_int(cmd, "--side", optarg, &o->side); break;
    case 'l': bad = catex_cli_parse_int(cmd, "--shell-layers", optarg, &o->shell); break;
    case 'k': bad = catex_cli_parse_double(cmd, "--kshell", optarg, &o->kshell); break;
    case 't': bad = catex_cli_parse_double(cmd, "--kT", optarg, &o->kT); break;
    case 'e': bad = catex_cli_parse_long(cmd, "--equilibrate", optarg, &o->equilibrate); break;
    case 'm': bad = catex_cli_parse_long(cmd, "--sweeps", optarg, &o->sweeps); break;
    case 'r': bad = catex_cli_parse_long(cmd, "--seed", optarg, &o->seed); break;
    case 'f': o->full = 1; break;
    default: bad = -1;
    }
    if (bad) {
      usage(stderr);
      return -1;
    }
  }
  if (o->sweeps < 10 || o->equilibrate < 0) {
    fprintf(stderr, "catex bench equilibrium: need --sweeps >= 10 and --equilibrate >= 0\n");
    return -1;
  }
  return 0;
}

int catex_bench_equilibrium(int argc, char **argv)
{
  options o = {24, 1, 17.0, 0.2, 300, 500, 1, 0};
  argc = catex_cli_strip_petsc_args(argc, argv);
  if (parse(argc, argv, &o)) return 2;

  catex_error err = {0};
  catex_lattice *lat = NULL;
  catex_elastic *el = NULL;
  catex_equilibrium *eq = NULL;
  catex_rng *rng = NULL;
  double *V = NULL, *fU = NULL;
  int rc = 1;
  catex_lattice_spec spec = {CATEX_LATTICE_HEXAGON, o.side, o.shell, o.kshell};
  catex_elastic_options eopt;
  catex_elastic_options_default(&eopt);
  if (catex_lattice_create(&spec, &lat, &err) != CATEX_OK) goto done;
  const int n = catex_lattice_num_sites(lat);
  double t0 = now();
  if (catex_elastic_create(lat, &eopt, &el, &err) != CATEX_OK) goto done;
  if (!(V = malloc(sizeof(double) * (size_t)n * (size_t)n))) {
    catex_error_set(&err, CATEX_ERR_NOMEM, "out of memory for V (N = %d)", n);
    goto done;
  }
  if (catex_elastic_potential(el, V, NULL, &err) != CATEX_OK) goto done;
  const double t_potential = now() - t0;

  catex_equilibrium_params p;
  catex_equilibrium_params_default(&p);
  p.energy.eps = 1.0;
  p.energy.dmu = -20.0; /* the paper's elastic set; a constant under Kawasaki moves */
  p.kT = o.kT;
  if (catex_equilibrium_create(lat, V, NULL, &p, &eq, &err) != CATEX_OK) goto done;
  if (catex_rng_create(o.seed, 0, &rng, &err) != CATEX_OK) goto done;
  const long nc = catex_equilibrium_num_core(eq);

  t0 = now();
  if (catex_equilibrium_init(eq, rng, &err) != CATEX_OK) goto done;
  const double t_init = now() - t0;
  t0 = now();
  if (catex_equilibrium_sweeps(eq, rng, o.equilibrate, &err) != CATEX_OK) goto done;
  const double t_equil = now() - t0;

  /* unmeasured sweeps (the equilibration half of the protocol) */
  long att0, acc0, att1, acc1;
  catex_equilibrium_counts(eq, &att0, &acc0);
  t0 = now();
  double c0 = cpu_now();
  if (catex_equilibrium_sweeps(eq, rng, o.sweeps, &err) != CATEX_OK) goto done;
  const double t_sweeps = now() - t0, c_sweeps = cpu_now() - c0;
  catex_equilibrium_counts(eq, &att1, &acc1);
  const double acceptance = (double)(acc1 - acc0) / (double)(att1 - att0);

  /* measured sweeps as catex_equilibrium_run does them: sweep, labels, record */
  if (!(fU = malloc(sizeof(double) * (size_t)o.sweeps))) {
    catex_error_set(&err, CATEX_ERR_NOMEM, "out of memory for %ld samples", o.sweeps);
    goto done;
  }
  double t_labels = 0;
  t0 = now();
  c0 = cpu_now();
  for (long s = 0; s < o.sweeps; s++) {
    if (catex_equilibrium_sweeps(eq, rng, 1, &err) != CATEX_OK) goto done;
    const double tl = cpu_now();
    double f[CATEX_NUM_PHASES];
    catex_equilibrium_phase_fractions(eq, f);
    fU[s] = f[CATEX_PHASE_U1] + f[CATEX_PHASE_U2];
    t_labels += cpu_now() - tl;
  }
  const double t_measured = now() - t0, c_measured = cpu_now() - c0;

  /* exact refresh (after refresh_accepted accepted moves; already inside the timings above) */
  t0 = now();
  catex_equilibrium_refresh(eq);
  const double t_refresh = now() - t0;

  /* the real thing: the paper's protocol through the public entry point */
  catex_equilibrium_result full;
  double full_wall = NAN, full_cpu = NAN;
  if (o.full) {
    catex_equilibrium *eqf = NULL;
    catex_equilibrium_params pf = p;
    pf.equilibrate = 100000;
    pf.measure = 100000;
    t0 = now();
    c0 = cpu_now();
    catex_status st = catex_equilibrium_create(lat, V, NULL, &pf, &eqf, &err);
    if (st == CATEX_OK) st = catex_equilibrium_run(eqf, rng, &full, &err);
    full_wall = now() - t0;
    full_cpu = cpu_now() - c0;
    catex_equilibrium_destroy(eqf);
    if (st != CATEX_OK) goto done;
  }

  const double sweep_s = c_sweeps / (double)o.sweeps, msweep_s = c_measured / (double)o.sweeps;
  const double protocol = 1e5 * sweep_s + 1e5 * msweep_s + t_init;
  const double protocol_wall = 1e5 * (t_sweeps + t_measured) / (double)o.sweeps + t_init;
  const double attempts_per_s = 2.0 * (double)o.sweeps * (double)nc / (c_sweeps + c_measured);
  printf("{\"benchmark\": \"equilibrium\", \"lattice\": \"hexagon\", \"side\": %d, \"shell_layers\": %d, "
         "\"kshell\": %g, \"kT\": %g, \"eps\": 1, \"N\": %d, \"N_core\": %ld, "
         "\"potential_seconds\": %.3f, \"init_seconds\": %.4f, \"equilibrate_sweeps\": %ld, "
         "\"equilibrate_seconds\": %.3f, \"timed_sweeps\": %ld, \"acceptance\": %.4f, "
         "\"attempts_per_second\": %.4g, \"accepted_per_second\": %.4g, \"ns_per_attempt\": %.1f, "
         "\"sweep_us\": %.2f, \"measured_sweep_us\": %.2f, \"labels_us_per_sweep\": %.2f, "
         "\"refresh_ms\": %.3f, \"refresh_accepted\": %ld, \"projected_protocol_seconds\": %.2f, "
         "\"projected_protocol_wall_seconds\": %.2f, \"timing\": \"cpu time of this process; wall time "
         "also counts other processes on a shared core\", \"target_seconds\": 40, \"meets_target\": %s",
         o.side, o.shell, o.kshell, o.kT, n, nc, t_potential, t_init, o.equilibrate, t_equil, o.sweeps, acceptance,
         attempts_per_s, attempts_per_s * acceptance, 1e9 / attempts_per_s, 1e6 * sweep_s, 1e6 * msweep_s,
         1e6 * t_labels / (double)o.sweeps, 1e3 * t_refresh, p.refresh_accepted, protocol, protocol_wall,
         protocol <= 40.0 ? "true" : "false");
  if (o.full) {
    printf(", \"full_protocol\": {\"cpu_seconds\": %.2f, \"wall_seconds\": %.2f, \"acceptance\": %.5f, "
           "\"fU\": %.5f, \"fU_err\": %.5f, \"fU_var\": %.6g, \"fU_var_err\": %.3g, \"tau_fU\": %.1f, "
           "\"tau_E\": %.1f, \"E\": %.4f, \"E_err\": %.4f, \"blocking_converged\": %d}",
           full_cpu, full_wall, full.acceptance, full.fU_mean, full.fU_err, full.fU_var, full.fU_var_err,
           full.tau_fU, full.tau_E, full.E_mean, full.E_err, full.blocking_converged);
    catex_equilibrium_result_free(&full);
  }
  printf("}\n");
  rc = 0;
done:
  if (rc) fprintf(stderr, "catex bench equilibrium: %s\n", err.message[0] ? err.message : "failed");
  free(fU);
  free(V);
  catex_rng_destroy(rng);
  catex_equilibrium_destroy(eq);
  catex_elastic_destroy(el);
  catex_lattice_destroy(lat);
  return rc;
}
