#!/usr/bin/python3
"""Issue 10, item 7: under SLURM without working PMI, srun starts N copies
that each see an MPI world of one rank. With SLURM's variables saying 2
tasks, two simultaneous single-rank copies must both refuse (exit 1, a
message about PMI) and write nothing; the same variables under mpirun -n 2
(whose ranks are the job) and a consistent SLURM_NTASKS=1 must run."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_util import EXE, HERE, fail, run  # noqa: E402

TINY = os.path.join(HERE, "fault", "tiny.yaml")


def main():
    tmp = tempfile.mkdtemp(prefix="catex-fault-world-")
    try:
        out = os.path.join(tmp, "w.h5")
        env = dict(os.environ, SLURM_NTASKS="2", SLURM_NPROCS="2", SLURM_STEP_NUM_TASKS="2", SLURM_JOB_ID="77")
        copies = [subprocess.Popen([EXE, "run", TINY, "-o", out, "--progress-seconds", "0"], env=dict(env, SLURM_PROCID=str(i)),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
        for i, p in enumerate(copies):
            so, se = p.communicate(timeout=60)
            print("copy %d: exit %d %s" % (i, p.returncode, se.strip().splitlines()[:1]))
            if p.returncode != 1 or "PMI" not in se or "world of 1 rank" not in se:
                fail("copy %d was not refused with the PMI message\n%s" % (i, se))
        if os.listdir(tmp):
            fail("the refused copies left %s" % os.listdir(tmp))
        rc, so, se = run(["run", TINY, "-o", out, "--progress-seconds", "0"], np=2, env=env, timeout=120)
        print("mpirun -n 2 with SLURM_NTASKS=2: exit %d" % rc)
        if rc != 0:
            fail("mpirun -n 2 under the same variables failed\n" + se)
        env1 = dict(os.environ, SLURM_NTASKS="1", SLURM_STEP_NUM_TASKS="1", SLURM_PROCID="0")
        rc, so, se = run(["run", TINY, "-o", os.path.join(tmp, "one.h5"), "--progress-seconds", "0"], env=env1)
        print("one task, SLURM_NTASKS=1: exit %d" % rc)
        if rc != 0:
            fail("a consistent single task failed\n" + se)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


main()
