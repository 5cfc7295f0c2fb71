#!/usr/bin/python3
"""Every catexplot command writes a non-empty image from a small synthetic
file, fails clearly on bad requests, and the plaquette labels computed by
the snapshot code follow docs/model.md (checked on patterns with known labels and
against a literal per-site transcription of the rule)."""

import contextlib
import importlib.machinery
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.normpath(os.path.join(HERE, "..", "tools"))
sys.path.insert(0, TOOLS)
sys.path.insert(0, HERE)

import tools_fixture  # noqa: E402
from figures import snapshots as snap  # noqa: E402


def load_catexplot():
    loader = importlib.machinery.SourceFileLoader("catexplot", os.path.join(TOOLS, "catexplot"))
    spec = importlib.util.spec_from_loader("catexplot", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


CATEXPLOT = load_catexplot()


def run_cli(argv):
    """(exit code, stdout, stderr) of catexplot ARGV, run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = CATEXPLOT.main(argv)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()

# (name, argv after FILE); each must write a PNG
COMMANDS = [
    ("composition", ["composition", "--study", "noninteracting", "--study", "ising", "--study", "elastic"]),
    ("composition_panels", ["composition", "--panels", "--study", "noninteracting", "--study", "ising",
                            "--study", "elastic"]),
    ("composition_log", ["composition", "--logx", "--logy", "--inset", "none"]),
    ("phases", ["phases", "--study", "elastic"]),
    ("phases_3d", ["phases", "--study", "cube_kmc", "--inset", "logx"]),
    ("area_time", ["area-time", "--study", "elastic", "--logx"]),
    ("fractions_shell", ["fractions", "--study", "shell"]),
    ("fractions_kshell", ["fractions", "--study", "kscan", "--where", "side=10"]),
    ("fractions_3d", ["fractions", "--study", "cube_eq"]),
    ("variance", ["variance", "--study", "kscan"]),
    ("area_shell", ["area-shell", "--study", "shell"]),
    ("snapshot", ["snapshot", "--study", "elastic_snap"]),
    ("snapshot_two", ["snapshot", "--study", "elastic", "--study", "elastic_snap", "--color", "species"]),
    ("snapshot_3d", ["snapshot", "--study", "cube_kmc"]),
    ("fss", ["fss", "--study", "kscan", "--bootstrap-samples", "60"]),
    ("overview", ["overview"]),
    ("quickstart", ["quickstart"]),
]


class PlotCommandsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = os.path.join(cls.tmp.name, "fixture.h5")
        tools_fixture.write(cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_cli(self, argv):
        return run_cli(argv)

    def assert_png(self, png):
        self.assertTrue(os.path.exists(png), png)
        self.assertGreater(os.path.getsize(png), 5000, png)
        with open(png, "rb") as fh:
            self.assertEqual(fh.read(8), b"\x89PNG\r\n\x1a\n")

    def test_each_command_writes_png(self):
        for name, args in COMMANDS:
            with self.subTest(command=name):
                png = os.path.join(self.tmp.name, f"{name}.png")
                rc, out, err = self.run_cli([args[0], self.path] + args[1:] + ["-o", png])
                self.assertEqual(rc, 0, err)
                self.assert_png(png)

    def test_executable_and_default_output_name(self):
        r = subprocess.run([os.path.join(TOOLS, "catexplot"), "variance", self.path, "--study", "kscan"],
                           cwd=self.tmp.name, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_png(os.path.join(self.tmp.name, "fixture_variance.png"))

    def test_help_of_every_command(self):
        parser = CATEXPLOT.build_parser()
        subs = parser._subparsers._group_actions[0].choices
        for name in subs:
            with self.subTest(command=name):
                rc, out, err = self.run_cli([name, "--help"])
                self.assertEqual(rc, 0)
                self.assertIn("usage: catexplot " + name, out)
        rc, out, _ = self.run_cli(["info", self.path])
        self.assertEqual(rc, 0)
        self.assertIn("kscan: equilibrium hexagon", out)

    def test_clear_errors(self):
        cases = [
            (["phases", os.path.join(self.tmp.name, "none.h5")], "no such file"),
            (["phases", self.path, "--study", "nope"], "no study 'nope'"),
            (["phases", self.path, "--study", "kscan"], "is a equilibrium study"),
            (["fractions", self.path, "--study", "kscan", "--where", "kshell=99"], "values present"),
            (["fractions", self.path, "--study", "kscan", "--where", "bogus=1"], "unknown parameter"),
            (["area-time", self.path, "--study", "cube_kmc"], "holds no values"),
            (["snapshot", self.path, "--study", "ising"], "no dataset 'snapshots'"),
        ]
        for argv, msg in cases:
            with self.subTest(argv=argv[:3]):
                if "cube_kmc" in argv:  # the fixture stores dA_rms in 3D; blank it as the engine does
                    self._blank_cube_area()
                rc, out, err = self.run_cli(argv + ["-o", os.path.join(self.tmp.name, "x.png")])
                self.assertEqual(rc, 2, err)
                self.assertIn(msg, err)
                self.assertNotIn("Traceback", err)

    def _blank_cube_area(self):
        import h5py
        with h5py.File(self.path, "r+") as h:
            d = h["studies/cube_kmc/dA_rms"]
            d[...] = np.nan


def axial(pos):
    r = np.round(pos[:, 1] * 2 / np.sqrt(3)).astype(int)
    q = np.round(pos[:, 0] - r / 2).astype(int)
    return q, r


def literal_label(pos, sigma, i):
    """docs/model.md's table, transcribed site by site with plain loops."""
    nbrs = []
    for ang in range(0, 360, 60):
        target = pos[i] + [np.cos(np.radians(ang)), np.sin(np.radians(ang))]
        j = [k for k in range(len(pos)) if np.allclose(pos[k], target, atol=1e-6)]
        if not j:
            return -1
        nbrs.append(j[0])
    s = sigma[i]
    ns = [sigma[j] for j in nbrs]
    alternates = all(ns[k] == -ns[(k + 1) % 6] for k in range(6))
    if s == 1 and all(v == 1 for v in ns):
        return 0
    if (s == -1 and all(v == 1 for v in ns)) or (s == 1 and alternates):
        return 1
    if (s == 1 and all(v == -1 for v in ns)) or (s == -1 and alternates):
        return 2
    if s == -1 and all(v == -1 for v in ns):
        return 3
    return 4


class PlaquetteTest(unittest.TestCase):
    def setUp(self):
        self.pos, self.layer, _, _ = tools_fixture.hexagon(6)
        self.full = self.layer > 1

    def test_ring_is_ordered_and_adjacent(self):
        ring = snap.neighbour_ring(self.pos)
        self.assertTrue(np.all((ring >= 0).sum(axis=1)[self.full] == 6))
        self.assertTrue(np.all((ring >= 0).sum(axis=1)[~self.full] < 6))
        for i in np.nonzero(self.full)[0]:
            for k in range(6):
                a, b = ring[i, k], ring[i, (k + 1) % 6]
                self.assertAlmostEqual(np.linalg.norm(self.pos[a] - self.pos[b]), 1.0)
                d = self.pos[a] - self.pos[i]
                self.assertAlmostEqual(np.degrees(np.arctan2(d[1], d[0])) % 360, 60 * k, places=6)

    def test_uniform(self):
        lab = snap.plaquette_labels(self.pos, np.ones(len(self.pos)))
        self.assertTrue(np.all(lab[self.full] == snap.U1))
        self.assertTrue(np.all(lab[~self.full] == -1))
        lab = snap.plaquette_labels(self.pos, -np.ones(len(self.pos)))
        self.assertTrue(np.all(lab[self.full] == snap.U2))

    def test_superlattices(self):
        q, r = axial(self.pos)
        sub = (q - r) % 3
        for b_sub in range(3):
            s1 = np.where(sub == b_sub, -1, 1)   # 2/3 A
            lab = snap.plaquette_labels(self.pos, s1)
            self.assertTrue(np.all(lab[self.full] == snap.S1))
            lab = snap.plaquette_labels(self.pos, -s1)   # 1/3 A
            self.assertTrue(np.all(lab[self.full] == snap.S2))
        f = snap.phase_fractions(snap.plaquette_labels(self.pos, np.where(sub == 0, -1, 1)))
        np.testing.assert_array_equal(f, [0, 1, 0, 0, 0])

    def test_single_defect(self):
        sigma = np.ones(len(self.pos), dtype=int)
        centre = int(np.argmin(np.linalg.norm(self.pos, axis=1)))
        sigma[centre] = -1
        lab = snap.plaquette_labels(self.pos, sigma)
        self.assertEqual(lab[centre], snap.S1)
        nb = np.abs(np.linalg.norm(self.pos - self.pos[centre], axis=1) - 1) < 1e-6
        self.assertTrue(np.all(lab[nb] == snap.UNCL))
        rest = self.full & ~nb
        rest[centre] = False
        self.assertTrue(np.all(lab[rest] == snap.U1))

    def test_matches_literal_rule_on_random_configurations(self):
        rng = np.random.default_rng(7)
        q, r = axial(self.pos)
        sub = (q - r) % 3
        for trial in range(6):
            if trial % 2:   # mostly superlattice with defects, so S labels occur
                sigma = np.where(sub == 0, -1, 1) * np.where(rng.random(len(self.pos)) < 0.1, -1, 1)
            else:
                sigma = np.where(rng.random(len(self.pos)) < 0.5, 1, -1)
            lab = snap.plaquette_labels(self.pos, sigma)
            ref = np.array([literal_label(self.pos, sigma, i) for i in range(len(self.pos))])
            np.testing.assert_array_equal(lab, ref)

    def test_cube_labels(self):
        pos, layer, _, _ = tools_fixture.cube(5)
        sigma = np.ones(len(pos), dtype=int)
        lab = snap.cube_labels(pos, sigma)
        interior = layer > 1
        self.assertTrue(np.all(lab[interior] == snap.U1))
        self.assertTrue(np.all(lab[~interior] == -1))
        centre = int(np.argmin(np.linalg.norm(pos, axis=1)))
        sigma[centre] = -1
        lab = snap.cube_labels(pos, sigma)
        # the centre and all 18 bonded neighbours (NN + NNN) lose U1; the 8
        # corners of the 3x3x3 interior (distance sqrt 3) keep it
        d = np.linalg.norm(pos - pos[centre], axis=1)
        self.assertTrue(np.all(lab[interior & (d < 1.5)] == snap.UNCL))
        self.assertTrue(np.all(lab[interior & (d > 1.5)] == snap.U1))
        self.assertEqual(int(np.sum(interior & (d > 1.5))), 8)


if __name__ == "__main__":
    unittest.main()
