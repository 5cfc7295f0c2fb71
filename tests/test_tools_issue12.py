#!/usr/bin/python3
"""Real `catex run` output read the way analysis tools read it (issue 12).

usage: test_tools_issue12.py        (needs CATEX_EXE; ctest sets it)

One small job with a kmc, an equilibrium and a potential study on the same
hexagon, then:
  * f_interior (and f) of every sample equal a brute-force recount from the
    snapshots stored at the sample times, with neighbour rings found from
    the stored positions and the plaquette rule written out here; a recount
    over a different layer threshold must differ (negative control);
  * every kmc task's V_checksum is the FNV-1a 64 hash of the V stored by the
    potential study of the same lattice;
  * equilibrium snapshots keep the fixed shell at -1 and the core at its
    initial composition (Kawasaki moves conserve it);
  * xarray (Debian's python3-xarray + python3-h5netcdf) opens /tasks and every
    study with named dimensions and coordinate variables;
  * /provenance carries every attribute, none empty, and end_time;
  * the area deviation recomputed by tools/figures/area_map.py from the
    snapshots equals the engine's dA_rms at the same times;
  * every plot command added for issue 12 (phases --sites, snapshot --view
    slices, eq-snapshot, area-snapshot, overview) writes a non-empty PNG.
"""

import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.environ.get("CATEX_SOURCE_DIR", os.path.join(HERE, "..")), "tools")
sys.path.insert(0, TOOLS)

EXE = os.environ.get("CATEX_EXE", "")
SIDE, INTERIOR = 7, 3
T_MIN, T_MAX, SAMPLES = 1e-8, 1e2, 25

JOB = f"""name: issue12
seed: 5
studies:
  - name: traj
    kind: kmc
    lattice: hexagon
    side: {SIDE}
    eps: 1
    dmu: -20
    kT: 0.2
    t_max: {T_MAX}
    t_min: {T_MIN}
    samples: {SAMPLES}
    interior_layers: {INTERIOR}
    trajectories: 3
    snapshots: [SNAPSHOTS]
  - name: eq
    kind: equilibrium
    lattice: hexagon
    side: 4
    shell_layers: 1
    kshell: 5
    eps: 1
    kT: 0.2
    sweeps: {{equilibrate: 50, measure: 200}}
    stride: 2
    snapshot_every: 50
    replicas: 2
  - name: pot
    kind: potential
    lattice: hexagon
    side: {SIDE}
  - name: cube
    kind: kmc
    lattice: cube
    side: 4
    eps: 1
    dmu: -200
    kT: 1.5
    t_max: 10
    samples: 30
    snapshots: [1.0e-6, 1.0e-3, 1]
    trajectories: 2
"""


def log_grid(t0, t1, n):
    """The engine's catex_kmc_log_grid (src/kmc/kmc.c)."""
    t = t0 * np.exp(np.log(t1 / t0) * np.arange(n) / (n - 1))
    t[-1] = t1
    return t


def rings(pos):
    """For every site its 6 neighbours ordered by angle (None if fewer)."""
    d = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=2)
    out = []
    for i in range(len(pos)):
        nb = np.flatnonzero(np.abs(d[i] - 1) < 1e-6)
        if len(nb) != 6:
            out.append(None)
            continue
        ang = np.arctan2(pos[nb, 1] - pos[i, 1], pos[nb, 0] - pos[i, 0])
        out.append(nb[np.argsort(ang)])
    return out


def label(sigma, i, ring):
    """Phase index (U1 S1 S2 U2 unclassified) of docs/model.md's plaquette rule."""
    nb = sigma[ring]
    alternating = all(nb[k] == -nb[(k + 1) % 6] for k in range(6))
    if sigma[i] == 1 and (nb == 1).all():
        return 0
    if (sigma[i] == -1 and (nb == 1).all()) or (sigma[i] == 1 and alternating):
        return 1
    if (sigma[i] == 1 and (nb == -1).all()) or (sigma[i] == -1 and alternating):
        return 2
    if sigma[i] == -1 and (nb == -1).all():
        return 3
    return 4


def fractions(sigma, sites, rg):
    f = np.zeros(5)
    for i in sites:
        f[label(sigma, i, rg[i])] += 1
    return f / len(sites)


def fnv1a64(data):
    h = 14695981039346656037
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h - (1 << 64) if h >= 1 << 63 else h   # stored as int64


