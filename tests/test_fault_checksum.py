#!/usr/bin/python3
"""Issue 10, item 4: rows of done tasks are verified on --resume.
A finished file is damaged in ways a disk, a script or a user could: a NaN
row (kmc), a changed scalar (equilibrium), one flipped bit deep in a V
matrix (potential), and pending tasks forged as done (status 1 over their
fill values). --resume must name exactly those tasks, rerun them, and end
bitwise equal to an undamaged run; an undamaged file must resume with
nothing rerun (negative control). A resume with different command-line
-potential_* options than the file was written with is refused."""
import json
import os
import shutil
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_util import HERE, fail, run, same  # noqa: E402

JOB = os.path.join(HERE, "fault", "sizes.yaml")


def resume(out, tmp, np_=2, extra=()):
    stats = os.path.join(tmp, "stats.json")
    rc, so, se = run(["run", JOB, "-o", out, "--resume", "--stats", stats, "--progress-seconds", "0"] + list(extra),
                     np=np_, timeout=120)
    return rc, se, (json.load(open(stats)) if rc == 0 else None)


def main():
    tmp = tempfile.mkdtemp(prefix="catex-fault-checksum-")
    try:
        ref = os.path.join(tmp, "ref.h5")
        rc, so, se = run(["run", JOB, "-o", ref, "--progress-seconds", "0"], np=2, timeout=120)
        if rc != 0:
            fail("reference run: " + se)
        out = os.path.join(tmp, "out.h5")
        shutil.copy(ref, out)
        rc, se, s = resume(out, tmp)
        if rc != 0 or s["checksum_failures"] != 0 or s["done"] != 0:
            fail("an undamaged file: exit %d, %s\n%s" % (rc, s, se))
        print("undamaged: 0 checksum failures, nothing rerun")

        with h5py.File(out, "r+") as f:
            first = {k: int(f["studies"][k].attrs["first_task"]) for k in ("kmc", "eq", "pot")}
            f["studies/kmc/c"][3, :] = np.nan
            f["studies/eq/fU_mean"][5] = f["studies/eq/fU_mean"][5] + 0.25
            v = f["studies/pot/V"][1]
            b = v.view(np.uint64)
            b[2, 1] ^= np.uint64(1) << np.uint64(7)  # one bit of one element
            f["studies/pot/V"][1] = v
            # forged: two tasks reset to their fill values but marked done
            f["studies/kmc/c"][7, :] = np.nan
            f["studies/kmc/time"][7, :] = np.nan
            f["studies/eq/E_mean"][11] = np.nan
        damaged = sorted([first["kmc"] + 3, first["eq"] + 5, first["pot"] + 1, first["kmc"] + 7, first["eq"] + 11])
        for np_ in (3,):
            rc, se, s = resume(out, tmp, np_)
            named = sorted(int(x) for x in se.split("running them again:")[1].split()) if "running them again:" in se \
                else []
            print("damaged tasks %s: exit %d, reported %s, %d rerun" % (damaged, rc, named, s["done"] if s else -1))
            if rc != 0 or named != damaged or s["checksum_failures"] != len(damaged) or s["done"] != len(damaged):
                fail("damaged rows were not all reported and rerun:\n%s" % se)
        ok, msg = same(ref, out)
        if not ok:
            fail("after the rerun the file differs from the undamaged run: " + msg)

        rc, so, se = run(["run", JOB, "-o", out, "--resume", "--progress-seconds", "0", "-potential_ksp_type", "cg",
                          "-potential_pc_type", "icc"], np=1, timeout=60)
        print("resume with other -potential_* options: exit %d %s" % (rc, se.strip().splitlines()[:1]))
        if rc != 1 or "command-line options" not in se:
            fail("a resume with other -potential_* options was not refused:\n" + se)
        with h5py.File(out, "r") as f:
            if f["job"].attrs["potential_options"] not in ("", b""):
                fail("/job potential_options of a run without them: %r" % f["job"].attrs["potential_options"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


main()
