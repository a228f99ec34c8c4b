#!/usr/bin/env bash
# A Spark standalone cluster on this machine: one master and two workers from the pyspark installed in .venv,
# bound to the loopback address only. For `sunshine compare --engine spark --spark-master spark://127.0.0.1:7077`
# and the cluster test (tests/test_spark_cluster.py); docs/scale.md says how the same runs go on YARN/Kubernetes.
#
#   scripts/spark-cluster.sh start    # starts what is not running, waits until both workers are registered
#   scripts/spark-cluster.sh status   # prints the master URL and the registered workers; exit 1 when down
#   scripts/spark-cluster.sh stop     # stops the workers and the master (TERM, then KILL after 20 s)
#
# Environment (defaults in brackets):
#   SPARK_MASTER_PORT [7077]  SPARK_MASTER_WEBUI_PORT [8080]
#   SPARK_WORKER_WEBUI_PORT [8081, the second worker's +1; 0: any free port for both]
#   SPARK_WORKER_CORES [1]  SPARK_WORKER_MEMORY [1g]  SPARK_CLUSTER_WAIT [90 seconds]
#   SPARK_CLUSTER_DIR [$SUNSHINE_DATA_DIR/spark-cluster, else var/spark-cluster]: pid files, logs, work dirs
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

python=${SUNSHINE_PYTHON:-$root/.venv/bin/python}
SPARK_HOME=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME
# Loopback only: the master, the workers and their web UIs bind to 127.0.0.1 (WebUI binds to SPARK_LOCAL_IP).
export SPARK_LOCAL_IP=127.0.0.1
# Executors start Python workers with the application's interpreter (same packages as the driver).
export PYSPARK_PYTHON=$python

master_port=${SPARK_MASTER_PORT:-7077}
master_ui=${SPARK_MASTER_WEBUI_PORT:-8080}
worker_ui=${SPARK_WORKER_WEBUI_PORT:-8081}
cores=${SPARK_WORKER_CORES:-1}
memory=${SPARK_WORKER_MEMORY:-1g}
wait_seconds=${SPARK_CLUSTER_WAIT:-90}
if [ -n "${SPARK_CLUSTER_DIR:-}" ]; then
  dir=$SPARK_CLUSTER_DIR
elif [ -n "${SUNSHINE_DATA_DIR:-}" ]; then
  dir=$SUNSHINE_DATA_DIR/spark-cluster
else
  dir=$root/var/spark-cluster
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
master_url="spark://127.0.0.1:$master_port"
names=(master worker1 worker2)

alive() {  # alive NAME: its pid file names a running Spark daemon (not another process that got the pid since)
  local pid
  [ -f "$dir/$1.pid" ] || return 1
  pid=$(cat "$dir/$1.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "org.apache.spark.deploy"
}

alive_workers() {  # the number of ALIVE workers in the master's JSON (0 when it does not answer)
  local answer
  answer=$(curl -fsS --max-time 3 "http://127.0.0.1:$master_ui/json/" 2>/dev/null) || { echo 0; return; }
  "$python" -c '
import json, sys
try:
    print(sum(1 for w in json.loads(sys.argv[1]).get("workers", []) if w.get("state") == "ALIVE"))
except ValueError:
    print(0)' "$answer"
}

launch() {  # launch NAME CLASS ARGS...: in the background, its pid (the JVM's: spark-class execs java) saved
  local name=$1
  shift
  mkdir -p "$dir/$name-work"
  nohup "$SPARK_HOME/bin/spark-class" "$@" >"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

start() {
  if ! alive master; then
    # No REST submission server: jobs come from the application's own driver.
    SPARK_MASTER_OPTS="${SPARK_MASTER_OPTS:-} -Dspark.master.rest.enabled=false" launch master org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$master_port" --webui-port "$master_ui"
  fi
  local i
  for i in 1 2; do
    if ! alive "worker$i"; then
      launch "worker$i" org.apache.spark.deploy.worker.Worker \
        --host 127.0.0.1 --cores "$cores" --memory "$memory" --webui-port $((worker_ui == 0 ? 0 : worker_ui + i - 1)) \
        --work-dir "$dir/worker$i-work" "$master_url"
    fi
  done
  local waited=0 workers=0
  while :; do
    workers=$(alive_workers)
    [ "$workers" -ge 2 ] && break
    for name in "${names[@]}"; do
      if ! alive "$name"; then
        echo "spark-cluster: $name exited while starting; its log ($dir/$name.log) ends:" >&2
        tail -n 20 "$dir/$name.log" >&2 || true
        stop >/dev/null
        exit 1
      fi
    done
    if [ "$waited" -ge "$wait_seconds" ]; then
      echo "spark-cluster: only $workers of 2 workers registered after ${wait_seconds} s; logs in $dir" >&2
      stop >/dev/null
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "spark-cluster: $master_url with $workers workers ($cores core, $memory each); master UI" \
    "http://127.0.0.1:$master_ui; logs in $dir"
}

stop() {
  local name pid waited
  for name in worker2 worker1 master; do
    if alive "$name"; then
      pid=$(cat "$dir/$name.pid")
      kill -TERM "$pid" 2>/dev/null || true
      waited=0
      while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 40 ]; do
        sleep 0.5
        waited=$((waited + 1))
      done
      kill -KILL "$pid" 2>/dev/null || true
      echo "spark-cluster: stopped $name (pid $pid)"
    fi
    rm -f "$dir/$name.pid"
  done
}

status() {
  local name up=0
  for name in "${names[@]}"; do
    if alive "$name"; then
      echo "$name: running (pid $(cat "$dir/$name.pid"))"
      up=$((up + 1))
    else
      echo "$name: not running"
    fi
  done
  echo "registered workers: $(alive_workers); master $master_url"
  [ "$up" -eq 3 ]
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
