/* Trajectory bookkeeping of the KMC engine: the observation grid holds the
 * state in force at each grid time (checked against the residences reported
 * to the observer hook), observables match recomputations from snapshots,
 * every stop condition ends the run with the documented fill of the grid,
 * and a trajectory is a function of (parameters, seed, stream) only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/observables.h"
#include "test_kmc_util.h"

typedef struct {
  int n;
  long count, cap;
  double *t0, *t1, *c;
  double weight;
} residences;

static void observer(void *ctx, const signed char *sigma, int n, double t, double dwell)
{
  residences *r = ctx;
  if (r->count == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 1024;
    r->t0 = realloc(r->t0, sizeof(double) * (size_t)r->cap);
    r->t1 = realloc(r->t1, sizeof(double) * (size_t)r->cap);
    r->c = realloc(r->c, sizeof(double) * (size_t)r->cap);
  }
  long s = 0;
  for (int i = 0; i < n; i++) s += sigma[i];
  r->t0[r->count] = t;
  r->t1[r->count] = t + dwell;
  r->c[r->count] = 0.5 * ((double)s / n + 1);
  r->count++;
  r->weight += dwell;
}

static void free_residences(residences *r)
{
  free(r->t0);
  free(r->t1);
  free(r->c);
  memset(r, 0, sizeof *r);
}

/* c at time t from the residences: the one with t0 <= t < t1 (or the last
 * one, which is cut at t_max, if t == its end). */
static double c_at(const residences *r, double t)
{
  for (long k = 0; k < r->count; k++)
    if (r->t0[k] <= t && (t < r->t1[k] || (k == r->count - 1 && t == r->t1[k]))) return r->c[k];
  return NAN;
}

static int all_nan_after(const catex_kmc_result *res, double t_end)
{
  for (int s = 0; s < res->nsamples; s++)
    if (res->time[s] >= t_end && !isnan(res->c[s])) return 0;
  return 1;
}

/* Full run to t_max: grid, observables against snapshots and residences. */
static void grid_and_observables(catex_check *t, const catex_lattice *lat, const double *V, catex_elastic *el)
{
  const int n = catex_lattice_num_sites(lat), ns = 40;
  catex_kmc_params p;
  km_params(&p, 0.5, 1, 0.2, -3, 30);
  p.nsamples = ns;
  p.t_min = 1e-2; /* the grid catex_kmc_log_grid makes from t_min = 1e-2 (the automatic one: test_kmc_grid) */
  p.area_deviation = 1;
  residences r = {0};
  p.observer = observer;
  p.observer_ctx = &r;
  double *grid = malloc(sizeof(double) * ns);
  catex_kmc_log_grid(p.t_min, p.t_max, ns, grid);
  CHECK(t, grid[0] == 1e-2 && grid[ns - 1] == p.t_max, "log grid ends %g .. %g", grid[0], grid[ns - 1]);
  double ratio = grid[1] / grid[0], worst = 0;
  for (int s = 1; s < ns; s++) worst = fmax(worst, fabs(grid[s] / grid[s - 1] - ratio));
  CHECK(t, worst < 1e-9 && ratio > 1, "log grid is not geometric (ratio %g, deviation %g)", ratio, worst);
  {
    double early[3];
    catex_kmc_log_grid(1e-6, 1e2, 3, early);
    CHECK(t, early[0] == 1e-6 && fabs(early[1] - 1e-2) <= 1e-15 && early[2] == 1e2,
          "grid from t_min = 1e-6: %g %g %g", early[0], early[1], early[2]);
  }
  /* snapshots at every grid time, to recompute the observables */
  p.nsnapshots = ns;
  p.snapshot_times = grid;
  catex_kmc *kmc;
  catex_kmc_result res;
  if (km_run(t, lat, V, catex_elastic_displacement_response(el), &p, 1, 3, &kmc, &res) == 0) {
    CHECK(t, res.stop_reason == CATEX_KMC_STOP_TMAX && res.t_end == p.t_max, "stop %s at %g",
          catex_kmc_stop_name(res.stop_reason), res.t_end);
    CHECK(t, r.count == res.events_exchange + res.events_swap + 1, "%ld residences for %ld events", r.count,
          res.events_exchange + res.events_swap);
    CHECK_CLOSE(t, r.weight, p.t_max, 1e-9 * p.t_max, "residence times add up to t_max");
    CHECK(t, res.events_exchange > 0 && res.events_swap > 0, "both event types happen (%ld, %ld)",
          res.events_exchange, res.events_swap);
    int bad_time = 0, bad_c = 0, bad_snap = 0, bad_f = 0, bad_dA = 0;
    double *u = malloc(sizeof(double) * 2 * (size_t)n);
    int *sites, m = catex_sites_full_ring(lat, &sites);
    for (int s = 0; s < ns; s++) {
      bad_time += res.time[s] != grid[s];
      bad_c += !(res.c[s] == c_at(&r, grid[s]));
      const signed char *snap = res.snapshots + (size_t)s * n;
      long sum = 0;
      for (int i = 0; i < n; i++) sum += snap[i];
      bad_snap += res.snapshot_time[s] != grid[s] || 0.5 * ((double)sum / n + 1) != res.c[s];
      double f[CATEX_NUM_PHASES];
      catex_phase_fractions(lat, snap, sites, m, f);
      for (int a = 0; a < CATEX_NUM_PHASES; a++) bad_f += f[a] != res.f[(size_t)s * CATEX_NUM_PHASES + a];
      catex_elastic_displacements(el, snap, u, NULL);
      const double dA = sqrt(catex_area_deviation_ms(lat, u, CATEX_AREA_MISMATCH, sites, m));
      bad_dA += !(fabs(dA - res.dA_rms[s]) <= 1e-12 * fmax(1, dA));
    }
    CHECK(t, bad_time == 0, "%d grid times differ from the log grid", bad_time);
    CHECK(t, bad_c == 0, "%d samples do not hold the state in force at their time", bad_c);
    CHECK(t, bad_snap == 0, "%d snapshots disagree with the sampled composition", bad_snap);
    CHECK(t, bad_f == 0, "%d phase fractions disagree with the snapshots", bad_f);
    CHECK(t, bad_dA == 0, "%d area deviations disagree with u = G sigma from the snapshots", bad_dA);
    CHECK(t, res.c[0] > res.c[ns - 1], "composition falls (%g -> %g)", res.c[0], res.c[ns - 1]);
    CHECK(t, res.dA_rms[ns / 2] > 0, "area deviation is nontrivial (%g)", res.dA_rms[ns / 2]);
    free(u);
    free(sites);
  }
  catex_kmc_result_free(&res);
  catex_kmc_destroy(kmc);
  free_residences(&r);
  free(grid);
}

