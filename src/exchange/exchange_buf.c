/* Byte buffers for the ladder's serialised state: checkpoints
 * (exchange_state.c) and rung states gathered on a gang's member 0
 * (exchange_gang.c). A failure sticks, so a whole sequence of puts or gets
 * is checked once at its end. */
#include <stdlib.h>
#include <string.h>

#include "exchange_internal.h"

void exchange_wbuf_put(exchange_wbuf *w, const void *p, size_t n)
{
  if (w->failed) return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 65536;
    while (cap < w->len + n) cap *= 2;
    char *b = realloc(w->buf, cap);
    if (!b) {
      w->failed = 1;
      return;
    }
    w->buf = b;
    w->cap = cap;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

void exchange_rbuf_get(exchange_rbuf *r, void *p, size_t n)
{
  if (r->failed || r->pos + n > r->len) {
    r->failed = 1;
    memset(p, 0, n);
    return;
  }
  memcpy(p, r->buf + r->pos, n);
  r->pos += n;
}
