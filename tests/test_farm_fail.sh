#!/usr/bin/env bash
# A task whose potential solve fails (injected through the study's
# petsc_options: CG without preconditioner, one iteration) is recorded as
# failed with its message, its rows stay unwritten, and the rest of the job
# finishes: exit status 3, every other task done. A --resume retries only
# the failed tasks.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
d=$(mktemp -d /tmp/catex-farm-fail.XXXXXX)
trap 'rm -rf "$d"' EXIT
rc=0
mpirun -n 2 "$CATEX_EXE" run "$here/farm/fail.yaml" -o "$d/f.h5" --progress-seconds 0 --stats "$d/s.json" \
  > "$d/log" 2> "$d/err" || rc=$?
cat "$d/log" "$d/s.json"
fail=0
[[ $rc == 3 ]] || { echo "FAIL: exit status $rc, expected 3"; cat "$d/err"; fail=1; }
grep -q "task(s) failed" "$d/err" || { echo "FAIL: no failure summary on stderr"; fail=1; }
/usr/bin/python3 - "$d/f.h5" <<'PY' || fail=1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
st, msg, study = f["tasks/status"][()], f["tasks/message"][()], f["tasks/study"][()]
names = {int(g.attrs["first_task"]): n for n, g in f["studies"].items()}
broken = int(f["studies/broken"].attrs["first_task"]), int(f["studies/broken"].attrs["ntasks"])
bad = []
for t in range(len(st)):
    inb = broken[0] <= t < broken[0] + broken[1]
    if inb and (st[t] != 2 or b"solver" not in msg[t].lower()):
        bad.append("task %d: status %d message %r" % (t, st[t], msg[t]))
    if not inb and (st[t] != 1 or msg[t] != b""):
        bad.append("task %d: status %d message %r" % (t, st[t], msg[t]))
if not np.all(np.isnan(f["studies/broken/c"][()])): bad.append("failed tasks have data rows")
if np.any(np.isnan(f["studies/ok/c"][()][:, 0])): bad.append("done tasks lack data")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
rc=0
"$CATEX_EXE" run "$here/farm/fail.yaml" -o "$d/f.h5" --resume --progress-seconds 0 --stats "$d/r.json" \
  > /dev/null 2>&1 || rc=$?
cat "$d/r.json"
[[ $rc == 3 ]] || { echo "FAIL: resume exit status $rc, expected 3"; fail=1; }
grep -q '"skipped": 4, "done": 0, "failed": 3' "$d/r.json" || { echo "FAIL: resume did not retry exactly the failed tasks"; fail=1; }
[[ $fail == 0 ]] && echo "OK: failures recorded, job finished"
exit $fail
