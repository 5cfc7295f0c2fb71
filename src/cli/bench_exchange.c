/* `catex bench exchange`: (1) the cost of replica exchange at core side 24
 * + 1 shell (N = 1801): time per sweep per rung of ladders with no swap
 * rounds and with a swap round every sweep (exchange_every = 1), the same
 * sweeps otherwise, and the overhead (two ladders of each kind in each of
 * two groups, created and run in ABBA and BAAB order; overhead_abba_pairs:
 * each pair's own, in that order; where Z is rounded, as here, the ladders
 * without swap rounds also sweep rung 0's shared core block, so compare
 * builds from before that change by their times per sweep, not only by
 * the overhead); the cost of one accepted swap alone
 * and the overhead it implies (machinery_overhead: the total overhead
 * also holds what the ladder's sweeps pay beyond plain ones, mostly the
 * rows of Z read to keep z up to date and for the exact dE of accepted
 * moves, exchange.c and exchange_pending.c); how often a sweep's attempt
 * needed a deferred field correction (deferred_dE) and how often one was
 * added in full (flushes); (2) mixing of a side-16 ladder across
 * its peak (K* ~ 10.8 at kT 0.2, eps 1): round trips per configuration per
 * 1e5 measured sweeps. --repeat n runs n rounds of two groups of four
 * ladders (below; new ladders each time: single ladders of one build
 * differ by a few per cent) and pools them; overhead_err is the standard
 * error from the spread of the n rounds' overheads (null for n = 1): it
 * says how well this run measured, not how much another run on the same
 * machine an hour later may differ (two runs of one day, ABBA groups
 * only: 0.095 +- 0.005 and 0.112 +- 0.002). Not from the pairs: they
 * carry the bias of position described below, which cancels only in a
 * round. meets_targets: the overhead at exchange_every 1, side 24, is
 * <= 10 % (null for other settings). Wall and CPU time; one JSON object
 * on stdout. Not a test, and on a shared machine not a final number. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "catex/elastic.h"
#include "catex/exchange.h"
#include "cli_common.h"
#include "commands.h"

static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
  catex_lattice *lat;
  double **V;
  int nr;
} ladder_v;

static void free_v(ladder_v *x)
{
  for (int k = 0; x->V && k < x->nr; k++) free(x->V[k]);
  free(x->V);
  catex_lattice_destroy(x->lat);
}

static catex_status build(int side, int nr, const double *K, ladder_v *x, catex_error *err)
{
  x->nr = nr;
  x->lat = NULL;
  x->V = calloc((size_t)nr, sizeof *x->V);
  if (!x->V) return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
  catex_status st = CATEX_OK;
  for (int k = 0; k < nr && !st; k++) {
    catex_lattice_spec spec = {CATEX_LATTICE_HEXAGON, side, 1, K[k]};
    catex_lattice *lat = NULL;
    catex_elastic *el = NULL;
    catex_elastic_options opt;
    catex_elastic_options_default(&opt);
    if ((st = catex_lattice_create(&spec, &lat, err))) break;
    const size_t n = (size_t)catex_lattice_num_sites(lat);
    if (!(x->V[k] = malloc(sizeof(double) * n * n))) st = catex_error_set(err, CATEX_ERR_NOMEM, "out of memory");
    if (!st) st = catex_elastic_create(lat, &opt, &el, err);
    if (!st) st = catex_elastic_potential(el, x->V[k], NULL, err);
    catex_elastic_destroy(el);
    if (k == 0 && !st) x->lat = lat;
    else catex_lattice_destroy(lat);
  }
  return st;
}

static catex_status make_ladder(const ladder_v *x, const double *K, long equilibrate, long measure, long every,
                                catex_exchange **ex, catex_error *err)
{
  catex_exchange_params p;
  catex_exchange_params_default(&p);
  p.eq.energy.eps = 1.0;
  p.eq.kT = 0.2;
  p.eq.equilibrate = equilibrate;
  p.eq.measure = measure;
  p.exchange_every = every;
  p.sample_stride = p.permutation_stride = 0;
  long streams[64];
  for (int k = 0; k < x->nr && k < 64; k++) streams[k] = 100 + k;
  catex_status st = catex_exchange_create(x->lat, x->nr, K, (const double *const *)x->V, &p, ex, err);
  if (!st) st = catex_exchange_start(*ex, 1, streams, 99, err);
  return st;
}

enum { GROUP_MAX = 4, REPEAT_MAX = 32 };

/* Ladders (at most GROUP_MAX) advanced in turn, chunks of 50 sweeps each,
 * so that all see the same load of a shared machine; CPU seconds of each
 * go to secs[]. */
