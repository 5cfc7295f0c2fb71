#!/usr/bin/python3
"""Finite-size scaling: the peak finder recovers known Var(f_U) peaks within
its error bars (and the error bars are honest over many noise draws), and
it refuses curves whose peak it cannot determine instead of fitting them."""

import contextlib
import io
import os
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
sys.path.insert(0, HERE)

import tools_fixture  # noqa: E402
from figures import fss  # noqa: E402


def lorentz(x, x0, h, w, b=0.002):
    return b + h / (1 + ((x - x0) / w) ** 2)


class PeakTest(unittest.TestCase):
    X = np.arange(1.0, 31.0)

    def noisy(self, seed, x0=14.3, h=0.05, w=2.5, rel=0.05):
        rng = np.random.default_rng(seed)
        y = lorentz(self.X, x0, h, w)
        err = rel * y
        return y + err * rng.standard_normal(len(y)), err

    def test_known_peak_within_error_bars(self):
        y, err = self.noisy(1)
        p = fss.find_peak(self.X, y, err, nboot=300, seed=3)
        self.assertLess(abs(p.x0 - 14.3), 3 * p.x0_err, p)
        self.assertLess(abs(p.height - 0.052), 3 * p.height_err, p)
        # and the errors are informative, not huge
        self.assertLess(p.x0_err, 0.5)
        self.assertLess(p.height_err / p.height, 0.1)

    def test_error_bars_cover_truth(self):
        """Over 40 noise realisations the truth lies within 2 sigma in about
        95% of them; a bootstrap that underestimates errors by 2x gets ~68%."""
        inside_x = inside_h = 0
        n = 40
        for seed in range(n):
            y, err = self.noisy(100 + seed)
            p = fss.find_peak(self.X, y, err, nboot=150, seed=seed)
            inside_x += abs(p.x0 - 14.3) < 2 * p.x0_err
            inside_h += abs(p.height - 0.052) < 2 * p.height_err
        self.assertGreaterEqual(inside_x, 0.8 * n)
        self.assertGreaterEqual(inside_h, 0.8 * n)

    def test_replica_bootstrap(self):
        rng = np.random.default_rng(5)
        true = lorentz(self.X, 9.6, 0.03, 2.0)
        reps = []
        for t in true:
            vals = t * (1 + 0.08 * rng.standard_normal(8))
            reps.append((vals, np.full(8, 0.08 * t)))
        y = np.array([r[0].mean() for r in reps])
        err = np.array([r[0].std(ddof=1) / np.sqrt(8) for r in reps])
        p = fss.find_peak(self.X, y, err, replicas=reps, nboot=300, bootstrap="replicas", seed=1)
        self.assertLess(abs(p.x0 - 9.6), 3 * p.x0_err)
        self.assertLess(abs(p.height - 0.032), 3 * p.height_err)

    def test_parabola_model(self):
        y, err = self.noisy(2, rel=0.05)
        p = fss.find_peak(self.X, y, err, model="parabola", frac=0.6, nboot=200)
        self.assertLess(abs(p.x0 - 14.3), max(3 * p.x0_err, 0.3))

    def test_refuses_a_model_that_misses_the_points(self):
        """A sawtooth peak (slow rise, sudden drop: what short runs near a
        first-order transition give) is not a Lorentzian; the fit must be
        refused rather than drawn under the highest point."""
        x = np.arange(1.0, 12.5, 0.5)
        y = np.where(x <= 6.0, 0.0005 + 0.004 * np.exp((x - 6.0) / 1.5), 1e-5)
        err = 0.03 * y
        with self.assertRaisesRegex(fss.PeakError, "does not describe the peak region|no point on one side"):
            fss.find_peak(x, y, err, nboot=50)
        y[x == 6.5] = 0.0025   # one point past the maximum: a fit is attempted, and fails the chi2 test
        with self.assertRaisesRegex(fss.PeakError, "does not describe the peak region"):
            fss.find_peak(x, y, err, nboot=50)
        # the model-free estimate takes the highest point, position error >= half the grid step
        p = fss.find_peak(x, y, err, model="max", nboot=100)
        self.assertEqual(p.x0, 6.0)
        self.assertAlmostEqual(p.height, y[x == 6.0][0])
        self.assertGreaterEqual(p.x0_err, 0.25)
        self.assertLess(p.height_err, 0.1 * p.height)

    def test_refuses_maximum_at_edge(self):
        for x0 in (35.0, 30.0, -3.0, 1.0):
            y, err = self.noisy(3, x0=x0)
            with self.subTest(x0=x0), self.assertRaisesRegex(fss.PeakError, "end of the scanned range"):
                fss.find_peak(self.X, y, err, nboot=50)

    def test_refuses_too_few_points_near_peak(self):
        # a peak much narrower than the grid: 1-3 points above 0.2 max
        y, err = self.noisy(4, x0=14.0, w=0.4, rel=0.01)
        with self.assertRaisesRegex(fss.PeakError, "point\\(s\\) in the peak region"):
            fss.find_peak(self.X, y, err, nboot=50)
        # a coarse scan: 5 points in all
        x = np.array([5.0, 10.0, 15.0, 20.0, 25.0])
        y = lorentz(x, 15.0, 0.05, 2.0)
        with self.assertRaises(fss.PeakError):
            fss.find_peak(x, y, 0.02 * y, nboot=50)

    def test_power_law(self):
        n = np.array([100.0, 200.0, 400.0, 800.0])
        y = 3.0 * n**0.7
        a, b, be, _ = fss.power_law(n, y, 0.01 * y)
        self.assertAlmostEqual(b, 0.7, places=10)
        self.assertAlmostEqual(a, 3.0, places=8)
        self.assertLess(be, 0.02)
        with self.assertRaises(fss.PeakError):
            fss.power_law([100.0], [1.0])


