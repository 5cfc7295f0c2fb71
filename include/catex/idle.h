/* Waiting without holding a core. Open MPI's blocking calls busy-poll: a
 * rank that waits in MPI_Wait or a blocking collective for a peer busy
 * with a long task (a ladder, for an hour) runs its core at 100 % all that
 * time, taking it from the tasks of a shared node. These wait by testing
 * and sleeping instead. */
#ifndef CATEX_IDLE_H
#define CATEX_IDLE_H

#include <mpi.h>

/* One idle step: sleeps 20 us doubling with *idle up to 1 ms and counts
 * *idle up (set it to 0 on activity): reacts fast after a short gap and
 * costs ~nothing when a rank waits long. */
void catex_idle_sleep(int *idle);

/* MPI_Wait(req) by MPI_Test and catex_idle_sleep; returns MPI_Test's error
 * code if it fails, else MPI_SUCCESS. */
int catex_idle_wait(MPI_Request *req);

#endif