static void stop_conditions(catex_check *t, const catex_lattice *lat, const double *V)
{
  const int n = catex_lattice_num_sites(lat);
  catex_kmc_params p;
  catex_kmc *kmc;
  catex_kmc_result res;
  const double snap_times[2] = {0.05, 1e3};
  for (int algo = 0; algo < 2; algo++) {
    const double eps = algo == 0 ? 1 : 0;
    const char *what = algo == 0 ? "dense" : "local";
    /* c_stop */
    km_params(&p, 0.5, eps, 0.2, -6, 1e4);
    p.nsamples = 60;
    p.c_stop = 0.6;
    p.nsnapshots = 2;
    p.snapshot_times = snap_times;
    if (km_run(t, lat, V, NULL, &p, 1, 1, &kmc, &res) == 0) {
      const double c = catex_composition(n, catex_kmc_state(kmc));
      CHECK(t, res.stop_reason == CATEX_KMC_STOP_COMPOSITION, "%s: stop %s", what, catex_kmc_stop_name(res.stop_reason));
      CHECK(t, c <= 0.6 && c > 0.6 - 2.0 / n, "%s: stopped at c = %g", what, c);
      CHECK(t, res.t_end < p.t_max && res.t_end == catex_kmc_time(kmc), "%s: t_end %g", what, res.t_end);
      CHECK(t, all_nan_after(&res, res.t_end), "%s: samples after the end are not NaN", what);
      CHECK(t, !isnan(res.c[0]) && res.c[0] > 0.6, "%s: first sample %g", what, res.c[0]);
      CHECK(t, !isnan(res.snapshot_time[0]) && isnan(res.snapshot_time[1]), "%s: snapshot times %g %g", what,
            res.snapshot_time[0], res.snapshot_time[1]);
      int zeros = 0;
      for (int i = 0; i < n; i++) zeros += res.snapshots[n + i] == 0;
      CHECK(t, zeros == n, "%s: a snapshot not taken is all zero (%d of %d)", what, zeros, n);
    }
    catex_kmc_result_free(&res);
    catex_kmc_destroy(kmc);
    /* max_events */
    km_params(&p, 0.5, eps, 0.2, -6, 1e4);
    p.nsamples = 60;
    p.max_events = 300;
    if (km_run(t, lat, V, NULL, &p, 1, 2, &kmc, &res) == 0) {
      CHECK(t, res.stop_reason == CATEX_KMC_STOP_MAX_EVENTS, "%s: stop %s", what, catex_kmc_stop_name(res.stop_reason));
      CHECK(t, res.events_exchange + res.events_swap == 300 && catex_kmc_num_events(kmc) == 300, "%s: %ld events", what,
            res.events_exchange + res.events_swap);
      CHECK(t, all_nan_after(&res, res.t_end) && !isnan(res.c[0]), "%s: grid fill after max_events", what);
    }
    catex_kmc_result_free(&res);
    catex_kmc_destroy(kmc);
    /* no event at all (no exchange, and all-A has no unlike pair): absorbing */
    km_params(&p, 0.5, eps, 0.2, -6, 1e4);
    p.nsamples = 10;
    p.k_ex0 = 0;
    p.nsnapshots = 2;
    p.snapshot_times = snap_times;
    if (km_run(t, lat, V, NULL, &p, 1, 3, &kmc, &res) == 0) {
      CHECK(t, res.stop_reason == CATEX_KMC_STOP_NO_EVENTS && res.t_end == 0, "%s: stop %s at %g", what,
            catex_kmc_stop_name(res.stop_reason), res.t_end);
      int bad = 0;
      for (int s = 0; s < 10; s++) bad += res.c[s] != 1.0 || res.f[(size_t)s * CATEX_NUM_PHASES + CATEX_PHASE_U1] != 1.0;
      for (int q = 0; q < 2; q++) {
        bad += res.snapshot_time[q] != snap_times[q];
        for (int i = 0; i < n; i++) bad += res.snapshots[(size_t)q * n + i] != 1;
      }
      CHECK(t, bad == 0, "%s: absorbing state not carried to the end of the grid (%d bad)", what, bad);
    }
    catex_kmc_result_free(&res);
    catex_kmc_destroy(kmc);
  }
}

