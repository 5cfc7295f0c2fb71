#!/usr/bin/python3
"""Issue 10, item 1: a signal flushes every finished task.
SIGUSR1 to mpirun (forwarded to every rank), SIGTERM straight to every rank
(as SLURM's scancel and time limit do) and SIGTERM / SIGINT / SIGHUP to a
single-rank run, each after some tasks are done and long before the first
checkpoint: catex must exit 4 (interrupted) and every task it had reported
done before the signal must be marked done in the file; --resume must then
finish the job with data bitwise equal to an uninterrupted run. A task far
longer than the test may wait must be stopped within --grace-seconds (and
report progress within itself meanwhile), and left pending."""
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_util import HERE, Running, fail, rank_pids, run, same, statuses  # noqa: E402

JOB = os.path.join(HERE, "fault", "signal.yaml")
LONG = os.path.join(HERE, "fault", "long.yaml")
DONE = re.compile(r"done (\d+)/(\d+)")


def interrupted_run(tmp, name, np, sig, to_ranks):
    out = os.path.join(tmp, name + ".h5")
    r = Running(["run", JOB, "-o", out, "--progress-seconds", "0.1"], np=np)
    m = r.wait_for(lambda l: (lambda x: x if x and int(x.group(1)) >= 3 else None)(DONE.search(l)), 120)
    if not m:
        r.finish(60)
        fail("%s: no progress line with 3 tasks done" % name)
    # the largest count printed so far: those tasks had finished
    seen = max(int(x.group(1)) for x in map(DONE.search, list(r.lines)) if x)
    targets = rank_pids(r.p.pid) if to_ranks else [r.p.pid]
    for pid in targets:
        os.kill(pid, sig)
    rc, so, se = r.finish(60)
    st = statuses(out)
    ndone = sum(1 for s in st if s == 1)
    print("%s: %d rank(s), %s to %s: exit %d, %d done seen before the signal, %d done in the file of %d" %
          (name, np, signal.Signals(sig).name, "ranks" if to_ranks else "launcher", rc, seen, ndone, len(st)))
    expect = 4 if np == 1 or to_ranks or sig == signal.SIGUSR1 else None  # mpirun itself exits 1 on SIGTERM
    if expect is not None and rc != expect:
        fail("%s: exit status %d, expected 4 (interrupted)\n%s%s" % (name, rc, so, se))
    if "interrupted by" not in se:
        fail("%s: no 'interrupted by' message on stderr:\n%s" % (name, se))
    if ndone < seen:
        fail("%s: %d tasks were reported done before the signal but only %d are marked done" % (name, seen, ndone))
    if ndone == len(st):
        fail("%s: the job ended before the signal: the test proves nothing" % name)
    rc, so, se = run(["run", JOB, "-o", out, "--resume", "--progress-seconds", "0"], np=np, timeout=300)
    if rc != 0:
        fail("%s: resume failed (%d): %s" % (name, rc, se))
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="catex-fault-signals-")
    try:
        ref = os.path.join(tmp, "ref.h5")
        rc, so, se = run(["run", JOB, "-o", ref, "--progress-seconds", "0"], np=2, timeout=300)
        if rc != 0:
            fail("reference run failed: " + se)
        cases = [("usr1-mpirun", 2, signal.SIGUSR1, False), ("term-ranks", 2, signal.SIGTERM, True),
                 ("term-1", 1, signal.SIGTERM, False), ("int-1", 1, signal.SIGINT, False),
                 ("hup-3", 3, signal.SIGHUP, True)]
        for name, np, sig, to_ranks in cases:
            out = interrupted_run(tmp, name, np, sig, to_ranks)
            ok, msg = same(ref, out)
            if not ok:
                fail("%s: interrupted + resumed data differ from the uninterrupted run: %s" % (name, msg))

        # a task longer than the test may wait: stopped within the grace time
        out = os.path.join(tmp, "long.h5")
        r = Running(["run", LONG, "-o", out, "--progress-seconds", "0.3", "--grace-seconds", "0.5"], np=1)
        prog = re.compile(r"rank 0 task 0: (\d+) of (\d+) sweeps \(([\d.]+)%\).*ETA")
        if not r.wait_for(prog.search, 60):
            r.finish(30)
            fail("no progress line within the running task (rank 0 task 0: N of M sweeps ... ETA)")
        t0 = time.time()
        os.kill(r.p.pid, signal.SIGTERM)
        rc, so, se = r.finish(30)
        took = time.time() - t0
        st = statuses(out)
        print("long task: exit %d %.1f s after SIGTERM (grace 0.5 s); status %s" % (rc, took, st))
        if rc != 4 or st != [0]:
            fail("the long task: exit %d, status %s; expected 4 and [0] (left pending)\n%s" % (rc, st, se))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


main()
