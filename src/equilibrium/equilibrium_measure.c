/* Phase fractions over the interior core sites, fast enough to run every
 * sweep. Each interior site gets a stencil of site indices (2D: itself and
 * its 6-ring in ring order; 3D: itself and its 18 bonded neighbours). In 2D
 * the 7 spins form a code whose label is looked up in a 128-entry table
 * built by asking catex_phase_label itself about every code, so the rule
 * lives in one place (observables.c) and the table cannot drift from it. */
#include <stdlib.h>
#include <string.h>

#include "equilibrium_internal.h"

catex_status catex_eq_labels_setup(catex_equilibrium *eq, catex_error *err)
{
  const catex_lattice *lat = eq->lat;
  int *sites = NULL;
  const int ni = catex_sites_interior_core(lat, &sites);
  if (ni < 0) return catex_error_set(err, CATEX_ERR_NOMEM, "equilibrium: out of memory");
  eq->interior = sites;
  eq->ninterior = ni;
  if (ni == 0)
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: the core has no interior sites to measure");
  eq->width = eq->dim == 2 ? 7 : 1 + catex_lattice_max_bonds(lat);
  eq->stencil = malloc(sizeof(int) * (size_t)ni * (size_t)eq->width);
  if (!eq->stencil) return catex_error_set(err, CATEX_ERR_NOMEM, "equilibrium: out of memory");
  const int *off = catex_lattice_neighbor_offsets(lat), *nbr = catex_lattice_neighbors(lat);
  for (int k = 0; k < ni; k++) {
    const int i = sites[k];
    int *st = eq->stencil + (size_t)k * eq->width;
    if (off[i + 1] - off[i] != catex_lattice_max_bonds(lat))
      return catex_error_set(err, CATEX_ERR_INTERNAL, "equilibrium: interior core site %d lacks a full ring", i);
    st[0] = i;
    if (eq->dim == 2) {
      int ring[6];
      catex_lattice_ring(lat, i, ring);
      for (int r = 0; r < 6; r++) st[1 + r] = ring[r];
    } else {
      for (int r = off[i]; r < off[i + 1]; r++) st[1 + r - off[i]] = nbr[r];
    }
  }
  if (eq->dim != 2) return CATEX_OK;

  signed char *scratch = malloc((size_t)eq->n);
  if (!scratch) return catex_error_set(err, CATEX_ERR_NOMEM, "equilibrium: out of memory");
  memset(scratch, -1, (size_t)eq->n);
  const int *st = eq->stencil; /* any interior site will do */
  for (int code = 0; code < 128; code++) {
    for (int r = 0; r < 7; r++) scratch[st[r]] = (code >> r) & 1 ? 1 : -1;
    eq->table[code] = (signed char)catex_phase_label(lat, scratch, st[0]);
  }
  free(scratch);
  for (int code = 0; code < 128; code++)
    if (eq->table[code] < 0 || eq->table[code] >= CATEX_NUM_PHASES)
      return catex_error_set(err, CATEX_ERR_INTERNAL, "equilibrium: bad phase label table");
  return CATEX_OK;
}

void catex_equilibrium_phase_fractions(const catex_equilibrium *eq, double f[CATEX_NUM_PHASES])
{
  long count[CATEX_NUM_PHASES] = {0};
  const signed char *s = eq->sigma;
  const int ni = eq->ninterior, w = eq->width;
  const int *st = eq->stencil;
  if (eq->dim == 2) {
    for (int k = 0; k < ni; k++, st += 7) {
      /* bit r set where sigma = +1: (s + 1) / 2 */
      const unsigned code = (unsigned)((s[st[0]] + 1) >> 1) | (unsigned)((s[st[1]] + 1) >> 1) << 1 |
                            (unsigned)((s[st[2]] + 1) >> 1) << 2 | (unsigned)((s[st[3]] + 1) >> 1) << 3 |
                            (unsigned)((s[st[4]] + 1) >> 1) << 4 | (unsigned)((s[st[5]] + 1) >> 1) << 5 |
                            (unsigned)((s[st[6]] + 1) >> 1) << 6;
      count[eq->table[code]]++;
    }
  } else {
    for (int k = 0; k < ni; k++, st += w) {
      int sum = 0;
      for (int r = 0; r < w; r++) sum += s[st[r]];
      count[sum == w ? CATEX_PHASE_U1 : sum == -w ? CATEX_PHASE_U2 : CATEX_PHASE_UNCLASSIFIED]++;
    }
  }
  for (int a = 0; a < CATEX_NUM_PHASES; a++) f[a] = (double)count[a] / ni;
}

double catex_eq_area_deviation(const catex_equilibrium *eq)
{
  return catex_area_deviation_ms(eq->lat, eq->u, CATEX_AREA_MISMATCH, eq->interior, eq->ninterior);
}
