/* The Gillespie / BKL trajectory loop and the observation grid.
 *
 * Area deviation: the displacements u = (1/2) D^+ C sigma are computed at
 * sample times only, and from the state alone: by the caller's displacement
 * function (one sparse solve with the lattice's factorisation of D: no N x N
 * array, O(nnz of the factor) per sample) or, when a dense response G is
 * given, as G sigma (d N^2 per sample). Nothing is paid per event, and no
 * rounding builds up along a trajectory or over an ensemble. */
#include <math.h>
#include <string.h>

#include "kmc_internal.h"

static double composition(const catex_kmc *kmc)
{
  /* the same arithmetic as catex_composition */
  return 0.5 * ((double)(2 * kmc->nplus - kmc->n) / kmc->n + 1.0);
}

typedef struct {
  long stamp;          /* nevents when the cached observables were computed, -1: none */
  double c, f[CATEX_NUM_PHASES], fi[CATEX_NUM_PHASES], dA;
} obs_cache;

static catex_status observe(catex_kmc *kmc, obs_cache *oc, catex_error *err)
{
  if (oc->stamp == kmc->nevents) return CATEX_OK;
  oc->c = composition(kmc);
  catex_phase_fractions(kmc->lat, kmc->sigma, kmc->ring_sites, kmc->nring, oc->f);
  if (kmc->ninterior > 0)
    catex_phase_fractions(kmc->lat, kmc->sigma, kmc->interior_sites, kmc->ninterior, oc->fi);
  else
    for (int a = 0; a < CATEX_NUM_PHASES; a++) oc->fi[a] = NAN;
  oc->dA = NAN;
  if (kmc->area) {
    const int n = kmc->n, dn = n * kmc->dim;
    double *restrict u = kmc->udisp;
    if (kmc->G) {
      for (int r = 0; r < dn; r++) {
        const double *restrict g = kmc->G + (size_t)r * n;
        double s = 0;
        for (int j = 0; j < n; j++) s += g[j] * kmc->sigma[j];
        u[r] = s;
      }
    } else {
      catex_status st = kmc->p.displacements(kmc->p.displacements_ctx, kmc->sigma, u, err);
      if (st) return catex_error_prefix(err, st, "kmc: area deviation");
    }
    double ms = catex_area_deviation_ms(kmc->lat, kmc->udisp, CATEX_AREA_MISMATCH, kmc->ring_sites, kmc->nring);
    if (ms < 0) return catex_error_set(err, CATEX_ERR_NOMEM, "kmc: out of memory computing the area deviation");
    oc->dA = sqrt(ms);
  }
  oc->stamp = kmc->nevents;
  return CATEX_OK;
}

static catex_status record_sample(catex_kmc *kmc, obs_cache *oc, catex_kmc_result *res, int s, catex_error *err)
{
  catex_status st = observe(kmc, oc, err);
  if (st) return st;
  res->c[s] = oc->c;
  for (int a = 0; a < CATEX_NUM_PHASES; a++) {
    res->f[(size_t)s * CATEX_NUM_PHASES + a] = oc->f[a];
    res->f_interior[(size_t)s * CATEX_NUM_PHASES + a] = oc->fi[a];
  }
  res->dA_rms[s] = oc->dA;
  return CATEX_OK;
}

static void record_snapshot(const catex_kmc *kmc, catex_kmc_result *res, int q)
{
  res->snapshot_time[q] = kmc->snapshot_times[q];
  memcpy(res->snapshots + (size_t)q * kmc->n, kmc->sigma, (size_t)kmc->n);
}

/* Records every sample and snapshot with time < limit (or <= limit when
 * inclusive) in the current state. */
static catex_status record_until(catex_kmc *kmc, obs_cache *oc, catex_kmc_result *res, int *ns, int *nq,
                                 double limit, int inclusive, catex_error *err)
{
  const double *st = kmc->sample_times, *qt = kmc->snapshot_times;
  while (*ns < kmc->p.nsamples && (st[*ns] < limit || (inclusive && st[*ns] == limit))) {
    catex_status s = record_sample(kmc, oc, res, *ns, err);
    if (s) return s;
    (*ns)++;
  }
  while (*nq < kmc->p.nsnapshots && (qt[*nq] < limit || (inclusive && qt[*nq] == limit))) {
    record_snapshot(kmc, res, *nq);
    (*nq)++;
  }
  return CATEX_OK;
}

static void reset(catex_kmc *kmc)
{
  for (int i = 0; i < kmc->n; i++) kmc->sigma[i] = 1;
  kmc->nplus = kmc->n;
  catex_ising_fields(kmc->lat, kmc->sigma, kmc->m);
  kmc->t = 0;
  kmc->nevents = kmc->nex = kmc->nswap = 0;
  if (kmc->algo == CATEX_KMC_ALGO_DENSE)
    kmc_dense_refresh(kmc);
  else
    kmc_local_refresh(kmc);
}

