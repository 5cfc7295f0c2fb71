#!/usr/bin/python3
"""End to end: real `catex run` on quick figure jobs, then the plot commands.

usage: test_tools_e2e.py [--mpiexec PATH] [--ranks N]

Runs jobs/figures/quick/fig2_models.yaml (KMC) and fig4_shell.yaml
(equilibrium) with mpiexec -n 2 $CATEX_EXE run, checks the files with the
reader (every task done, physical ranges, the engine's phase fractions equal
the plaquette labels that tools/ recompute from the stored snapshots where a
snapshot coincides with a sample time), draws their figures, and runs a paper
sbatch script twice on a quick job to check that the second run resumes.

Exits 77 (ctest SKIP_RETURN_CODE) only while `catex run` says it is not
implemented yet; any other failure of the engine fails the test.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("CATEX_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..")))
TOOLS = os.path.join(SRC, "tools")
sys.path.insert(0, TOOLS)

import catex_reader as cr  # noqa: E402
from figures import snapshots as snap  # noqa: E402

EXE = os.environ.get("CATEX_EXE", "")
OPTS = {"mpiexec": shutil.which("mpirun") or "mpirun", "ranks": 2}


def run_job(job, out):
    cmd = [OPTS["mpiexec"], "-n", str(OPTS["ranks"]), EXE, "run", os.path.join(SRC, job), "-o", out,
           "--progress-seconds", "0"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def catexplot(*args):
    r = subprocess.run(["/usr/bin/python3", os.path.join(TOOLS, "catexplot"), *args],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"catexplot {' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def png(self, name):
        p = os.path.join(self.tmp.name, name)
        return p

    def assert_png(self, p):
        self.assertTrue(os.path.exists(p), p)
        self.assertGreater(os.path.getsize(p), 5000, p)

    def test_kmc_models(self):
        h5 = os.path.join(self.tmp.name, "fig2.h5")
        run_job("jobs/figures/quick/fig2_models.yaml", h5)
        coincident = 0
        with cr.open(h5) as f:
            self.assertEqual(f.status_counts()["done"], f.ntasks)
            self.assertEqual(f.studies, ["noninteracting", "ising", "elastic"])
            for name in f.studies:
                s = f.study(name)
                c = s.data("c")
                t = s.time()
                # automatic t_min (from the initial rates): every curve starts at c = 1 within 1/N
                self.assertLess(t[0], 1e-2)
                self.assertGreater(np.nanmean(c[:, 0]), 1 - 1.0 / s.lattice_of().n)
                self.assertTrue(np.all(np.diff(t) > 0))
                fin = np.isfinite(c)
                self.assertTrue(np.all((c[fin] >= 0) & (c[fin] <= 1)), name)
                self.assertLess(s.mean("c", fill=True)[-1], 0.05, f"{name}: exchange not complete by t_max")
                fa = s.data("f")
                ok = np.all(np.isfinite(fa), axis=-1)
                np.testing.assert_allclose(fa[ok].sum(axis=-1), 1.0, atol=1e-9)
                # engine phase fractions vs labels recomputed from snapshots
                times, sig, lat = s.snapshots(0)
                self.assertTrue(np.all(np.abs(sig) == 1))
                row_f = fa[0]
                row_t = s.data("time")[0]
                row_c = c[0]
                for k, ts in enumerate(times):
                    j = np.nonzero(np.isclose(row_t, ts, rtol=1e-9))[0]
                    if len(j) == 0:
                        continue
                    coincident += 1
                    lab = snap.plaquette_labels(lat.positions, sig[k])
                    np.testing.assert_allclose(snap.phase_fractions(lab), row_f[j[0]], atol=1e-12,
                                               err_msg=f"{name} t={ts}")
                    self.assertAlmostEqual((sig[k].mean() + 1) / 2, row_c[j[0]], places=12)
        if coincident == 0:
            print("note: no snapshot time coincides with a sample time; label cross-check skipped")
        p = self.png("fig2.png")
        catexplot("composition", h5, "--panels", "-o", p)
        self.assert_png(p)
        p = self.png("fig1b.png")
        catexplot("snapshot", h5, "--color", "both", "-o", p)
        self.assert_png(p)

    def test_equilibrium_shell(self):
        h5 = os.path.join(self.tmp.name, "fig4.h5")
        run_job("jobs/figures/quick/fig4_shell.yaml", h5)
        with cr.open(h5) as f:
            s = f.study("shell")
            self.assertEqual(s.n, s.ntasks_total)
            np.testing.assert_array_equal(s.values("shell_layers"), np.arange(9))
            fm = s.data("f_mean")
            np.testing.assert_allclose(fm.sum(axis=1), 1.0, atol=1e-9)
            self.assertTrue(np.all(s.data("fU_var") >= 0))
            self.assertTrue(np.all(np.isfinite(s.data("dA2_mean"))))
        for cmd, name in (("fractions", "fig4b.png"), ("area-shell", "fig6c.png"), ("overview", "ov.png")):
            p = self.png(name)
            catexplot(cmd, h5, "-o", p)
            self.assert_png(p)

    def test_sbatch_script_resumes(self):
        script = os.path.join(SRC, "jobs/figures/paper/fig2_models.sbatch")
        out = os.path.join(self.tmp.name, "sb.h5")
        env = dict(os.environ, CATEX_DIR=SRC, CATEX_EXE=EXE, CATEX_OUTPUT=out,
                   CATEX_JOB=os.path.join(SRC, "jobs/figures/quick/fig2_models.yaml"),
                   CATEX_LAUNCH=f"{OPTS['mpiexec']} -n {OPTS['ranks']}")
        r1 = subprocess.run(["bash", script], env=env, capture_output=True, text=True, timeout=900)
        self.assertEqual(r1.returncode, 0, r1.stdout + r1.stderr)
        self.assertNotIn("--resume", r1.stdout)
        r2 = subprocess.run(["bash", script], env=env, capture_output=True, text=True, timeout=900)
        self.assertEqual(r2.returncode, 0, r2.stdout + r2.stderr)
        self.assertIn("exists: continuing it (--resume)", r2.stdout)
        self.assertIn(" 0 done now", r2.stdout + r2.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mpiexec", default=OPTS["mpiexec"])
    ap.add_argument("--ranks", type=int, default=2)
    args, rest = ap.parse_known_args()
    OPTS.update(mpiexec=args.mpiexec, ranks=args.ranks)
    if not EXE:
        print("CATEX_EXE is not set (ctest sets it)", file=sys.stderr)
        return 1
    h = subprocess.run([EXE, "run", "--help"], capture_output=True, text=True)
    if "not implemented yet" in h.stdout + h.stderr:
        print("SKIP: catex run is not implemented yet")
        return 77
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
