#!/usr/bin/python3
"""Issue 10, item 3: one writer per output.
 - While a run writes an output, a second run with --force or --resume on
   the same output is refused at once (exit 1, message naming the other
   run's host and pid), and the first run's results survive.
 - A stale lock (a dead process of this host; the same SLURM job id) is
   taken over; a live-looking lock of another host is refused.
 - --force replaces only an earlier output: not a symbolic link, a FIFO, a
   directory or the job file itself (each left untouched, no lock file)."""
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_util import HERE, Running, fail, run, statuses  # noqa: E402

JOB = os.path.join(HERE, "fault", "lock.yaml")
TINY = os.path.join(HERE, "fault", "tiny.yaml")
DONE = re.compile(r"done (\d+)/")


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def main():
    tmp = tempfile.mkdtemp(prefix="catex-fault-lock-")
    try:
        out = os.path.join(tmp, "a.h5")
        first = Running(["run", JOB, "-o", out, "--progress-seconds", "0.1", "--checkpoint-minutes", "0"], np=1)
        if not first.wait_for(lambda l: (lambda m: m and int(m.group(1)) >= 2)(DONE.search(l)), 120):
            first.finish(30)
            fail("the first run made no progress")
        for extra in (["--force"], ["--resume"]):
            t0 = time.time()
            rc, so, se = run(["run", JOB, "-o", out, "--progress-seconds", "0"] + extra, np=2, timeout=60)
            print("second run %s while the first writes: exit %d after %.1f s: %s" %
                  (extra[0], rc, time.time() - t0, se.strip().splitlines()[:1]))
            if rc != 1 or "another catex run is writing this output" not in se or \
                    ("pid %d" % first.p.pid) not in se:
                fail("a second run %s was not refused with the other run's pid %d: exit %d\n%s%s" %
                     (extra[0], first.p.pid, rc, so, se))
        os.kill(first.p.pid, signal.SIGTERM)
        rc, so, se = first.finish(60)
        done = sum(1 for s in statuses(out) if s == 1)
        print("first run: exit %d, %d tasks done in the file" % (rc, done))
        if rc != 4 or done < 2:
            fail("the first run's results did not survive: exit %d, %d done" % (rc, done))
        if os.path.exists(out + ".lock"):
            fail("the lock file outlived the run")

        host = socket.gethostname()
        cases = [("stale: dead process of this host", "%s %d - 1\n" % (host, dead_pid()), {}, 0),
                 ("stale: same SLURM job", "elsewhere.example 123 4242 1\n", {"SLURM_JOB_ID": "4242"}, 0),
                 ("live: another host", "elsewhere.example 123 - 1\n", {}, 1),
                 ("live: this host, a live catex", None, {}, 1)]
        for name, text, env_extra, expect in cases:
            o = os.path.join(tmp, "b.h5")
            for p in (o, o + ".lock"):
                if os.path.exists(p):
                    os.unlink(p)
            holder = None
            if text is None:  # a live catex of this host: the first run again
                holder = Running(["run", JOB, "-o", o, "--progress-seconds", "0.1"], np=1)
                if not holder.wait_for(lambda l: DONE.search(l), 60):
                    holder.finish(30)
                    fail("the holder run did not start")
            else:
                open(o + ".lock", "w").write(text)
            env = dict(os.environ)
            env.pop("SLURM_JOB_ID", None)
            env.update(env_extra)
            rc, so, se = run(["run", TINY, "-o", o, "--progress-seconds", "0"], np=1, timeout=60, env=env)
            print("%s: exit %d %s" % (name, rc, se.strip().splitlines()[:1]))
            if holder:
                os.kill(holder.p.pid, signal.SIGTERM)
                holder.finish(60)
            if rc != expect:
                fail("%s: exit %d, expected %d\n%s" % (name, rc, expect, se))
            if expect == 1 and "elsewhere.example" in (text or "") and "elsewhere.example" not in se:
                fail("%s: the message does not name the other host" % name)

        # --force replaces only an earlier output file
        target = os.path.join(tmp, "target.h5")
        open(target, "w").write("precious\n")
        link = os.path.join(tmp, "link.h5")
        os.symlink(target, link)
        fifo = os.path.join(tmp, "fifo.h5")
        os.mkfifo(fifo)
        d = os.path.join(tmp, "dir.h5")
        os.mkdir(d)
        job_copy = os.path.join(tmp, "job.yaml")
        shutil.copy(TINY, job_copy)
        job_text = open(job_copy).read()
        for path, job in ((link, TINY), (fifo, TINY), (d, TINY), (job_copy, job_copy)):
            rc, so, se = run(["run", job, "-o", path, "--force", "--progress-seconds", "0"], np=1, timeout=60)
            print("--force on %s: exit %d %s" % (os.path.basename(path), rc, se.strip().splitlines()[:1]))
            if rc != 1 or "--force replaces only" not in se:
                fail("--force on %s: exit %d\n%s" % (path, rc, se))
            if os.path.exists(path + ".lock"):
                fail("--force on %s left a lock file" % path)
        if not os.path.islink(link) or open(target).read() != "precious\n" or \
                not stat.S_ISFIFO(os.lstat(fifo).st_mode) or not os.path.isdir(d) or open(job_copy).read() != job_text:
            fail("--force changed something it refused to replace")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


main()
