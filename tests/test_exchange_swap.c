/* The swap move and the low-rank cross energies of the K_shell ladder.
 *
 * (b) Detailed balance of the swap move alone in the joint ensemble
 *     pi(s_0, s_1) ~ exp(-beta [E_0(s_0) + E_1(s_1)]): hexagon core side 2 +
 *     1 shell (N = 19), two rungs. At many joint states (a, b) visited by
 *     the Kawasaki moves (no swap rounds), the ladder's own acceptance
 *     probability p(a, b) is read off by bisection on the uniform number
 *     (catex_exchange_try_swap), as is p(b, a) after the swap; then
 *     pi(a, b) p(a, b) = pi(b, a) p(b, a) must hold to 1e-9, with pi from
 *     energies written out here directly (s^T V s). Negative control: with
 *     the exponent mis-signed the same check must fail.
 * (c) Cross energies from the low-rank form equal direct energies: core
 *     side 6 + 1 shell (N = 127), 4 rungs, J and dmu on, 3000 sweeps with a
 *     swap round every sweep: E_l of the configuration at every rung k and
 *     the engine's kept fields and energy equal (eps/2) s^T V_l s - ... and
 *     V_k s computed directly, to 1e-10 relative; the factor's rank is the
 *     number of shell-shell bonds - 6 (docs/model.md). Once across K_shell
 *     2-16, where the factor stays in double precision, and once across
 *     8-8.06, where it is rounded to single: there V_k is the potential the
 *     rung samples (catex_exchange_rung_potential), which must be exactly
 *     symmetric and give energies within 1e-6 of E_k - E_0 of the elastic
 *     V_k's.
 *     The field corrections are all deferred here (pending_bound huge, no
 *     refresh), so the fields checked are the kept ones plus the deferred
 *     part (catex_exchange_core_fields), and that deferred part t must
 *     lie within the bound the sweeps are given: |t_a - mean t| <= spread
 *     (catex_exchange_pending_spread) at every core site.
 * (d, in process) A ladder checkpointed in mid-run (during equilibration
 * and during measurement) and restored into a fresh ladder ends with a
 * result bitwise identical to the uninterrupted one; a checkpoint is
 * refused for another seed. Corrections deferred, so that checkpoints
 * carry them. (That deferring changes no decision is
 * test_equilibrium_pending's.) */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catex/elastic.h"
#include "catex/energy.h"
#include "catex/exchange.h"
#include "check.h"

typedef struct {
  catex_lattice *lat;
  double **V;
  int n, nr;
} ladder_sys;

static int make(catex_check *t, int side, int nr, const double *K, ladder_sys *x)
{
  catex_error err;
  x->nr = nr;
  x->V = calloc((size_t)nr, sizeof *x->V);
  x->lat = NULL;
  for (int k = 0; k < nr; k++) {
    catex_lattice_spec spec = {CATEX_LATTICE_HEXAGON, side, 1, K[k]};
    catex_lattice *lat = NULL;
    catex_elastic *el = NULL;
    catex_elastic_options opt;
    catex_elastic_options_default(&opt);
    int ok = catex_lattice_create(&spec, &lat, &err) == CATEX_OK;
    x->n = ok ? catex_lattice_num_sites(lat) : 0;
    x->V[k] = malloc(sizeof(double) * (size_t)x->n * (size_t)x->n);
    ok = ok && catex_elastic_create(lat, &opt, &el, &err) == CATEX_OK &&
         catex_elastic_potential(el, x->V[k], NULL, &err) == CATEX_OK;
    catex_elastic_destroy(el);
    CHECK(t, ok, "side %d K %g: %s", side, K[k], ok ? "" : err.message);
    if (!ok) return 0;
    if (k == 0) x->lat = lat;
    else catex_lattice_destroy(lat);
  }
  return 1;
}

static void unmake(ladder_sys *x)
{
  for (int k = 0; k < x->nr; k++) free(x->V[k]);
  free(x->V);
  catex_lattice_destroy(x->lat);
}

