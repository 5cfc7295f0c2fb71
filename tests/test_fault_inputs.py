#!/usr/bin/python3
"""Issue 10, item 6: hostile inputs that hung or crashed.
 - YAML nested 200,000 levels deep (flow brackets; "- " runs) is refused
   within seconds with file:line (libyaml alone needed minutes);
 - a FIFO as the job file is refused instead of blocking for ever;
 - an output path of 300 characters works on 2 ranks (Open MPI's
   sharedfp/lockedfile aborted at 236+);
 - --resume on a zero-length file, a text file and a directory fails with
   the cause and leaves the file byte for byte as it was."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_util import HERE, fail, run, statuses  # noqa: E402

TINY = os.path.join(HERE, "fault", "tiny.yaml")


def main():
    tmp = tempfile.mkdtemp(prefix="catex-fault-inputs-")
    try:
        n = 200000
        for name, text in (("flow", "name: x\nseed: 1\nstudies: " + "[" * n + "]" * n + "\n"),
                           ("block", "name: x\nseed: 1\nstudies:\n" + "- " * n + "x\n")):
            p = os.path.join(tmp, name + ".yaml")
            open(p, "w").write(text)
            rc, so, se = run(["run", p, "-o", os.path.join(tmp, "d.h5")], timeout=30)
            print("%s nesting %d: exit %d %s" % (name, n, rc, se.strip().splitlines()[:1]))
            if rc != 2 or "nesting deeper than" not in se or (p + ":3:") not in se and (p + ":4:") not in se:
                fail("deep %s nesting was not refused with file:line\n%s" % (name, se))
        fifo = os.path.join(tmp, "job.fifo")
        os.mkfifo(fifo)
        rc, so, se = run(["run", fifo, "-o", os.path.join(tmp, "f.h5")], timeout=30)
        print("FIFO job file: exit %d %s" % (rc, se.strip().splitlines()[:1]))
        if rc != 2 or "not a regular file" not in se:
            fail("a FIFO job file was not refused\n" + se)

        deep = os.path.join(tmp, *(["d" * 60] * 5))
        os.makedirs(deep)
        out = os.path.join(deep, "out.h5")
        rc, so, se = run(["run", TINY, "-o", out, "--progress-seconds", "0"], np=2, timeout=120)
        print("output path of %d characters on 2 ranks: exit %d" % (len(out), rc))
        if rc != 0 or any(s != 1 for s in statuses(out)):
            fail("a %d-character output path failed:\n%s" % (len(out), se))

        cases = [("empty.h5", b""), ("text.h5", b"not hdf5 at all\n")]
        for name, content in cases:
            p = os.path.join(tmp, name)
            open(p, "wb").write(content)
            rc, so, se = run(["run", TINY, "-o", p, "--resume"], np=2, timeout=60)
            print("--resume on %s: exit %d %s" % (name, rc, se.strip().splitlines()[:1]))
            if rc != 1 or "not an HDF5 file" not in se or open(p, "rb").read() != content:
                fail("--resume on %s: exit %d, or the file changed\n%s" % (name, rc, se))
        d = os.path.join(tmp, "dir.h5")
        os.mkdir(d)
        rc, so, se = run(["run", TINY, "-o", d, "--resume"], timeout=60)
        print("--resume on a directory: exit %d %s" % (rc, se.strip().splitlines()[:1]))
        if rc != 1 or "is a directory" not in se or os.listdir(d):
            fail("--resume on a directory\n" + se)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


main()
