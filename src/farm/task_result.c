/* Task result records (include/catex/task.h). */
#include <stdlib.h>
#include <string.h>

#include "catex/task.h"

void catex_task_result_destroy(catex_task_result *res)
{
  if (!res) return;
  catex_kmc_result_free(&res->kmc);
  catex_equilibrium_result_free(&res->eq);
  free(res->V);
  free(res);
}

size_t catex_task_result_bytes(const catex_task_result *r)
{
  size_t b = 0;
  const catex_kmc_result *k = &r->kmc;
  if (k->time) b += (size_t)k->nsamples * (4 + CATEX_NUM_PHASES) * sizeof(double);
  if (k->snapshots) b += (size_t)k->nsnapshots * ((size_t)k->nsites + sizeof(double));
  if (k->f_interior) b += (size_t)k->nsamples * CATEX_NUM_PHASES * sizeof(double);
  if (r->eq.snapshots) b += (size_t)r->eq.nsnapshots * (size_t)r->eq.nsites;
  if (r->eq.fU_series) b += 2 * (size_t)r->eq.nmeasured * sizeof(double);
  if (r->V) b += (size_t)r->nsites * (size_t)r->nsites * sizeof(double);
  return b;
}

unsigned long long catex_potential_checksum(const double *V, int n)
{
  unsigned long long h = 14695981039346656037ULL;
  const unsigned char *b = (const unsigned char *)V;
  const size_t nb = (size_t)n * (size_t)n * sizeof(double);
  for (size_t i = 0; i < nb; i++) {
    h ^= b[i];
    h *= 1099511628211ULL;
  }
  return h;
}