class Issue12(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not EXE:
            raise unittest.SkipTest("CATEX_EXE not set")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.grid = log_grid(T_MIN, T_MAX, SAMPLES)
        job = JOB.replace("SNAPSHOTS", ", ".join(repr(float(t)) for t in cls.grid))
        path = os.path.join(cls.tmp.name, "job.yaml")
        with open(path, "w") as f:
            f.write(job)
        cls.out = os.path.join(cls.tmp.name, "out.h5")
        r = subprocess.run([EXE, "run", path, "-o", cls.out, "--progress-seconds", "0"], capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError(f"catex run -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        cls.f = h5py.File(cls.out, "r")

    @classmethod
    def tearDownClass(cls):
        cls.f.close()
        cls.tmp.cleanup()

    def test_interior_fractions_recount(self):
        g = self.f["studies/traj"]
        self.assertEqual(int(g.attrs["interior_layers"]), INTERIOR)
        lat = g[f"lattices/{SIDE}_0"]
        pos, layer = lat["positions"][...], lat["layer"][...]
        rg = rings(pos)
        interior = np.flatnonzero(layer >= INTERIOR)
        other = np.flatnonzero(layer >= INTERIOR + 1)
        ring_sites = [i for i in range(len(pos)) if rg[i] is not None]
        self.assertEqual(len(interior), 3 * (SIDE - INTERIOR + 1) ** 2 - 3 * (SIDE - INTERIOR + 1) + 1)
        snaps, st, tm = g["snapshots"][...], g["snapshot_time"][...], g["time"][...]
        fi, f = g["f_interior"][...], g["f"][...]
        compared = differs = 0
        for task in range(fi.shape[0]):
            for s in range(SAMPLES):
                self.assertLess(abs(st[task, s] - tm[task, s]), 1e-12 * tm[task, s])
                sigma = snaps[task, s, :len(pos)].astype(int)
                want = fractions(sigma, interior, rg)
                np.testing.assert_allclose(fi[task, s], want, atol=1e-15, err_msg=f"task {task} sample {s}")
                np.testing.assert_allclose(f[task, s], fractions(sigma, ring_sites, rg), atol=1e-15)
                differs += not np.allclose(fractions(sigma, other, rg), want)
                compared += 1
        self.assertEqual(compared, 3 * SAMPLES)
        self.assertGreater(differs, 0, "negative control: another layer threshold gives the same fractions")
        # the recount is not trivially constant: the interior changes phase over the run
        self.assertLess(fi[:, -1, 0].max(), fi[:, 0, 0].min())

    def test_v_checksum(self):
        V = self.f["studies/pot/V"][0]
        n = int(self.f["studies/pot/n"][0])
        want = fnv1a64(np.ascontiguousarray(V[:n, :n], dtype="<f8").tobytes())
        self.assertEqual(int(self.f["studies/pot/V_checksum"][0]), want)
        for c in self.f["studies/traj/V_checksum"][...]:
            self.assertEqual(int(c), want)
        self.assertNotEqual(int(self.f["studies/eq/V_checksum"][0]), want)  # another lattice, another V

    def test_equilibrium_snapshots(self):
        g = self.f["studies/eq"]
        s = g["snapshots"][...]
        self.assertEqual(s.shape[:2], (2, 4))  # (200 / 2) / (50 / 2)
        shell = g["lattices/4_1/shell"][...].astype(bool)
        n = len(shell)
        self.assertTrue((s[:, :, :n][:, :, shell] == -1).all())
        core = s[:, :, :n][:, :, ~shell]
        self.assertTrue(np.isin(core, (-1, 1)).all())
        ncore = core.shape[2]
        self.assertTrue(((core == 1).sum(axis=2) == ncore // 2).all())
        self.assertFalse((core[:, 0] == core[:, -1]).all(), "configurations never change")

    def test_xarray_named_dimensions(self):
        import xarray as xr
        tasks = xr.open_dataset(self.out, group="tasks", engine="h5netcdf")
        self.assertEqual(tasks["status"].dims, ("task",))
        np.testing.assert_array_equal(tasks["task"].values, np.arange(self.f["job"].attrs["ntasks"]))
        tasks.close()
        ds = xr.open_dataset(self.out, group="studies/traj", engine="h5netcdf")
        self.assertEqual(ds["f"].dims, ("task", "sample", "phase"))
        self.assertEqual(ds["f_interior"].dims, ("task", "sample", "phase"))
        self.assertEqual(ds["snapshots"].dims, ("task", "snapshot", "site"))
        self.assertEqual(ds["kT"].dims, ("task",))
        self.assertEqual(list(ds["phase"].values), ["U1", "S1", "S2", "U2", "unclassified"])
        self.assertEqual(list(ds["events_kind"].values), ["exchange", "swap"])
        np.testing.assert_array_equal(ds["f"].sel(phase="U2").values, self.f["studies/traj/f"][:, :, 3])
        ds.close()
        eq = xr.open_dataset(self.out, group="studies/eq", engine="h5netcdf")
        first = int(self.f["studies/eq"].attrs["first_task"])
        np.testing.assert_array_equal(eq["task"].values, first + np.arange(2))
        self.assertEqual(eq["f_mean"].dims, ("task", "phase"))
        eq.close()
        pot = xr.open_dataset(self.out, group="studies/pot", engine="h5netcdf")
        self.assertEqual(pot["V"].dims, ("task", "site", "site_2"))
        pot.close()

    def test_area_deviation_recount(self):
        import catex_reader as cr
        from figures import area_map
        with cr.open(self.out) as f:
            s = f.study("traj")
            times, sig, lat = s.snapshots(0)
            G = area_map.displacement_response(lat)
            dA = s.data("dA_rms")[0]
            for k in range(0, SAMPLES, 4):
                rms = area_map.area_deviation(lat, sig[k], G)[1]
                # the engine updates u incrementally: rounding ~1e-8 (a uniform state gives 6e-9, not 0)
                self.assertAlmostEqual(rms, dA[k], delta=1e-7, msg=f"sample {k}")
            self.assertGreater(np.nanmax(dA), 0.01)

    def plot(self, *args):
        png = os.path.join(self.tmp.name, f"plot{len(os.listdir(self.tmp.name))}.png")
        r = subprocess.run(["/usr/bin/python3", os.path.join(TOOLS, "catexplot"), *args, "-o", png, "--dpi", "50"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, f"catexplot {' '.join(args)}: {r.stderr}")
        self.assertTrue(os.path.exists(png) and os.path.getsize(png) > 2000, f"{args}: no PNG")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_plot_commands(self):
        self.plot("phases", self.out, "--study", "traj", "--sites", "both", "--logx")
        self.plot("phases", self.out, "--study", "traj", "--sites", "interior")
        self.plot("phases", self.out, "--study", "cube", "--inset", "logx")
        self.plot("snapshot", self.out, "--study", "cube", "--color", "species", "--view", "slices")
        self.plot("snapshot", self.out, "--study", "cube", "--color", "species")
        self.plot("eq-snapshot", self.out, "--study", "eq")
        self.plot("area-snapshot", self.out, "--study", "traj", "--columns", "3")
        self.plot("composition", self.out, "--study", "traj", "--panels", "--inset", "logx")
        self.plot("overview", self.out)

    def test_cli_texts_and_codes(self):
        # a bad job file is a usage error: exit 2 (README "exit status")
        bad = os.path.join(self.tmp.name, "bad.yaml")
        with open(bad, "w") as f:
            f.write("name: bad\nseed: 1\nstudies:\n  - kind: kmc\n    lattice: hexagon\n    side: 4\n")
        r = subprocess.run([EXE, "run", bad, "-o", os.path.join(self.tmp.name, "bad.h5")], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("bad.yaml", r.stderr)
        r = subprocess.run([EXE, "run", os.path.join(self.tmp.name, "missing.yaml")], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 2, r.stderr)
        # catex potential creates parent directories; catexplot info reads its file
        out = os.path.join(self.tmp.name, "a", "b", "V.h5")
        r = subprocess.run([EXE, "potential", "--lattice", "hexagon", "--side", "4", "-o", out],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run(["/usr/bin/python3", os.path.join(TOOLS, "catexplot"), "info", out],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("N = 37", r.stdout)
        # the top-level help says what kmc does
        r = subprocess.run([EXE, "--help"], capture_output=True, text=True, timeout=60)
        self.assertNotIn("one KMC exchange trajectory", r.stdout)
        self.assertIn("trajectories", r.stdout)
        r = subprocess.run([os.path.join(TOOLS, "make-figures"), "--help"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0)
        self.assertNotIn("set -euo", r.stdout)
        self.assertIn("usage: tools/make-figures", r.stdout)

    def test_provenance(self):
        p = self.f["provenance"]
        for key in ("catex_version", "git_commit", "compiler", "compiler_flags", "build_type", "petsc_version",
                    "hdf5_version", "mpi_version", "sprng_version", "libyaml_version"):
            self.assertIn(key, p.attrs, key)
            self.assertTrue(str(p.attrs[key]).strip(), f"{key} is empty")
        self.assertRegex(str(p.attrs["git_commit"]), r"^([0-9a-f]{40}|unknown)$")
        self.assertRegex(str(p.attrs["hdf5_version"]), r"^1\.\d+\.\d+$")
        # what differs from run to run is raw data (the metadata stay deterministic)
        run = {k: p[k][()].decode() for k in ("host", "slurm_job_id", "mpi_ranks", "start_time", "end_time")}
        for k, v in run.items():
            self.assertTrue(v.strip(), f"{k} is empty")
        self.assertEqual(run["mpi_ranks"], "1")
        self.assertEqual(run["slurm_job_id"], os.environ.get("SLURM_JOB_ID") or "none")
        for k in ("start_time", "end_time"):
            self.assertRegex(run[k], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertGreaterEqual(run["end_time"], run["start_time"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
