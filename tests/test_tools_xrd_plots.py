#!/usr/bin/python3
"""catexplot xrd and catexplot diffusion write non-empty PNGs from the small
synthetic catex file of tests/tools_fixture.py; xrd writes its companion
HDF5 file, refuses to overwrite it, re-plots from it, exports extended XYZ,
and refuses 2D studies."""

import os
import sys
import tempfile
import unittest

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.normpath(os.path.join(HERE, "..", "tools"))
sys.path.insert(0, TOOLS)
sys.path.insert(0, HERE)

import tools_fixture  # noqa: E402
from test_tools_plots import run_cli  # noqa: E402


class XrdPlotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.file = os.path.join(cls.tmp.name, "fixture.h5")
        tools_fixture.write(cls.file)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_cmd(self, argv):
        return run_cli(argv)

    def assert_png(self, path):
        self.assertTrue(os.path.exists(path), path)
        self.assertGreater(os.path.getsize(path), 5000)
        with open(path, "rb") as fh:
            self.assertEqual(fh.read(8), b"\x89PNG\r\n\x1a\n")

    def test_xrd(self):
        png = os.path.join(self.tmp.name, "xrd.png")
        store = os.path.join(self.tmp.name, "xrd.h5")
        xyz = os.path.join(self.tmp.name, "xyz")
        argv = ["xrd", self.file, "--study", "cube_kmc", "--trajectory", "0,1", "--store", store, "-o", png]
        rc, out, err = self.run_cmd(argv + ["--xyz", xyz])
        self.assertEqual(rc, 0, err)
        self.assert_png(png)
        self.assertIn("I111/I200", out)
        with h5py.File(store, "r") as f:
            for name in ("zincblende", "rocksalt"):
                g = f[f"cube_kmc/{name}_displaced"]
                self.assertEqual(g["intensity"].shape[:2], g["c"].shape)
                self.assertEqual(g["peak_position"].shape, g["c"].shape + (3,))
                self.assertEqual(g["intensity"].shape[2], g["q"].shape[0])
                self.assertEqual(g["c"][0, 0], 1.0)            # the pristine crystal comes first
        self.assertTrue(any(n.endswith(".xyz") for n in os.listdir(xyz)))
        # existing groups are not overwritten without --force
        rc, _, err = self.run_cmd(argv)
        self.assertEqual(rc, 2)
        self.assertIn("--force", err)
        os.remove(png)
        rc, _, err = self.run_cmd(argv + ["--from-store"])
        self.assertEqual(rc, 0, err)
        self.assert_png(png)

    def test_xrd_one_structure_strained(self):
        png = os.path.join(self.tmp.name, "xrd_rs.png")
        rc, _, err = self.run_cmd(["xrd", self.file, "--study", "cube_kmc", "--structure", "rocksalt",
                                   "--level", "strained", "--instrument-fwhm", "0.02",
                                   "--store", os.path.join(self.tmp.name, "rs.h5"), "-o", png])
        self.assertEqual(rc, 0, err)
        self.assert_png(png)

    def test_xrd_refuses_2d(self):
        rc, _, err = self.run_cmd(["xrd", self.file, "--study", "elastic_snap",
                                   "--store", os.path.join(self.tmp.name, "no.h5"),
                                   "-o", os.path.join(self.tmp.name, "no.png")])
        self.assertEqual(rc, 2)
        self.assertIn("cube", err)

    def test_diffusion(self):
        png = os.path.join(self.tmp.name, "diffusion.png")
        csv = os.path.join(self.tmp.name, "d.csv")
        rc, out, err = self.run_cmd(["diffusion", self.file, "--study", "elastic", "--study", "cube_kmc",
                                     "--window", "0.1,0.95", "--bootstrap", "20", "--csv", csv, "-o", png])
        self.assertEqual(rc, 0, err)
        self.assert_png(png)
        self.assertIn("elastic", out)
        with open(csv) as fh:
            self.assertGreaterEqual(len(fh.readlines()), 3)


if __name__ == "__main__":
    unittest.main()
