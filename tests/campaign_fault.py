#!/usr/bin/python3
"""Issue 10's fault campaign (long; not part of ctest):

    CATEX_EXE=build/catex tests/campaign_fault.py

1. 20 SIGKILLs of a whole 2-rank run at random moments, resuming each time:
   tests/test_farm_kill.py with CATEX_FARM_KILLS=20 (nothing reported done
   may be lost; the final data equal an uninterrupted run's, bitwise).
2. 10 signals (SIGTERM straight to every rank, as SLURM sends it, and
   SIGUSR1 to mpirun, alternately) at random moments of a 2-rank run of the
   same job with no checkpoint of its own (--checkpoint-minutes 1000), so
   that only the flush on the signal saves anything; after each: exit 4,
   tasks reported done before the signal and tasks saved by the flush,
   nothing done earlier lost; then a final resume and a bitwise comparison
   with the uninterrupted run.
Prints a summary; exit 0 only if no task was lost and the data are equal."""
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fault_util import H5TOOL, HERE, Running, rank_pids, run, same, statuses  # noqa: E402

JOB = os.path.join(HERE, "farm", "kill.yaml")


def sigkill_campaign():
    env = dict(os.environ, CATEX_FARM_KILLS="20")
    r = subprocess.run([sys.executable, os.path.join(HERE, "test_farm_kill.py")], env=env, capture_output=True,
                       text=True)
    print(r.stdout.strip())
    return r.returncode == 0


def signal_campaign(seed):
    rng = random.Random(seed)
    problems = []
    with tempfile.TemporaryDirectory(prefix="catex-campaign-") as d:
        ref = os.path.join(d, "ref.h5")
        rc, so, se = run(["run", JOB, "-o", ref, "--progress-seconds", "0"], np=2, timeout=900)
        if rc:
            print("reference run failed: " + se)
            return False
        ntasks = len(statuses(ref))
        out = os.path.join(d, "out.h5")
        saved_total = lost_total = rounds = 0
        prev = None
        for k in range(10):
            before = statuses(out) if os.path.exists(out) else [0] * ntasks
            nb = sum(1 for s in before if s == 1)
            if nb == ntasks:
                # complete: check it and start the job afresh for the next signals
                ok, msg = same(ref, out)
                print("round %d complete; bitwise equal to the uninterrupted run: %s" % (rounds, "yes" if ok else msg))
                if not ok:
                    problems.append("round %d: %s" % (rounds, msg))
                rounds += 1
                os.unlink(out)
                prev = None
                before, nb = [0] * ntasks, 0
            sig = signal.SIGTERM if k % 2 == 0 else signal.SIGUSR1
            r = Running(["run", JOB, "-o", out, "--resume", "--checkpoint-minutes", "1000", "--progress-seconds",
                         "0.05", "--grace-seconds", "2"], np=2)
            target = nb + rng.randint(1, max(1, (ntasks - nb) // 4))
            r.wait_for(lambda l: (lambda m: m and int(m.group(1)) >= target)(re.search(r"done (\d+)/", l)), 600)
            time.sleep(rng.uniform(0, 0.05))
            seen = max([int(m.group(1)) for m in map(lambda l: re.search(r"done (\d+)/", l), list(r.lines)) if m]
                       or [nb])
            if sig == signal.SIGTERM:
                for pid in rank_pids(r.p.pid):
                    os.kill(pid, sig)
            else:
                os.kill(r.p.pid, sig)
            rc, so, se = r.finish(120)
            after = statuses(out)
            na = sum(1 for s in after if s == 1)
            lost_earlier = sum(1 for a, b in zip(before, after) if a == 1 and b != 1)
            lost = max(0, seen - na) + lost_earlier
            saved = na - nb if rc == 4 else 0  # else the run's own final flush saved them
            saved_total += saved
            lost_total += lost
            m = re.search(r"(\d+) tasks flushed at the signal", so)
            print("signal %d: %-7s exit %d; %d done before, %d reported done at the signal, %d in the file after "
                  "(saved by the flush: %d; flush says %s); lost %d" %
                  (k, signal.Signals(sig).name, rc, nb, seen, na, saved, m.group(1) if m else "?", lost))
            if rc != 4 and not (na == ntasks and "interrupted by" not in se):
                problems.append("signal %d: exit %d\n%s" % (k, rc, se))
            elif rc != 4:
                print("signal %d: arrived after the run had finished every task (exit %d)" % (k, rc))
            if prev is not None:
                r2 = subprocess.run(H5TOOL + ["done-subset", prev, out], capture_output=True, text=True)
                if r2.returncode:
                    problems.append("signal %d: %s" % (k, r2.stdout))
            snap = os.path.join(d, "snap%d.h5" % k)
            subprocess.run(["cp", out, snap])
            prev = snap
        rc, so, se = run(["run", JOB, "-o", out, "--resume", "--progress-seconds", "0"], np=2, timeout=900)
        ok, msg = same(ref, out)
        print("signal campaign: %d tasks, %d saved by signal flushes, %d lost; final resume exit %d; bitwise equal "
              "to the uninterrupted run: %s" % (ntasks, saved_total, lost_total, rc, "yes" if ok else "NO: " + msg))
        if lost_total or rc or not ok:
            problems.append("lost %d, final exit %d, equal %s" % (lost_total, rc, ok))
    for p in problems:
        print("PROBLEM: " + p)
    return not problems


def main():
    seed = int(os.environ.get("CATEX_CAMPAIGN_SEED", str(int(time.time()))))
    print("campaign seed %d" % seed)
    a = True if os.environ.get("CATEX_CAMPAIGN_SKIP_SIGKILL") else sigkill_campaign()
    b = signal_campaign(seed)
    print("SIGKILL campaign: %s; signal campaign: %s" % ("OK" if a else "FAILED", "OK" if b else "FAILED"))
    sys.exit(0 if a and b else 1)


main()
