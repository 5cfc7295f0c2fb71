/* Polite waiting (include/catex/idle.h). */
#include <time.h>

#include "catex/idle.h"

void catex_idle_sleep(int *idle)
{
  long ns = 20000L << (*idle < 6 ? *idle : 6);
  if (ns > 1000000L) ns = 1000000L;
  struct timespec ts = {0, ns};
  nanosleep(&ts, NULL);
  (*idle)++;
}

int catex_idle_wait(MPI_Request *req)
{
  int done = 0, idle = 0;
  for (;;) {
    const int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS || done) return rc;
    catex_idle_sleep(&idle);
  }
}
