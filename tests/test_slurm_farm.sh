#!/usr/bin/env bash
# Runs the production sbatch script jobs/ensemble-2d.sbatch (with a tiny job
# and 2 tasks substituted through its CATEX_* variables) on a real Slurm
# cluster started here on localhost (slurmctld + slurmd + munged in a temp
# dir, TOOLCHAIN.md recipe), then requeues a running job and checks that the
# requeued start resumes the file. Exit 77 (ctest SKIP) only when the daemons
# cannot be started.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
skip() { echo "SKIP: $*"; exit 77; }
for p in slurmctld slurmd munged mungekey sbatch sinfo scontrol; do
  command -v "$p" > /dev/null || [[ -x /usr/sbin/$p ]] || skip "$p is not installed (tools/install-deps --test)"
done
[[ $(id -u) == 0 ]] || skip "the local Slurm cluster needs root (SlurmUser=root)"
export PATH=$PATH:/usr/sbin
D=$(mktemp -d /tmp/catex-slurm.XXXXXX)
chmod 755 "$D"
cleanup() {
  SLURM_CONF=$D/slurm.conf scontrol shutdown > /dev/null 2>&1 || true
  sleep 1
  [[ -f $D/run/slurmd.pid ]] && kill "$(cat "$D/run/slurmd.pid")" 2> /dev/null
  [[ -f $D/run/slurmctld.pid ]] && kill "$(cat "$D/run/slurmctld.pid")" 2> /dev/null
  munged --stop --socket="$D/munge/munge.socket.2" > /dev/null 2>&1 || true
  rm -rf "$D"
}
trap cleanup EXIT
mkdir -p "$D"/{state,spool,run,log,tmp,pmix,munge,mungekey,work}
chmod 700 "$D/mungekey"
chmod 755 "$D/munge"
cat > "$D/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket.2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
MailProg=/bin/true
TmpFS=$D/tmp
ReturnToService=2
MinJobAge=30
NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
echo "PMIxCliTmpDirBase=$D/pmix" > "$D/mpi.conf"
export SLURM_CONF=$D/slurm.conf
mungekey --create --keyfile="$D/mungekey/munge.key" > /dev/null 2>&1 || skip "mungekey failed"
munged --key-file="$D/mungekey/munge.key" --socket="$D/munge/munge.socket.2" --pid-file="$D/run/munged.pid" \
  --log-file="$D/log/munged.log" --seed-file="$D/run/munged.seed" || skip "munged does not start"
slurmctld -f "$SLURM_CONF" || skip "slurmctld does not start: $(tail -n 3 "$D/log/slurmctld.log" 2> /dev/null)"
slurmd -f "$SLURM_CONF" -N localhost || skip "slurmd does not start: $(tail -n 3 "$D/log/slurmd.log" 2> /dev/null)"
for i in $(seq 1 100); do
  sinfo -h -o %T 2> /dev/null | grep -q idle && break
  sleep 0.2
done
sinfo -h -o %T 2> /dev/null | grep -q idle || skip "the local node never became idle: $(tail -n 3 "$D/log/slurmd.log")"
echo "slurm up: $(sinfo -h -o '%P %D %T %c')"

fail=0
cd "$D/work"
cp "$here/farm/mixed.yaml" tiny.yaml
export CATEX_DIR=$src CATEX_JOB=$D/work/tiny.yaml CATEX_OUTPUT=$D/work/out/tiny.h5 CATEX_EXE
# srun with PMIx where Slurm has the plugin, else Open MPI's mpirun.
if srun --mpi=list 2>&1 | grep -q pmix; then export CATEX_LAUNCH=srun; else export CATEX_LAUNCH=mpirun; fi
echo "launcher: $CATEX_LAUNCH"

# 1. a tiny job, 2 tasks, through the production script
timeout 300 sbatch --wait -N 1 -n 2 --ntasks-per-node=2 -t 5 --output="$D/work/run1.log" "$src/jobs/ensemble-2d.sbatch"
rc=$?
cat run1.log
[[ $rc == 0 ]] || { echo "FAIL: sbatch --wait exit $rc"; fail=1; }
/usr/bin/python3 - "$CATEX_OUTPUT" <<'PY' || fail=1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
st, rk = f["tasks/status"][()], f["tasks/rank"][()]
if not np.all(st == 1): sys.exit("FAIL: not all tasks done: %s" % st)
if set(rk.tolist()) != {0, 1}: sys.exit("FAIL: expected ranks 0 and 1, got %s" % set(rk.tolist()))
print("ok: %d tasks done by ranks %s" % (len(st), sorted(set(rk.tolist()))))
PY

# 2. requeue a running job: the second start must resume the file
cp "$here/farm/requeue.yaml" long.yaml
export CATEX_JOB=$D/work/long.yaml CATEX_OUTPUT=$D/work/out/long.h5
export CATEX_ARGS="--checkpoint-minutes 0 --progress-seconds 0.2"
jobid=$(sbatch --parsable -N 1 -n 2 --ntasks-per-node=2 -t 5 --output="$D/work/run2.log" "$src/jobs/ensemble-2d.sbatch")
[[ -n $jobid ]] || { echo "FAIL: sbatch of the requeue job failed"; exit 1; }
requeued=0
for i in $(seq 1 120); do
  if [[ $requeued == 0 && -e $CATEX_OUTPUT ]] && grep -q "on disk [1-9]" run2.log 2> /dev/null; then
    scontrol requeue "$jobid" && requeued=1 && echo "requeued job $jobid"
    # Slurm holds a requeued batch job for ~2 minutes (EligibleTime); let it
    # start again at once.
    sleep 1
    scontrol update JobId="$jobid" StartTime=now
  fi
  state=$(scontrol show job "$jobid" 2> /dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  # catex now flushes on the requeue's SIGTERM before it exits, so the job
  # may still be completing at the first update: repeat it while it waits
  [[ $requeued == 1 && $state == PENDING ]] && scontrol update JobId="$jobid" StartTime=now 2> /dev/null
  [[ $requeued == 1 && $state == COMPLETED ]] && break
  [[ $state == FAILED || $state == CANCELLED ]] && break
  sleep 0.5
done
cat run2.log
[[ $state == COMPLETED ]] || scontrol show job "$jobid"
[[ $state == COMPLETED ]] || { echo "FAIL: requeued job ended in state '$state'"; fail=1; }
[[ $requeued == 1 ]] || { echo "FAIL: the job was never requeued (finished too fast?)"; fail=1; }
grep -q "restart count 1" run2.log || { echo "FAIL: no second start in the log"; fail=1; }
grep -q "resuming .* tasks already done" run2.log || { echo "FAIL: the second start did not resume"; fail=1; }
/usr/bin/python3 - "$CATEX_OUTPUT" <<'PY' || fail=1
import sys, h5py, numpy as np
st = h5py.File(sys.argv[1], "r")["tasks/status"][()]
if not np.all(st == 1): sys.exit("FAIL: requeued job left tasks undone")
PY
[[ $fail == 0 ]] && echo "OK: sbatch script runs, requeue resumes"
exit $fail
