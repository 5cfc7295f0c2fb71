/* Helpers shared by the KMC tests (tests/test_kmc*.c). */
#ifndef CATEX_TEST_KMC_UTIL_H
#define CATEX_TEST_KMC_UTIL_H

#include "catex/elastic.h"
#include "catex/kmc.h"
#include "check.h"

catex_lattice *km_lattice(catex_lattice_kind kind, int side);

/* V_eff of lat from the elastic module (malloc'd N x N); *el keeps the
 * displacement response. NULL after printing the error. */
double *km_potential(const catex_lattice *lat, catex_elastic **el);

/* E(sigma) written out here from docs/model.md, independent of src/model/energy.c. */
double km_energy(const catex_lattice *lat, const double *V, double eps, double J, double dmu,
                 const signed char *sigma);

/* Parameters with no samples, snapshots or stop other than t_max. */
void km_params(catex_kmc_params *p, double kT, double eps, double J, double dmu, double t_max);

/* Creates an engine and result, runs one trajectory (seed, stream);
 * returns 0 on success (printing the error otherwise). The caller frees. */
int km_run(catex_check *t, const catex_lattice *lat, const double *V, const double *G, const catex_kmc_params *p,
           long seed, long stream, catex_kmc **kmc, catex_kmc_result *res);

#endif
