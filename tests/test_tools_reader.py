#!/usr/bin/python3
"""tools/catex_reader.py returns exactly the numbers in the file.

Every check compares the reader with direct h5py reads of a synthetic file
(tests/tools_fixture.py) that has pending and failed tasks, so a reader that
ignores /tasks/status, mixes up rows, or reorders studies fails here.
"""

import os
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
sys.path.insert(0, HERE)

import catex_reader as cr  # noqa: E402
import tools_fixture  # noqa: E402


class ReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = os.path.join(cls.tmp.name, "fixture.h5")
        cls.truth = tools_fixture.write(cls.path)
        cls.h5 = h5py.File(cls.path, "r")
        cls.f = cr.open(cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.f.close()
        cls.h5.close()
        cls.tmp.cleanup()

    def done_rows(self, name):
        g = self.h5["studies"][name]
        a, n = int(g.attrs["first_task"]), int(g.attrs["ntasks"])
        st = self.h5["tasks/status"][a:a + n]
        return np.nonzero(st == 1)[0]

    def test_studies_in_job_order(self):
        self.assertEqual(self.f.studies, ["noninteracting", "ising", "elastic", "elastic_snap", "cube_kmc",
                                          "shell", "kscan", "cube_eq", "pot"])

    def test_job_and_task_table(self):
        self.assertEqual(self.f.job["name"], "fixture")
        self.assertEqual(self.f.ntasks, self.h5["job"].attrs["ntasks"])
        np.testing.assert_array_equal(self.f.tasks("status"), self.h5["tasks/status"][()])
        self.assertEqual(self.f.status_counts(), {"pending": 2, "done": self.f.ntasks - 3, "failed": 1})
        msg = self.f.tasks("message")
        self.assertEqual(msg[self.truth["failed"][0]], "synthetic failure")

    def test_every_dataset_equals_h5py_on_done_rows(self):
        for name in self.f.studies:
            s = self.f.study(name)
            rows = self.done_rows(name)
            np.testing.assert_array_equal(s.rows, rows)
            g = self.h5["studies"][name]
            for d in s.datasets():
                with self.subTest(study=name, dataset=d):
                    direct = g[d][()][rows]
                    got = s.data(d)
                    self.assertEqual(got.dtype, direct.dtype)
                    np.testing.assert_array_equal(got, direct)  # exact, NaN == NaN
                    self.assertFalse(np.issubdtype(got.dtype, np.floating) and np.isnan(got).all(axis=None)
                                     and got.size > 0, "done rows must hold data")
            for p in cr.PARAMS:
                np.testing.assert_array_equal(s.param(p), g[p][()][rows])
            np.testing.assert_array_equal(s.task_ids, int(g.attrs["first_task"]) + rows)

    def test_status_filter(self):
        s_all = self.f.study("kscan", status=None)
        s = self.f.study("kscan")
        self.assertEqual(s_all.n, self.h5["studies/kscan"].attrs["ntasks"])
        self.assertEqual(s.n, s_all.n - 2)  # one failed, one pending
        self.assertTrue(np.all(s.status == 1))
        self.assertTrue(np.isnan(s_all.data("fU_var")).sum() == 2)
        failed = self.f.study("kscan", status=2)
        self.assertEqual(list(failed.task_ids), self.truth["failed"])

    def test_where_and_groupby(self):
        s = self.f.study("kscan")
        g = self.h5["studies/kscan"]
        rows = self.done_rows("kscan")
        k, side = g["kshell"][()][rows], g["side"][()][rows]
        sel = s.where(kshell=17, side=8)
        m = (k == 17) & (side == 8)
        np.testing.assert_array_equal(sel.data("fU_var"), g["fU_var"][()][rows][m])
        np.testing.assert_array_equal(s.where(side=[6, 10]).param("side"), side[(side == 6) | (side == 10)])
        groups = s.groupby("side")
        self.assertEqual([key for key, _ in groups], [6.0, 8.0, 10.0, 12.0])
        self.assertEqual(sum(gg.n for _, gg in groups), s.n)
        for key, gg in groups:
            self.assertTrue(np.all(gg.param("side") == key))
        two = s.groupby("side", "kshell")
        self.assertEqual(len(two), 4 * 30)
        self.assertIsInstance(two[0][0], tuple)
        np.testing.assert_array_equal(s.values("kshell"), np.arange(1, 31))

    def test_mean_sem_and_aggregate(self):
        s = self.f.study("kscan").where(side=8, kshell=11)
        y = self.h5["studies/kscan/fU_var"][()][s.rows]
        e = self.h5["studies/kscan/fU_var_err"][()][s.rows]
        self.assertAlmostEqual(s.mean("fU_var"), y.mean(), places=15)
        self.assertAlmostEqual(s.sem("fU_var"), y.std(ddof=1) / np.sqrt(len(y)), places=15)
        agg = self.f.study("kscan").where(side=8).aggregate("fU_var", by="kshell", err="fU_var_err")
        i = list(agg.x).index(11.0)
        self.assertAlmostEqual(agg.mean[i], y.mean(), places=15)
        prop = np.sqrt(np.sum(e**2)) / len(e)
        self.assertAlmostEqual(agg.err[i], max(prop, y.std(ddof=1) / np.sqrt(len(y))), places=15)
        self.assertEqual(agg.n[i], len(y))
        # vector-valued: f_mean [nt, 5]
        fa = self.f.study("shell").aggregate("f_mean", by="shell_layers", err="f_err")
        self.assertEqual(agg.mean.ndim, 1)
        self.assertEqual(fa.mean.shape, (5, 5))

    def test_kmc_time_and_fill(self):
        s = self.f.study("ising")
        t = s.time()
        np.testing.assert_array_equal(t, self.h5["studies/ising/time"][0])
        x = np.array([[1.0, 2.0, np.nan, np.nan], [1.0, np.nan, 3.0, np.nan]])
        np.testing.assert_array_equal(cr.fill_trailing(x), [[1, 2, 2, 2], [1, np.nan, 3, 3]])
        m, e, n = cr.mean_sem(np.array([[1.0, np.nan], [3.0, 2.0]]))
        np.testing.assert_array_equal(n, [2, 1])
        self.assertEqual(m[0], 2.0)
        self.assertTrue(np.isnan(e[1]))

    def test_lattices_and_snapshots(self):
        s = self.f.study("elastic_snap")
        lat = s.lattice_of()
        np.testing.assert_array_equal(lat.positions, self.h5["studies/elastic_snap/lattices/7_0/positions"][()])
        self.assertEqual(lat.n, cr.n_sites("hexagon", 7))
        times, sig, lat2 = s.snapshots(1)
        row = s.rows[1]
        np.testing.assert_array_equal(sig, self.h5["studies/elastic_snap/snapshots"][row][:, :lat.n])
        np.testing.assert_array_equal(times, self.h5["studies/elastic_snap/snapshot_time"][row])
        self.assertEqual(cr.n_sites("hexagon", 24), 1657)
        self.assertEqual(cr.n_sites("hexagon", 3, 1), 37)
        self.assertEqual(cr.n_sites("cube", 12), 1728)

    def test_clear_errors(self):
        with self.assertRaisesRegex(cr.CatexError, "no such file"):
            cr.open(os.path.join(self.tmp.name, "missing.h5"))
        junk = os.path.join(self.tmp.name, "junk.h5")
        with open(junk, "w") as fh:
            fh.write("not hdf5")
        with self.assertRaisesRegex(cr.CatexError, "not a readable HDF5"):
            cr.open(junk)
        other = os.path.join(self.tmp.name, "other.h5")
        with h5py.File(other, "w") as h:
            h.create_group("x")
        with self.assertRaisesRegex(cr.CatexError, "not a catex output file"):
            cr.open(other)
        with self.assertRaisesRegex(cr.CatexError, r"no study 'nope'; studies: noninteracting, ising"):
            self.f.study("nope")
        with self.assertRaisesRegex(cr.CatexError, r"has no dataset 'c'; datasets: .*fU_var"):
            self.f.study("kscan").data("c")
        with self.assertRaisesRegex(cr.CatexError, r"kshell=99.*values present: \[1 \.\. 30\]"):
            self.f.study("kscan").where(kshell=99)
        with self.assertRaisesRegex(cr.CatexError, "say which one"):
            self.f.study()
        with self.assertRaisesRegex(cr.CatexError, "no lattice '9_0'"):
            self.f.study("elastic").lattice_of(9, 0)


if __name__ == "__main__":
    unittest.main()