static double elastic(const ladder_sys *x, int k, const signed char *s)
{
  double v = 0;
  for (int i = 0; i < x->n; i++)
    for (int j = 0; j < x->n; j++) v += s[i] * x->V[k][(size_t)i * x->n + j] * s[j];
  return 0.5 * v;
}

/* Acceptance probability of the swap (0, 1) at the current state, by bisection on u. */
static double acceptance(catex_exchange *ex, catex_check *t)
{
  catex_error err;
  double lo = 0, hi = 1;
  for (int it = 0; it < 60; it++) {
    const double mid = 0.5 * (lo + hi);
    if (catex_exchange_try_swap(ex, 0, mid, &err)) {
      lo = mid;
      CHECK(t, catex_exchange_try_swap(ex, 0, 0.0, &err), "swap back with u = 0 refused");
    } else {
      hi = mid;
    }
  }
  return hi;
}

/* Returns the number of states violating detailed balance. */
static int balance(catex_check *t, const ladder_sys *x, int swap_sign, int report)
{
  const double K[2] = {1.0, 5.0}, kT = 0.3;
  catex_exchange_params p;
  catex_exchange_params_default(&p);
  p.eq.energy.eps = 1.0;
  p.eq.kT = kT;
  p.eq.equilibrate = 0;
  p.eq.measure = 100000;
  p.exchange_every = 1L << 40; /* no swap rounds: the test drives the swaps */
  p.sample_stride = p.permutation_stride = 0;
  p.swap_sign = swap_sign;
  catex_exchange *ex = NULL;
  catex_error err;
  const long streams[2] = {3, 4};
  int bad = 0, tested = 0, nontrivial = 0;
  if (catex_exchange_create(x->lat, 2, K, (const double *const *)x->V, &p, &ex, &err) ||
      catex_exchange_start(ex, 77, streams, 5, &err)) {
    CHECK(t, 0, "ladder: %s", err.message);
    catex_exchange_destroy(ex);
    return -1;
  }
  for (int visit = 0; visit < 300; visit++) {
    int done;
    catex_exchange_advance(ex, 3, &done, &err);
    const signed char *a = catex_equilibrium_sigma(catex_exchange_rung(ex, 0));
    const signed char *b = catex_equilibrium_sigma(catex_exchange_rung(ex, 1));
    /* log pi(a, b) - log pi(b, a) */
    const double dlog = -(elastic(x, 0, a) + elastic(x, 1, b) - elastic(x, 0, b) - elastic(x, 1, a)) / kT;
    const double pab = acceptance(ex, t);
    CHECK(t, catex_exchange_try_swap(ex, 0, 0.0, &err), "swap to (b, a) refused");
    const double pba = acceptance(ex, t);
    CHECK(t, catex_exchange_try_swap(ex, 0, 0.0, &err), "swap back to (a, b) refused");
    /* pi(a,b) p(a,b) = pi(b,a) p(b,a)  <=>  p(a,b) exp(dlog) = p(b,a) */
    const double lhs = pab * exp(fmin(dlog, 0)), rhs = pba * exp(fmin(-dlog, 0));
    const int ok = fabs(lhs - rhs) <= 1e-9 * fmax(lhs, rhs);
    bad += !ok;
    tested++;
    nontrivial += fabs(dlog) > 0.1;
    if (report) CHECK(t, ok, "state %d: p(a,b) %.12g p(b,a) %.12g, log pi(a,b)/pi(b,a) %.6g", visit, pab, pba, dlog);
  }
  if (report)
    CHECK(t, nontrivial > 50, "only %d of %d visited states have distinct energies: nothing tested", nontrivial, tested);
  catex_exchange_destroy(ex);
  return bad;
}

enum { CROSS_RUNGS = 4 };

/* Rung k >= 1 of a rounded ladder sweeps rung 0's block; the bounds its
 * kernel gets on the rest of its potential, D = V_k - V_0, must hold: the
 * pair bound over every pair of core sites, the site spreads over every
 * column of D (what an accepted move at that site adds to its pending
 * part). Checked against D itself (to rounding: V_k holds V_0 + D). */
