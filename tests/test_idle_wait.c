/* catex_idle_wait on 2 ranks: rank 1 joins a reduction 1 s late; rank 0,
 * waiting in catex_idle_wait, gets the right result and uses far less CPU
 * than the wait lasts (< 25 %; a busy-polling wait uses ~100 %, printed for
 * comparison from a plain MPI_Allreduce, whose polling depends on the MPI
 * library and is therefore not asserted). */
#include <mpi.h>
#include <stdio.h>
#include <time.h>

#include "catex/idle.h"
#include "check.h"

static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void late(void)
{
  struct timespec ts = {1, 0};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_idle_wait", &argc, &argv)) return 1;
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  CHECK(&t, size == 2, "run on 2 ranks, not %d", size);
  int mine = rank + 3, sum = 0;
  if (rank == 1) {
    late();
    MPI_Request req; /* a nonblocking collective matches only nonblocking ones */
    MPI_Iallreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &req);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    late();
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  } else {
    MPI_Request req;
    double c0 = cpu_now(), w0 = MPI_Wtime();
    int rc = MPI_Iallreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &req);
    if (rc == MPI_SUCCESS) rc = catex_idle_wait(&req);
    const double cpu = cpu_now() - c0, wall = MPI_Wtime() - w0;
    CHECK(&t, rc == MPI_SUCCESS && sum == 7, "reduction: rc %d, sum %d (expected 7)", rc, sum);
    CHECK(&t, wall > 0.8, "the wait lasted %.3f s: rank 1 did not arrive late, nothing tested", wall);
    CHECK(&t, cpu < 0.25 * wall, "catex_idle_wait used %.3f s of CPU in a %.3f s wait", cpu, wall);
    c0 = cpu_now();
    w0 = MPI_Wtime();
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("waiting %.2f s: catex_idle_wait %.3f s CPU; a blocking MPI_Allreduce %.3f s CPU in %.2f s\n", wall, cpu,
           cpu_now() - c0, MPI_Wtime() - w0);
  }
  return catex_check_finish(&t);
}
