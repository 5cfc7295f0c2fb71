#!/usr/bin/python3
"""tools/xrd: structure mapping, Debye intensities and peak observables.

* the histogram Debye sum equals the direct double sum over all atom pairs
  within its stated bound (Q delta)^2 / 24 * sum |f_i f_j| (and a coarse bin
  does not: negative control);
* an independent Debye code (ase.utils.xrdebye) gives the same I(Q);
* pure PbS, zincblende CdS and rocksalt CdS crystals put (111), (200), (220)
  at Q = 2 pi sqrt(h^2+k^2+l^2) / a within the grid step, with integrated
  intensities in the ratios of m |F|^2 / Q from their structure factors
  (rocksalt F111 = 4 (f_M - f_S), F200 = 4 (f_M + f_S); zincblende
  |F111|^2 = 16 (f_Cd^2 + f_S^2), F200 = 4 (f_Cd - f_S)); the crystals are
  apodised by a Gaussian envelope so that finite-size tails do not leak
  between peaks;
* relaxed pure crystals sit at their own lattice parameter; extended XYZ
  round-trips through ase.
"""

import os
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "tools")))

from xrd import debye, formfactor, peaks, structure  # noqa: E402

Q_STEP = 0.002


def _f(sym, q):
    return formfactor.form_factor(sym, q) * formfactor.debye_waller(debye.DEFAULT_B[sym], q)


class HistogramTest(unittest.TestCase):
    def setUp(self):
        sites = structure.cube_sites(2)
        rng = np.random.default_rng(7)
        self.sigma = rng.choice([-1, 1], len(sites))
        self.sites = sites
        self.q = np.linspace(1.0, 4.0, 61)

    def test_histogram_equals_direct_sum(self):
        for cd in structure.CD_SITES:
            for level in structure.LEVELS:
                with self.subTest(cd_site=cd, level=level):
                    at = structure.CubeBuilder(self.sites, cd_site=cd, level=level).atoms(self.sigma)
                    h = debye.Histogram.of(at.codes, at.positions)
                    fast = h.intensity(self.q)
                    exact = debye.intensity_direct(at.codes, at.positions, self.q)
                    bound = h.error_bound(self.q)
                    self.assertTrue(np.all(np.abs(fast - exact) <= bound + 1e-9 * exact.max()),
                                    f"max excess {np.max(np.abs(fast - exact) - bound)}")
                    self.assertLess(np.max(np.abs(fast - exact)) / exact.max(), 1e-4)

    def test_coarse_bin_fails_the_tolerance(self):
        """Negative control: the comparison above can fail."""
        at = structure.CubeBuilder(self.sites, level="strained").atoms(self.sigma)
        coarse = debye.Histogram.of(at.codes, at.positions, delta=0.25).intensity(self.q)
        exact = debye.intensity_direct(at.codes, at.positions, self.q)
        self.assertGreater(np.max(np.abs(coarse - exact)) / exact.max(), 1e-3)

    def test_weights_equal_direct_sum(self):
        at = structure.CubeBuilder(self.sites, level="displaced").atoms(self.sigma)
        w = np.linspace(0.2, 1.0, len(at))
        h = debye.Histogram.of(at.codes, at.positions, weights=w)
        exact = debye.intensity_direct(at.codes, at.positions, self.q, weights=w)
        self.assertTrue(np.all(np.abs(h.intensity(self.q) - exact) <= h.error_bound(self.q) + 1e-9 * exact.max()))

    def test_ase_xrdebye_cross_check(self):
        """ase's Debye code (its own pair loop), fed our form factors; its
        'Iwasa' angular factor is divided out, its damping is our common B."""
        import ase.utils.xrdebye as xd

        class OurFormFactors(xd.XrDebye):
            def get_waasmaier(self, symbol, s):
                return float(formfactor.form_factor(symbol, 2 * np.pi * s))

        at = structure.CubeBuilder(self.sites, level="strained").atoms(self.sigma)
        b = 0.5
        wavelength = 1.5406
        calc = OurFormFactors(at.to_ase(), wavelength=wavelength, damping=b, method="Iwasa", alpha=1.01)
        ref = np.array(calc.calc_pattern(x=self.q, mode="SAXS"))
        s = self.q / (2 * np.pi)
        sinth = wavelength * s / 2
        costh = np.sqrt(1 - sinth ** 2)
        cos2th = np.cos(2 * np.arccos(costh))
        ref /= costh / (1 + 1.01 * cos2th ** 2)
        ours = debye.Histogram.of(at.codes, at.positions).intensity(self.q, b_factors={"S": b, "Pb": b, "Cd": b})
        self.assertLess(np.max(np.abs(ours - ref)) / ref.max(), 1e-4)