static void shared_block_bounds(catex_check *t, const catex_exchange *ex, int k, const double *V0, const double *Vk,
                                int n, int single)
{
  double pair = 0;
  const double *spread = NULL;
  const int shared = catex_exchange_shared_block_bounds(ex, k, &pair, &spread);
  CHECK(t, shared == single, "rung %d %s rung 0's core block", k, shared ? "sweeps" : "does not sweep");
  if (!shared) return;
  const catex_equilibrium *eq = catex_exchange_rung(ex, k);
  const int nc = catex_equilibrium_num_core(eq);
  const int *core = catex_equilibrium_core_sites(eq);
  double worst_pair = 0, worst_ratio = 0, slack = 1e-15;
  int bad = 0;
  for (int a = 0; a < nc; a++) {
    double mean = 0, dev = 0;
    for (int x = 0; x < nc; x++) mean += (Vk[(size_t)core[x] * n + core[a]] - V0[(size_t)core[x] * n + core[a]]) / nc;
    for (int x = 0; x < nc; x++) {
      const double d = Vk[(size_t)core[x] * n + core[a]] - V0[(size_t)core[x] * n + core[a]];
      dev = fmax(dev, fabs(d - mean));
      if (x != a) worst_pair = fmax(worst_pair, fabs(d));
    }
    bad += dev > spread[a] + slack;
    worst_ratio = fmax(worst_ratio, dev / fmax(spread[a], 1e-300));
  }
  printf("rung %d on rung 0's block: pair bound %.3g (largest |D_ab| %.3g), site spreads reach %.3g of their bound\n", k,
         pair, worst_pair, worst_ratio);
  CHECK(t, worst_pair <= pair + slack, "rung %d: |D_ab| reaches %.3g above the pair bound %.3g", k, worst_pair, pair);
  CHECK(t, bad == 0, "rung %d: %d sites whose column of D deviates more than their spread bound", k, bad);
  CHECK(t, worst_pair > 0 && worst_ratio > 0.01, "rung %d: bounds checked against an empty difference", k);
}

