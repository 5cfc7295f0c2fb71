#include "catex/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

catex_status catex_error_set(catex_error *err, catex_status code, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

catex_status catex_error_prefix(catex_error *err, catex_status code, const char *fmt, ...)
{
  if (!err) return code;
  char old[sizeof err->message];
  memcpy(old, err->message, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  size_t used = len < 0 ? 0 : (size_t)len;
  if (used + 3 < sizeof err->message) {
    memcpy(err->message + used, ": ", 3);
    used += 2;
    size_t room = sizeof err->message - used - 1, n = strlen(old);
    if (n > room) n = room;
    memcpy(err->message + used, old, n);
    err->message[used + n] = '\0';
  }
  err->code = code;
  return code;
}

void catex_error_clear(catex_error *err)
{
  if (err) {
    err->code = CATEX_OK;
    err->message[0] = '\0';
  }
}

const char *catex_status_name(catex_status code)
{
  switch (code) {
  case CATEX_OK: return "ok";
  case CATEX_ERR_ARG: return "invalid argument";
  case CATEX_ERR_NOMEM: return "out of memory";
  case CATEX_ERR_SOLVER: return "solver failure";
  case CATEX_ERR_IO: return "I/O error";
  case CATEX_ERR_PARSE: return "parse error";
  case CATEX_ERR_MPI: return "MPI error";
  case CATEX_ERR_STATE: return "invalid state";
  case CATEX_ERR_INTERNAL: return "internal error";
  case CATEX_ERR_INTERRUPTED: return "interrupted";
  }
  return "unknown error";
}
