/* The automatic start of the KMC observation grid (issue 12 item 3): with no
 * t_min given, the first grid time comes from the initial rates, so every
 * trajectory is still in (or within one exchange of) the all-A state there:
 * c(t_0) = 1 within 1/N, on average and in each trajectory, in 2D (elastic,
 * surface exchange starts at t ~ 1e-24) and 3D (dmu = -200, t ~ 1e-31). The old
 * fixed default 1e-2 gives c(t_0) ~ 0.5 for the same parameters; that is
 * the negative control, run here with t_min = 1e-2 given explicitly. An
 * explicit t_min still overrides the automatic one. */
#include <math.h>
#include <stdlib.h>

#include "test_kmc_util.h"

static void check_start(catex_check *t, catex_lattice_kind kind, int side, double kT, double dmu, double t_max)
{
  catex_lattice *lat = km_lattice(kind, side);
  catex_elastic *el = NULL;
  double *V = lat ? km_potential(lat, &el) : NULL;
  if (!V) {
    CHECK(t, 0, "no lattice or potential for side %d", side);
    catex_lattice_destroy(lat);
    return;
  }
  const int n = catex_lattice_num_sites(lat), ntraj = 20;
  for (int control = 0; control < 2; control++) {
    catex_kmc_params p;
    km_params(&p, kT, 1, 0, dmu, t_max);
    p.nsamples = 30;
    if (control) p.t_min = 1e-2;
    double sum = 0, worst = 1, t0 = NAN, auto_t0 = NAN;
    for (int k = 0; k < ntraj; k++) {
      catex_kmc *kmc = NULL;
      catex_kmc_result res;
      if (km_run(t, lat, V, NULL, &p, 7, k, &kmc, &res) == 0) {
        sum += res.c[0];
        worst = fmin(worst, res.c[0]);
        t0 = res.time[0];
        auto_t0 = catex_kmc_auto_t_min(kmc);
      }
      catex_kmc_result_free(&res);
      catex_kmc_destroy(kmc);
    }
    const double mean = sum / ntraj;
    if (!control) {
      CHECK(t, t0 == auto_t0 && t0 < 1e-20, "side %d: grid starts at %g (automatic t_min %g)", side, t0, auto_t0);
      /* expected events before t_0: 0.1, so the mean deficit is ~0.1/N and
       * a trajectory with two events by t_0 has probability ~0.5% */
      CHECK(t, mean >= 1 - 1.0 / n, "side %d: mean c(t_0) = %.6f < 1 - 1/N", side, mean);
      CHECK(t, worst >= 1 - 2.0 / n, "side %d: some trajectory has c(t_0) = %.6f", side, worst);
    } else {
      CHECK(t, t0 == 1e-2, "side %d: an explicit t_min = 1e-2 is not honoured (%g)", side, t0);
      CHECK(t, mean < 0.9, "side %d: control: from t = 1e-2 c(t_0) = %.3f should already have dropped", side, mean);
    }
  }
  free(V);
  catex_elastic_destroy(el);
  catex_lattice_destroy(lat);
}

int main(int argc, char **argv)
{
  catex_check t;
  if (catex_check_init(&t, "test_kmc_grid", &argc, &argv)) return 1;
  check_start(&t, CATEX_LATTICE_HEXAGON, 6, 0.2, -20, 10);
  check_start(&t, CATEX_LATTICE_CUBE, 4, 1.5, -200, 10);
  return catex_check_finish(&t);
}