static void cross_energies(catex_check *t, const double K[CROSS_RUNGS], int expect_single)
{
  ladder_sys x;
  if (!make(t, 6, CROSS_RUNGS, K, &x)) {
    unmake(&x);
    return;
  }
  catex_exchange_params p;
  catex_exchange_params_default(&p);
  p.eq.energy.eps = 1.0;
  p.eq.energy.J = 0.3;
  p.eq.energy.dmu = 0.7;
  p.eq.kT = 0.5;
  p.eq.equilibrate = 1000;
  p.eq.measure = 2000;
  p.eq.refresh_accepted = 0; /* no exact refresh: the incremental fields are what is tested */
  p.pending_bound = 1e30;    /* every correction deferred (where Z is rounded; else none is) */
  catex_exchange *ex = NULL;
  catex_exchange_result res;
  catex_error err;
  const long streams[CROSS_RUNGS] = {20, 21, 22, 23};
  if (catex_exchange_create(x.lat, CROSS_RUNGS, K, (const double *const *)x.V, &p, &ex, &err) ||
      catex_exchange_run(ex, 5, streams, 24, &res, &err)) {
    CHECK(t, 0, "ladder: %s", err.message);
  } else {
    int rank, single;
    double resid;
    catex_exchange_factor_info(ex, &rank, &resid, &single);
    const unsigned char *shell = catex_lattice_shell(x.lat);
    const catex_bond *bonds = catex_lattice_bonds(x.lat);
    int nbss = 0;
    for (int b = 0; b < catex_lattice_num_bonds(x.lat); b++) nbss += shell[bonds[b].i] && shell[bonds[b].j];
    printf("K_shell %g-%g, N %d: %d shell-shell bonds, factor rank %d, residual %.3g, %s precision\n", K[0],
           K[CROSS_RUNGS - 1], x.n, nbss, rank, resid, single ? "single" : "double");
    /* a narrow ladder's differences are small enough for the solves' noise
     * (~1e-13 of V) to show above the rank cut: a few more columns, carried
     * like the others */
    CHECK(t, expect_single ? rank >= nbss - 6 : rank == nbss - 6, "rank %d, expected %d shell-shell bonds - 6", rank,
          nbss);
    CHECK(t, single == expect_single, "factor in %s precision, expected %s", single ? "single" : "double",
          expect_single ? "single" : "double");
    /* rounded to single precision, Z moves the form by ~3e-8 of |V_l - V_0| */
    CHECK(t, resid <= (single ? CATEX_EXCHANGE_FACTOR_TOL : 1e-11), "factor residual %g", resid);
    long swaps = 0;
    for (int k = 0; k + 1 < CROSS_RUNGS; k++) swaps += (long)llround(res.swap_acceptance[k] * (double)res.swap_attempts[k]);
    CHECK(t, swaps > 100, "only %ld accepted swaps: the moved fields are hardly tested", swaps);
    CHECK(t, catex_exchange_rung_potential(ex, 0) == x.V[0], "rung 0 does not sample the V it was given");
    for (int k = 1; k < CROSS_RUNGS; k++) {
      const double *Vk = catex_exchange_rung_potential(ex, k);
      CHECK(t, (Vk == x.V[k]) == !single, "rung %d samples %s", k, Vk == x.V[k] ? "its V although the factor is rounded"
                                                                      : "another V although the factor is not rounded");
      int asym = 0;
      for (int i = 0; i < x.n; i++)
        for (int j = 0; j < i; j++) asym += Vk[(size_t)i * x.n + j] != Vk[(size_t)j * x.n + i];
      CHECK(t, asym == 0, "rung %d's potential is not symmetric at %d pairs", k, asym);
      shared_block_bounds(t, ex, k, x.V[0], Vk, x.n, single);
    }
    double worst = 0;
    for (int k = 0; k < CROSS_RUNGS; k++) {
      const catex_equilibrium *eq = catex_exchange_rung(ex, k);
      const signed char *s = catex_equilibrium_sigma(eq);
      /* the potentials the rungs sample: the V's given, or from the rounded factor */
      const double *Vk = catex_exchange_rung_potential(ex, k);
      const double own = catex_equilibrium_energy(eq), direct = catex_energy_total(x.lat, Vk, &p.eq.energy, s);
      for (int l = 0; l < CROSS_RUNGS; l++) {
        const double direct_l = catex_energy_total(x.lat, catex_exchange_rung_potential(ex, l), &p.eq.energy, s);
        const double lowrank = catex_exchange_cross_energy(ex, k, l);
        const double rel = fabs(lowrank - direct_l) / fmax(1.0, fabs(direct_l));
        worst = fmax(worst, rel);
        CHECK(t, rel <= 1e-10, "rung %d under V_%d: low-rank %.15g, direct %.15g", k, l, lowrank, direct_l);
        /* the difference itself, which a narrow ladder makes small */
        const double dlow = lowrank - own, ddir = direct_l - direct;
        CHECK(t, fabs(dlow - ddir) <= 1e-9 * fabs(ddir) + 1e-12 * fmax(1.0, fabs(direct)),
              "rung %d: E_%d - E_%d from the factor %.12g, direct %.12g", k, l, k, dlow, ddir);
        /* and the elastic V_l itself, which the rounded factor moves by ~3e-8 of V_l - V_0 */
        const double elastic_l = catex_energy_total(x.lat, x.V[l], &p.eq.energy, s);
        const double elastic_0 = catex_energy_total(x.lat, x.V[0], &p.eq.energy, s);
        CHECK(t, fabs(direct_l - elastic_l) <= (single ? 1e-6 : 1e-12) * fabs(elastic_l - elastic_0) + 1e-12 * fabs(elastic_l),
              "rung %d: E under rung %d's potential %.15g, under the elastic V %.15g", k, l, direct_l, elastic_l);
      }
      CHECK(t, fabs(own - direct) <= 1e-10 * fmax(1.0, fabs(direct)), "rung %d: kept E %.15g, direct %.15g", k, own,
            direct);
      const int nc = catex_equilibrium_num_core(eq);
      const int *core = catex_equilibrium_core_sites(eq);
      double *h = malloc(sizeof(double) * (size_t)nc);
      CHECK(t, h != NULL, "out of memory for the fields of rung %d", k);
      if (!h) continue;
      catex_exchange_core_fields(ex, k, h); /* kept fields plus the deferred part */
      const double *kept = catex_equilibrium_core_fields(eq);
      double hmax = 0, dmax = 0, tmean = 0, tdev = 0;
      for (int a = 0; a < nc; a++) {
        double v = 0;
        for (int j = 0; j < x.n; j++) v += Vk[(size_t)core[a] * x.n + j] * s[j];
        hmax = fmax(hmax, fabs(v));
        dmax = fmax(dmax, fabs(h[a] - v));
        tmean += (h[a] - kept[a]) / nc;
      }
      for (int a = 0; a < nc; a++) tdev = fmax(tdev, fabs(h[a] - kept[a] - tmean));
      free(h);
      CHECK(t, dmax <= 1e-10 * fmax(1.0, hmax), "rung %d: kept fields differ from V s by %.3g", k, dmax);
      const double spread = catex_exchange_pending_spread(ex, k);
      /* only the single-precision rows feed the kernel's deferred part */
      if (single) CHECK(t, tdev > 0, "rung %d: nothing deferred, the bound is not tested", k);
      else CHECK(t, tdev == 0 && spread == 0, "rung %d: a correction deferred without a single-precision factor", k);
      CHECK(t, tdev <= spread * (1 + 1e-12) + 1e-14 * fmax(1.0, hmax),
            "rung %d: deferred part deviates by %.6g, beyond the bound %.6g", k, tdev, spread);
      printf("rung %d: deferred part deviates by up to %.4g, bound %.4g\n", k, tdev, spread);
    }
    printf("cross energies: worst relative difference %.3g\n", worst);
    catex_exchange_result_free(&res);
  }
  catex_exchange_destroy(ex);
  unmake(&x);
}

