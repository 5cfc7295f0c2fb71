/* The short-range path's area deviation: computed at sample times from one
 * sparse solve with the lattice's factorisation of D (no N x N array), it
 * equals the dense-response result G sigma to 1e-12 along whole KMC
 * trajectories (Ising and, with the dense engine, elastic) and in an
 * equilibrium run; a displacement function off by 1e-4 is caught
 * (negative control: the comparison can fail). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catex/elastic.h"
#include "catex/equilibrium.h"
#include "catex/kmc.h"
#include "check.h"

static catex_status sparse_u(void *ctx, const signed char *sigma, double *u, catex_error *err)
{
  return catex_elastic_displacements(ctx, sigma, u, err);
}

typedef struct {
  catex_elastic *el;
  int ndof;
} scaled_ctx;

static catex_status scaled_u(void *ctx, const signed char *sigma, double *u, catex_error *err)
{
  scaled_ctx *s = ctx;
  catex_status st = catex_elastic_displacements(s->el, sigma, u, err);
  for (int r = 0; r < s->ndof; r++) u[r] *= 1.0001;
  return st;
}

/* dA_rms of one trajectory (nsamples) with G or with the function fn. */
static int trajectory(const catex_lattice *lat, const double *V, const double *G,
                      catex_status (*fn)(void *, const signed char *, double *, catex_error *), void *ctx,
                      double eps, double J, double dmu, double kT, double *dA, double *c, int nsamples)
{
  catex_kmc_params p;
  catex_kmc_params_default(&p);
  p.energy.eps = eps;
  p.energy.J = J;
  p.energy.dmu = dmu;
  p.kT = kT;
  p.t_max = 50;
  p.nsamples = nsamples;
  p.area_deviation = 1;
  p.displacements = fn;
  p.displacements_ctx = ctx;
  catex_kmc *kmc = NULL;
  catex_rng *rng = NULL;
  catex_kmc_result res;
  catex_error err = {0};
  int rc = -1;
  memset(&res, 0, sizeof res);
  if (catex_kmc_create(lat, eps != 0 ? V : NULL, G, &p, &kmc, &err) ||
      catex_kmc_result_alloc(&res, nsamples, 0, catex_lattice_num_sites(lat), &err) ||
      catex_rng_create(17, 3, &rng, &err) || catex_kmc_run(kmc, rng, &res, &err)) {
    fprintf(stderr, "kmc: %s\n", err.message);
  } else {
    memcpy(dA, res.dA_rms, sizeof(double) * (size_t)nsamples);
    memcpy(c, res.c, sizeof(double) * (size_t)nsamples);
    rc = 0;
  }
  catex_kmc_result_free(&res);
  catex_rng_destroy(rng);
  catex_kmc_destroy(kmc);
  return rc;
}

