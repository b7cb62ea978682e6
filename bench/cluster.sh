#!/usr/bin/env bash
# The same detections, query and report run embedded and on a Ballista
# cluster on this machine (one scheduler and 1, then 2, executors, every
# process on 127.0.0.1), each command timed with its peak memory, and each
# cluster's JSON report compared byte for byte with the embedded one.
#
#   bench/cluster.sh [SCALE]        SCALE: `simulate --scale` (default 8)
#
# Environment:
#   BENCH_DIR         work folder (default /tmp/borderscope-bench-cluster):
#                     pinned binary, world, stores, logs. Never the repo.
#   SEED              simulator seed (default 1).
#   CONCURRENCY       task slots per executor (default 2).
#   KEEP_WORLD=1      reuse BENCH_DIR/world and its ingested store.
#   CARGO_TARGET_DIR  default $HOME/.cache/borderscope-target
#
# Every mode starts from a copy of one ingested store, so each runs the
# same detections on the same data; nothing drops the page cache.
set -euo pipefail

SCALE=${1:-8}
SEED=${SEED:-1}
CONCURRENCY=${CONCURRENCY:-2}
WORK=${BENCH_DIR:-/tmp/borderscope-bench-cluster}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/borderscope-target}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"

whole_numbers SCALE SEED CONCURRENCY
work_dir "$WORK"
need_gnu_time

build_release
mkdir -p "$WORK/bin"
cp "$CARGO_TARGET_DIR/release/borderscope" "$WORK/bin/"
BIN=$WORK/bin/borderscope
WORLD=$WORK/world
BASE=$WORK/store-ingested
LOGS=$WORK/logs
rm -rf "$LOGS"
mkdir -p "$LOGS"

if [[ ${KEEP_WORLD:-} == 1 && -s $WORLD/truth.json && -d $BASE ]]; then
  say "reusing $WORLD and $BASE"
else
  rm -rf "$WORLD" "$BASE"
  say "simulating --scale $SCALE"
  "$BIN" simulate --out "$WORLD" --scale "$SCALE" --seed "$SEED" --quiet > "$LOGS/simulate.out"
fi
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORLD/truth.json" "$1"; }
FROM=$(field from) TO=$(field to) TARGET=$(field target)
if [[ ! -d $BASE ]]; then
  say "ingesting and loading the feeds"
  /usr/bin/time -v -o "$WORK/ingest.time" "$BIN" --store "$BASE" --country "$TARGET" ingest -q "$WORLD/telemetry" > "$LOGS/ingest.out"
  "$BIN" --store "$BASE" intel load "$WORLD/feeds/feodo.csv" "$WORLD/feeds/c2-domains.txt" > /dev/null
  "$BIN" --store "$BASE" phish load "$WORLD/feeds/phishtank.csv" > /dev/null
fi
FLOWS=$("$BIN" --store "$BASE" query --format csv "SELECT COUNT(*) FROM flows" | tail -n 1)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
listening() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

# start_process NAME PORT ARGS...: one cluster process under /usr/bin/time,
# waited for until it listens on PORT.
PIDS=()
start_process() {
  local name=$1 port=$2
  shift 2
  /usr/bin/time -v -o "$LOGS/$name.time" "$BIN" --country "$TARGET" "$@" > "$LOGS/$name.log" 2>&1 &
  PIDS+=("$!")
  local tries=0
  until listening "$port"; do
    ((tries++ < 600)) || { echo "$name did not listen on $port; see $LOGS/$name.log" >&2; exit 1; }
    sleep 0.1
  done
}

start_cluster() { # EXECUTORS MODE
  local sched_port
  sched_port=$(free_port)
  start_process "$2-scheduler" "$sched_port" cluster scheduler --bind "127.0.0.1:$sched_port"
  for ((i = 0; i < $1; i++)); do
    local flight grpc
    flight=$(free_port) grpc=$(free_port)
    start_process "$2-executor-$i" "$flight" cluster executor --scheduler "127.0.0.1:$sched_port" \
      --bind "127.0.0.1:$flight" --grpc-port "$grpc" --work-dir "$WORK/$2-executor-$i" --concurrency "$CONCURRENCY"
  done
  CLUSTER=(--cluster "df://127.0.0.1:$sched_port")
}

