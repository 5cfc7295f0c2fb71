#!/usr/bin/python3
"""Coexistence height (tools/figures/coexistence.py): from samples of a
two-phase mixture it recovers H = (Delta f)^2 / 4 + (v1 + v2) / 2 whatever
the phases' weights (where the plain variance p (1 - p) (Delta f)^2 + ...
does not), and it refuses one-phase samples instead of splitting them."""

import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))

from figures import coexistence as co  # noqa: E402

F_LOW, F_HIGH, SD_LOW, SD_HIGH = 0.07, 0.29, 0.012, 0.018
H_TRUE = 0.25 * (F_HIGH - F_LOW) ** 2 + 0.5 * (SD_LOW**2 + SD_HIGH**2)


def mixture(rng, n, p):
    low = rng.random(n) < p
    return np.where(low, rng.normal(F_LOW, SD_LOW, n), rng.normal(F_HIGH, SD_HIGH, n))


class CoexistenceTest(unittest.TestCase):
    def test_threshold_between_the_modes(self):
        t = co.split_threshold(mixture(np.random.default_rng(1), 5000, 0.7))
        self.assertIsNotNone(t)
        self.assertTrue(F_LOW + 3 * SD_LOW < t < F_HIGH - 3 * SD_HIGH, t)

    def test_one_phase_is_refused(self):
        rng = np.random.default_rng(2)
        self.assertIsNone(co.split_threshold(rng.normal(0.2, 0.05, 5000)))
        # two overlapping modes (valley deeper than half the smaller peak is not reached)
        self.assertIsNone(co.split_threshold(np.concatenate([rng.normal(0.18, 0.04, 3000),
                                                             rng.normal(0.24, 0.04, 3000)])))

    def test_height_does_not_depend_on_the_weights(self):
        """H from 40 draws of 2000 samples each at p = 0.25 and p = 0.8: the
        mean is H within 3 standard errors for both; the plain variance at
        p = 0.8 is far below H (the negative control: it is what a run that
        sampled the phases with the wrong weights would report)."""
        rng = np.random.default_rng(3)
        for p in (0.25, 0.8):
            hs, plain = [], []
            for _ in range(40):
                x = mixture(rng, 2000, p)
                t = co.two_phase(x, co.split_threshold(x))
                self.assertLess(abs(t.p - p), 0.05)
                hs.append(t.height)
                plain.append(x.var(ddof=1))
            hs = np.array(hs)
            self.assertLess(abs(hs.mean() - H_TRUE), 3 * hs.std(ddof=1) / np.sqrt(len(hs)) + 1e-12,
                            (p, hs.mean(), H_TRUE))
            if p == 0.8:
                self.assertLess(np.mean(plain), 0.7 * H_TRUE)

    def test_ladder_picks_the_rung_nearest_equal_weights(self):
        rng = np.random.default_rng(4)
        ps = [1.0, 0.95, 0.7, 0.45, 0.15, 0.0]
        samples = np.column_stack([mixture(rng, 3000, p) for p in ps])
        t = co.split_threshold(samples[:, 3])
        k, est = co.ladder_estimate(samples, t)
        self.assertEqual(k, 3)
        self.assertLess(abs(est.height - H_TRUE), 0.1 * H_TRUE)
        # a ladder in one phase at every rung gives nothing
        self.assertIsNone(co.ladder_estimate(samples[:, [0, 5]], t))


if __name__ == "__main__":
    unittest.main()