static int same_result(const catex_kmc_result *a, const catex_kmc_result *b, int n)
{
  const size_t ns = (size_t)a->nsamples;
  return a->t_end == b->t_end && a->events_exchange == b->events_exchange && a->events_swap == b->events_swap &&
         a->stop_reason == b->stop_reason && memcmp(a->c, b->c, ns * sizeof(double)) == 0 &&
         memcmp(a->f, b->f, ns * CATEX_NUM_PHASES * sizeof(double)) == 0 &&
         memcmp(a->snapshots, b->snapshots, (size_t)a->nsnapshots * n) == 0;
}

static void reproducibility(catex_check *t, const catex_lattice *lat, const double *V)
{
  const int n = catex_lattice_num_sites(lat);
  const double snap_times[3] = {0.1, 1, 10};
  for (int algo = 0; algo < 2; algo++) {
    const char *what = algo == 0 ? "dense" : "local";
    catex_kmc_params p;
    km_params(&p, 0.5, algo == 0 ? 1 : 0, 0.3, -3, 20);
    p.nsamples = 30;
    p.nsnapshots = 3;
    p.snapshot_times = snap_times;
    catex_kmc *k1, *k2;
    catex_kmc_result a, b, c;
    catex_rng *rng = NULL;
    catex_error err;
    if (km_run(t, lat, V, NULL, &p, 1, 7, &k1, &a) || km_run(t, lat, V, NULL, &p, 1, 7, &k2, &b)) continue;
    CHECK(t, same_result(&a, &b, n), "%s: same seed and stream, different trajectories", what);
    /* the same engine run again with the same stream (state reset) */
    catex_kmc_result_alloc(&c, p.nsamples, p.nsnapshots, n, NULL);
    catex_rng_create(1, 7, &rng, &err);
    CHECK(t, catex_kmc_run(k1, rng, &c, &err) == CATEX_OK && same_result(&a, &c, n), "%s: rerun of an engine differs",
          what);
    catex_rng_destroy(rng);
    catex_rng_create(1, 8, &rng, &err);
    CHECK(t, catex_kmc_run(k1, rng, &c, &err) == CATEX_OK && !same_result(&a, &c, n),
          "%s: another stream gives the same trajectory", what);
    catex_rng_destroy(rng);
    catex_kmc_result_free(&a);
    catex_kmc_result_free(&b);
    catex_kmc_result_free(&c);
    catex_kmc_destroy(k1);
    catex_kmc_destroy(k2);
  }
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_kmc_run", &argc, &argv)) return 1;
  catex_lattice *lat = km_lattice(CATEX_LATTICE_HEXAGON, 6);
  catex_elastic *el = NULL;
  double *V = km_potential(lat, &el);
  CHECK(&t, V != NULL, "potential");
  if (V) {
    grid_and_observables(&t, lat, V, el);
    stop_conditions(&t, lat, V);
    reproducibility(&t, lat, V);
  }
  free(V);
  catex_elastic_destroy(el);
  catex_lattice_destroy(lat);
  return catex_check_finish(&t);
}
