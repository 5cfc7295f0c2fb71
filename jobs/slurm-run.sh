#!/bin/bash
# The body of every catex sbatch script (jobs/*.sbatch, jobs/figures/paper/*.sbatch):
#     exec "${CATEX_DIR:-${SLURM_SUBMIT_DIR:-$PWD}}/jobs/slurm-run.sh" JOB.yaml OUTPUT.h5
# with paths relative to the catex checkout. It runs `catex run JOB -o OUTPUT`
# and is restart-safe: when OUTPUT exists it continues it with --resume
# (skipping every task already flushed), so a requeue after a node failure,
# a pre-emption or the time-limit signal loses at most the tasks since the
# last checkpoint. If the script asks for `--signal=B:USR1@300`, the job
# requeues itself five minutes before its time limit: the signal is passed on
# to catex, which stops within its grace time (`--grace-seconds`, 10 s),
# flushes every finished task and exits 4; only then is the job requeued.
# (scancel and pre-emption send SIGTERM to catex directly: it flushes too.)
#
# Environment overrides:
#   CATEX_DIR     catex checkout             (default: the submit directory)
#   CATEX_EXE     catex executable           (default: $CATEX_DIR/build/catex)
#   CATEX_JOB     job file                   (default: the script's)
#   CATEX_OUTPUT  output file                (default: the script's)
#   CATEX_LAUNCH  MPI launcher               (default: srun; e.g. "srun --mpi=pmix", "mpirun")
#   CATEX_ARGS    extra `catex run` options  (e.g. "--checkpoint-minutes 5")
#   CATEX_MAX_RESTARTS  self-requeues allowed  (default 20): a task longer than
#                 the time limit would otherwise requeue for ever
set -euo pipefail
dir=${CATEX_DIR:-${SLURM_SUBMIT_DIR:-$PWD}}
job=${CATEX_JOB:-$dir/$1}
out=${CATEX_OUTPUT:-$dir/$2}
exe=${CATEX_EXE:-$dir/build/catex}
read -r -a launch <<< "${CATEX_LAUNCH:-srun}"
read -r -a extra <<< "${CATEX_ARGS:-}"
if [[ ! -f "$job" || ! -x "$exe" ]]; then
  echo "catex: need the job file $job and the executable $exe: submit from the catex checkout" >&2
  echo "after building it (cmake -S . -B build && cmake --build build), or set CATEX_DIR / CATEX_EXE / CATEX_JOB" >&2
  exit 2
fi

requeue() {
  local n=${SLURM_RESTART_COUNT:-0} max=${CATEX_MAX_RESTARTS:-20}
  if (( n >= max )); then
    echo "catex: time limit near; not requeueing (restart $n of at most $max): resubmit to continue"
  else
    echo "catex: time limit near, requeueing job ${SLURM_JOB_ID:-?} (restart $((n + 1)) of at most $max)"
    scontrol requeue "${SLURM_JOB_ID:-}" || echo "catex: scontrol requeue failed: resubmit to continue"
  fi
}
near_limit=0
pid=
# Pass the signal on to the launcher (srun and mpirun forward SIGUSR1 to
# every rank); the requeue waits until catex has flushed and exited.
on_usr1() {
  near_limit=1
  echo "catex: time limit near: asking catex to flush and stop"
  [[ -n "$pid" ]] && kill -USR1 "$pid" 2> /dev/null || true
}
trap on_usr1 USR1
# harmless for ordinary users; lets mpirun work in root containers
source "$dir/tools/mpi-env.sh"

mkdir -p "$(dirname "$out")"
echo "catex: job ${SLURM_JOB_ID:-(none)} start $(date -Is) restart count ${SLURM_RESTART_COUNT:-0} on ${SLURM_JOB_NODELIST:-$(hostname)}"
resume=()
if [[ -e "$out" ]]; then
  resume=(--resume)
  echo "catex: $out exists: continuing it (--resume)"
fi
rc=0
# In the background, so that the USR1 trap runs at once rather than after the
# run; a wait interrupted by the signal is resumed until the run really ends.
# (${a[@]+"${a[@]}"}: empty arrays under set -u on bash < 4.4.)
"${launch[@]}" "$exe" run "$job" -o "$out" ${resume[@]+"${resume[@]}"} --progress-seconds 60 \
  ${extra[@]+"${extra[@]}"} &
pid=$!
while :; do
  rc=0
  wait "$pid" || rc=$?
  kill -0 "$pid" 2> /dev/null || break
done
echo "catex: job ${SLURM_JOB_ID:-(none)} end $(date -Is) exit $rc"
# 4: catex flushed and stopped on the signal (a launcher may report 1 for it)
if (( near_limit )); then
  requeue
fi
exit "$rc"
