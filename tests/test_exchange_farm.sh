#!/usr/bin/env bash
# Exchange ladders in the farm: -n 1, -n 2 and -n 3 give bitwise identical
# datasets (every dataset and attribute except /tasks/runtime and
# /tasks/rank), with ladder tasks scheduled next to ordinary ones; and a
# ladder killed with kill -9 in mid-run continues from its checkpoint on
# --resume (it must say so, from a sweep > 0) and ends bitwise identical to
# an uninterrupted run, its checkpoint removed once it is done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/support/kill_session.sh"
h5tool=("/usr/bin/python3" "$here/farm/h5tool.py")
d=$(mktemp -d /tmp/catex-exchange-farm.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail=0
for n in 1 2 3; do
  mpirun -n $n "$CATEX_EXE" run "$here/exchange/ladders.yaml" -o "$d/n$n.h5" --progress-seconds 0 \
    --checkpoint-minutes 0.002 --stats "$d/n$n.json" > "$d/n$n.log" 2>&1
  cat "$d/n$n.json"
  grep -q '"failed": 0' "$d/n$n.json" || { echo "FAIL: tasks failed at -n $n"; cat "$d/n$n.log"; fail=1; }
done
for n in 2 3; do
  "${h5tool[@]}" same "$d/n1.h5" "$d/n$n.h5" || { echo "FAIL: -n 1 and -n $n differ"; fail=1; }
done
[[ -e "$d/n1.h5.ladders" ]] && { echo "FAIL: checkpoint directory left behind"; fail=1; }
/usr/bin/python3 - "$d/n3.h5" <<'PY' || fail=1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["studies/ladder"]
if not np.all(f["tasks/status"][()] == 1): sys.exit("FAIL: not every task done")
if g["kshell"].shape != (4, 6) or not np.allclose(g["kshell"][()], np.arange(1, 7)): sys.exit("FAIL: kshell")
if not np.all(g["swap_attempts"][()] > 0) or not np.all(np.isfinite(g["fU_var_err"][()])): sys.exit("FAIL: empty data")
if g["sample_energy"].shape != (4, 120, 6, 6): sys.exit("FAIL: sample_energy shape %s" % (g["sample_energy"].shape,))
print("ladder datasets present; swap acceptance", g["swap_acceptance"][0])
PY

# kill -9 in mid-ladder, then --resume
"$CATEX_EXE" run "$here/exchange/long.yaml" -o "$d/ref.h5" --progress-seconds 0 > "$d/ref.log" 2>&1
setsid mpirun -n 2 "$CATEX_EXE" run "$here/exchange/long.yaml" -o "$d/kill.h5" --progress-seconds 0 \
  --checkpoint-minutes 0.003 > "$d/kill1.log" 2>&1 &
pid=$!
kill_after_checkpoint "$pid" "$d/kill.h5.ladders/task0.ckpt" 600 || fail=1
[[ -e "$d/kill.h5.ladders/task0.ckpt" ]] || { echo "FAIL: no checkpoint was written before the kill"; fail=1; }
mpirun -n 2 "$CATEX_EXE" run "$here/exchange/long.yaml" -o "$d/kill.h5" --resume --progress-seconds 0 \
  --checkpoint-minutes 0.003 > "$d/kill2.log" 2>&1 || { echo "FAIL: resume failed"; cat "$d/kill2.log"; fail=1; }
cat "$d/kill2.log"
if ! grep -Eq "ladder task 0 resumes from its checkpoint at sweep [1-9]" "$d/kill2.log"; then
  echo "FAIL: the resumed run did not continue the ladder from its checkpoint"; fail=1
fi
"${h5tool[@]}" same "$d/ref.h5" "$d/kill.h5" || { echo "FAIL: kill -9 + --resume differs from an uninterrupted run"; fail=1; }
[[ -e "$d/kill.h5.ladders" ]] && { echo "FAIL: checkpoint directory left behind after resume"; fail=1; }
[[ $fail == 0 ]] && echo "OK: exchange data identical for -n 1, 2, 3 and across kill -9 + --resume"
exit $fail
