#!/usr/bin/python3
"""tools/xrd/elastic.py: the displacements u = (1/2) D^+ C sigma.

* equal to a dense Moore-Penrose pseudo-inverse on small cubes (with a
  shell of stiffness K_shell, both NNN mismatch conventions);
* the operator they imply, V = 4 S - C^T D^+ C (projected), equals the C
  engine's `catex potential` output (with --catex PATH; skipped without);
* a uniform crystal under geometric NNN mismatch relaxes by a pure dilation,
  u = -R; under the paper's unit mismatch it cannot (negative control).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "tools")))

from xrd import elastic, structure  # noqa: E402

CATEX = {"path": None}


def shell_of(L, layers):
    x = structure.cube_sites(L)
    return x, np.max(np.abs(x), axis=1) > (L - 1) / 2.0 - layers


class DisplacementTest(unittest.TestCase):
    def test_matches_dense_pseudo_inverse(self):
        rng = np.random.default_rng(3)
        for L, layers, k, mm in ((3, 0, 1.0, "unit"), (4, 1, 7.0, "unit"), (4, 1, 0.3, "geometric")):
            with self.subTest(L=L, shell=layers, kshell=k, nnn=mm):
                x, sh = shell_of(L, layers)
                e = elastic.CubeElastic(x, sh, k, mm)
                sigma = rng.choice([-1.0, 1.0], len(x))
                dense = 0.5 * np.linalg.pinv(e.D.toarray(), rcond=1e-10) @ (e.C @ sigma)
                u = e.displacements(sigma).ravel()
                self.assertLess(np.max(np.abs(u - dense)), 1e-10 * max(1.0, np.max(np.abs(dense))))
                # D u = C sigma / 2 and u is orthogonal to the rigid modes
                self.assertLess(np.max(np.abs(e.D @ u - 0.5 * (e.C @ sigma))), 1e-9)
                self.assertLess(np.max(np.abs(e._rigid.T @ u)), 1e-9)

    def test_bond_counts(self):
        x = structure.cube_sites(4)
        i, j, k, d = elastic.cube_bonds(x)
        self.assertEqual(np.sum(np.isclose(d, 1.0)), 3 * 4 * 4 * 3)          # NN
        self.assertEqual(np.sum(np.isclose(d, np.sqrt(2))), 6 * 4 * 3 * 3)   # NNN: 3 planes x 2 diagonals
        self.assertTrue(np.all(k == 1.0))

    def test_uniform_crystal_dilates(self):
        x = structure.cube_sites(4)
        xc = x - x.mean(axis=0)
        g = elastic.CubeElastic(x, nnn_mismatch="geometric")
        self.assertLess(np.max(np.abs(g.displacements(np.ones(len(x))) + xc)), 1e-10)
        self.assertLess(np.max(np.abs(g.displacements(-np.ones(len(x))) - xc)), 1e-10)
        u = elastic.CubeElastic(x, nnn_mismatch="unit").displacements(np.ones(len(x)))
        self.assertGreater(np.max(np.abs(u + xc)), 0.05)


class EngineTest(unittest.TestCase):
    def setUp(self):
        if not CATEX["path"]:
            self.skipTest("no --catex given")

    def engine_v(self, tmp, *args):
        out = os.path.join(tmp, "V.h5")
        r = subprocess.run([CATEX["path"], "potential", "--lattice", "cube", *args, "-o", out, "--force"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with h5py.File(out, "r") as f:
            return (f["lattice/positions"][()], f["lattice/shell"][()].astype(bool), f["potential/V"][()])

    def test_potential_equals_engine(self):
        cases = ((["--side", "3"], 1.0, "unit"),
                 (["--side", "4", "--nnn-mismatch", "geometric"], 1.0, "geometric"),
                 (["--side", "3", "--shell-layers", "1", "--kshell", "5"], 5.0, "unit"))
        with tempfile.TemporaryDirectory() as tmp:
            for args, k, mm in cases:
                with self.subTest(args=" ".join(args)):
                    pos, sh, v_engine = self.engine_v(tmp, *args)
                    v = elastic.CubeElastic(pos, sh, k, mm).potential(project=True)
                    self.assertLess(np.max(np.abs(v - v_engine)), 1e-9 * np.max(np.abs(v_engine)))
            # negative control: a different K_shell gives a different V
            pos, sh, v_engine = self.engine_v(tmp, "--side", "3", "--shell-layers", "1", "--kshell", "5")
            v = elastic.CubeElastic(pos, sh, 4.0, "unit").potential(project=True)
            self.assertGreater(np.max(np.abs(v - v_engine)), 1e-3)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--catex")
    args, rest = ap.parse_known_args()
    CATEX["path"] = args.catex
    unittest.main(argv=[sys.argv[0]] + rest)
