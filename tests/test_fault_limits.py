#!/usr/bin/python3
"""Issue 10, item 5: numbers that must not silently overflow or be
misread. Rate prefactors that overflow the total rate make the task fail
with a message (exit 3), not end as "done" after one event; --cache-mb
1e30 (undefined float-to-size_t conversion), hexadecimal integers, a
negative --progress-seconds and a lattice beyond the size limit are usage
errors (exit 2) for every command, with nothing written."""
import os
import shutil
import sys
import tempfile

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_util import HERE, fail, run  # noqa: E402

TINY = os.path.join(HERE, "fault", "tiny.yaml")


def main():
    tmp = tempfile.mkdtemp(prefix="catex-fault-limits-")
    try:
        out = os.path.join(tmp, "o.h5")
        rc, so, se = run(["run", os.path.join(HERE, "fault", "overflow.yaml"), "-o", out, "--progress-seconds", "0"])
        with h5py.File(out, "r") as f:
            status = list(f["tasks/status"][:])
            msgs = [m.decode() for m in f["tasks/message"][:]]
        print("prefactors 1e300: exit %d, status %s, %s" % (rc, status, msgs))
        if rc != 3 or status != [2, 2] or not all("double range" in m and "k_ex0" in m for m in msgs):
            fail("overflowing prefactors were not refused with a message:\n%s" % se)
        o = os.path.join(tmp, "u.h5")
        usage = [
            ["run", TINY, "-o", o, "--cache-mb", "1e30"],
            ["run", TINY, "-o", o, "--cache-mb", "-1"],
            ["run", TINY, "-o", o, "--progress-seconds", "-1"],
            ["run", TINY, "-o", o, "--progress-seconds", "0x10"],
            ["run", TINY, "-o", o, "--checkpoint-minutes", "1e300"],
            ["run", TINY, "-o", o, "--prefetch", "0x2"],
            ["kmc", "--side", "0x10", "--kT", "1", "--t-max", "1", "-o", o],
            ["kmc", "--side", "5", "--kT", "0x1p0", "--t-max", "1", "-o", o],
            ["kmc", "--side", "5", "--kT", "1", "--t-max", "1", "-o", o, "--progress-seconds", "-1"],
            ["kmc", "--side", "5", "--kT", "1", "--t-max", "1", "-o", o, "--seed", "99999999999999999999"],
            ["equilibrium", "--side", "5", "--kT", "1", "--equilibrate", "0x10", "--measure", "10", "-o", o],
            ["potential", "--lattice", "hexagon", "--side", "0x10", "-o", o],
            ["potential", "--lattice", "hexagon", "--side", "100000", "-o", o],
            ["kmc", "--side", "100000", "--kT", "1", "--t-max", "1", "-o", o],
        ]
        for args in usage:
            rc, so, se = run(args, timeout=60)
            print("%-70s exit %d  %s" % (" ".join(a if len(a) < 30 else "..." for a in args), rc,
                                         se.strip().splitlines()[:1]))
            if rc != 2 or not se.strip():
                fail("%s: exit %d, expected 2 with a message\n%s" % (" ".join(args), rc, se))
            if os.path.exists(o):
                fail("%s: an output was written" % " ".join(args))
        # the decimal forms still work (negative control of the checks above)
        rc, so, se = run(["kmc", "--side", "16", "--kT", "1e0", "--t-max", "1", "-o", o, "--progress-seconds", "0"])
        if rc != 0:
            fail("a valid decimal command line failed: %s" % se)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


main()
