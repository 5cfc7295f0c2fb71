/* Job loading for the farm: rank 0 reads and validates the file, the other
 * ranks parse the same text, so every rank holds the identical expansion
 * (dataset shapes must agree for the collective file creation) while only
 * rank 0 touches the job file. */
#include <stdlib.h>
#include <string.h>

#include "catex/farm.h"

catex_status catex_farm_load_job(MPI_Comm comm, const char *path, catex_job **job, catex_error *err)
{
  int rank;
  MPI_Comm_rank(comm, &rank);
  *job = NULL;
  catex_error e0;
  catex_error_clear(&e0);
  catex_status st = CATEX_OK;
  long len = 0;
  if (rank == 0) {
    st = catex_job_load(path, job, &e0);
    if (!st) len = (long)strlen(catex_job_text(*job));
  }
  /* Rank 0's status and message reach every rank: all of them report it. */
  int code = (int)st;
  MPI_Bcast(&code, 1, MPI_INT, 0, comm);
  MPI_Bcast(e0.message, (int)sizeof e0.message, MPI_CHAR, 0, comm);
  if (code) {
    if (err) {
      err->code = (catex_status)code;
      memcpy(err->message, e0.message, sizeof err->message);
    }
    return (catex_status)code;
  }
  MPI_Bcast(&len, 1, MPI_LONG, 0, comm);
  char *text = rank == 0 ? (char *)catex_job_text(*job) : malloc((size_t)len + 1);
  int ok = text != NULL, all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
  if (!all) {
    if (rank != 0) free(text);
    else catex_job_destroy(*job);
    *job = NULL;
    return catex_error_set(err, CATEX_ERR_NOMEM, "out of memory broadcasting the job text");
  }
  MPI_Bcast(text, (int)len + 1, MPI_CHAR, 0, comm);
  if (rank != 0) {
    st = catex_job_parse(text, path, job, err);
    free(text);
  }
  ok = st == CATEX_OK;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
  if (!all) {
    catex_job_destroy(*job);
    *job = NULL;
    return st ? st : catex_error_set(err, CATEX_ERR_INTERNAL, "another rank could not parse the job text");
  }
  return CATEX_OK;
}