class BraggTest(unittest.TestCase):
    """Apodised pure crystals (L = 12 cells, Gaussian envelope sigma = L a / 5)."""

    L = 12
    CASES = {"PbS": (+1, "octahedral", structure.A_PBS, "Pb"),
             "zb-CdS": (-1, "tetrahedral", structure.A_CDS_ZB, "Cd"),
             "rs-CdS": (-1, "octahedral", structure.A_CDS_ZB, "Cd")}

    @classmethod
    def setUpClass(cls):
        cls.q = debye.q_grid(1.0, 4.0, Q_STEP)
        cls.patterns = {}
        sites = structure.cube_sites(cls.L)
        for name, (sig, cd, a, _) in cls.CASES.items():
            at = structure.CubeBuilder(sites, cd_site=cd, level="rigid", a_rigid=a).atoms(np.full(len(sites), sig))
            c = at.positions.mean(axis=0)
            w = np.exp(-np.sum((at.positions - c) ** 2, axis=1) / (2 * (cls.L * a / 5) ** 2))
            cls.patterns[name] = debye.Histogram.of(at.codes, at.positions, weights=w).intensity(cls.q)

    @staticmethod
    def structure_factor2(name, q):
        sym = "Pb" if name == "PbS" else "Cd"
        fm, fs = _f(sym, q), _f("S", q)
        if name == "zb-CdS":
            return {"111": 16 * (fm ** 2 + fs ** 2), "200": 16 * (fm - fs) ** 2, "220": 16 * (fm + fs) ** 2}
        return {"111": 16 * (fm - fs) ** 2, "200": 16 * (fm + fs) ** 2, "220": 16 * (fm + fs) ** 2}

    def integrated(self, name, hkl):
        a = self.CASES[name][2]
        g = peaks.q_bragg(a, hkl)
        m = np.abs(self.q - g) < 0.14
        # Q I(Q): the powder average spreads a reciprocal-lattice point over 4 pi Q^2,
        # the Gaussian profile's radial integral then goes as 1 / Q.
        return np.trapz(self.q[m] * self.patterns[name][m], self.q[m])

    def test_peak_positions_within_grid_step(self):
        for name, (_, _, a, _) in self.CASES.items():
            i = self.patterns[name]
            for hkl in peaks.HKL:
                with self.subTest(crystal=name, hkl=hkl):
                    g = peaks.q_bragg(a, hkl)
                    m = np.abs(self.q - g) < 0.1
                    # the Gaussian envelope peak times the smooth |F(Q)|^2 / Q: divide it out
                    y = self.q[m] * i[m] / self.structure_factor2(name, self.q[m])[hkl]
                    self.assertLessEqual(abs(self.q[m][np.argmax(y)] - g), Q_STEP)

    def test_intensity_ratios_follow_structure_factors(self):
        mult = {"111": 8, "200": 6, "220": 12}
        for name, (_, _, a, _) in self.CASES.items():
            qs = {h: peaks.q_bragg(a, h) for h in peaks.HKL}
            f2 = {h: self.structure_factor2(name, np.array([qs[h]]))[h][0] for h in peaks.HKL}
            pred = {h: mult[h] * f2[h] / qs[h] for h in peaks.HKL}
            got = {h: self.integrated(name, h) for h in peaks.HKL}
            for num in ("111", "220"):
                with self.subTest(crystal=name, ratio=f"{num}/200"):
                    self.assertAlmostEqual(got[num] / got["200"] / (pred[num] / pred["200"]), 1.0, delta=0.02)

    def test_structures_are_distinguished(self):
        """Negative control: zincblende and rocksalt CdS differ in I111/I200 far
        beyond the 2% tolerance (the Cd-site choice flips the trends)."""
        zb = self.integrated("zb-CdS", "111") / self.integrated("zb-CdS", "200")
        rs = self.integrated("rs-CdS", "111") / self.integrated("rs-CdS", "200")
        self.assertGreater(zb / rs, 3.0)

    def test_peak_fit_on_plain_crystal(self):
        """fit_peaks on a plain (not apodised) L = 8 PbS crystal: positions
        within 2 grid steps (the 1/Q^2 and f(Q) slopes shift a broad peak's
        maximum by ~3e-3) and widths of a 47 A crystal (Scherrer ~0.12 1/A)."""
        sites = structure.cube_sites(8)
        at = structure.CubeBuilder(sites, level="rigid").atoms(np.ones(len(sites)))
        r = peaks.fit_peaks(self.q, debye.intensity(at, self.q))
        for hkl in peaks.HKL:
            self.assertLessEqual(abs(r[hkl][0] - peaks.q_bragg(structure.A_PBS, hkl)), 2.5 * Q_STEP, hkl)
            self.assertTrue(0.05 < r[hkl][1] < 0.2, r[hkl])
        self.assertTrue(0.6 < r["ratio_111_200"] < 1.4)


