/* Cyclic Jacobi for the small symmetric eigenproblems of the low-rank
 * factorisation (p ~ 150 at core side 24: a few 1e7 flops, negligible next
 * to the N^2 p products around it). Jacobi is chosen over a LAPACK call for
 * being exact-order deterministic, dependency-free and accurate to the
 * relative precision of small eigenvalues. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_internal.h"

catex_status exchange_jacobi_eigen(double *a, int p, double *w, double *vec, catex_error *err)
{
  for (int i = 0; i < p; i++)
    for (int j = 0; j < p; j++) vec[(size_t)i * p + j] = i == j;
  double total = 0;
  for (size_t k = 0; k < (size_t)p * p; k++) total += a[k] * a[k];
  int converged = total == 0;
  for (int sweep = 0; sweep < 100 && !converged; sweep++) {
    double off = 0;
    for (int i = 0; i < p; i++)
      for (int j = i + 1; j < p; j++) off += a[(size_t)i * p + j] * a[(size_t)i * p + j];
    if (off <= 1e-34 * total) {
      converged = 1;
      break;
    }
    for (int i = 0; i < p; i++)
      for (int j = i + 1; j < p; j++) {
        const double aij = a[(size_t)i * p + j];
        if (fabs(aij) < 1e-300) continue;
        const double theta = (a[(size_t)j * p + j] - a[(size_t)i * p + i]) / (2 * aij);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
        const double c = 1 / sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < p; k++) { /* columns i, j */
          double *r = a + (size_t)k * p;
          const double x = r[i], y = r[j];
          r[i] = c * x - s * y;
          r[j] = s * x + c * y;
        }
        double *ri = a + (size_t)i * p, *rj = a + (size_t)j * p;
        for (int k = 0; k < p; k++) { /* rows i, j */
          const double x = ri[k], y = rj[k];
          ri[k] = c * x - s * y;
          rj[k] = s * x + c * y;
        }
        for (int k = 0; k < p; k++) {
          double *r = vec + (size_t)k * p;
          const double x = r[i], y = r[j];
          r[i] = c * x - s * y;
          r[j] = s * x + c * y;
        }
      }
  }
  if (!converged) return catex_error_set(err, CATEX_ERR_INTERNAL, "exchange: Jacobi eigensolver did not converge");
  /* sort descending (selection sort: p is small) */
  for (int i = 0; i < p; i++) w[i] = a[(size_t)i * p + i];
  for (int i = 0; i < p; i++) {
    int best = i;
    for (int j = i + 1; j < p; j++)
      if (w[j] > w[best]) best = j;
    if (best == i) continue;
    double tw = w[i];
    w[i] = w[best];
    w[best] = tw;
    for (int k = 0; k < p; k++) {
      double *r = vec + (size_t)k * p, tv = r[i];
      r[i] = r[best];
      r[best] = tv;
    }
  }
  return CATEX_OK;
}
