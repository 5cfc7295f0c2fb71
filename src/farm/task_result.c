/* Task result records (include/catex/task.h). */
#include <stdlib.h>

#include "catex/task.h"

void catex_task_result_destroy(catex_task_result *res)
{
  if (!res) return;
  catex_kmc_result_free(&res->kmc);
  catex_equilibrium_result_free(&res->eq);
  catex_exchange_result_free(&res->xr);
  free(res->V);
  free(res);
}

size_t catex_task_result_bytes(const catex_task_result *r)
{
  size_t b = 0;
  const catex_kmc_result *k = &r->kmc;
  if (k->time) b += (size_t)k->nsamples * (4 + CATEX_NUM_PHASES) * sizeof(double);
  if (k->snapshots) b += (size_t)k->nsnapshots * ((size_t)k->nsites + sizeof(double));
  if (r->eq.fU_series) b += 2 * (size_t)r->eq.nmeasured * sizeof(double);
  if (r->xr.kshell) b += catex_exchange_result_bytes(&r->xr);
  if (r->V) b += (size_t)r->nsites * (size_t)r->nsites * sizeof(double);
  return b;
}
