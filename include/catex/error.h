/* Error reporting: every fallible catex function returns a catex_status and,
 * when given a non-NULL catex_error, leaves a human-readable message in it.
 * There is no global error state, so workers can report per-task failures. */
#ifndef CATEX_ERROR_H
#define CATEX_ERROR_H

#include <stddef.h>

typedef enum {
  CATEX_OK = 0,
  CATEX_ERR_ARG,      /* invalid argument or parameter value */
  CATEX_ERR_NOMEM,    /* allocation failed */
  CATEX_ERR_SOLVER,   /* PETSc / linear solver failure or non-convergence */
  CATEX_ERR_IO,       /* file or HDF5 failure */
  CATEX_ERR_PARSE,    /* malformed job file or command line */
  CATEX_ERR_MPI,      /* MPI failure */
  CATEX_ERR_STATE,    /* operation not valid in the object's current state */
  CATEX_ERR_INTERNAL, /* a bug: an invariant of catex itself was violated */
  CATEX_ERR_INTERRUPTED /* stopped early on request (a signal; see catex/run_hook.h) */
} catex_status;

typedef struct {
  catex_status code;
  char message[1024];
} catex_error;

/* Records code and a printf-style message in err (if non-NULL); returns code
 * so that callers can write `return catex_error_set(err, ...);`. */
catex_status catex_error_set(catex_error *err, catex_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with context ("<context>: <old message>")
 * and returns code (the status being propagated). */
catex_status catex_error_prefix(catex_error *err, catex_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void catex_error_clear(catex_error *err);
const char *catex_status_name(catex_status code);

#endif
