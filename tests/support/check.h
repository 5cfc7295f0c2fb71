/* Minimal checking for catex's C tests: every CHECK counts, a failed one
 * prints file:line and the message, and catex_check_finish() turns the tally
 * into the exit code (ctest reads it). PETSc is initialised for all tests. */
#ifndef CATEX_TEST_CHECK_H
#define CATEX_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

typedef struct {
  const char *name;
  int checks, failures;
} catex_check;

/* Initialises PETSc (and MPI); returns 0 on success. */
int catex_check_init(catex_check *t, const char *name, int *argc, char ***argv);
/* Prints the summary, finalises PETSc; returns the process exit code. */
int catex_check_finish(catex_check *t);

void catex_check_record(catex_check *t, int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define CHECK(t, cond, ...) catex_check_record((t), !!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* |a - b| <= tol, with both values in the message. */
#define CHECK_CLOSE(t, a, b, tol, what)                                                              \
  do {                                                                                               \
    double a_ = (a), b_ = (b), tol_ = (tol);                                                         \
    catex_check_record((t), fabs(a_ - b_) <= tol_, __FILE__, __LINE__, "%s: %.12g vs %.12g (|diff| %.3g > tol %.3g)", \
                       (what), a_, b_, fabs(a_ - b_), tol_);                                         \
  } while (0)

#endif