stop_cluster() {
  local pid child
  for pid in "${PIDS[@]}"; do
    child=$(pgrep -P "$pid" | head -n 1 || true)
    [[ -z $child ]] || kill "$child" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  PIDS=()
}
trap stop_cluster EXIT

QUERY="SELECT ip_country(dst_ip) AS cc, COUNT(*) AS n, COUNT(DISTINCT src_ip) AS hosts FROM flows GROUP BY cc ORDER BY n DESC, cc"
COMMANDS=(detect_c2 detect_backdoor detect_phishing report query)
run_command() { # MODE NAME
  local store=$WORK/store-$1 args
  case $2 in
    detect_*) args=(detect "${2#detect_}") ;;
    report) args=(report --from "$FROM" --to "$TO" --target "$TARGET" --format json -o "$WORK/report-$1.json") ;;
    query) args=(query --format csv "$QUERY") ;;
  esac
  say "$1: $2 (load average: $(load))"
  /usr/bin/time -v -o "$LOGS/$1-$2.time" "$BIN" --store "$store" "${CLUSTER[@]}" --country "$TARGET" "${args[@]}" > "$LOGS/$1-$2.out" 2> "$LOGS/$1-$2.err" || {
    echo "FAILED: $1 $2; see $LOGS/$1-$2.err" >&2
    exit 1
  }
}

MODES=(embedded executors-1 executors-2)
for mode in "${MODES[@]}"; do
  rm -rf "$WORK/store-$mode" "$WORK/$mode-executor-"*
  cp -a "$BASE" "$WORK/store-$mode"
  CLUSTER=()
  case $mode in
    executors-*) start_cluster "${mode#executors-}" "$mode" ;;
  esac
  for c in "${COMMANDS[@]}"; do run_command "$mode" "$c"; done
  stop_cluster
done

echo
echo "machine:   $(machine)"
echo "code:      borderscope $(commit_of "$REPO"), release build"
echo "world:     simulate --scale $SCALE --seed $SEED: $FROM to $TO, target $TARGET; $FLOWS flows; store $(du -sb "$BASE" | cut -f1) bytes"
[[ ! -s $WORK/ingest.time ]] || echo "ingest:    embedded, one writer: $(wall "$WORK/ingest.time") s, $(rss_mb "$WORK/ingest.time") MiB"
echo "cluster:   every process on this machine, 127.0.0.1; executors with --concurrency $CONCURRENCY"
echo
echo "| command | embedded | 1 executor | 2 executors |"
echo "|---|---:|---:|---:|"
for c in "${COMMANDS[@]}"; do
  row="| \`${c/_/ }\` |"
  for mode in "${MODES[@]}"; do
    row+=" $(wall "$LOGS/$mode-$c.time") s, $(rss_mb "$LOGS/$mode-$c.time") MiB |"
  done
  echo "$row"
done
echo
echo "Peak resident memory of the cluster processes over all commands (MiB):"
for mode in executors-1 executors-2; do
  line="  $mode:"
  for t in "$LOGS/$mode"-scheduler.time "$LOGS/$mode"-executor-*.time; do
    line+=" $(basename "$t" .time | sed "s/^$mode-//") $(rss_mb "$t");"
  done
  echo "$line"
done
echo
for mode in executors-1 executors-2; do
  if cmp -s "$WORK/report-embedded.json" "$WORK/report-$mode.json"; then
    echo "report:    $mode: byte-identical to the embedded report"
  else
    echo "report:    $mode: DIFFERS from the embedded report (diff $WORK/report-embedded.json $WORK/report-$mode.json)"
  fi
done