static double max_diff(const double *a, const double *b, int n, int *finite)
{
  double d = 0;
  *finite = 1;
  for (int k = 0; k < n; k++) {
    if (!isfinite(a[k]) || !isfinite(b[k])) *finite = 0;
    d = fmax(d, fabs(a[k] - b[k]));
  }
  return d;
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_memory_area", &argc, &argv)) return 1;
  catex_lattice_spec spec = {CATEX_LATTICE_HEXAGON, 6, 1, 5.0};
  catex_lattice *lat = NULL;
  catex_elastic *dense = NULL, *sparse = NULL;
  catex_error err = {0};
  CHECK(&t, catex_lattice_create(&spec, &lat, &err) == CATEX_OK, "lattice: %s", err.message);
  const int n = catex_lattice_num_sites(lat), ns = 30;
  double *V = malloc(sizeof(double) * (size_t)n * n);
  double dA1[30], dA2[30], c1[30], c2[30];
  CHECK(&t, catex_elastic_create(lat, NULL, &dense, &err) == CATEX_OK && catex_elastic_potential(dense, V, NULL, &err) == CATEX_OK,
        "dense response: %s", err.message);
  CHECK(&t, catex_elastic_create(lat, NULL, &sparse, &err) == CATEX_OK, "sparse: %s", err.message);
  const double *G = catex_elastic_displacement_response(dense);
  CHECK(&t, G != NULL, "no dense response");
  struct { const char *what; double eps, J, dmu, kT; } models[] = {
      {"Ising", 0, 1, -10, 2}, {"non-interacting", 0, 0, -10, 1}, {"elastic (dense engine)", 1, 0, -20, 0.2}};
  for (int m = 0; m < 3 && G; m++) {
    int ok1 = trajectory(lat, V, G, NULL, NULL, models[m].eps, models[m].J, models[m].dmu, models[m].kT, dA1, c1, ns) == 0;
    int ok2 = trajectory(lat, V, NULL, sparse_u, sparse, models[m].eps, models[m].J, models[m].dmu, models[m].kT, dA2, c2, ns) == 0;
    CHECK(&t, ok1 && ok2, "%s: trajectories did not run", models[m].what);
    if (!ok1 || !ok2) continue;
    int fin;
    CHECK(&t, max_diff(c1, c2, ns, &fin) == 0, "%s: the trajectories differ (the area deviation must not steer them)",
          models[m].what);
    const double d = max_diff(dA1, dA2, ns, &fin);
    CHECK(&t, fin && d <= 1e-12, "%s: sparse dA_rms differs from the dense-response one by %.3g (> 1e-12)",
          models[m].what, d);
    /* some samples must show a non-trivial deviation, or the test is empty */
    double big = 0;
    for (int k = 0; k < ns; k++) big = fmax(big, dA1[k]);
    CHECK(&t, big > 1e-4, "%s: dA_rms never exceeds %.3g: nothing compared", models[m].what, big);
    if (m == 0) {
      scaled_ctx sc = {sparse, 2 * n};
      int ok3 = trajectory(lat, V, NULL, scaled_u, &sc, 0, 1, -10, 2, dA2, c2, ns) == 0;
      CHECK(&t, ok3 && max_diff(dA1, dA2, ns, &fin) > 1e-7,
            "negative control: a displacement 1e-4 off gives dA_rms within %.3g", max_diff(dA1, dA2, ns, &fin));
    }
  }
  /* equilibrium: <dA^2> from the incremental G path and from the sparse solve */
  if (G) {
    catex_equilibrium_params p;
    catex_equilibrium_params_default(&p);
    p.energy.eps = 1;
    p.kT = 0.2;
    p.equilibrate = 50;
    p.measure = 100;
    p.area_deviation = 1;
    double r[2] = {NAN, NAN};
    for (int k = 0; k < 2; k++) {
      catex_equilibrium_params q = p;
      if (k) {
        q.displacements = sparse_u;
        q.displacements_ctx = sparse;
      }
      catex_equilibrium *eq = NULL;
      catex_rng *rng = NULL;
      catex_equilibrium_result res;
      memset(&res, 0, sizeof res);
      if (catex_equilibrium_create(lat, V, k ? NULL : G, &q, &eq, &err) == CATEX_OK &&
          catex_rng_create(5, 1, &rng, &err) == CATEX_OK && catex_equilibrium_run(eq, rng, &res, &err) == CATEX_OK)
        r[k] = res.dA2_mean;
      else
        CHECK(&t, 0, "equilibrium %d: %s", k, err.message);
      catex_equilibrium_result_free(&res);
      catex_rng_destroy(rng);
      catex_equilibrium_destroy(eq);
    }
    CHECK(&t, isfinite(r[0]) && r[0] > 0 && fabs(r[0] - r[1]) <= 1e-12 * fmax(1.0, r[0]),
          "equilibrium <dA^2>: G %.17g vs sparse %.17g", r[0], r[1]);
  }
  catex_elastic_destroy(dense);
  catex_elastic_destroy(sparse);
  catex_lattice_destroy(lat);
  free(V);
  return catex_check_finish(&t);
}