static void init_result(const catex_kmc *kmc, catex_kmc_result *res)
{
  const int ns = kmc->p.nsamples;
  for (int s = 0; s < ns; s++) {
    res->time[s] = kmc->sample_times[s];
    res->c[s] = NAN;
    res->dA_rms[s] = NAN;
    for (int a = 0; a < CATEX_NUM_PHASES; a++)
      res->f[(size_t)s * CATEX_NUM_PHASES + a] = res->f_interior[(size_t)s * CATEX_NUM_PHASES + a] = NAN;
  }
  for (int q = 0; q < kmc->p.nsnapshots; q++) res->snapshot_time[q] = NAN;
  memset(res->snapshots, 0, (size_t)kmc->p.nsnapshots * (size_t)kmc->n);
}

catex_status catex_kmc_run(catex_kmc *kmc, catex_rng *rng, catex_kmc_result *res, catex_error *err)
{
  if (!kmc || !rng || !res) return catex_error_set(err, CATEX_ERR_ARG, "kmc run: NULL argument");
  if (res->nsamples != kmc->p.nsamples || res->nsnapshots != kmc->p.nsnapshots || res->nsites != kmc->n)
    return catex_error_set(err, CATEX_ERR_ARG,
                           "kmc run: result sized for %d samples, %d snapshots, %d sites; engine has %d, %d, %d",
                           res->nsamples, res->nsnapshots, res->nsites, kmc->p.nsamples, kmc->p.nsnapshots, kmc->n);
  reset(kmc);
  init_result(kmc, res);
  const int dense = kmc->algo == CATEX_KMC_ALGO_DENSE;
  const double t_max = kmc->p.t_max, c_stop = kmc->p.c_stop;
  const long max_events = kmc->p.max_events;
  const catex_kmc_observer observer = kmc->p.observer;
  obs_cache oc = {.stamp = -1};
  int ns = 0, nq = 0;
  long since_refresh = 0;
  catex_status st = CATEX_OK;
  catex_kmc_stop reason = CATEX_KMC_STOP_TMAX; /* set on every path that uses it */

  if (composition(kmc) <= c_stop) {
    reason = CATEX_KMC_STOP_COMPOSITION;
    goto done;
  }
  for (;;) {
    const double total = dense ? kmc_dense_total(kmc) : kmc_local_total(kmc);
    if (!(total > 0)) {
      /* absorbing: the state holds for ever */
      if (observer) observer(kmc->p.observer_ctx, kmc->sigma, kmc->n, kmc->t, t_max - kmc->t);
      st = record_until(kmc, &oc, res, &ns, &nq, INFINITY, 1, err);
      reason = CATEX_KMC_STOP_NO_EVENTS;
      break;
    }
    const double t_next = kmc->t + catex_rng_exponential(rng) / total;
    if (t_next > t_max) {
      if (observer) observer(kmc->p.observer_ctx, kmc->sigma, kmc->n, kmc->t, t_max - kmc->t);
      st = record_until(kmc, &oc, res, &ns, &nq, t_max, 1, err);
      kmc->t = t_max;
      reason = CATEX_KMC_STOP_TMAX;
      break;
    }
    if (observer) observer(kmc->p.observer_ctx, kmc->sigma, kmc->n, kmc->t, t_next - kmc->t);
    if ((ns < kmc->p.nsamples && kmc->sample_times[ns] < t_next) ||
        (nq < kmc->p.nsnapshots && kmc->snapshot_times[nq] < t_next)) {
      st = record_until(kmc, &oc, res, &ns, &nq, t_next, 0, err);
      if (st) break;
    }
    kmc_move mv;
    const double r = catex_rng_uniform(rng) * total;
    if (dense) {
      kmc_dense_select(kmc, r, &mv);
      kmc_dense_apply(kmc, &mv);
    } else {
      kmc_local_select(kmc, r, &mv);
      kmc_local_apply(kmc, &mv);
    }
    kmc->t = t_next;
    kmc->nevents++;
    if (mv.type == CATEX_KMC_EVENT_EXCHANGE)
      kmc->nex++;
    else
      kmc->nswap++;
    if (composition(kmc) <= c_stop) {
      reason = CATEX_KMC_STOP_COMPOSITION;
      break;
    }
    if (max_events > 0 && kmc->nevents >= max_events) {
      reason = CATEX_KMC_STOP_MAX_EVENTS;
      break;
    }
    /* progress and early stop (a signal): the poll reads no random number */
    if ((kmc->nevents & 4095) == 0 && kmc->p.hook) {
      double fraction = kmc->t / t_max;
      if (max_events > 0 && (double)kmc->nevents / (double)max_events > fraction)
        fraction = (double)kmc->nevents / (double)max_events;
      if (catex_run_hook_poll(kmc->p.hook, "events", (double)kmc->nevents, (double)max_events, fraction)) {
        st = catex_error_set(err, CATEX_ERR_INTERRUPTED, "stopped after %ld events (t = %g)", kmc->nevents, kmc->t);
        break;
      }
    }
    if (++since_refresh >= kmc->refresh_interval) {
      since_refresh = 0;
      if (dense)
        kmc_dense_refresh(kmc);
      else
        kmc_local_refresh(kmc);
    }
  }
done:
  if (st) return catex_error_prefix(err, st, "kmc run");
  res->events_exchange = kmc->nex;
  res->events_swap = kmc->nswap;
  res->t_end = kmc->t;
  res->stop_reason = reason;
  return CATEX_OK;
}