static int same_result(const catex_exchange_result *a, const catex_exchange_result *b)
{
  const size_t nr = (size_t)a->nrungs, ns = (size_t)a->nsamples;
  if (a->nrungs != b->nrungs || a->nsamples != b->nsamples || a->npermutations != b->npermutations) return 0;
  return !memcmp(a->f_mean, b->f_mean, nr * CATEX_NUM_PHASES * 8) && !memcmp(a->f_err, b->f_err, nr * CATEX_NUM_PHASES * 8) &&
         !memcmp(a->fU_var, b->fU_var, nr * 8) && !memcmp(a->fU_var_err, b->fU_var_err, nr * 8) &&
         !memcmp(a->E_mean, b->E_mean, nr * 8) && !memcmp(a->acceptance, b->acceptance, nr * 8) &&
         !memcmp(a->fU_hist, b->fU_hist, nr * (size_t)a->nbins * 8) && !memcmp(a->round_trips, b->round_trips, nr * 8) &&
         !memcmp(a->swap_attempts, b->swap_attempts, (nr - 1) * 8) &&
         !memcmp(a->swap_acceptance, b->swap_acceptance, (nr - 1) * 8) &&
         !memcmp(a->permutation, b->permutation, nr * (size_t)a->npermutations * 4) &&
         !memcmp(a->sample_energy, b->sample_energy, ns * nr * nr * 8) && !memcmp(a->sample_f, b->sample_f, ns * nr * 40);
}

