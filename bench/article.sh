#!/usr/bin/env bash
# The whole pipeline at the published magnitudes: `simulate --scale article`
# (61 days; 2,077 U.S. control servers over ~1.2 million host addresses,
# 135 phishing hosts with 563 pages, 2,016 backdoor implanters in 1,754
# websites, with sampled NetFlow/IPFIX), then ingest, feeds, the three
# detectors and the JSON report, each stage timed with its peak memory, and
# the report's figures set beside the simulator's truth.json.
#
#   bench/article.sh
#
# Environment:
#   BENCH_DIR         work folder (default /tmp/borderscope-bench-article): pinned
#                     binary, world, store, per-stage logs. Never the repo.
#   SEED              simulator seed (default 1).
#   MAX_RSS_MB, MAX_SECONDS
#                     a stage is stopped when its resident memory passes
#                     MAX_RSS_MB (default 16384: the issue's bound) or it runs
#                     MAX_SECONDS (default 3600); the script then says where it
#                     stopped and exits 3.
#   KEEP_WORLD=1      reuse BENCH_DIR/world if it is complete (skips simulate).
#   CARGO_TARGET_DIR  default $HOME/.cache/borderscope-target
#
# Each stage is one `borderscope` process under `/usr/bin/time -v`, reading
# what the stage before it wrote; nothing drops the page cache.
set -euo pipefail

SEED=${SEED:-1}
MAX_RSS_MB=${MAX_RSS_MB:-16384}
MAX_SECONDS=${MAX_SECONDS:-3600}
WORK=${BENCH_DIR:-/tmp/borderscope-bench-article}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/borderscope-target}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"

whole_numbers SEED MAX_RSS_MB MAX_SECONDS
work_dir "$WORK"
need_gnu_time

build_release
mkdir -p "$WORK/bin"
cp "$CARGO_TARGET_DIR/release/borderscope" "$WORK/bin/"
BIN=$WORK/bin/borderscope

WORLD=$WORK/world
STORE=$WORK/store
LOGS=$WORK/logs
rm -rf "$LOGS" "$STORE"
mkdir -p "$LOGS"
STAGES=()

# stage NAME COMMAND...: one timed stage; stops the script when it fails or
# passes a limit.
stage() {
  local name=$1 status=0
  shift
  say "$name (load average: $(load))"
  echo "$name $(load)" >> "$LOGS/load"
  watched "$LOGS/$name.time" "$LOGS/$name.out" "$@" || status=$?
  tail -n 5 "$LOGS/$name.out" >&2
  if ((status == 3)); then
    report_stages
    echo "STOPPED:   $name: $(cat "$LOGS/$name.time.stopped")"
    exit 3
  elif ((status != 0)); then
    echo "FAILED:    $name exited with $status; its output is in $LOGS/$name.out" >&2
    exit 1
  fi
  echo "$(wall "$LOGS/$name.time") s, $(rss_mb "$LOGS/$name.time") MiB peak RSS, $(cpu "$LOGS/$name.time")% CPU" >&2
  STAGES+=("$name")
}

report_stages() {
  echo
  echo "machine:   $(machine)"
  echo "code:      borderscope $(commit_of "$REPO"), release build"
  echo "load:      1/5/15-minute load averages before each stage: $(paste -sd';' "$LOGS/load" | sed 's/;/; /g') (other processes share these cores)"
  echo
  echo "| stage | seconds | peak RSS (MiB) | CPU |"
  echo "|---|---:|---:|---:|"
  local total=0 peak=0 s m name
  for name in "${STAGES[@]}"; do
    s=$(wall "$LOGS/$name.time") m=$(rss_mb "$LOGS/$name.time")
    echo "| $name | $s | $m | $(cpu "$LOGS/$name.time")% |"
    total=$(awk -v a="$total" -v b="$s" 'BEGIN { print a + b }')
    ((m > peak)) && peak=$m
  done
  echo "| **all stages** | **$total** ($(awk -v t="$total" 'BEGIN { printf "%.1f", t / 60 }') min) | **$peak** (largest stage) | |"
}

if [[ ${KEEP_WORLD:-} == 1 && -s $WORLD/truth.json ]]; then
  say "reusing $WORLD"
else
  stage simulate "$BIN" simulate --out "$WORLD" --scale article --seed "$SEED" --force
fi
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORLD/truth.json" "$1"; }
FROM=$(field from) TO=$(field to) TARGET=$(field target)
TELEMETRY_BYTES=$(du -sb "$WORLD/telemetry" | cut -f1)
TELEMETRY_FILES=$(find "$WORLD/telemetry" -type f | wc -l)

BS=("$BIN" --store "$STORE" --country "$TARGET")
stage ingest "${BS[@]}" ingest -q "$WORLD/telemetry"
stage intel_load "${BS[@]}" intel load "$WORLD/feeds/feodo.csv" "$WORLD/feeds/c2-domains.txt"
stage phish_load "${BS[@]}" phish load "$WORLD/feeds/phishtank.csv"
stage detect_c2 "${BS[@]}" detect c2
stage detect_phishing "${BS[@]}" detect phishing
stage detect_backdoor "${BS[@]}" detect backdoor
stage report "${BS[@]}" report --from "$FROM" --to "$TO" --target "$TARGET" --format json -o "$WORK/report.json"

ROWS=$("${BS[@]}" query --format csv "SELECT (SELECT COUNT(*) FROM flows) || ' flows, ' || (SELECT COUNT(*) FROM dns) || ' DNS, ' || (SELECT COUNT(*) FROM http) || ' HTTP, ' || (SELECT COUNT(*) FROM weblog) || ' web-log rows; ' || (SELECT COUNT(*) FROM quarantine) || ' quarantined'" | tail -n 1)
STORE_BYTES=$(du -sb "$STORE" | cut -f1)

report_stages
echo
echo "world:     $WORLD: seed $SEED, $FROM to $TO, target $TARGET; $TELEMETRY_FILES telemetry files, $TELEMETRY_BYTES bytes"
echo "store:     $ROWS; $STORE_BYTES bytes"
echo
echo "| figure | truth | report |"
echo "|---|---:|---:|"
python3 - "$WORLD/truth.json" "$WORK/report.json" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))["figures"]
report = json.load(open(sys.argv[2]))["figures"]
for k, v in truth.items():
    r = report.get(k)
    print(f"| {k} | {v:,} | {'not measured' if r is None else format(r, ',')} |")
PY
