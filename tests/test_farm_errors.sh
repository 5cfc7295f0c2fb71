#!/usr/bin/env bash
# Refusals that must leave the file system untouched: bad job files (no
# output created, an existing one unchanged even with --force), an existing
# output without --resume/--force, --resume onto another job's file or onto
# a file that is not HDF5, and command-line errors of kmc / equilibrium.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
d=$(mktemp -d /tmp/catex-farm-errors.XXXXXX)
trap 'rm -rf "$d"' EXIT
cd "$d"
fail=0
expect_fail() { # expect_fail DESCRIPTION PATTERN cmd...
  local what=$1 pattern=$2; shift 2
  local rc=0
  "$@" > out.log 2> err.log || rc=$?
  if [[ $rc == 0 ]]; then echo "FAIL: $what: exit 0"; fail=1; return; fi
  if ! grep -q -- "$pattern" err.log; then
    echo "FAIL: $what: message does not mention '$pattern':"; cat err.log; fail=1; return
  fi
  echo "ok: $what (exit $rc): $(head -n 1 err.log)"
}
unchanged() { # unchanged DESCRIPTION FILE COPY
  cmp -s "$2" "$3" || { echo "FAIL: $1: $2 changed"; fail=1; }
}

# bad job files (fixtures of the job module and a few here)
bad=("$here"/jobs_bad/*.yaml "$here"/farm/bad-*.yaml)
for f in "${bad[@]}"; do
  [[ -e $f ]] || continue
  rm -f new.h5 new.h5.creating
  expect_fail "bad job $(basename "$f")" "$(basename "$f")" mpirun -n 2 "$CATEX_EXE" run "$f" -o new.h5
  [[ -e new.h5 || -e new.h5.creating ]] && { echo "FAIL: $(basename "$f"): an output file was created"; fail=1; }
  printf 'precious' > keep.h5; cp keep.h5 keep.copy
  expect_fail "bad job $(basename "$f") with --force" "$(basename "$f")" "$CATEX_EXE" run "$f" -o keep.h5 --force
  unchanged "bad job with --force" keep.h5 keep.copy
done
expect_fail "missing job file" "nonexistent.yaml" "$CATEX_EXE" run nonexistent.yaml -o new.h5
[[ -e new.h5 ]] && { echo "FAIL: missing job file created output"; fail=1; }

# existing output: refused without --resume / --force
job="$here/farm/fail.yaml"
printf 'not hdf5' > exists.h5; cp exists.h5 exists.copy
expect_fail "existing output" "use --resume" "$CATEX_EXE" run "$job" -o exists.h5
unchanged "existing output" exists.h5 exists.copy
expect_fail "--resume onto a non-HDF5 file" "exists.h5" "$CATEX_EXE" run "$job" -o exists.h5 --resume
unchanged "--resume onto a non-HDF5 file" exists.h5 exists.copy
expect_fail "--resume with --force" "contradict" "$CATEX_EXE" run "$job" -o exists.h5 --resume --force
# --resume onto the file of another job
"$CATEX_EXE" run "$here/farm/mixed.yaml" -o other.h5 --progress-seconds 0 > /dev/null 2>&1 || true
cp other.h5 other.copy
expect_fail "--resume onto another job's file" "different job" mpirun -n 2 "$CATEX_EXE" run "$job" -o other.h5 --resume
unchanged "--resume onto another job's file" other.h5 other.copy
# an output that cannot fit on the disk (V of 186751 sites x 30 tasks, ~8 PB)
# is refused before anything is written (--max-memory lifts the memory check,
# which would refuse this job first: V alone is 279 GB)
cat > huge.yaml <<'EOF2'
name: huge
seed: 1
studies:
  - {name: pot, kind: potential, lattice: hexagon, side: 250, kshell: {from: 1, to: 30, step: 1}, shell_layers: 0}
EOF2
expect_fail "output larger than the disk" "GB free" "$CATEX_EXE" run huge.yaml -o huge.h5 --max-memory 1000000G
[[ ! -e huge.h5 && ! -e huge.h5.creating ]] || { echo "FAIL: a refused output left a file"; fail=1; }
# --resume onto a file of the same job written by another catex version
"$CATEX_EXE" run "$job" -o old.h5 --progress-seconds 0 > /dev/null
/usr/bin/python3 -c 'import h5py, sys; h5py.File(sys.argv[1], "r+").attrs.modify("catex_version", "0.0.0-old")' old.h5
cp old.h5 old.copy
expect_fail "--resume onto another version's file" "catex 0.0.0-old" "$CATEX_EXE" run "$job" -o old.h5 --resume
unchanged "--resume onto another version's file" old.h5 old.copy
expect_fail "kmc onto an existing file" "exists" "$CATEX_EXE" kmc --side 4 --kT 1 --t-max 1 -o other.h5
unchanged "kmc onto an existing file" other.h5 other.copy

# command-line errors name the option and the value; nothing is written
expect_fail "run: bad number" "--progress-seconds: 'abc'" "$CATEX_EXE" run "$job" --progress-seconds abc
expect_fail "run: no job" "no job file" "$CATEX_EXE" run
expect_fail "kmc: bad integer" "--side: 'x'" "$CATEX_EXE" kmc --side x --kT 1 --t-max 1 -o k.h5
expect_fail "kmc: impossible side" "--side" "$CATEX_EXE" kmc --side 1 --kT 1 --t-max 1 -o k.h5
rc=0; "$CATEX_EXE" kmc --side 1 --kT 1 --t-max 1 -o k.h5 2> /dev/null || rc=$?
[[ $rc == 2 ]] || { echo "FAIL: an impossible option value exits $rc, not 2 (usage)"; fail=1; }
# -oFILE is catex's output option, not a PETSc option
"$CATEX_EXE" kmc --side 3 --kT 1 --t-max 1 -oattached.h5 > /dev/null 2>&1 && [[ -e attached.h5 ]] ||
  { echo "FAIL: -oFILE was not taken as the output file"; fail=1; }
expect_fail "kmc: negative kT" "--kT" "$CATEX_EXE" kmc --side 4 --kT -1 --t-max 1 -o k.h5
expect_fail "kmc: bad snapshots" "--snapshots: '1,,2'" "$CATEX_EXE" kmc --side 4 --kT 1 --t-max 1 --snapshots 1,,2 -o k.h5
expect_fail "kmc: missing option" "--t-max is required" "$CATEX_EXE" kmc --side 4 --kT 1 -o k.h5
expect_fail "kmc: unknown option" "--bogus" "$CATEX_EXE" kmc --side 4 --kT 1 --t-max 1 --bogus -o k.h5
expect_fail "kmc: bad lattice" "--lattice: 'square'" "$CATEX_EXE" kmc --lattice square --side 4 --kT 1 --t-max 1 -o k.h5
expect_fail "equilibrium: bad measure" "--measure" "$CATEX_EXE" equilibrium --side 4 --kT 1 --equilibrate 1 --measure -5 -o k.h5
expect_fail "equilibrium: missing -o" "-o FILE is required" "$CATEX_EXE" equilibrium --side 4 --kT 1 --equilibrate 1 --measure 5
[[ -e k.h5 ]] && { echo "FAIL: a command-line error created k.h5"; fail=1; }
# --help is true help
"$CATEX_EXE" run --help | grep -q -- "--resume" || { echo "FAIL: run --help"; fail=1; }
"$CATEX_EXE" kmc --help | grep -q -- "--trajectories" || { echo "FAIL: kmc --help"; fail=1; }
"$CATEX_EXE" equilibrium --help | grep -q -- "--replicas" || { echo "FAIL: equilibrium --help"; fail=1; }
[[ $fail == 0 ]] && echo "OK: every refusal left the file system untouched"
exit $fail
