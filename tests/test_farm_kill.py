#!/usr/bin/python3
"""SIGKILL a running `catex run` (the whole process group: mpirun and every
rank) at random moments, resume each time, and check:
  - every snapshot taken after a kill opens and `--resume` accepts it;
  - a task done in one snapshot stays done, with identical rows, in every
    later snapshot (nothing reported done is ever lost);
  - HDF5 metadata never changes after creation: all bytes outside the
    datasets' raw-data extents are identical in every snapshot and the end;
  - each resume skips exactly the tasks done in the file it started from and
    the final file's data equal those of an uninterrupted run;
  - the kills did land in different phases (before the file, mid-run).
Flushes run after every round of completions (--checkpoint-minutes 0), so a
large share of the kills hits a flush."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXE = os.environ["CATEX_EXE"]
JOB = os.path.join(HERE, "farm", "kill.yaml")
H5TOOL = [sys.executable, os.path.join(HERE, "farm", "h5tool.py")]
NP = os.environ.get("CATEX_FARM_KILL_NP", "2")
KILLS = int(os.environ.get("CATEX_FARM_KILLS", "8"))


def mpirun(args):
    return ["mpirun", "-n", NP, EXE, "run", JOB, "--progress-seconds", "0"] + args


def tool(*args):
    r = subprocess.run(H5TOOL + list(args), capture_output=True, text=True)
    return r.returncode, r.stdout.strip()


def statuses(path):
    rc, out = tool("status", path)
    if rc != 0:
        raise SystemExit("FAIL: cannot read /tasks/status of %s: %s" % (path, out))
    return [int(s) for s in out.split()]


def session_pids(sid):
    """Processes of session sid. Open MPI puts every rank in a process group
    of its own, so killing mpirun's group would leave the ranks running."""
    pids = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open("/proc/%s/stat" % e) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid and fields[0] != "Z":
                    pids.append(int(e))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def kill_session(sid):
    """SIGKILL every process of the session (mpirun and all ranks) at once,
    then wait until all are gone."""
    for _ in range(1000):
        pids = session_pids(sid)
        if not pids:
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.005)
    return False


def main():
    rng = random.Random(int(os.environ.get("CATEX_FARM_KILL_SEED", str(int(time.time())))))
    failures = []
    with tempfile.TemporaryDirectory(prefix="catex-farm-kill-") as d:
        ref = os.path.join(d, "ref.h5")
        t0 = time.time()
        r = subprocess.run(mpirun(["-o", ref, "--checkpoint-minutes", "0"]), capture_output=True, text=True)
        t_ref = time.time() - t0
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            raise SystemExit("FAIL: reference run exited with %d" % r.returncode)
        ntasks = len(statuses(ref))
        print("reference run: %d tasks in %.2f s" % (ntasks, t_ref))

        out = os.path.join(d, "k.h5")
        snaps = []
        phases = {"no file": 0, "partial": 0, "complete": 0}
        for k in range(KILLS):
            before = statuses(out) if os.path.exists(out) else None
            ndone = sum(1 for x in before if x == 1) if before else 0
            stats = os.path.join(d, "stats%d.json" % k)
            p = subprocess.Popen(mpirun(["-o", out, "--resume", "--checkpoint-minutes", "0", "--stats", stats,
                                         "--progress-seconds", "0.02"]),
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                 start_new_session=True)
            if k == 0:
                # start-up / file creation
                delay = rng.uniform(0.05, 0.6)
                time.sleep(delay)
            else:
                # mid-run: once the progress lines reach a random task count,
                # plus a random few ms so that flushes are hit at any point
                target = ndone + rng.randint(1, max(1, (ntasks - ndone) // 4))
                # readline, not `for line in p.stdout` (which reads ahead)
                for line in iter(p.stdout.readline, ""):
                    m = re.search(r"done (\d+)/\d+", line)
                    if m and int(m.group(1)) >= target:
                        break
                time.sleep(rng.uniform(0, 0.03))
                delay = target
            finished = p.poll() is not None
            # Every rank must be gone (not only mpirun) before the file is
            # looked at or reopened: a rank still dying could land its last
            # write afterwards.
            gone = kill_session(p.pid)
            p.wait()
            p.stdout.close()
            if not gone:
                failures.append("kill %d: processes of the killed run are still alive" % k)
            if finished and os.path.exists(stats):
                with open(stats) as f:
                    s = json.load(f)
                if s["skipped"] != ndone:
                    failures.append("run %d skipped %d tasks, the file had %d done" % (k, s["skipped"], ndone))
            if not os.path.exists(out):
                phases["no file"] += 1
                print("kill %d: no output file yet" % k)
                continue
            snap = os.path.join(d, "snap%d.h5" % k)
            shutil.copyfile(out, snap)
            st = statuses(snap)
            ndone = sum(1 for x in st if x == 1)
            phases["complete" if ndone == ntasks else "partial"] += 1
            print("kill %d (%s)%s: %d/%d tasks done" % (k, "after %.2f s" % delay if k == 0 else
                                                        "at %d tasks done" % delay,
                                                        " (had finished)" if finished else "", ndone, ntasks))
            if snaps:
                rc, msg = tool("done-subset", snaps[-1], snap)
                if rc:
                    failures.append("kill %d: %s" % (k, msg))
            # Creation is deterministic, so even the reference file (another
            # run) must have the very same metadata bytes.
            rc, msg = tool("metadata", snap, ref)
            if rc:
                failures.append("kill %d: %s" % (k, msg))
            snaps.append(snap)

        stats = os.path.join(d, "final.json")
        before = statuses(out) if os.path.exists(out) else [0] * ntasks
        r = subprocess.run(mpirun(["-o", out, "--resume", "--stats", stats]), capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            raise SystemExit("FAIL: final resume exited with %d" % r.returncode)
        with open(stats) as f:
            s = json.load(f)
        nb = sum(1 for x in before if x == 1)
        if s["skipped"] != nb or s["done"] != ntasks - nb or s["failed"] != 0:
            failures.append("final resume: skipped %d (file had %d done), ran %d of %d left" %
                            (s["skipped"], nb, s["done"], ntasks - nb))
        if any(x != 1 for x in statuses(out)):
            failures.append("final file has tasks that are not done")
        rc, msg = tool("same", ref, out)
        if rc:
            failures.append("final file differs from the uninterrupted run: %s" % msg)
        for snap in snaps:
            rc, msg = tool("done-subset", snap, out)
            if rc:
                failures.append("%s: %s" % (os.path.basename(snap), msg))
            rc, msg = tool("metadata", snap, out)
            if rc:
                failures.append("%s vs final: %s" % (os.path.basename(snap), msg))
        print("kill phases: %s" % phases)
        if phases["partial"] < 2:
            failures.append("fewer than 2 kills landed mid-run: the test did not exercise resume")

    for f in failures:
        print("FAIL: " + f)
    if failures:
        return 1
    print("OK: %d kills, final data identical to the uninterrupted run" % KILLS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
