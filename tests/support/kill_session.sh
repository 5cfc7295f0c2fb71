# Sourced by the shell tests that kill a run: kill_session PID sends SIGKILL
# to the session started by `setsid` as PID (mpirun and every rank) and
# returns once none of its processes is left. A rank still dying would hold
# the output's lock (and could land a write) when the test resumes the run;
# a node that died leaves no such process, only a stale lock.
kill_session() {
  local sid=$1
  kill -9 -- -"$sid" 2> /dev/null || true
  wait "$sid" 2> /dev/null || true
  for _ in $(seq 1 200); do
    pgrep -s "$sid" > /dev/null || return 0
    pkill -9 -s "$sid" 2> /dev/null || true
    sleep 0.05
  done
  echo "FAIL: processes of the killed run (session $sid) are still alive"
  return 1
}

# kill_after_checkpoint PID FILE TRIES: waits (TRIES x 0.05 s at most) for
# the run started as session PID to write the ladder checkpoint FILE, lets it
# run on a little so the kill lands mid-ladder, then kill_session PID.
kill_after_checkpoint() {
  local sid=$1 file=$2 tries=$3
  for _ in $(seq 1 "$tries"); do
    [[ -e "$file" ]] && break
    sleep 0.05
  done
  sleep 0.7
  kill_session "$sid"
}
