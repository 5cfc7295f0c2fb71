#!/usr/bin/python3
"""Issue 10, item 1 (batch script): jobs/slurm-run.sh, on the USR1 that
`--signal=B:USR1@300` sends it, must let catex flush before it requeues.
Run outside SLURM (CATEX_LAUNCH="mpirun -n 2", no job id: the requeue itself
then fails harmlessly) and signal the script once tasks are done: the log
must show the flush request before the requeue, catex must exit 4, and the
tasks done before the signal must be in the file."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_util import EXE, HERE, fail, statuses  # noqa: E402

SOURCE = os.environ.get("CATEX_SOURCE_DIR", os.path.dirname(HERE))


def main():
    tmp = tempfile.mkdtemp(prefix="catex-fault-requeue-")
    try:
        out = os.path.join(tmp, "r.h5")
        env = dict(os.environ, CATEX_DIR=SOURCE, CATEX_EXE=EXE, CATEX_JOB=os.path.join(HERE, "fault", "signal.yaml"),
                   CATEX_OUTPUT=out, CATEX_LAUNCH="mpirun -n 2",
                   CATEX_ARGS="--progress-seconds 0.1 --checkpoint-minutes 1000")
        for k in ("SLURM_JOB_ID", "SLURM_RESTART_COUNT"):
            env.pop(k, None)
        p = subprocess.Popen(["bash", os.path.join(SOURCE, "jobs", "slurm-run.sh"), "x", "y"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        lines = []
        t = threading.Thread(target=lambda: [lines.append(l) for l in p.stdout], daemon=True)
        t.start()
        end = time.time() + 120
        seen = 0
        while time.time() < end and seen < 3:
            for l in list(lines):
                m = re.search(r"done (\d+)/", l)
                if m:
                    seen = max(seen, int(m.group(1)))
            time.sleep(0.05)
        if seen < 3:
            os.killpg(p.pid, 9)
            fail("no progress through slurm-run.sh:\n" + "".join(lines))
        os.kill(p.pid, signal.SIGUSR1)  # the batch shell only, as B:USR1 does
        try:
            p.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            fail("slurm-run.sh did not end after USR1:\n" + "".join(lines))
        t.join(5)
        log = "".join(lines)
        done = sum(1 for s in statuses(out) if s == 1)
        i_flush, i_req = log.find("asking catex to flush"), log.find("requeueing")
        m = re.search(r"end .* exit (\d+)", log)
        print("slurm-run.sh after USR1: %d reported done, %d in the file; catex exit %s; flush asked at %d, "
              "requeue at %d" % (seen, done, m.group(1) if m else "?", i_flush, i_req))
        if done < seen or i_flush < 0 or i_req < i_flush or "interrupted by SIGUSR1" not in log or not m or \
                m.group(1) != "4":
            fail("slurm-run.sh did not let catex flush before requeueing:\n" + log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


main()
