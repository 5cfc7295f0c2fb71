/* Internal interface of the KMC module: the engine object shared by the
 * trajectory driver (kmc.c), the two rate schemes (kmc_dense.c,
 * kmc_local.c) and the reference checks (kmc_check.c). Not installed. */
#ifndef CATEX_KMC_INTERNAL_H
#define CATEX_KMC_INTERNAL_H

#include <math.h>

#include "catex/kmc.h"

/* One event as chosen by a scheme: exchange at a, or swap of a and b. */
typedef struct {
  int type; /* catex_kmc_event_type */
  int a, b;
  int slot; /* scheme-private: the channel's slot (local scheme) */
} kmc_move;

typedef struct kmc_dense kmc_dense;
typedef struct kmc_local kmc_local;

struct catex_kmc {
  const catex_lattice *lat;
  const double *V, *G;
  catex_kmc_params p;
  double *sample_times, *snapshot_times; /* owned copies */
  int n, dim, zmax_nn;
  double beta;
  catex_kmc_algorithm algo;
  long refresh_interval;

  /* state */
  signed char *sigma;
  int *m;            /* Ising fields: sum of NN sigmas */
  long nplus;        /* number of A sites */
  double t;
  long nevents, nex, nswap;

  /* observables */
  int *ring_sites, nring;
  int *interior_sites, ninterior; /* layer >= interior_layers (f_interior) */
  double auto_t_min;              /* catex_kmc_auto_t_min() */
  int area;          /* dA_rms recorded */
  double *udisp;     /* dN: displacements of the sampled state */

  kmc_dense *dense;
  kmc_local *local;
};

/* Flips sigma[i], keeps nplus and the Ising fields of i's NN up to date. */
void kmc_flip_site(catex_kmc *kmc, int i);

/* Dense scheme (kmc_dense.c). */
catex_status kmc_dense_create(catex_kmc *kmc, catex_error *err);
void kmc_dense_destroy(kmc_dense *d);
void kmc_dense_refresh(catex_kmc *kmc);        /* from sigma, m: all fields and rates */
double kmc_dense_total(const catex_kmc *kmc);
void kmc_dense_select(const catex_kmc *kmc, double r, kmc_move *mv);
void kmc_dense_apply(catex_kmc *kmc, const kmc_move *mv);
long kmc_dense_list(const catex_kmc *kmc, catex_kmc_event *ev, long cap);
void kmc_dense_fields(const catex_kmc *kmc, double *h); /* h_i recovered from the kept factors */

/* Local scheme (kmc_local.c). */
catex_status kmc_local_create(catex_kmc *kmc, catex_error *err);
void kmc_local_destroy(kmc_local *l);
void kmc_local_refresh(catex_kmc *kmc);
double kmc_local_total(const catex_kmc *kmc);
void kmc_local_select(const catex_kmc *kmc, double r, kmc_move *mv);
void kmc_local_apply(catex_kmc *kmc, const kmc_move *mv);
long kmc_local_list(const catex_kmc *kmc, catex_kmc_event *ev, long cap);

/* 64-byte aligned allocation of n doubles (rounded up), zeroed. */
double *kmc_alloc_doubles(size_t n);

/* Largest |log k0| of the rate prefactors in use (k_ex0, k_diff0 > 0): it
 * adds to the exponent range of the rates that the schemes check, since a
 * rate is k0 times a Boltzmann factor (k0 ~ 1e287 alone overflowed the sum). */
static inline double kmc_prefactor_log_range(const catex_kmc *kmc)
{
  double r = 0;
  if (kmc->p.k_ex0 > 0 && fabs(log(kmc->p.k_ex0)) > r) r = fabs(log(kmc->p.k_ex0));
  if (kmc->p.k_diff0 > 0 && fabs(log(kmc->p.k_diff0)) > r) r = fabs(log(kmc->p.k_diff0));
  return r;
}

#endif

/* Vectorised kernels of the dense scheme (kmc_kernels.c); n is a multiple
 * of 8, arrays are 64-byte aligned except where an offset is added.
 *
 * field update after an exchange at k with sigma_k = sk (e = row k of
 * exp(2 beta eps V)):  u[g] *= sk sg[g] < 0 ? e[g] : 1 / e[g]
 * after a swap, k1 turning A and k2 turning B (rows e1, e2):
 *                      u[g] *= sg[g] > 0 ? e1[g] / e2[g] : e2[g] / e1[g]
 * and in both cases ws[g] = sg[g] u[g] s[g]. */
void kmc_kernel_field1(int n, double sk, double *restrict u, double *restrict ws, const double *restrict sg,
                       const double *restrict s, const double *restrict e);
void kmc_kernel_field2(int n, double *restrict u, double *restrict ws, const double *restrict sg,
                       const double *restrict s, const double *restrict e1, const double *restrict e2);
/* Block sums of the bond rates of one direction: bsum[k] = sum over the
 * cells g of block k (bs cells; bs a multiple of 8, n of bs) of
 * kmc_bond_rate(B[g], ws[g], ws[g + off]). The rates are not stored:
 * selection recomputes the one block it needs. */
void kmc_kernel_bond_sums(int n, int bs, int off, double *restrict bsum, const double *restrict ws,
                          const double *restrict B);
/* Exchange rates rate[k] = kmc_flip_rate(ws[cell[k]], Fp[k], Fm[k]) for
 * k < n (n a multiple of bs) and their block sums. */
void kmc_kernel_flip_rates(int n, int bs, double *restrict rate, double *restrict bsum, const double *restrict ws,
                           const int *restrict cell, const double *restrict Fp, const double *restrict Fm);

/* The per-channel arithmetic of those kernels (lane for lane the same
 * operations, so scalar recomputation gives the same bits). */
static inline double kmc_bond_rate(double B, double wa, double wb)
{
  const double p = -(wa * wb); /* > 0 exactly for unlike pairs */
  return B * (p > 0 ? p : 0.0);
}
static inline double kmc_flip_rate(double w, double Fp, double Fm)
{
  /* (|w| +- w) / 2 is exactly |w| or 0: sigma = sign(w) picks Fp or Fm */
  const double a = w < 0 ? -w : w;
  return 0.5 * (a + w) * Fp + 0.5 * (a - w) * Fm;
}

/* Block size of the dense scheme's rate array (channels). */
#define KMC_BLOCK 64
