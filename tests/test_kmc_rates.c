/* Rates and incremental state of the KMC engine.
 *  - every listed event is a legal one (exchange at a boundary site, swap of
 *    an unlike bonded pair), none is missing, and its rate equals
 *    k0 exp(-beta (E' - E) / 2) with E' - E from an energy written out in
 *    this test: 2D hexagon and 3D cube (NN + NNN swaps), elastic + Ising +
 *    dmu (dense scheme) and Ising (local scheme), after a few hundred events;
 *  - after 1e5 events without refresh the incremental fields and rates
 *    match a from-scratch recomputation to 1e-9, and a refresh brings the
 *    error back to rounding level; the local scheme is exact. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_kmc_util.h"

/* Compares the engine's events with brute force; returns the max relative
 * rate error. */
static double check_events(catex_check *t, const catex_lattice *lat, const double *V, const catex_kmc_params *p,
                           const catex_kmc *kmc, const char *what)
{
  const int n = catex_lattice_num_sites(lat);
  const signed char *s0 = catex_kmc_state(kmc);
  signed char *s = malloc((size_t)n);
  memcpy(s, s0, (size_t)n);
  const long nev = catex_kmc_list_events(kmc, NULL, 0);
  catex_kmc_event *ev = malloc(sizeof *ev * (size_t)(nev + 1));
  catex_kmc_list_events(kmc, ev, nev);
  /* the expected event set */
  const unsigned char *bnd = catex_lattice_boundary(lat);
  const catex_bond *b = catex_lattice_bonds(lat);
  long want = 0;
  for (int i = 0; i < n; i++) want += bnd[i] && p->k_ex0 > 0;
  for (int k = 0; k < catex_lattice_num_bonds(lat); k++) want += s[b[k].i] != s[b[k].j] && p->k_diff0 > 0;
  CHECK(t, nev == want, "%s: %ld events listed, %ld possible", what, nev, want);
  const double E0 = km_energy(lat, V, p->energy.eps, p->energy.J, p->energy.dmu, s);
  double worst = 0, total = 0;
  int bad = 0, distinct = 0;
  for (long e = 0; e < nev; e++) {
    const int i = ev[e].i, j = ev[e].j;
    if (ev[e].type == CATEX_KMC_EVENT_EXCHANGE) {
      bad += !bnd[i] || j != -1;
      s[i] = (signed char)-s[i];
    } else {
      int bonded = 0;
      for (int k = 0; k < catex_lattice_num_bonds(lat); k++) bonded |= b[k].i == i && b[k].j == j;
      bad += !bonded || s[i] == s[j];
      s[i] = (signed char)-s[i];
      s[j] = (signed char)-s[j];
    }
    const double dE = km_energy(lat, V, p->energy.eps, p->energy.J, p->energy.dmu, s) - E0;
    const double k0 = ev[e].type == CATEX_KMC_EVENT_EXCHANGE ? p->k_ex0 : p->k_diff0;
    const double want_rate = k0 * exp(-0.5 * dE / p->kT);
    worst = fmax(worst, fabs(ev[e].rate - want_rate) / want_rate);
    total += want_rate;
    distinct += e > 0 && fabs(ev[e].rate - ev[0].rate) > 1e-6 * ev[0].rate;
    memcpy(s, s0, (size_t)n);
  }
  CHECK(t, bad == 0, "%s: %d illegal events listed", what, bad);
  CHECK(t, worst < 1e-9, "%s: rate differs from k0 exp(-beta dE/2) by %.3g (relative)", what, worst);
  CHECK(t, distinct > 0, "%s: all rates equal: the state is not a discriminating test", what);
  CHECK_CLOSE(t, catex_kmc_total_rate(kmc), total, 1e-9 * total, what);
  free(ev);
  free(s);
  return worst;
}

static void rates_case(catex_check *t, catex_lattice_kind kind, int side, int elastic, catex_kmc_algorithm algo,
                       const char *what)
{
  catex_lattice *lat = km_lattice(kind, side);
  catex_elastic *el = NULL;
  double *V = elastic ? km_potential(lat, &el) : NULL;
  CHECK(t, !elastic || V, "%s: potential", what);
  if (elastic && !V) return;
  catex_kmc_params p;
  /* moderate parameters: both directions of every event have sizeable rates */
  km_params(&p, 1.0, elastic ? 1.5 : 0.0, 0.7, -1.3, 1e9);
  p.k_ex0 = 0.8;
  p.k_diff0 = 1.7;
  p.algorithm = algo;
  for (long stream = 0; stream < 3; stream++) {
    p.max_events = 50 + 400 * stream;
    catex_kmc *kmc;
    catex_kmc_result res;
    if (km_run(t, lat, V, NULL, &p, 1, stream, &kmc, &res) == 0) {
      CHECK(t, catex_kmc_get_algorithm(kmc) == algo, "%s: scheme %s", what,
            catex_kmc_algorithm_name(catex_kmc_get_algorithm(kmc)));
      CHECK(t, res.stop_reason == CATEX_KMC_STOP_MAX_EVENTS, "%s: stop %s", what, catex_kmc_stop_name(res.stop_reason));
      check_events(t, lat, V, &p, kmc, what);
    }
    catex_kmc_result_free(&res);
    catex_kmc_destroy(kmc);
  }
  free(V);
  catex_elastic_destroy(el);
  catex_lattice_destroy(lat);
}

