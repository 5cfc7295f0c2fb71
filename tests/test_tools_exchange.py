#!/usr/bin/python3
"""Exchange (replica-exchange) studies in tools/: reader, MBAR reweighting,
mixing verdict, rung placement, and the commands that use them.

The file is written by tests/tools_fixture.py (write_exchange): ladders of a
two-state model whose <f_U>(K) and Var(f_U)(K) are known in closed form,
simulated with exact Metropolis moves and swaps, in the layout the engine
writes (the contract of README "Output file", exchange studies).  Expected values come
from the closed forms or from direct computations, never from the code under
test; the MBAR test keeps a negative control (a transposed energy matrix, a
wrong kT) that must fail.
"""

import os
import re
import sys
import tempfile
import unittest
import warnings

import h5py
import numpy as np
from scipy.integrate import quad
from scipy.special import erfc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
sys.path.insert(0, HERE)

import catex_reader as cr  # noqa: E402
import tools_fixture as tf  # noqa: E402
from figures import exchange as ex  # noqa: E402
from figures import fss  # noqa: E402
from figures import reweight as rw  # noqa: E402
from test_tools_plots import run_cli  # noqa: E402


class FixtureFile:
    """One exchange fixture file shared by the test classes (it takes ~3 s)."""
    tmp = path = truth = None

    @classmethod
    def get(cls):
        if cls.path is None:
            cls.tmp = tempfile.TemporaryDirectory()
            cls.path = os.path.join(cls.tmp.name, "exchange.h5")
            cls.truth = tf.write_exchange(cls.path)
        return cls.path, cls.truth


class ReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path, cls.truth = FixtureFile.get()
        cls.h5 = h5py.File(cls.path, "r")
        cls.f = cr.open(cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.f.close()
        cls.h5.close()

    def test_round_trip(self):
        s = self.f.study("ladder")
        self.assertTrue(s.is_exchange)
        self.assertEqual(s.scanned, ("side",))          # kshell is the ladder, not a scan
        self.assertEqual(s.n, len(self.truth["ladder"]))
        g = self.h5["studies/ladder"]
        for name in ("f_mean", "fU_mean", "fU_var", "fU_var_err", "E_mean", "acceptance", "fU_hist",
                     "swap_attempts", "swap_acceptance", "round_trips", "permutation", "sample_fU",
                     "sample_energy", "sample_f"):
            with self.subTest(dataset=name):
                got = s.data(name)
                np.testing.assert_array_equal(got, g[name][()])
                self.assertEqual(got.dtype, g[name].dtype)
                sim = np.stack([r[name] for r in self.truth["results"]])
                np.testing.assert_array_equal(got, sim)
        np.testing.assert_array_equal(s.rungs(), np.stack([r["kshell"] for r in self.truth["results"]]))
        np.testing.assert_array_equal(s.hist_edges(), np.linspace(0, 1, 51))
        self.assertEqual(s.permutation_stride(), 20)

    def test_state_points_and_aggregates(self):
        s = self.f.study("ladder")
        groups = s.groupby("side")
        self.assertEqual([k for k, _ in groups], sorted(tf.EXCHANGE_MODELS))
        for side, g in groups:
            model = tf.EXCHANGE_MODELS[int(side)]
            np.testing.assert_allclose(g.ladder(), tf.exchange_ladder(model), rtol=0, atol=0)
            rows = [i for i, (sd, _) in enumerate(self.truth["ladder"]) if sd == side]
            v = np.stack([self.truth["results"][i]["fU_var"] for i in rows])
            e = np.stack([self.truth["results"][i]["fU_var_err"] for i in rows])
            a = g.rung_aggregate("fU_var", err="fU_var_err")
            np.testing.assert_array_equal(a.x, g.ladder())
            np.testing.assert_allclose(a.mean, v.mean(axis=0), rtol=1e-14)
            prop = np.sqrt((e**2).sum(axis=0)) / len(rows)
            se = v.std(axis=0, ddof=1) / np.sqrt(len(rows))
            np.testing.assert_allclose(a.err, np.maximum(prop, se), rtol=1e-12)
            p = g.rung_aggregate("swap_acceptance")
            np.testing.assert_allclose(p.x, 0.5 * (g.ladder()[:-1] + g.ladder()[1:]))
            smp = g.samples()
            self.assertEqual(smp.energy.shape, (len(rows), 400, tf.EXCHANGE_RUNGS, tf.EXCHANGE_RUNGS))
            self.assertEqual(smp.kT, model.kT)
            # energy[t, s, k, k] is the energy of the configuration at rung k under its own rung
            x = np.where(np.isclose(smp.fU, model.mu_s, atol=0.2) & (smp.fU < 0.5 * (model.mu_u + model.mu_s)), 1, 0)
            d = smp.energy[..., -1] - smp.energy[..., 0]
            np.testing.assert_allclose(d, x * (model.gap(g.ladder()[-1]) - model.gap(g.ladder()[0]))
                                       + model.bulk(g.ladder()[-1]) - model.bulk(g.ladder()[0]), atol=1e-9)

    def test_errors(self):
        s = self.f.study("ladder")
        with self.assertRaisesRegex(cr.CatexError, "different ladders"):
            s.ladder()
        with self.assertRaisesRegex(cr.CatexError, "kshell is the ladder"):
            s.where(kshell=5.0)
        with self.assertRaisesRegex(cr.CatexError, "kshell is the ladder"):
            s.groupby("kshell")
        with self.assertRaisesRegex(cr.CatexError, "needs an exchange study"):
            self.f.study("falling").ladder()
        self.assertIn("ladders of 13 rungs", self.f.describe())


class JackknifeTest(unittest.TestCase):
    def test_series_variance_matches_literal_jackknife(self):
        rng = np.random.default_rng(3)
        x = rng.standard_normal((1000, 4)).cumsum(axis=0) * 0.01 + rng.standard_normal((1000, 4))
        v, e = cr.series_variance(x, nblocks=20)
        v2, e2 = tf._jackknife_var(x, 20)      # written independently in the fixture
        np.testing.assert_allclose(v, x.var(axis=0), rtol=1e-13)
        np.testing.assert_allclose(v, v2, rtol=1e-13)
        np.testing.assert_allclose(e, e2, rtol=1e-10)

    def test_jackknife_of_the_mean_is_the_block_standard_error(self):
        rng = np.random.default_rng(4)
        x = rng.standard_normal(600)
        m, e = cr.jackknife(lambda a: a.mean(), x, nblocks=12)
        blocks = x.reshape(12, 50).mean(axis=1)
        self.assertAlmostEqual(float(m), x.mean(), places=14)
        self.assertAlmostEqual(float(e), blocks.std(ddof=1) / np.sqrt(12), places=13)

    def test_pooled_variance_is_the_variance_of_the_concatenated_series(self):
        rng = np.random.default_rng(5)
        runs = [rng.normal(mu, 0.05, 500) for mu in (0.2, 0.25, 0.7, 0.72)]   # stuck in two phases
        means = np.array([r.mean() for r in runs])
        vars_ = np.array([r.var() for r in runs])
        v, e = cr.pooled_variance(means, vars_)
        self.assertAlmostEqual(float(v), np.concatenate(runs).var(), places=13)
        loo = [np.concatenate([runs[j] for j in range(4) if j != i]).var() for i in range(4)]
        self.assertAlmostEqual(float(e), np.sqrt(3 / 4 * np.sum((np.array(loo) - np.mean(loo)) ** 2)), places=12)
        self.assertGreater(v, 10 * vars_.mean())     # pooled >> within-run for stuck runs


class MBARTest(unittest.TestCase):
    MODEL = tf.TwoState(6.0, 0.45, mu_u=0.70, mu_s=0.25)

    def draws(self, seed, ns=300):
        k = tf.exchange_ladder(self.MODEL)
        x, fu, en = self.MODEL.draw_iid(k, ns, np.random.default_rng(seed))
        return k, fu, en

    def test_weights_match_pymbar(self):
        k, fu, en = self.draws(1)
        L = rw.LadderMBAR(en, fu, self.MODEL.kT, k)
        mean = L.at_rungs()[0]
        with warnings.catch_warnings():   # pymbar 3.1 uses np.matrix in its uncertainty code
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            ref = L._mbar.computeExpectations(L.A, L.u, state_dependent=False)[0]
        np.testing.assert_allclose(mean, ref, rtol=0, atol=1e-10)

    def zscores(self, transform=None, kT_factor=1.0, seeds=range(4)):
        out = []
        for seed in seeds:
            k, fu, en = self.draws(10 + seed)
            if transform:
                en = transform(en)
            r = rw.reweight(en[None], fu[None], self.MODEL.kT * kT_factor, k, nblocks=10, nboot=25,
                            grid_points=15, seed=seed)
            out.append(np.concatenate([(r.mean - self.MODEL.exact_mean(k)) / r.mean_err,
                                       (r.var - self.MODEL.exact_var(k)) / r.var_err,
                                       (r.grid_mean - self.MODEL.exact_mean(r.grid)) / r.grid_mean_err,
                                       (r.grid_var - self.MODEL.exact_var(r.grid)) / r.grid_var_err]))
            if transform is None and kT_factor == 1.0:
                self.assertLess(r.interp_error, rw.MAX_INTERP_ERROR)
        return np.array(out)

    def test_recovers_exact_mean_and_variance_within_errors(self):
        z = self.zscores()
        self.assertLess(np.abs(z).max(), 4.5)
        # errors neither too small (mean z^2 >> 1) nor useless (mean z^2 << 1); estimates at
        # neighbouring K are correlated, so the mean of z^2 over 4 draws scatters: wide band
        self.assertLess(np.mean(z**2), 2.5)
        self.assertGreater(np.mean(z**2), 0.15)

    def test_wrong_energy_matrix_fails(self):
        """Negative controls: the index convention of sample_energy swapped
        (E_k(s_l) read as E_l(s_k)), and energies reduced with a wrong kT."""
        z = self.zscores(transform=lambda e: e.transpose(0, 2, 1), seeds=range(2))
        self.assertGreater(np.abs(z).max(), 8)
        z = self.zscores(kT_factor=2.0, seeds=range(2))
        self.assertGreater(np.abs(z).max(), 8)

    def test_interpolation_check_flags_a_kink(self):
        k, fu, en = self.draws(2)
        rng = np.random.default_rng(0)
        # a per-sample energy with a kink in K (not smooth): the spline cannot follow it
        kink = rng.standard_normal(fu.shape)[:, :, None] * np.abs(k - k[5])[None, None, :] * self.MODEL.kT * 3
        r = rw.reweight((en + kink)[None], fu[None], self.MODEL.kT, k, nboot=0)
        self.assertGreater(r.interp_error, rw.MAX_INTERP_ERROR)
        self.assertFalse(r.curve_reliable)
        self.assertTrue(rw.reweight(en[None], fu[None], self.MODEL.kT, k, nboot=0).curve_reliable)

    def test_fixture_ladders(self):
        """MBAR over the simulated (correlated) ladders of the fixture file."""
        path, _ = FixtureFile.get()
        with cr.open(path) as f:
            for side, g in f.study("ladder").groupby("side"):
                m = tf.EXCHANGE_MODELS[int(side)]
                r = rw.reweight_study(g, nboot=30, grid_points=20)
                z = (r.var - m.exact_var(r.kshell)) / r.var_err
                self.assertLess(np.abs(z).max(), 4.5, (side, z))


class MixingTest(unittest.TestCase):
    def test_verdict_rules(self):
        ok = ex.mixing_verdict([0.4, 0.3, 0.5], [4, 5, 3, 6])
        self.assertTrue(ok.mixed and ok.known, ok)
        bad = ex.mixing_verdict([0.4, 0.01, 0.5], [9, 9, 9, 9], kshell=[1, 2, 3, 4])
        self.assertFalse(bad.mixed)
        self.assertEqual(bad.worst_pair, 1)
        self.assertIn("pair 1 (K_shell 2 - 3)", str(bad))
        few = ex.mixing_verdict([0.4, 0.3, 0.5], [1, 2, 3, 2])
        self.assertFalse(few.mixed)
        self.assertIn("round trips", str(few))
        unknown = ex.mixing_verdict([0.4, 0.3, 0.5], [-1, -1, -1, -1])
        self.assertFalse(unknown.known)
        self.assertFalse(unknown.mixed)
        self.assertTrue(ex.mixing_verdict([0.06], [3, 3]).mixed)       # at the thresholds
        self.assertFalse(ex.mixing_verdict([0.04], [3, 3]).mixed)

    def test_fixture_studies(self):
        path, _ = FixtureFile.get()
        with cr.open(path) as f:
            for side, g in f.study("ladder").groupby("side"):
                v = ex.combined_verdict(ex.study_verdicts(g))
                self.assertTrue(v.mixed, (side, str(v)))
            v = ex.combined_verdict(ex.study_verdicts(f.study("stuck")))
            self.assertFalse(v.mixed)
            self.assertTrue(v.known)
            self.assertEqual(v.worst_pair, tf.EXCHANGE_RUNGS // 2)
            self.assertEqual(v.mean_round_trips, 0)


class PlaceRungsTest(unittest.TestCase):
    @staticmethod
    def rho(k):
        """A distance density sharply peaked at K = 6 (where a transition makes
        swaps hard)."""
        return 0.3 + 3.0 * np.exp(-((k - 6.0) / 0.3) ** 2)

    def acceptance(self, ladder):
        d = np.array([quad(self.rho, a, b)[0] for a, b in zip(ladder[:-1], ladder[1:])])
        return erfc(d / 2)

    def test_uniform_acceptance_after_one_step(self):
        pilot = np.linspace(4.0, 8.0, 15)
        a0 = self.acceptance(pilot)
        self.assertGreater(a0.max() - a0.min(), 0.3)
        new, pred, clipped = ex.place_rungs(pilot, a0)
        self.assertFalse(np.any(clipped))
        self.assertEqual(len(new), len(pilot))
        self.assertEqual((new[0], new[-1]), (4.0, 8.0))
        self.assertTrue(np.all(np.diff(new) > 0))
        a1 = self.acceptance(new)
        self.assertLess(a1.max() - a1.min(), 0.06, a1)
        np.testing.assert_allclose(a1, pred, atol=0.04)
        # more rungs near the hard region
        self.assertLess(np.min(np.diff(new)), 0.5 * np.min(np.diff(pilot)))
        new2, pred2, _ = ex.place_rungs(pilot, a0, target=0.6)
        self.assertGreaterEqual(pred2[0], 0.6)
        self.assertLess(self.acceptance(new2).min(), 0.7)
        self.assertGreater(self.acceptance(new2).min(), 0.5)

    def test_zero_acceptance_is_clipped_and_reported(self):
        new, pred, clipped = ex.place_rungs([1.0, 2.0, 3.0, 4.0], [0.9, 0.0, 0.9], attempts=[1000] * 3)
        self.assertEqual(list(clipped), [False, True, False])
        self.assertTrue(np.all((new[1:-1] > 2.0) & (new[1:-1] < 3.0)))


class CommandsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path, cls.truth = FixtureFile.get()
        cls.out = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.out.cleanup()

    def png(self, name):
        return os.path.join(self.out.name, name + ".png")

    def assert_png(self, png):
        self.assertTrue(os.path.exists(png), png)
        self.assertGreater(os.path.getsize(png), 5000, png)
        with open(png, "rb") as fh:
            self.assertEqual(fh.read(8), b"\x89PNG\r\n\x1a\n")

    def test_plots(self):
        cases = [
            ("exchange", ["exchange", self.path], "DID NOT MIX"),
            ("variance_auto", ["variance", self.path, "--study", "ladder", "--bootstrap-samples", "10",
                               "--with-ladder"], "MBAR"),
            ("variance_ladder", ["variance", self.path, "--study", "ladder", "--variance", "ladder"],
             "ladder's equilibrium variance"),
            ("variance_pooled_x", ["variance", self.path, "--study", "ladder", "--variance", "pooled"], "pooled"),
            ("variance_pooled_eq", ["variance", self.path, "--study", "falling", "--variance", "pooled"], "pooled"),
            ("variance_within_eq", ["variance", self.path, "--study", "falling"], "within-run"),
            ("fss_exchange", ["fss", self.path, "--mbar-samples", "15"], "MBAR"),
            ("overview", ["overview", self.path], "overview"),
        ]
        for name, argv, says in cases:
            with self.subTest(command=name):
                rc, out, err = run_cli(argv + ["-o", self.png(name)])
                self.assertEqual(rc, 0, err)
                self.assert_png(self.png(name))
                self.assertIn(says, out)

    def test_variance_kind_errors(self):
        for argv, msg in ((["--study", "ladder", "--variance", "within"], "exchange study"),
                          (["--study", "falling", "--variance", "mbar"], "needs an exchange study")):
            rc, out, err = run_cli(["variance", self.path] + argv + ["-o", self.png("x")])
            self.assertEqual(rc, 2)
            self.assertIn(msg, err)

    def test_fss_exchange_recovers_peaks_and_refuses_the_stuck_ladder(self):
        rc, out, err = run_cli(["fss", self.path, "--mbar-samples", "30", "-o", self.png("fss_x"),
                                "--csv", os.path.join(self.out.name, "fss.csv")])
        self.assertEqual(rc, 0, err)
        self.assertIn(f"core side {tf.STUCK_SIDE} (N_core {cr.n_sites('hexagon', tf.STUCK_SIDE)}): no peak: "
                      "the ladder did not mix", err)
        self.assertIn("REFUSED: the ladder did not mix", out)
        self.assertNotIn("WARNING", out)
        with cr.open(self.path) as f:
            for model in ("auto", "lorentzian"):   # auto = the maximum of the continuous MBAR curve
                lattice, results = fss.analyse([f.study("ladder")], model=model,
                                               mbar_options={"nboot": 40, "grid_points": 80})
                for r in results:
                    m = tf.EXCHANGE_MODELS[int(r.side)]
                    with self.subTest(model=model, side=r.side):
                        self.assertIsNotNone(r.peak, r.reason)
                        self.assertEqual(r.variance, "mbar")
                        self.assertEqual(r.peak.model, "curve" if model == "auto" else model)
                        self.assertLess(abs(r.peak.x0 - m.k_star), 3.5 * r.peak.x0_err, r.peak)
                        self.assertLess(abs(r.peak.height - m.peak_height), 3.5 * r.peak.height_err, r.peak)
                        self.assertLess(r.peak.x0_err, 0.2 * m.width)
            # an unreliable continuous curve is refused by the curve model
            r = results[0].mbar
            r.interp_error = 1.0
            with self.assertRaisesRegex(fss.PeakError, "unreliable"):
                fss.curve_peak(r)
        rc, out, err = run_cli(["fss", self.path, "--study", "stuck", "--study", "ladder", "--ignore-mixing",
                                "--model", "max", "--mbar-samples", "10", "-o", self.png("fss_ign")])
        self.assertEqual(rc, 0, err)
        self.assertIn("fitted although the ladder did not mix", out)

    def test_fss_also_replaces_the_sizes_of_a_later_file(self):
        # a second run (other seed) of the same sizes, without the equilibrium study
        other = os.path.join(self.out.name, "other.h5")
        tf.write_exchange(other, seed=77, falling=False)
        args = ["--variance", "ladder", "--bootstrap-samples", "40", "--csv"]
        rc, out, err = run_cli(["fss", other, "--study", "ladder"] + args +
                               [os.path.join(self.out.name, "alone.csv"), "-o", self.png("fss_alone")])
        self.assertEqual(rc, 0, err)
        rc, out, err = run_cli(["fss", self.path, "--study", "ladder", "--also", other] + args +
                               [os.path.join(self.out.name, "also.csv"), "-o", self.png("fss_also")])
        self.assertEqual(rc, 0, err)
        for side in sorted(tf.EXCHANGE_MODELS):
            self.assertIn(f"core side {side:g}: taken from {other}", err)
        # the stuck side comes only from the later file, and is refused there too
        self.assertIn(f"core side {tf.STUCK_SIDE} (N_core {cr.n_sites('hexagon', tf.STUCK_SIDE)}): no peak: "
                      "the ladder did not mix", err)
        with open(os.path.join(self.out.name, "alone.csv")) as a, open(os.path.join(self.out.name, "also.csv")) as b:
            alone = {float(row.split(",")[0]): row for row in a.read().strip().splitlines()[1:]}
            also = {float(row.split(",")[0]): row for row in b.read().strip().splitlines()[1:]}
        for side in sorted(tf.EXCHANGE_MODELS):   # replaced, not pooled: the later file's peaks exactly
            self.assertEqual(also[side], alone[side])
        rc, out, err = run_cli(["fss", self.path, "--study", "falling", "--also", other, "-o", self.png("fss_x3")])
        self.assertEqual(rc, 2)
        self.assertIn("--also joins exchange studies", err)

    def test_fss_warns_on_a_falling_height(self):
        rc, out, err = run_cli(["fss", self.path, "--study", "falling", "--bootstrap-samples", "60",
                                "-o", self.png("fss_falling")])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"WARNING: the fitted height exponent is -[0-9.]+ \+- [0-9.]+ <= 0")
        self.assertIn("height exponent", err)
        self.assertIn("variance: within-run", out)
        self.assert_png(self.png("fss_falling"))
        # and the rising exchange fixture gives no warning (checked above); the helper itself:
        self.assertIsNone(fss.height_warning({"height": (1.0, 0.3, 0.1, 0.0)}))
        self.assertIn("metastable", fss.height_warning({"height": (1.0, 0.0, 0.1, 0.0)}))
        self.assertIn("ladders mixed", fss.height_warning({"height": (1.0, -0.2, 0.1, 0.0)}, mixed_ladders=True))

    def test_place_rungs_prints_a_yaml_ladder(self):
        rc, out, err = run_cli(["place-rungs", self.path, "--study", "stuck"])
        self.assertEqual(rc, 0, err)
        m = re.search(r"^kshell: \[(.*)\]$", out, re.M)
        self.assertIsNotNone(m, out)
        new = np.array([float(v) for v in m.group(1).split(",")])
        with cr.open(self.path) as f:
            old = f.study("stuck").ladder()
        self.assertEqual(len(new), len(old))
        self.assertAlmostEqual(new[0], old[0], places=4)
        self.assertAlmostEqual(new[-1], old[-1], places=4)
        # the blocked pair gets most of the new rungs
        inside = np.sum((new > old[6]) & (new < old[7]))
        self.assertGreaterEqual(inside, 4)
        self.assertIn("accepted (almost) all or no swaps", out)


if __name__ == "__main__":
    unittest.main()
