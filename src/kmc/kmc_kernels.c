/* Hot loops of the dense KMC scheme, written with GCC/Clang vector
 * extensions so that the block sums are explicit 4-lane reductions (the
 * compiler may not reassociate a scalar sum) and every lane does the same
 * IEEE operations in the same order on any ISA: results are bitwise
 * identical whichever clone runs (-ffp-contract=off, set in CMakeLists.txt). On
 * x86-64 an AVX2 clone is picked at load time when the CPU has it. */
#include <string.h>

#include "kmc_internal.h"

typedef double v4d __attribute__((vector_size(32)));
typedef long long v4l __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define KMC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KMC_CLONES
#endif

#define LOAD(x, p) memcpy(&(x), (p), sizeof(v4d))
#define STORE(p, x) memcpy((p), &(x), sizeof(v4d))

KMC_CLONES
void kmc_kernel_field1(int n, double sk, double *restrict u, double *restrict ws, const double *restrict sg,
                       const double *restrict s, const double *restrict e)
{
  const v4d one = {1, 1, 1, 1}, zero = {0, 0, 0, 0};
  for (int g = 0; g < n; g += 4) {
    v4d vs, vu, vf, ve;
    LOAD(vs, sg + g);
    LOAD(vu, u + g);
    LOAD(vf, s + g);
    LOAD(ve, e + g);
    const v4l up = vs * sk < zero;
    const v4d num = (v4d)(((v4l)ve & up) | ((v4l)one & ~up)), den = (v4d)(((v4l)one & up) | ((v4l)ve & ~up));
    vu = vu * (num / den);
    STORE(u + g, vu);
    const v4d w = vs * vu * vf;
    STORE(ws + g, w);
  }
}

KMC_CLONES
void kmc_kernel_field2(int n, double *restrict u, double *restrict ws, const double *restrict sg,
                       const double *restrict s, const double *restrict e1, const double *restrict e2)
{
  const v4d zero = {0, 0, 0, 0};
  for (int g = 0; g < n; g += 4) {
    v4d vs, vu, vf, va, vb;
    LOAD(vs, sg + g);
    LOAD(vu, u + g);
    LOAD(vf, s + g);
    LOAD(va, e1 + g);
    LOAD(vb, e2 + g);
    const v4l pos = vs > zero;
    const v4d num = (v4d)(((v4l)va & pos) | ((v4l)vb & ~pos)), den = (v4d)(((v4l)vb & pos) | ((v4l)va & ~pos));
    vu = vu * (num / den);
    STORE(u + g, vu);
    const v4d w = vs * vu * vf;
    STORE(ws + g, w);
  }
}

KMC_CLONES
void kmc_kernel_bond_sums(int n, int bs, int off, double *restrict bsum, const double *restrict ws,
                          const double *restrict B)
{
  const v4d zero = {0, 0, 0, 0};
  for (int lo = 0, k = 0; lo < n; lo += bs, k++) {
    v4d acc0 = zero, acc1 = zero;
    for (int g = lo; g < lo + bs; g += 8) {
      v4d x0, y0, b0, x1, y1, b1;
      LOAD(x0, ws + g);
      LOAD(y0, ws + g + off);
      LOAD(b0, B + g);
      LOAD(x1, ws + g + 4);
      LOAD(y1, ws + g + 4 + off);
      LOAD(b1, B + g + 4);
      const v4d p0 = -(x0 * y0), p1 = -(x1 * y1);
      acc0 += b0 * (v4d)((v4l)p0 & (p0 > zero));
      acc1 += b1 * (v4d)((v4l)p1 & (p1 > zero));
    }
    const v4d acc = acc0 + acc1;
    bsum[k] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
}

KMC_CLONES
void kmc_kernel_flip_rates(int n, int bs, double *restrict rate, double *restrict bsum, const double *restrict ws,
                           const int *restrict cell, const double *restrict Fp, const double *restrict Fm)
{
  const v4d half = {0.5, 0.5, 0.5, 0.5}, negzero = {-0.0, -0.0, -0.0, -0.0};
  const v4l signbit = (v4l)negzero;
  for (int lo = 0, k = 0; lo < n; lo += bs, k++) {
    v4d acc = {0, 0, 0, 0};
    for (int q = lo; q < lo + bs; q += 4) {
      const v4d w = {ws[cell[q]], ws[cell[q + 1]], ws[cell[q + 2]], ws[cell[q + 3]]};
      v4d fp, fm;
      LOAD(fp, Fp + q);
      LOAD(fm, Fm + q);
      const v4d a = (v4d)((v4l)w & ~signbit); /* |w| */
      const v4d r = half * (a + w) * fp + half * (a - w) * fm;
      STORE(rate + q, r);
      acc += r;
    }
    bsum[k] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
}