/* 1e5 events without refresh, then with refresh. */
static void drift_case(catex_check *t, catex_lattice_kind kind, int side, double kT, double eps, double J, double dmu,
                       const char *what)
{
  catex_lattice *lat = km_lattice(kind, side);
  catex_elastic *el = NULL;
  double *V = eps != 0 ? km_potential(lat, &el) : NULL;
  if (eps != 0 && !V) {
    CHECK(t, 0, "%s: potential", what);
    return;
  }
  catex_kmc_params p;
  km_params(&p, kT, eps, J, dmu, 1e12);
  p.max_events = 100000;
  p.refresh_interval = 1000000000L; /* never */
  catex_kmc *kmc;
  catex_kmc_result res;
  if (km_run(t, lat, V, NULL, &p, 1, 1, &kmc, &res) == 0) {
    double ferr, rerr;
    CHECK(t, catex_kmc_consistency(kmc, &ferr, &rerr, NULL) == CATEX_OK, "consistency");
    CHECK(t, res.events_exchange + res.events_swap == 100000, "%s: %ld events", what,
          res.events_exchange + res.events_swap);
    CHECK(t, ferr <= 1e-9 && rerr <= 1e-9, "%s: after 1e5 events field error %.3g, rate error %.3g", what, ferr, rerr);
    if (eps == 0) /* no drift: only the rounding of the factorised rate itself */
      CHECK(t, ferr == 0 && rerr <= 1e-14, "%s: local scheme should not drift (%.3g, %.3g)", what, ferr, rerr);
    printf("%s: after 1e5 events without refresh: field error %.3g, rate error %.3g\n", what, ferr, rerr);
    catex_kmc_result_free(&res);
    catex_kmc_destroy(kmc);
    /* refresh after every event: only the last event's update remains */
    p.refresh_interval = 1;
    p.max_events = 2000;
    if (km_run(t, lat, V, NULL, &p, 1, 1, &kmc, &res) == 0) {
      const double e1 = catex_kmc_consistency_error(kmc);
      CHECK(t, e1 <= 1e-12, "%s: with refresh every event the error is %.3g", what, e1);
    }
  }
  catex_kmc_result_free(&res);
  catex_kmc_destroy(kmc);
  free(V);
  catex_elastic_destroy(el);
  catex_lattice_destroy(lat);
}

/* Engines refuse what they cannot do, with a message. */
static void bad_args(catex_check *t)
{
  catex_lattice *lat = km_lattice(CATEX_LATTICE_HEXAGON, 3);
  catex_kmc_params p;
  catex_kmc *kmc = NULL;
  catex_error err = {0};
  km_params(&p, 1, 1, 0, -1, 10);
  CHECK(t, catex_kmc_create(lat, NULL, NULL, &p, &kmc, &err) == CATEX_ERR_ARG && !kmc, "eps != 0 without V");
  km_params(&p, 0, 0, 1, -1, 10);
  CHECK(t, catex_kmc_create(lat, NULL, NULL, &p, &kmc, &err) == CATEX_ERR_ARG, "kT = 0");
  km_params(&p, 1, 0, 1, -1, -1);
  CHECK(t, catex_kmc_create(lat, NULL, NULL, &p, &kmc, &err) == CATEX_ERR_ARG, "t_max < 0");
  km_params(&p, 0.001, 0, 1, -1, 10);
  CHECK(t, catex_kmc_create(lat, NULL, NULL, &p, &kmc, &err) == CATEX_ERR_ARG, "rates overflow: %s", err.message);
  const double times[2] = {2, 1};
  km_params(&p, 1, 0, 1, -1, 10);
  p.nsamples = 2;
  p.sample_times = times;
  CHECK(t, catex_kmc_create(lat, NULL, NULL, &p, &kmc, &err) == CATEX_ERR_ARG, "decreasing sample times");
  km_params(&p, 1, 0, 1, -1, 10);
  p.area_deviation = 1;
  CHECK(t, catex_kmc_create(lat, NULL, NULL, &p, &kmc, &err) == CATEX_ERR_ARG, "area deviation without G");
  catex_lattice_destroy(lat);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_kmc_rates", &argc, &argv)) return 1;
  rates_case(&t, CATEX_LATTICE_HEXAGON, 4, 1, CATEX_KMC_ALGO_DENSE, "hexagon elastic+Ising (dense)");
  rates_case(&t, CATEX_LATTICE_CUBE, 4, 1, CATEX_KMC_ALGO_DENSE, "cube elastic+Ising (dense)");
  rates_case(&t, CATEX_LATTICE_HEXAGON, 4, 0, CATEX_KMC_ALGO_LOCAL, "hexagon Ising (local)");
  rates_case(&t, CATEX_LATTICE_CUBE, 3, 0, CATEX_KMC_ALGO_LOCAL, "cube Ising (local)");
  drift_case(&t, CATEX_LATTICE_HEXAGON, 6, 0.5, 1, 0.3, -2, "hexagon side 6 elastic+Ising");
  drift_case(&t, CATEX_LATTICE_CUBE, 4, 1.5, 1, 0.3, -20, "cube L 4 elastic+Ising");
  drift_case(&t, CATEX_LATTICE_HEXAGON, 6, 2, 0, 1, -2, "hexagon side 6 Ising");
  bad_args(&t);
  return catex_check_finish(&t);
}
