#!/usr/bin/env bash
# Ladders spread over several ranks (ranks_per_ladder > 1, the farm's ladder
# phase): with ranks_per_ladder 2, 3 and 5 on -n 1, 2 and 3 (gangs of 1, 2
# or 3 ranks, rungs split evenly or not, ranks left out of a gang) every
# dataset is bitwise identical to ranks_per_ladder 1 (one rank per ladder,
# the existing path), the job text aside. And a ladder spread over 2 ranks,
# killed with kill -9 in mid-run, continues from its checkpoint on --resume
# (here with 3 ranks) and ends bitwise identical to an uninterrupted
# single-rank run of the same ladder; so does a ladder whose factor is
# rounded to single precision (its rungs sweep one shared core block and
# carry deferred corrections, src/exchange/exchange_pending.c).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/support/kill_session.sh"
h5tool=("/usr/bin/python3" "$here/farm/h5tool.py")
d=$(mktemp -d /tmp/catex-exchange-gangs.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail=0
run() { # ranks job output [options]
  local n=$1 job=$2 out=$3
  shift 3
  mpirun -n "$n" "$CATEX_EXE" run "$job" -o "$out" --progress-seconds 0 "$@" > "$out.log" 2>&1 ||
    { echo "FAIL: $job on -n $n failed"; cat "$out.log"; fail=1; }
}
for rpl in 1 2 3 5; do sed "s/RPL/$rpl/" "$here/exchange/gangs.yaml" > "$d/rpl$rpl.yaml"; done
run 1 "$d/rpl1.yaml" "$d/ref.h5"
for rpl in 2 3 5; do
  for n in 1 2 3; do
    run "$n" "$d/rpl$rpl.yaml" "$d/rpl$rpl-n$n.h5" --checkpoint-minutes 0.002
    grep -q "0 failed" "$d/rpl$rpl-n$n.h5.log" || { echo "FAIL: tasks failed (rpl $rpl, -n $n)"; fail=1; }
    if [[ $n -gt 1 ]] && ! grep -q "ladders over 1 gang of $(( rpl < n ? rpl : n )) ranks" "$d/rpl$rpl-n$n.h5.log"; then
      echo "FAIL: rpl $rpl on -n $n did not run its ladders in a gang"; cat "$d/rpl$rpl-n$n.h5.log"; fail=1
    fi
    "${h5tool[@]}" same-data "$d/ref.h5" "$d/rpl$rpl-n$n.h5" ||
      { echo "FAIL: ranks_per_ladder $rpl on -n $n differs from ranks_per_ladder 1"; fail=1; }
  done
done
[[ -e "$d/rpl2-n2.h5.ladders" ]] && { echo "FAIL: checkpoint directory left behind"; fail=1; }

# the one-study command: --ranks-per-ladder 3 on 3 ranks against one rank
xargs_=(--side 3 --shell-layers 1 --kshell 1,2,3,4 --kT 0.8 --eps 1 --equilibrate 200 --measure 3000 --replicas 2
        --progress-seconds 0)
mpirun -n 1 "$CATEX_EXE" exchange "${xargs_[@]}" -o "$d/cli1.h5" > "$d/cli1.log" 2>&1 || { echo "FAIL: catex exchange"; fail=1; }
mpirun -n 3 "$CATEX_EXE" exchange "${xargs_[@]}" --ranks-per-ladder 3 -o "$d/cli3.h5" > "$d/cli3.log" 2>&1 ||
  { echo "FAIL: catex exchange --ranks-per-ladder 3"; cat "$d/cli3.log"; fail=1; }
grep -q "ladders over 1 gang of 3 ranks" "$d/cli3.log" || { echo "FAIL: --ranks-per-ladder 3 made no gang"; fail=1; }
"${h5tool[@]}" same-data "$d/cli1.h5" "$d/cli3.h5" || { echo "FAIL: catex exchange --ranks-per-ladder 3 differs"; fail=1; }

# kill -9 in mid-ladder with the ladder on 2 ranks, then --resume on 3: a
# ladder with Z in double precision (long.yaml) and one with Z rounded,
# whose rungs share a core block and carry pending parts (narrow.yaml)
for job in long narrow; do
  sed 's/^    sample_stride: 1000/    sample_stride: 1000\n    ranks_per_ladder: 2/' "$here/exchange/$job.yaml" > "$d/${job}2.yaml"
  grep -q "ranks_per_ladder: 2" "$d/${job}2.yaml" || { echo "FAIL: could not make the spread $job job"; exit 1; }
  run 1 "$here/exchange/$job.yaml" "$d/${job}ref.h5"
  setsid mpirun -n 2 "$CATEX_EXE" run "$d/${job}2.yaml" -o "$d/${job}kill.h5" --progress-seconds 0 \
    --checkpoint-minutes 0.003 > "$d/${job}kill1.log" 2>&1 &
  pid=$!
  kill_after_checkpoint "$pid" "$d/${job}kill.h5.ladders/task0.ckpt" 1200 || fail=1
  [[ -e "$d/${job}kill.h5.ladders/task0.ckpt" ]] || { echo "FAIL: $job: no checkpoint was written before the kill"; fail=1; }
  run 3 "$d/${job}2.yaml" "$d/${job}kill.h5" --resume --checkpoint-minutes 0.003
  cat "$d/${job}kill.h5.log"
  if ! grep -Eq "ladder task 0 resumes from its checkpoint at sweep [1-9]" "$d/${job}kill.h5.log"; then
    echo "FAIL: $job: the resumed run did not continue the ladder from its checkpoint"; fail=1
  fi
  "${h5tool[@]}" same-data "$d/${job}ref.h5" "$d/${job}kill.h5" ||
    { echo "FAIL: $job: the spread ladder after kill -9 + --resume differs from an uninterrupted single-rank run"; fail=1; }
  [[ -e "$d/${job}kill.h5.ladders" ]] && { echo "FAIL: $job: checkpoint directory left behind after resume"; fail=1; }
done
[[ $fail == 0 ]] && echo "OK: ladders spread over ranks identical to one rank per ladder, also across kill -9 + --resume"
exit $fail
