#include "check.h"

#include <petscsys.h>
#include <stdarg.h>

int catex_check_init(catex_check *t, const char *name, int *argc, char ***argv)
{
  t->name = name;
  t->checks = t->failures = 0;
  return PetscInitialize(argc, argv, NULL, NULL) != 0;
}

void catex_check_record(catex_check *t, int ok, const char *file, int line, const char *fmt, ...)
{
  t->checks++;
  if (ok) return;
  t->failures++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s:%d: FAILED: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

int catex_check_finish(catex_check *t)
{
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0 || t->failures)
    printf("%s: %d checks, %d failed\n", t->name, t->checks, t->failures);
  PetscFinalize();
  return t->failures ? 1 : (t->checks ? 0 : 1); /* a test that checked nothing fails */
}