static void checkpoints(catex_check *t)
{
  enum { NR = 3 };
  const double K[NR] = {1.0, 3.0, 6.0};
  ladder_sys x;
  if (!make(t, 3, NR, K, &x)) {
    unmake(&x);
    return;
  }
  catex_exchange_params p;
  catex_exchange_params_default(&p);
  p.eq.energy.eps = 1.0;
  p.eq.kT = 0.8;
  p.eq.equilibrate = 3000;
  p.eq.measure = 20000;
  p.sample_stride = 500;
  p.permutation_stride = 300;
  p.eq.refresh_accepted = 5000;
  p.pending_bound = 1e30; /* the checkpoints carry deferred corrections */
  const long streams[NR] = {40, 41, 42};
  char path[] = "/tmp/catex-exchange-ckpt-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  catex_error err;
  catex_exchange_result ref, got;
  catex_exchange *a = NULL;
  if (catex_exchange_create(x.lat, NR, K, (const double *const *)x.V, &p, &a, &err) ||
      catex_exchange_run(a, 8, streams, 43, &ref, &err)) {
    CHECK(t, 0, "reference ladder: %s", err.message);
    catex_exchange_destroy(a);
    unmake(&x);
    return;
  }
  catex_exchange_destroy(a);
  const long cuts[2] = {1234, 3000 + 7777};
  for (int c = 0; c < 2; c++) {
    catex_exchange *b = NULL, *d = NULL;
    int done = 0;
    int ok = !catex_exchange_create(x.lat, NR, K, (const double *const *)x.V, &p, &b, &err) &&
             !catex_exchange_start(b, 8, streams, 43, &err) && !catex_exchange_advance(b, cuts[c], &done, &err) &&
             !catex_exchange_checkpoint_write(b, path, &err);
    catex_exchange_destroy(b); /* the interrupted run is gone */
    ok = ok && !catex_exchange_create(x.lat, NR, K, (const double *const *)x.V, &p, &d, &err) &&
         !catex_exchange_checkpoint_read(d, path, 8, streams, 43, &err);
    CHECK(t, ok && catex_exchange_sweeps_done(d) == cuts[c], "checkpoint at sweep %ld: %s", cuts[c], ok ? "" : err.message);
    while (ok && !done) ok = !catex_exchange_advance(d, 999, &done, &err);
    ok = ok && !catex_exchange_finish(d, &got, &err);
    CHECK(t, ok && same_result(&ref, &got), "restored at sweep %ld: result differs from the uninterrupted run (%s)",
          cuts[c], ok ? "data" : err.message);
    if (ok) catex_exchange_result_free(&got);
    catex_exchange_destroy(d);
  }
  catex_exchange *e = NULL;
  catex_exchange_create(x.lat, NR, K, (const double *const *)x.V, &p, &e, &err);
  CHECK(t, e && catex_exchange_checkpoint_read(e, path, 9, streams, 43, &err) == CATEX_ERR_IO,
        "a checkpoint of seed 8 must be refused for seed 9");
  catex_exchange_destroy(e);
  unlink(path);
  catex_exchange_result_free(&ref);
  unmake(&x);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_exchange_swap", &argc, &argv)) return 1;
  const double K[2] = {1.0, 5.0};
  ladder_sys x;
  if (make(&t, 2, 2, K, &x)) {
    CHECK(&t, x.n == 19, "N = %d, expected 19", x.n);
    int bad = balance(&t, &x, +1, 1);
    printf("detailed balance: %d violations (exact criterion)\n", bad);
    int control = balance(&t, &x, -1, 0);
    printf("detailed balance: %d violations (mis-signed criterion, negative control)\n", control);
    CHECK(&t, control > 50, "negative control: a mis-signed criterion violated detailed balance at only %d states",
          control);
  }
  unmake(&x);
  /* wide: the rounded factor would miss by ~1e-9 of |V x|, so it stays in
   * double; narrow: single (the sweeps then read the float rows) */
  const double wide[CROSS_RUNGS] = {2.0, 4.0, 8.0, 16.0}, narrow[CROSS_RUNGS] = {8.0, 8.02, 8.04, 8.06};
  cross_energies(&t, wide, 0);
  cross_energies(&t, narrow, 1);
  checkpoints(&t);
  return catex_check_finish(&t);
}
