#!/usr/bin/env bash
# Short-range models stay short-range: the Ising model on hexagon side 183
# (N = 99919) with area deviations on (the 2D default) runs under a virtual
# memory limit of 1.5 GB, which a dense pair potential or displacement
# response (8 N^2 = 80 GB; 16 N^2 for G) could never fit in. Control: the
# same limit breaks the dense V of a lattice five times smaller (side 80,
# 2.9 GB), so the limit is really in force.
set -euo pipefail
d=$(mktemp -d /tmp/catex-memory-short.XXXXXX)
trap 'rm -rf "$d"' EXIT
limit_kb=1500000
fail=0
if ( ulimit -v $limit_kb; "$CATEX_EXE" kmc --lattice hexagon --side 183 --J 1 --kT 2 --dmu -10 --t-max 0.5 \
       --samples 4 -o "$d/ising.h5" --progress-seconds 0 > "$d/ising.log" 2>&1 ); then
  /usr/bin/python3 - "$d/ising.h5" <<'PY' || fail=1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
st = f["tasks/status"][()]
if not np.all(st == 1): sys.exit("FAIL: Ising side 183 task not done: %s" % st)
g = f["studies/kmc"]
dA = None
for k in g.keys():
    if "dA" in k: dA = g[k][()]
if dA is None:
    def find(name, obj):
        global dA
        if dA is None and "dA" in name and isinstance(obj, h5py.Dataset): dA = obj[()]
    g.visititems(find)
if dA is None or not np.all(np.isfinite(dA)) or not np.any(dA > 0):
    sys.exit("FAIL: no finite area deviation recorded: %s" % dA)
print("ok: Ising side 183 with area deviations ran under the limit")
PY
else
  echo "FAIL: Ising side 183 did not run under ulimit -v $limit_kb kB:"; cat "$d/ising.log"; fail=1
fi
if ( ulimit -v $limit_kb; "$CATEX_EXE" potential --lattice hexagon --side 80 -o "$d/v80.h5" > "$d/v80.log" 2>&1 ); then
  echo "FAIL: control: a dense V of 2.9 GB fitted under ulimit -v $limit_kb kB (the limit is not in force)"; fail=1
else
  echo "ok: control: the dense V of side 80 fails under the same limit ($(tail -1 "$d/v80.log"))"
fi
exit $fail
