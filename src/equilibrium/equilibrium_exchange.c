/* What replica exchange (src/exchange/) needs from the engine: trading
 * configurations between engines that differ only in V, correcting the
 * fields after such a trade, and the byte image of the dynamic state for
 * checkpoints. Nothing here is used by a plain equilibrium run. */
#include <stdlib.h>
#include <string.h>

#include "equilibrium_internal.h"

#define SWAP(type, x, y) \
  do {                   \
    type tmp_ = (x);     \
    (x) = (y);           \
    (y) = tmp_;          \
  } while (0)

catex_status catex_equilibrium_swap_configurations(catex_equilibrium *a, catex_equilibrium *b, catex_error *err)
{
  if (!a || !b || !a->initialised || !b->initialised)
    return catex_error_set(err, CATEX_ERR_STATE, "equilibrium: swap of configurations needs two initialised engines");
  if (a->n != b->n || a->ncore != b->ncore || (a->h == NULL) != (b->h == NULL) || (a->m == NULL) != (b->m == NULL))
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: swap between engines of different systems");
  if (a->u || b->u)
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: area deviations cannot follow a swap of potentials");
  SWAP(signed char *, a->sigma, b->sigma);
  SWAP(signed char *, a->sc, b->sc);
  SWAP(double *, a->h, b->h);
  SWAP(int *, a->m, b->m);
  SWAP(double, a->E, b->E);
  SWAP(long, a->since_refresh, b->since_refresh);
  return CATEX_OK;
}

void catex_equilibrium_adjust(catex_equilibrium *eq, const double *dh, double dE)
{
  if (eq->h && dh)
    for (int a = 0; a < eq->ncore; a++) eq->h[a] += dh[a];
  eq->E += dE;
}

catex_status catex_equilibrium_borrow_core_block(catex_equilibrium *eq, const catex_equilibrium *owner,
                                                 catex_error *err)
{
  if (!eq || !owner || eq == owner) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: borrowing needs two engines");
  if (!eq->Vcc || !owner->Vcc || owner->borrowed || eq->ncore != owner->ncore || eq->lat != owner->lat)
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: a core block is borrowed from an engine of the same lattice that owns one");
  if (!eq->borrowed) free(eq->Vcc);
  eq->Vcc = owner->Vcc;
  eq->borrowed = 1;
  return CATEX_OK;
}

void catex_equilibrium_reset_counts(catex_equilibrium *eq) { eq->attempts = eq->accepted = 0; }

/* layout: sigma[n] | h[ncore] (if any) | m[n] (if any) | u[dn] (if any) | E | attempts, accepted, since_refresh */
size_t catex_equilibrium_state_bytes(const catex_equilibrium *eq)
{
  size_t b = (size_t)eq->n;
  if (eq->h) b += sizeof(double) * (size_t)eq->ncore;
  if (eq->m) b += sizeof(int) * (size_t)eq->n;
  if (eq->u) b += sizeof(double) * (size_t)eq->dim * (size_t)eq->n;
  return b + sizeof(double) + 3 * sizeof(long);
}

void catex_equilibrium_state_save(const catex_equilibrium *eq, void *buf)
{
  char *p = buf;
  memcpy(p, eq->sigma, (size_t)eq->n);
  p += eq->n;
  if (eq->h) {
    memcpy(p, eq->h, sizeof(double) * (size_t)eq->ncore);
    p += sizeof(double) * (size_t)eq->ncore;
  }
  if (eq->m) {
    memcpy(p, eq->m, sizeof(int) * (size_t)eq->n);
    p += sizeof(int) * (size_t)eq->n;
  }
  if (eq->u) {
    memcpy(p, eq->u, sizeof(double) * (size_t)eq->dim * (size_t)eq->n);
    p += sizeof(double) * (size_t)eq->dim * (size_t)eq->n;
  }
  memcpy(p, &eq->E, sizeof(double));
  p += sizeof(double);
  const long c[3] = {eq->attempts, eq->accepted, eq->since_refresh};
  memcpy(p, c, sizeof c);
}

catex_status catex_equilibrium_state_load(catex_equilibrium *eq, const void *buf, size_t n, catex_error *err)
{
  if (n != catex_equilibrium_state_bytes(eq))
    return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: state of %zu bytes, this engine needs %zu", n,
                           catex_equilibrium_state_bytes(eq));
  const char *p = buf;
  for (int i = 0; i < eq->n; i++)
    if (p[i] != 1 && p[i] != -1) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: corrupt state (sigma)");
  memcpy(eq->sigma, p, (size_t)eq->n);
  p += eq->n;
  for (int a = 0; a < eq->ncore; a++) eq->sc[a] = eq->sigma[eq->core[a]];
  if (eq->h) {
    memcpy(eq->h, p, sizeof(double) * (size_t)eq->ncore);
    p += sizeof(double) * (size_t)eq->ncore;
  }
  if (eq->m) {
    memcpy(eq->m, p, sizeof(int) * (size_t)eq->n);
    p += sizeof(int) * (size_t)eq->n;
  }
  if (eq->u) {
    memcpy(eq->u, p, sizeof(double) * (size_t)eq->dim * (size_t)eq->n);
    p += sizeof(double) * (size_t)eq->dim * (size_t)eq->n;
  }
  memcpy(&eq->E, p, sizeof(double));
  p += sizeof(double);
  long c[3];
  memcpy(c, p, sizeof c);
  eq->attempts = c[0];
  eq->accepted = c[1];
  eq->since_refresh = c[2];
  eq->initialised = 1;
  return CATEX_OK;
}

catex_status catex_equilibrium_configuration_load(catex_equilibrium *eq, const void *buf, size_t n, catex_error *err)
{
  if (eq->u) return catex_error_set(err, CATEX_ERR_ARG, "equilibrium: area deviations cannot follow a swap of potentials");
  const long attempts = eq->attempts, accepted = eq->accepted;
  catex_status st = catex_equilibrium_state_load(eq, buf, n, err);
  eq->attempts = attempts;
  eq->accepted = accepted;
  return st;
}