class FssCommandTest(unittest.TestCase):
    def test_fixture_peaks_and_refusal(self):
        import catex_reader as cr
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "f.h5")
            tools_fixture.write(path)
            with cr.open(path) as f:
                lattice, results = fss.analyse([f.study("kscan")], nboot=200)
            by_side = {int(r.side): r for r in results}
            for side, (x0, h, w) in tools_fixture.KSCAN_PEAKS.items():
                r = by_side[side]
                if x0 > 30:
                    self.assertIsNone(r.peak)
                    self.assertIn("upper end", r.reason)
                    continue
                self.assertIsNotNone(r.peak, r.reason)
                self.assertLess(abs(r.peak.x0 - x0), 3 * r.peak.x0_err, (side, r.peak))
                self.assertLess(abs(r.peak.height - (h + tools_fixture.KSCAN_BASELINE)), 3 * r.peak.height_err,
                                (side, r.peak))
                self.assertEqual(r.n_core, cr.n_sites("hexagon", side))
            # the CLI says so on stderr and still plots the others
            sys.path.insert(0, os.path.join(HERE, "..", "tools"))
            from test_tools_plots import load_catexplot
            cp = load_catexplot()
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = cp.main(["fss", path, "--bootstrap-samples", "50", "-o", os.path.join(tmp, "fss.png"),
                              "--csv", os.path.join(tmp, "fss.csv")])
            self.assertEqual(rc, 0, err.getvalue())
            self.assertIn("core side 12 (N_core 397): no peak: maximum at the upper end", err.getvalue())
            self.assertIn("REFUSED", out.getvalue())
            self.assertIn("peak height ~", out.getvalue())
            self.assertGreater(os.path.getsize(os.path.join(tmp, "fss.png")), 5000)
            with open(os.path.join(tmp, "fss.csv")) as fh:
                self.assertEqual(len(fh.read().strip().splitlines()), 5)


if __name__ == "__main__":
    unittest.main()
