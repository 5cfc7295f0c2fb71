#!/usr/bin/python3
"""The memory estimate printed before a run is an upper bound of the
measured peak RSS (getrusage through wait4) for a few sizes, 2D and 3D,
dense and short-range, one rank and two ranks sharing V; and a job that
does not fit under --max-memory is refused before anything is written."""
import os, re, subprocess, sys, tempfile

exe = os.environ["CATEX_EXE"]
fail = 0

def run(argv):
    """Runs argv, returns (exit code, stdout + stderr, peak RSS in bytes)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    p.stdout.close()
    return os.waitstatus_to_exitcode(status), out, ru.ru_maxrss * 1024

def check_bound(name, argv, must_print=None, peaks=None):
    """Runs argv; 0 if its printed per-rank estimate bounds its peak RSS (and it printed
    must_print, so that the case tests what it says), else 1. The peak is appended to peaks."""
    code, text, peak = run(argv)
    if peaks is not None:
        peaks.append(peak)
    m = re.search(r"per rank at most ([0-9.]+) MB", text)
    if code != 0 or not m or (must_print and must_print not in text):
        print("FAIL: %s: exit %d, no estimate%s:\n%s" %
              (name, code, " with '%s'" % must_print if must_print else "", text))
        return 1
    bound = float(m.group(1)) * 1048576
    ok = peak <= bound
    print("%s %s: peak RSS %.1f MB, estimate per rank %.1f MB" %
          ("ok:  " if ok else "FAIL:", name, peak / 1048576, bound / 1048576))
    return 0 if ok else 1

cases = [
    ("hexagon side 20, eps 1", ["--lattice", "hexagon", "--side", "20", "--eps", "1", "--dmu", "-20", "--kT", "0.2"]),
    ("hexagon side 36, eps 1", ["--lattice", "hexagon", "--side", "36", "--eps", "1", "--dmu", "-20", "--kT", "0.2"]),
    ("cube L 12, eps 1", ["--lattice", "cube", "--side", "12", "--eps", "1", "--dmu", "-200", "--kT", "1.5"]),
    ("hexagon side 100, Ising", ["--lattice", "hexagon", "--side", "100", "--J", "1", "--dmu", "-10", "--kT", "2"]),
]
with tempfile.TemporaryDirectory(prefix="catex-memory-estimate.") as d:
    out_h5 = os.path.join(d, "e.h5")
    for ranks in (1, 2):
        for name, args in cases:
            if ranks == 2 and "Ising" in name:
                continue
            argv = ([exe] if ranks == 1 else ["mpirun", "-n", "2", exe]) + ["kmc"] + args + \
                ["--t-max", "1", "--samples", "5", "--trajectories", str(ranks), "-o", out_h5, "--force",
                 "--progress-seconds", "0"]
            fail |= check_bound("%s -n %d" % (name, ranks), argv)
    # an exchange ladder holds every rung's V and Vcc at once (16 rungs of side 20: ~0.4 GB over the
    # libraries; an estimate that counts one V per lattice misses it by half)
    ladder = ",".join("%.2f" % (13.3 + 0.05 * k) for k in range(16))
    fail |= check_bound("exchange ladder, 16 rungs of side 20",
                        [exe, "exchange", "--side", "20", "--shell-layers", "1", "--kshell", ladder, "--eps", "1",
                         "--kT", "0.2", "--equilibrate", "20", "--measure", "20", "-o", out_h5, "--force",
                         "--progress-seconds", "0"], must_print="ladder of 16 rungs")
    # ... whose measured series are streamed (blocking_stream.h), not stored: 16 rungs measured for
    # 2e5 sweeps must not hold more than for 2e3 (stored, 7 doubles per rung and sweep were ~180 MB)
    ladder = ",".join("%.2f" % (1.0 + 0.25 * k) for k in range(16))
    peaks = []
    for measure in (2000, 200000):
        fail |= check_bound("exchange ladder, 16 rungs measured %d sweeps" % measure,
                            [exe, "exchange", "--side", "6", "--shell-layers", "1", "--kshell", ladder, "--eps", "1",
                             "--kT", "0.3", "--equilibrate", "100", "--measure", str(measure), "-o", out_h5,
                             "--force", "--progress-seconds", "0"], peaks=peaks)
    # what does grow: 2000 stored samples of 16 x 23 doubles (~6 MB, twice while checkpointing)
    if len(peaks) == 2 and peaks[1] - peaks[0] > 30 * 1048576:
        print("FAIL: the ladder's memory grows with its length: %.1f MB at 2e3 sweeps, %.1f MB at 2e5" %
              (peaks[0] / 1048576, peaks[1] / 1048576))
        fail = 1
    # over the limit: refused with both figures, nothing written
    refused = os.path.join(d, "refused.h5")
    code, text, _ = run([exe, "kmc", "--lattice", "hexagon", "--side", "36", "--eps", "1", "--kT", "0.2",
                         "--t-max", "1", "-o", refused, "--max-memory", "50M"])
    if code != 1 or "more than the limit of 50.0 MB" not in text or os.path.exists(refused):
        print("FAIL: a job over --max-memory 50M was not refused cleanly (exit %d, file %s):\n%s" %
              (code, os.path.exists(refused), text))
        fail = 1
    else:
        print("ok:   --max-memory 50M refused, nothing written")
    # control: the same job under a sufficient limit runs
    code, text, _ = run([exe, "kmc", "--lattice", "hexagon", "--side", "36", "--eps", "1", "--kT", "0.2",
                         "--t-max", "1", "--samples", "3", "-o", refused, "--max-memory", "8G"])
    if code != 0 or not os.path.exists(refused):
        print("FAIL: the same job with --max-memory 8G did not run (exit %d):\n%s" % (code, text))
        fail = 1
sys.exit(fail)
