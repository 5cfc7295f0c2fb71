#include "catex/energy.h"

void catex_local_fields(int n, const double *V, const signed char *sigma, double *h)
{
  for (int i = 0; i < n; i++) {
    const double *row = V + (size_t)i * n;
    double s = 0;
    for (int j = 0; j < n; j++) s += row[j] * sigma[j];
    h[i] = s;
  }
}

void catex_ising_fields(const catex_lattice *lat, const signed char *sigma, int *m)
{
  const int n = catex_lattice_num_sites(lat);
  const int *off = catex_lattice_nn_offsets(lat), *nn = catex_lattice_nn_neighbors(lat);
  for (int i = 0; i < n; i++) {
    int s = 0;
    for (int k = off[i]; k < off[i + 1]; k++) s += sigma[nn[k]];
    m[i] = s;
  }
}

double catex_composition(int n, const signed char *sigma)
{
  long s = 0;
  for (int i = 0; i < n; i++) s += sigma[i];
  return 0.5 * ((double)s / n + 1.0);
}

double catex_energy_total(const catex_lattice *lat, const double *V, const catex_energy_params *p,
                          const signed char *sigma)
{
  const int n = catex_lattice_num_sites(lat);
  double elastic = 0, ising = 0, field = 0;
  if (p->eps != 0 && V) {
    for (int i = 0; i < n; i++) {
      const double *row = V + (size_t)i * n;
      double s = 0;
      for (int j = 0; j < n; j++) s += row[j] * sigma[j];
      elastic += sigma[i] * s;
    }
  }
  const catex_bond *b = catex_lattice_bonds(lat);
  for (int k = 0; k < catex_lattice_num_bonds(lat); k++)
    if (b[k].nearest) ising += sigma[b[k].i] * sigma[b[k].j];
  for (int i = 0; i < n; i++) field += sigma[i];
  return 0.5 * p->eps * elastic - p->J * ising - 0.5 * p->dmu * field;
}