class FormFactorAndInstrumentTest(unittest.TestCase):
    def test_two_tables_agree(self):
        """Waasmaier-Kirfel (periodictable) and xraylib's FF_Rayl are independent
        tables; with the Q -> sin(theta)/lambda = Q / 4 pi conversion right they
        agree to 1% over the grid (a factor-2 slip in Q would not: > 10%)."""
        q = debye.q_grid()
        for sym, z in formfactor.ATOMIC_NUMBER.items():
            with self.subTest(element=sym):
                a = formfactor.form_factor(sym, q, "waasmaier")
                b = formfactor.form_factor(sym, q, "xraylib")
                self.assertLess(np.max(np.abs(a / b - 1)), 0.01)
                self.assertAlmostEqual(float(formfactor.form_factor(sym, [0.0])[0]), z, delta=0.01)
                wrong = formfactor.form_factor(sym, 2 * q, "xraylib")
                self.assertGreater(np.max(np.abs(a / wrong - 1)), 0.1)

    def test_instrument_convolution(self):
        """A Gaussian peak of FWHM w convolved with an instrument FWHM v has
        FWHM sqrt(w^2 + v^2) and the same area."""
        q = debye.q_grid()
        w, v = 0.03, 0.04
        sig = w / (2 * np.sqrt(2 * np.log(2)))
        y = np.exp(-0.5 * ((q - 2.5) / sig) ** 2)
        c = debye.instrument(q, y, v)
        half = q[c >= c.max() / 2]
        self.assertAlmostEqual(half[-1] - half[0], np.hypot(w, v), delta=2 * Q_STEP)
        self.assertAlmostEqual(np.trapz(c, q) / np.trapz(y, q), 1.0, places=6)
        self.assertTrue(np.array_equal(debye.instrument(q, y, 0.0), y))

    def test_size_average(self):
        a, b = np.ones(5), np.full(5, 3.0)
        self.assertTrue(np.allclose(debye.size_average([a, b], [3, 1]), 1.5))
        with self.assertRaises(ValueError):
            debye.size_average([a, b], [1, -1])


class StructureTest(unittest.TestCase):
    def test_relaxed_pure_crystals_have_their_lattice_parameter(self):
        sites = structure.cube_sites(4)
        for level in ("bulk", "displaced", "strained"):
            for sig, a in ((+1, structure.A_PBS), (-1, structure.A_CDS_ZB)):
                with self.subTest(level=level, sigma=sig):
                    at = structure.CubeBuilder(sites, level=level).atoms(np.full(len(sites), sig))
                    s = at.positions[at.codes == 0]
                    d = np.linalg.norm(s[:, None] - s[None], axis=2)
                    d[d == 0] = np.inf
                    self.assertAlmostEqual(d.min(), a / np.sqrt(2), places=9)
                    x = (s - s.mean(axis=0)) / a
                    self.assertLess(np.max(np.abs(2 * x - np.rint(2 * x))), 1e-9)

    def test_counts_and_sites(self):
        sites = structure.cube_sites(3)
        sigma = np.ones(len(sites))
        sigma[:10] = -1
        at = structure.CubeBuilder(sites, cd_site="tetrahedral", level="rigid").atoms(sigma)
        self.assertEqual(at.counts(), {"S": (((2 * 3 + 1) ** 3 + 1) // 2), "Pb": 4 * 17, "Cd": 4 * 10})
        # zincblende Cd: 4 S neighbours at sqrt(3)/4 a
        cd = at.positions[at.codes == 2]
        s = at.positions[at.codes == 0]
        d = np.linalg.norm(cd[:, None] - s[None], axis=2)
        self.assertTrue(np.all(np.sum(np.abs(d - np.sqrt(3) / 4 * structure.A_PBS) < 1e-9, axis=1) == 4))

    def test_extxyz_round_trip(self):
        import ase.io
        sites = structure.cube_sites(2)
        at = structure.CubeBuilder(sites, level="strained").atoms(np.array([1, -1] * 4))
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "a.xyz")
            at.write_extxyz(p)
            back = ase.io.read(p, format="extxyz")
        self.assertEqual(back.get_chemical_symbols(), at.symbols)
        self.assertLess(np.max(np.abs(back.get_positions() - at.positions)), 1e-6)


if __name__ == "__main__":
    unittest.main()