static catex_status run_group(catex_exchange *const *ex, int n, double *secs, catex_error *err)
{
  if (n < 1 || n > GROUP_MAX) return catex_error_set(err, CATEX_ERR_ARG, "bench exchange: %d ladders in a group", n);
  int done[GROUP_MAX] = {0}, left = n;
  catex_status st = CATEX_OK;
  for (int i = 0; i < n; i++) secs[i] = 0;
  while (!st && left > 0)
    for (int i = 0; i < n && !st; i++) {
      if (done[i]) continue;
      double t0 = cpu_now();
      st = catex_exchange_advance(ex[i], 50, &done[i], err);
      secs[i] += cpu_now() - t0;
      left -= done[i];
    }
  return st;
}

/* A JSON number, or null for what has none (no swap attempted: 0/0). */
static void json_number(char *buf, size_t len, const char *fmt, double x)
{
  if (isfinite(x)) snprintf(buf, len, fmt, x);
  else snprintf(buf, len, "null");
}

int catex_bench_exchange(int argc, char **argv)
{
  long sweeps = 2000, rt_sweeps = 20000, every = 1;
  int side = 24, side_rt = 16, repeat = 1;
  static const struct option longopts[] = {{"sweeps", required_argument, 0, 's'},
                                           {"rt-sweeps", required_argument, 0, 'r'},
                                           {"side", required_argument, 0, 'n'},
                                           {"rt-side", required_argument, 0, 'm'},
                                           {"exchange-every", required_argument, 0, 'e'},
                                           {"repeat", required_argument, 0, 'p'},
                                           {0, 0, 0, 0}};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    int bad = 0;
    switch (c) {
    case 's': bad = catex_cli_parse_long("bench exchange", "--sweeps", optarg, &sweeps); break;
    case 'r': bad = catex_cli_parse_long("bench exchange", "--rt-sweeps", optarg, &rt_sweeps); break;
    case 'n': bad = catex_cli_parse_int("bench exchange", "--side", optarg, &side); break;
    case 'm': bad = catex_cli_parse_int("bench exchange", "--rt-side", optarg, &side_rt); break;
    case 'e': bad = catex_cli_parse_long("bench exchange", "--exchange-every", optarg, &every); break;
    case 'p': bad = catex_cli_parse_int("bench exchange", "--repeat", optarg, &repeat); break;
    default: bad = -1;
    }
    if (bad || sweeps < 10 || rt_sweeps < 10 || every < 1 || repeat < 1 || repeat > REPEAT_MAX) {
      fprintf(stderr, "usage: catex bench exchange [--sweeps 2000] [--side 24] [--exchange-every 1]\n"
                      "                            [--repeat 1 (at most %d)] [--rt-sweeps 20000] [--rt-side 16]\n",
              REPEAT_MAX);
      return 2;
    }
  }
  catex_error err;
  catex_exchange_result r0 = {0}, r1 = {0}, r2 = {0}; /* zero: freeing one never filled is a no-op */
  /* (1) overhead: 4 rungs across the side-24 drop (16.82 .. 16.90) */
  const double K24[4] = {16.82, 16.85, 16.88, 16.91};
  ladder_v x24 = {0}, x16 = {0};
  /* CPU seconds of each round's plain [0] and swapping [1] ladders */
  double t_rt[1] = {0}, pair[4 * REPEAT_MAX], round_t[REPEAT_MAX][2] = {{0}};
  /* Four ladders a group, created and advanced in the order plain,
   * swapping, swapping, plain (ABBA) in even groups and swapping, plain,
   * plain, swapping (BAAB) in odd ones. Two identical ladders made and run
   * one after the other differed by -9 % to +7 % here; ABBA cancels a
   * linear trend, but four identical ladders (--exchange-every 1e9,
   * --repeat 8, all ABBA) still gave an overhead of -0.017 +- 0.002: the
   * first one created is the slowest, by ~5 %. Alternating the two orders
   * cancels that too: a round is one group of each order. */
  catex_exchange *rt = NULL;
  catex_status st = build(side, 4, K24, &x24, &err);
  long long exact = 0, flushes = 0;
  for (int g = 0; g < 2 * repeat && !st; g++) {
    catex_exchange *lad[4] = {NULL, NULL, NULL, NULL};
    double t[4] = {0, 0, 0, 0};
    const int s0 = g % 2 ? 0 : 1, s1 = 3 - s0, p0 = 1 - s0, p1 = 5 - s1; /* swapping s, plain p */
    for (int i = 0; i < 4 && !st; i++)
      st = make_ladder(&x24, K24, sweeps / 2, sweeps, i == s0 || i == s1 ? every : 1L << 40, &lad[i], &err);
    if (!st) st = run_group(lad, 4, t, &err);
    if (!st) {
      long long e = 0, f = 0;
      catex_exchange_pending_counts(lad[s0], &e, &f);
      exact += e;
      flushes += f;
      pair[2 * g] = t[s0] / t[p0] - 1;
      pair[2 * g + 1] = t[s1] / t[p1] - 1;
      round_t[g / 2][0] += t[p0] + t[p1];
      round_t[g / 2][1] += t[s0] + t[s1];
    }
    /* the ladders of every group are the same (streams, seeds): one's results stand for all */
    if (!st && g == 0) st = catex_exchange_finish(lad[p0], &r0, &err);
    if (!st && g == 0) st = catex_exchange_finish(lad[s0], &r1, &err);
    for (int i = 0; i < 4; i++) catex_exchange_destroy(lad[i]);
  }
  /* (1b) the exchange machinery alone, apart from what moving configurations
   * does to the sweeps themselves (a configuration that arrives from another
   * rung relaxes, with more accepted moves, each O(N_core)): accepted swaps
   * (decision, exchange of the two configurations, both field corrections)
   * forced with u = 0 on pair 0 of a started ladder */
  catex_exchange *forced = NULL;
  const int nforced = 400;
  double t_accepted = 0;
  if (!st) st = make_ladder(&x24, K24, sweeps / 2, sweeps, every, &forced, &err); /* every: defer as the ladder does */
  if (!st) {
    err.code = CATEX_OK;
    const double t0 = cpu_now();
    for (int i = 0; i < nforced && !st; i++)
      if (!catex_exchange_try_swap(forced, 0, 0.0, &err))
        st = err.code ? err.code : catex_error_set(&err, CATEX_ERR_INTERNAL, "a swap forced with u = 0 was refused");
    t_accepted = (cpu_now() - t0) / nforced;
  }
  catex_exchange_destroy(forced);
  /* (2) mixing: 9 rungs across the side-16 peak */
  double K16[9];
  for (int k = 0; k < 9; k++) K16[k] = 10.6 + 0.05 * k;
  if (!st) st = build(side_rt, 9, K16, &x16, &err);
  if (!st) st = make_ladder(&x16, K16, rt_sweeps / 4, rt_sweeps, 1, &rt, &err);
  if (!st) st = run_group(&rt, 1, t_rt, &err);
  if (!st) st = catex_exchange_finish(rt, &r2, &err);
  catex_exchange_destroy(rt);
  if (st) {
    fprintf(stderr, "catex bench exchange: %s\n", err.message);
    catex_exchange_result_free(&r0);
    catex_exchange_result_free(&r1);
    catex_exchange_result_free(&r2);
    free_v(&x24);
    free_v(&x16);
    return 1;
  }
  double t_plain = 0, t_swap = 0, over[REPEAT_MAX], omean = 0, ovar = 0;
  for (int g = 0; g < repeat; g++) {
    t_plain += round_t[g][0];
    t_swap += round_t[g][1];
    over[g] = round_t[g][1] / round_t[g][0] - 1;
    omean += over[g] / repeat;
  }
  for (int g = 0; g < repeat; g++) ovar += (over[g] - omean) * (over[g] - omean) / (repeat - 1);
  const double rung_sweeps = 4 * 1.5 * (double)sweeps * 4 * repeat; /* of each kind */
  const double per_plain = t_plain / rung_sweeps, per_swap = t_swap / rung_sweeps;
  const int npairs = 4 * repeat;
  char overr[32];
  json_number(overr, sizeof overr, "%.4f", repeat > 1 ? sqrt(ovar / repeat) : NAN);
  /* the pairs as a JSON list: at most 4 REPEAT_MAX numbers of <= 10 characters */
  char pairs[4 * REPEAT_MAX * 12 + 8];
  size_t used = 0;
  for (int i = 0; i < npairs; i++)
    used += (size_t)snprintf(pairs + used, sizeof pairs - used, "%s%.4f", i ? ", " : "", pair[i]);
  char acc[3][32];
  for (int k = 0; k < 3; k++) json_number(acc[k], sizeof acc[k], "%.3f", r1.swap_acceptance[k]);
  /* accepted swaps per round: (nr - 1) / 2 pairs on average times their acceptance */
  const double acc_mean = (r1.swap_acceptance[0] + r1.swap_acceptance[1] + r1.swap_acceptance[2]) / 3;
  char machinery[32];
  json_number(machinery, sizeof machinery, "%.4f", acc_mean * 1.5 * t_accepted / ((double)every * 4) / per_plain);
  double trips = 0, min_acc = 1;
  for (int k = 0; k < 8; k++) min_acc = r2.swap_acceptance[k] < min_acc ? r2.swap_acceptance[k] : min_acc;
  for (int k = 0; k < 9; k++) trips += (double)r2.round_trips[k];
  printf("{\"side\": %d, \"rungs\": 4, \"kshell\": [%g, %g, %g, %g], \"sweeps\": %ld, \"factor_rank\": %d, "
         "\"factor_residual\": %.3g, \"factor_precision\": \"%s\", \"cpu_seconds_per_sweep_per_rung_no_exchange\": %.4g, "
         "\"exchange_every\": %ld, \"cpu_seconds_per_sweep_per_rung_with_exchange\": %.4g, \"overhead\": %.4f, "
         "\"overhead_err\": %s, \"repeat\": %d, \"overhead_abba_pairs\": [%s], \"swap_acceptance\": [%s, %s, %s], \"kawasaki_acceptance\": %.5f, "
         "\"kawasaki_acceptance_no_exchange\": %.5f, \"cpu_seconds_per_accepted_swap\": %.4g, "
         "\"machinery_overhead\": %s, \"deferred_dE_per_sweep_per_rung\": %.3f, \"flushes_per_1000_sweeps_per_rung\": %.3f, "
         "\"rt_side\": %d, \"rt_rungs\": 9, \"rt_kshell_from\": %g, \"rt_kshell_to\": %g, \"rt_sweeps\": %ld, "
         "\"rt_swap_acceptance_min\": %.3f, \"round_trips_per_configuration_per_1e5_sweeps\": %.3f, "
         "\"targets\": {\"overhead_at_exchange_every_1\": 0.10}, \"meets_targets\": %s, "
         "\"note\": \"shared machine: not final numbers\"}\n",
         side, K24[0], K24[1], K24[2], K24[3], sweeps, r1.factor_rank, r1.factor_residual,
         r1.factor_single ? "single" : "double", per_plain, every, per_swap,
         per_swap / per_plain - 1, overr, repeat, pairs, acc[0], acc[1], acc[2],
         r1.acceptance[0], r0.acceptance[0], t_accepted, machinery, (double)exact / (2 * 1.5 * (double)sweeps * 4 * repeat),
         1000.0 * (double)flushes / (2 * 1.5 * (double)sweeps * 4 * repeat), side_rt, K16[0], K16[8], rt_sweeps,
         min_acc, trips / 9 * 1e5 / (double)rt_sweeps,
         every != 1 || side != 24 ? "null" : per_swap / per_plain - 1 <= 0.10 ? "true" : "false");
  catex_exchange_result_free(&r0);
  catex_exchange_result_free(&r1);
  catex_exchange_result_free(&r2);
  free_v(&x24);
  free_v(&x16);
  return 0;
}
