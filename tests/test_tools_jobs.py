#!/usr/bin/python3
"""The figure jobs in jobs/figures/ are complete and consistent.

usage: test_tools_jobs.py [--job-loader PATH-TO-test_job_files]

* every quick job has a paper job of the same name and vice versa; every
  paper job states its core-hours and has an sbatch script beside it that
  bash accepts, requeues, and resumes an existing output;
* the keys are README's, and the model parameters are docs/model.md's parameter
  sets (a mistyped kT would silently make a different figure);
* with --job-loader (the engine's test_job_files binary, which loads every
  jobs/*.yaml under $CATEX_SOURCE_DIR with the real parser), every figure job
  also loads with the engine's own YAML parser.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("CATEX_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..")))
FIG = os.path.join(SRC, "jobs", "figures")
LOADER = {"path": None}

TOP_KEYS = {"name", "seed", "output", "checkpoint_minutes", "studies"}
STUDY_KEYS = {"name", "kind", "lattice", "side", "shell_layers", "kshell", "nnn_mismatch", "kT", "eps", "J",
              "dmu", "composition", "sweeps", "stride", "series", "area_deviation", "replicas", "trajectories",
              "t_max", "t_min", "samples", "snapshots", "c_stop", "max_events", "k_ex0", "k_diff0", "petsc_options",
              "interior_layers", "snapshot_every", "exchange_every", "hist_bins", "sample_stride", "permutation_stride",
              "ranks_per_ladder"}
KMC_ONLY = {"trajectories", "t_max", "t_min", "samples", "snapshots", "c_stop", "max_events", "k_ex0", "k_diff0",
            "interior_layers"}
EQ_ONLY = {"composition", "sweeps", "stride", "series", "replicas", "snapshot_every"}

# docs/model.md parameter sets as (eps, J, kT, dmu); dmu is irrelevant (None) at fixed composition.
MODELS_KMC_2D = {(0, 0, 1, -10), (0, 1, 2, -10), (1, 0, 0.2, -20)}
MODEL_KMC_3D = (1, 0, 1.5, -200)
MODEL_EQ_2D = (1, 0, 0.2)
MODEL_EQ_3D = (1, 0, 1.5)


def _numbers(node):
    """YAML 1.2 numbers: PyYAML (YAML 1.1) reads 1e5 as a string, catex's
    libyaml-based parser reads it as a number."""
    if isinstance(node, dict):
        return {k: _numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbers(v) for v in node]
    if isinstance(node, str):
        for conv in (int, float):
            try:
                return conv(node)
            except ValueError:
                pass
    return node


def parse(path):
    """A figure job as Python data (Debian's python3-yaml)."""
    with open(path) as fh:
        return _numbers(yaml.safe_load(fh))


def jobs(kind):
    """The job files of jobs/figures/<kind>/."""
    return sorted(glob.glob(os.path.join(FIG, kind, "*.yaml")))


class FigureJobsTest(unittest.TestCase):
    def test_quick_and_paper_pairs(self):
        quick = {os.path.basename(p) for p in jobs("quick")}
        paper = {os.path.basename(p) for p in jobs("paper")}
        self.assertGreaterEqual(len(quick), 5)
        self.assertEqual(quick, paper)

    def test_paper_jobs_have_cost_and_sbatch(self):
        for p in jobs("paper"):
            with self.subTest(job=os.path.basename(p)):
                with open(p) as fh:
                    text = fh.read()
                self.assertRegex(text, r"#.*core-hours", "paper jobs state their estimated core-hours")
                sb = p[:-5] + ".sbatch"
                self.assertTrue(os.path.exists(sb), sb)
                self.assertTrue(os.access(sb, os.X_OK), f"{sb} is not executable")
                with open(sb) as fh:
                    s = fh.read()
                self.assertIn("#SBATCH --requeue", s)
                self.assertIn("jobs/slurm-run.sh", s, "the shared restart-safe body runs the job")
                self.assertIn(f"jobs/figures/paper/{os.path.basename(p)}", s)
                self.assertRegex(s, r"#SBATCH --ntasks=\d+")
                r = subprocess.run(["bash", "-n", sb], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)

    def test_shared_slurm_body_resumes(self):
        with open(os.path.join(SRC, "jobs/slurm-run.sh")) as fh:
            s = fh.read()
        self.assertIn("resume=(--resume)", s)
        self.assertIn("scontrol requeue", s)
        r = subprocess.run(["bash", "-n", os.path.join(SRC, "jobs/slurm-run.sh")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_keys_and_model_parameters(self):
        for p in jobs("quick") + jobs("paper") + jobs("mid"):
            with self.subTest(job=os.path.relpath(p, FIG)):
                j = parse(p)
                self.assertLessEqual(set(j), TOP_KEYS)
                self.assertIn("name", j)
                self.assertIn("seed", j)
                self.assertTrue(j["studies"])
                names = [s.get("name") for s in j["studies"]]
                self.assertEqual(len(names), len(set(names)), "study names must differ")
                for s in j["studies"]:
                    self.assertLessEqual(set(s), STUDY_KEYS, s.get("name"))
                    kind = s["kind"]
                    if kind == "kmc":
                        self.assertFalse(set(s) & EQ_ONLY, s["name"])
                        self.assertIn("t_max", s)
                    else:
                        self.assertFalse(set(s) & KMC_ONLY, s["name"])
                        self.assertIn("sweeps", s)
                    got = tuple(s.get(k, 0) for k in ("eps", "J", "kT", "dmu"))
                    if kind == "kmc" and isinstance(s.get("kT"), (list, dict)):
                        # a temperature scan (Arrhenius fits, jobs/figures/*/xrd_diffusion.yaml):
                        # positive kT values, and the other parameters those of a model set
                        kts = s["kT"] if isinstance(s["kT"], list) else [s["kT"]["from"], s["kT"]["to"]]
                        self.assertTrue(all(float(v) > 0 for v in kts), s["name"])
                        refs = MODELS_KMC_2D if s["lattice"] == "hexagon" else {MODEL_KMC_3D}
                        ref = [m for m in refs if (m[0], m[1], m[3]) == (got[0], got[1], got[3])]
                        self.assertTrue(ref, s["name"])
                        got = ref[0]
                    if s["lattice"] == "hexagon" and kind == "kmc":
                        self.assertIn(got, MODELS_KMC_2D, s["name"])
                    elif s["lattice"] == "cube" and kind == "kmc":
                        self.assertEqual(got, MODEL_KMC_3D, s["name"])
                    elif s["lattice"] == "hexagon":
                        self.assertEqual(got[:3], MODEL_EQ_2D, s["name"])
                    else:
                        self.assertEqual(got[:3], MODEL_EQ_3D, s["name"])

    def test_paper_sizes(self):
        """The paper's ensembles (docs/model.md): 100 trajectories, 1e5 + 1e5 sweeps,
        N = 271 / 721 / 1728, the scans of Figs. 4-7."""
        for p in jobs("paper"):
            j = parse(p)
            for s in j["studies"]:
                with self.subTest(job=os.path.basename(p), study=s["name"]):
                    if s["kind"] == "kmc":
                        self.assertEqual(s["trajectories"], 100)
                    else:
                        self.assertEqual(s["sweeps"], {"equilibrate": 100000, "measure": 100000})
        sides = {os.path.basename(p): [s["side"] for s in parse(p)["studies"]] for p in jobs("paper")}
        self.assertEqual(sides["fig2_models.yaml"], [10, 10, 10])
        self.assertEqual(sides["fig3_elastic_kmc.yaml"], [16])
        self.assertEqual(sides["fig4_shell.yaml"], [16])
        # Fig. 5a grid at side 24, then one replica-exchange ladder per size (issue 9)
        self.assertEqual(sides["fig5_kshell.yaml"], [24, 8, 10, 12, 16, 20, 24])
        kinds = [s["kind"] for s in parse(os.path.join(FIG, "paper", "fig5_kshell.yaml"))["studies"]]
        self.assertEqual(kinds, ["equilibrium"] + ["exchange"] * 6)
        self.assertEqual(sides["fig7_cube.yaml"], [12, 12])
        shell = parse(os.path.join(FIG, "paper", "fig4_shell.yaml"))["studies"][0]
        self.assertEqual(shell["shell_layers"], {"from": 0, "to": 8, "step": 1})

    def test_engine_parser_loads_every_figure_job(self):
        if not LOADER["path"]:
            self.skipTest("no --job-loader given")
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "jobs"))
            shutil.copy(os.path.join(SRC, "jobs", "quickstart.yaml"), os.path.join(tmp, "jobs"))
            n = 0
            for kind in ("quick", "paper", "mid"):
                for p in jobs(kind):
                    shutil.copy(p, os.path.join(tmp, "jobs", f"{kind}-{os.path.basename(p)}"))
                    n += 1
            env = dict(os.environ, CATEX_SOURCE_DIR=tmp)
            r = subprocess.run([LOADER["path"]], env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            for kind in ("quick", "paper", "mid"):
                for p in jobs(kind):
                    self.assertIn(f"{kind}-{os.path.basename(p)}", r.stdout)
            print(r.stdout)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--job-loader")
    args, rest = ap.parse_known_args()
    LOADER["path"] = args.job_loader
    unittest.main(argv=[sys.argv[0]] + rest)
