"""Helpers of the fault-tolerance tests (tests/test_fault_*.py): running
catex with a deadline, reading the status column, comparing files."""
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXE = os.environ["CATEX_EXE"]
H5TOOL = [sys.executable, os.path.join(HERE, "farm", "h5tool.py")]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def launcher(np):
    return [EXE] if np == 1 else ["mpirun", "-n", str(np), EXE]


def run(args, np=1, timeout=120, env=None, stdin=None):
    """Runs catex to the end (killing it after timeout: a hang is a failure)."""
    try:
        r = subprocess.run(launcher(np) + args, capture_output=True, text=True, timeout=timeout, env=env,
                           stdin=stdin)
    except subprocess.TimeoutExpired:
        fail("catex %s on %d rank(s) did not end within %d s (hang)" % (" ".join(args), np, timeout))
    return r.returncode, r.stdout, r.stderr


def statuses(path):
    r = subprocess.run(H5TOOL + ["status", path], capture_output=True, text=True)
    if r.returncode != 0:
        fail("cannot read /tasks/status of %s: %s" % (path, r.stdout + r.stderr))
    return [int(s) for s in r.stdout.split()]


def same(a, b):
    r = subprocess.run(H5TOOL + ["same", a, b], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


class Running:
    """A background catex run whose stdout lines are collected as they come."""

    def __init__(self, args, np=1, env=None):
        self.p = subprocess.Popen(launcher(np) + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env, start_new_session=True)
        self.lines, self.err = [], []
        self.t1 = threading.Thread(target=self._read, args=(self.p.stdout, self.lines), daemon=True)
        self.t2 = threading.Thread(target=self._read, args=(self.p.stderr, self.err), daemon=True)
        self.t1.start()
        self.t2.start()

    @staticmethod
    def _read(stream, into):
        for line in stream:
            into.append(line)

    def wait_for(self, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            for line in list(self.lines):
                m = pred(line)
                if m:
                    return m
            if self.p.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def finish(self, timeout):
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, 9)
            self.p.wait()
            fail("catex did not end within %d s of the signal" % timeout)
        self.t1.join(5)
        self.t2.join(5)
        return rc, "".join(self.lines), "".join(self.err)


def rank_pids(session_leader):
    """catex processes of a session (the ranks under mpirun, or catex itself)."""
    sid = os.getsid(session_leader)
    out = []
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open("/proc/%s/cmdline" % e, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z" and argv0.endswith(b"catex"):
            out.append(int(e))
    return out
