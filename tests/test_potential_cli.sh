#!/bin/bash
# `catex potential` end to end: the HDF5 layout and its contents, PETSc
# options reaching the solver, refusal to overwrite without --force, and
# rejection of bad input with a message naming the option and no file left.
set -u
CATEX=${CATEX_EXE:?CATEX_EXE must point at the catex executable}
PY=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }

# --help is real help and needs no other argument
"$CATEX" potential --help > "$dir/help.txt" 2>&1 || fail "--help exited non-zero"
grep -q -- "--lattice" "$dir/help.txt" && grep -q -- "--force" "$dir/help.txt" || fail "--help text lacks the options"

# a 2D run and a 3D run through PETSc options
"$CATEX" potential --lattice hexagon --side 3 --shell-layers 1 --kshell 10 -o "$dir/hex.h5" > "$dir/hex.out" 2>&1 \
  || { cat "$dir/hex.out"; fail "hexagon run exited non-zero"; }
grep -q "N = 37" "$dir/hex.out" || fail "hexagon run did not print N = 37"
grep -q "symmetry error" "$dir/hex.out" || fail "hexagon run did not print the symmetry error"
"$CATEX" potential --lattice cube --side 2 --shell-layers 1 --kshell 17 --nnn-mismatch geometric --rigid nullspace \
  -potential_ksp_type gmres -potential_ksp_rtol 1e-13 -o "$dir/cube.h5" > "$dir/cube.out" 2>&1 \
  || { cat "$dir/cube.out"; fail "cube run exited non-zero"; }

"$PY" - "$dir/hex.h5" "$dir/cube.h5" <<'PYEOF' || fail "HDF5 contents (see above)"
import sys
import h5py
import numpy as np

bad = []
def check(ok, what):
    if not ok:
        bad.append(what)

def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)

# name, d, N (closed forms of docs/model.md), bonds, attributes, solver
cases = [(sys.argv[1], 2, 37, 9 * 16 - 15 * 4 + 6, {"lattice": "hexagon", "side": 3, "shell_layers": 1, "kshell": 10.0,
          "nnn_mismatch": "unit", "rigid": "pin"}, None),
         (sys.argv[2], 3, 64, 3 * 16 * 3 + 6 * 4 * 9, {"lattice": "cube", "side": 2, "shell_layers": 1, "kshell": 17.0,
          "nnn_mismatch": "geometric", "rigid": "nullspace"}, "gmres")]
for path, d, n, nbonds, attrs, ksp in cases:
    with h5py.File(path, "r") as f:
        check(f["lattice/positions"].shape == (n, d), f"{path}: positions shape {f['lattice/positions'].shape}")
        for name in ("layer", "boundary", "shell"):
            check(f["lattice/" + name].shape == (n,), f"{path}: {name} shape")
        b = f["lattice/bonds"][:]
        check(b.shape == (nbonds,), f"{path}: {b.shape} bonds, want {nbonds}")
        check(all(k in b.dtype.names for k in ("i", "j", "stiffness")), f"{path}: bond fields {b.dtype.names}")
        check(np.all(b["i"] < b["j"]) and np.all(b["j"] < n), f"{path}: bond indices")
        shell = f["lattice/shell"][:].astype(bool)
        want_k = np.where(shell[b["i"]] & shell[b["j"]], attrs["kshell"], 1.0)
        check(np.array_equal(b["stiffness"], want_k), f"{path}: bond stiffness")
        check(int(f["lattice/boundary"][:].sum()) == (6 * 3 if d == 2 else 64 - 8), f"{path}: boundary count")
        check(int(shell.sum()) == (37 - 19 if d == 2 else 64 - 8), f"{path}: shell count")
        V = f["potential/V"][:]
        check(V.shape == (n, n) and V.dtype == np.float64, f"{path}: V {V.shape} {V.dtype}")
        scale = np.abs(V).max()
        check(scale > 0 and np.abs(V - V.T).max() <= 1e-10 * scale, f"{path}: V not symmetric")
        check(np.abs(V.sum(axis=1)).max() <= 1e-9, f"{path}: V 1 = {np.abs(V.sum(axis=1)).max()}")
        check(np.linalg.eigvalsh(V).min() >= -1e-9, f"{path}: V not positive semi-definite")
        for key, want in attrs.items():
            got = f.attrs.get(key)
            ok = got is not None and (text(got) == want if isinstance(want, str) else float(got) == float(want))
            check(ok, f"{path}: attribute {key} = {got!r}, want {want!r}")
        if ksp:
            check(text(f.attrs["ksp_type"]) == ksp, f"{path}: PETSc option ignored, ksp_type {f.attrs['ksp_type']!r}")
for b in bad:
    print("FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# never overwrite without --force
before=$(md5sum < "$dir/hex.h5")
if "$CATEX" potential --lattice hexagon --side 4 -o "$dir/hex.h5" > "$dir/again.out" 2>&1; then
  fail "overwrote an existing file without --force"
fi
grep -q -- "--force" "$dir/again.out" || fail "refusal does not mention --force: $(cat "$dir/again.out")"
[ "$(md5sum < "$dir/hex.h5")" = "$before" ] || fail "existing file changed without --force"
"$CATEX" potential --lattice hexagon --side 4 -o "$dir/hex.h5" --force > /dev/null 2>&1 || fail "--force did not overwrite"
[ "$(md5sum < "$dir/hex.h5")" != "$before" ] || fail "--force left the old file"

# bad input: non-zero exit, a message naming the option, and no file
reject() { # expected-text args...
  local want=$1
  shift
  rm -f "$dir/bad.h5"
  if "$CATEX" potential "$@" -o "$dir/bad.h5" > "$dir/bad.out" 2>&1; then
    fail "accepted: $*"
  fi
  grep -q -- "$want" "$dir/bad.out" || fail "message for '$*' lacks '$want': $(cat "$dir/bad.out")"
  [ ! -e "$dir/bad.h5" ] || fail "file written for bad input: $*"
}
reject "--side" --lattice hexagon --side 1
reject "--side" --lattice hexagon --side five
reject "--kshell" --lattice hexagon --side 3 --kshell nan
reject "--kshell" --lattice cube --side 3 --kshell -2
reject "--shell-layers" --lattice cube --side 3 --shell-layers -1
reject "--lattice" --lattice triangle --side 3
reject "--nnn-mismatch" --lattice cube --side 3 --nnn-mismatch round
reject "--rigid" --lattice cube --side 3 --rigid glue
reject "--lattice" --side 3
reject "unknown option" --lattice cube --side 3 --sides 4
reject "solve" --lattice hexagon --side 3 -potential_residual_tol 1e-30
if "$CATEX" potential --lattice hexagon --side 3 > "$dir/noout.out" 2>&1; then fail "ran without -o"; fi
grep -q -- "-o" "$dir/noout.out" || fail "missing -o not reported"

leftovers=$(find "$dir" -name '*.tmp.*' | wc -l)
[ "$leftovers" -eq 0 ] || fail "$leftovers temporary files left behind"

if [ "$failures" -ne 0 ]; then
  echo "test_potential_cli: $failures failed" >&2
  exit 1
fi
echo "test_potential_cli: passed"
