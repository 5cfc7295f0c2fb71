#!/usr/bin/env bash
# The same job with -n 1, -n 2 and -n 3 gives bitwise identical data (every
# dataset and attribute except /tasks/runtime and /tasks/rank), identical
# HDF5 metadata bytes, and a --resume of a finished file runs nothing and
# changes nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
h5tool=("/usr/bin/python3" "$here/farm/h5tool.py")
d=$(mktemp -d /tmp/catex-farm-ranks.XXXXXX)
trap 'rm -rf "$d"' EXIT
job="$here/farm/mixed.yaml"
for n in 1 2 3; do
  mpirun -n $n "$CATEX_EXE" run "$job" -o "$d/n$n.h5" --progress-seconds 0 --checkpoint-minutes 0 \
    --stats "$d/n$n.json" > "$d/n$n.log"
  cat "$d/n$n.json"
done
fail=0
for n in 2 3; do
  if ! "${h5tool[@]}" same "$d/n1.h5" "$d/n$n.h5"; then echo "FAIL: -n 1 and -n $n differ"; fail=1; fi
  if ! "${h5tool[@]}" metadata "$d/n1.h5" "$d/n$n.h5"; then echo "FAIL: metadata of -n 1 and -n $n differ"; fail=1; fi
done
grep -q '"failed": 0' "$d/n3.json" || { echo "FAIL: tasks failed"; fail=1; }
# every task done, and by more than one rank at -n 3
/usr/bin/python3 - "$d/n3.h5" <<'PY' || fail=1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
st, rk = f["tasks/status"][()], f["tasks/rank"][()]
if not np.all(st == 1): sys.exit("FAIL: not every task is done: %s" % st)
if len(set(rk.tolist())) < 2: sys.exit("FAIL: only ranks %s ran tasks at -n 3" % set(rk.tolist()))
if not np.all(np.isfinite(f["tasks/runtime"][()])): sys.exit("FAIL: runtime missing")
PY
# The pair-potential cache: at -n 1 every distinct (lattice, K_shell) that
# needs V is solved exactly once: 7 for mixed.yaml (ens 2, kscan 3, cube 1,
# pot 1: K_shell does not matter without a shell, so pot side 3 solves once
# and pot side 4 reuses ens's; the eps = 0 Ising study without area
# deviations needs none); with a zero cache cap entries are evicted and
# solved again, and the data must not change.
grep -q '"solves": 7,' "$d/n1.json" || { echo "FAIL: expected 7 potential solves at -n 1"; fail=1; }
"$CATEX_EXE" run "$job" -o "$d/nocache.h5" --progress-seconds 0 --cache-mb 0 --stats "$d/nocache.json" > /dev/null
cat "$d/nocache.json"
/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["solves"] > 7 else 1)' \
  "$d/nocache.json" || { echo "FAIL: a zero cache cap did not evict"; fail=1; }
"${h5tool[@]}" same "$d/n1.h5" "$d/nocache.h5" || { echo "FAIL: cache eviction changed the data"; fail=1; }
# resume of a complete file: nothing to do, nothing changes
cp "$d/n2.h5" "$d/before.h5"
mpirun -n 2 "$CATEX_EXE" run "$job" -o "$d/n2.h5" --resume --progress-seconds 0 --stats "$d/again.json" > /dev/null
cat "$d/again.json"
grep -q '"done": 0,' "$d/again.json" || { echo "FAIL: resume of a finished file ran tasks"; fail=1; }
cmp -s "$d/before.h5" "$d/n2.h5" || { echo "FAIL: resume of a finished file changed it"; fail=1; }
# Few long tasks: no rank may hoard queued tasks while another idles. 4 equal
# tasks (~1 s each) on 2 ranks: each rank runs 2 (with full prefetch queues the
# worker held 3 from the start and rank 0 ran 1).
mpirun -n 2 "$CATEX_EXE" run "$here/farm/four_equal.yaml" -o "$d/four.h5" --progress-seconds 0 > /dev/null
/usr/bin/python3 - "$d/four.h5" <<'PY' || fail=1
import sys, h5py, numpy as np
rk = h5py.File(sys.argv[1], "r")["tasks/rank"][()]
if sorted(np.bincount(rk, minlength=2).tolist()) != [2, 2]:
    sys.exit("FAIL: 4 equal tasks on 2 ranks ran on ranks %s, not 2 each" % rk.tolist())
PY
[[ $fail == 0 ]] && echo "OK: -n 1, 2, 3 identical"
exit $fail
