#include "test_kmc_util.h"

#include <stdio.h>
#include <stdlib.h>

catex_lattice *km_lattice(catex_lattice_kind kind, int side)
{
  catex_lattice_spec spec = {kind, side, 0, 1.0};
  catex_lattice *lat = NULL;
  catex_error err;
  if (catex_lattice_create(&spec, &lat, &err)) fprintf(stderr, "lattice: %s\n", err.message);
  return lat;
}

double *km_potential(const catex_lattice *lat, catex_elastic **el)
{
  const int n = catex_lattice_num_sites(lat);
  double *V = malloc(sizeof(double) * (size_t)n * n);
  catex_error err;
  *el = NULL;
  if (!V || catex_elastic_create(lat, NULL, el, &err) || catex_elastic_potential(*el, V, NULL, &err)) {
    fprintf(stderr, "potential: %s\n", V ? err.message : "out of memory");
    free(V);
    catex_elastic_destroy(*el);
    *el = NULL;
    return NULL;
  }
  return V;
}

double km_energy(const catex_lattice *lat, const double *V, double eps, double J, double dmu,
                 const signed char *sigma)
{
  const int n = catex_lattice_num_sites(lat);
  double el = 0, is = 0, f = 0;
  if (V)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) el += sigma[i] * V[(size_t)i * n + j] * sigma[j];
  const catex_bond *b = catex_lattice_bonds(lat);
  for (int k = 0; k < catex_lattice_num_bonds(lat); k++)
    if (b[k].nearest) is += sigma[b[k].i] * sigma[b[k].j];
  for (int i = 0; i < n; i++) f += sigma[i];
  return 0.5 * eps * el - J * is - 0.5 * dmu * f;
}

void km_params(catex_kmc_params *p, double kT, double eps, double J, double dmu, double t_max)
{
  catex_kmc_params_default(p);
  p->kT = kT;
  p->energy = (catex_energy_params){eps, J, dmu};
  p->t_max = t_max;
  p->nsamples = 0;
}

int km_run(catex_check *t, const catex_lattice *lat, const double *V, const double *G, const catex_kmc_params *p,
           long seed, long stream, catex_kmc **kmc, catex_kmc_result *res)
{
  catex_error err = {0};
  catex_rng *rng = NULL;
  *kmc = NULL;
  *res = (catex_kmc_result){0};
  int ok = catex_kmc_create(lat, V, G, p, kmc, &err) == CATEX_OK &&
           catex_kmc_result_alloc(res, p->nsamples, p->nsnapshots, catex_lattice_num_sites(lat), &err) == CATEX_OK &&
           catex_rng_create(seed, stream, &rng, &err) == CATEX_OK && catex_kmc_run(*kmc, rng, res, &err) == CATEX_OK;
  CHECK(t, ok, "kmc run failed: %s", err.message);
  catex_rng_destroy(rng);
  return ok ? 0 : -1;
}
