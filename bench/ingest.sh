#!/usr/bin/env bash
# Ingest throughput: a synthetic Zeek conn.log into a fresh borderscope store,
# against DuckDB turning the same file into one Parquet file.
#
#   bench/ingest.sh [ROWS]          ROWS defaults to 5000000
#
# Environment:
#   BENCH_DIR         work folder (default /tmp/borderscope-bench): generated log,
#                     DuckDB venv, stores, outputs, per-run logs. Never the repo.
#   RUNS              runs per tool (default 3); the median is reported.
#   CARGO_TARGET_DIR  default $HOME/.cache/borderscope-target
#
# Every run starts from a fresh store / a deleted Parquet file. Wall time and
# peak RSS come from `/usr/bin/time -v` around the whole process (for DuckDB
# that includes starting Python and importing duckdb). The input is read from
# the page cache in both cases (it was just generated or read); nothing here
# drops caches.
set -euo pipefail

ROWS=${1:-5000000}
RUNS=${RUNS:-3}
WORK=${BENCH_DIR:-/tmp/borderscope-bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/borderscope-target}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"
whole_numbers ROWS RUNS
work_dir "$WORK"

# --- tools ---------------------------------------------------------------

need_gnu_time
build_release
BIN=$CARGO_TARGET_DIR/release/borderscope
GEN=$CARGO_TARGET_DIR/release/examples/gen_zeek_conn

VENV=$WORK/venv
if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
  say "installing DuckDB from PyPI into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet duckdb
fi
DUCKDB_VERSION=$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')

# --- data ----------------------------------------------------------------

FILE=$WORK/conn-$ROWS.log
if [[ ! -s $FILE ]]; then
  say "generating $FILE"
  "$GEN" "$FILE" "$ROWS"
fi
SIZE=$(stat -c %s "$FILE")
# Warm the page cache so that neither tool's first run pays for the disk.
cat "$FILE" > /dev/null

# --- the DuckDB job --------------------------------------------------------

PARQUET=$WORK/out.parquet
# All 21 conn.log columns. auto_detect=false: DuckDB's dialect sniffer fails
# on Zeek's first header line (`#separator \x09` has no tab), so the dialect is
# given in full instead; quote='': Zeek TSV has no quoting.
COLUMNS="{'ts': 'DOUBLE', 'uid': 'VARCHAR', 'id.orig_h': 'VARCHAR', 'id.orig_p': 'INTEGER',
 'id.resp_h': 'VARCHAR', 'id.resp_p': 'INTEGER', 'proto': 'VARCHAR', 'service': 'VARCHAR',
 'duration': 'DOUBLE', 'orig_bytes': 'UBIGINT', 'resp_bytes': 'UBIGINT', 'conn_state': 'VARCHAR',
 'local_orig': 'BOOLEAN', 'local_resp': 'BOOLEAN', 'missed_bytes': 'UBIGINT', 'history': 'VARCHAR',
 'orig_pkts': 'UBIGINT', 'orig_ip_bytes': 'UBIGINT', 'resp_pkts': 'UBIGINT', 'resp_ip_bytes': 'UBIGINT',
 'tunnel_parents': 'VARCHAR'}"
DUCK_SQL="COPY (SELECT * FROM read_csv('$FILE', delim='\t', header=false, comment='#', auto_detect=false, quote='', columns=$COLUMNS, nullstr='-')) TO '$PARQUET' (FORMAT parquet)"
DUCK_PY=$WORK/duckdb_copy.py
cat > "$DUCK_PY" <<'EOF'
import sys, time, duckdb
con = duckdb.connect()
start = time.perf_counter()
rows = con.execute(sys.argv[1]).fetchall()[0][0]
print(f"copied {rows} rows in {time.perf_counter() - start:.2f} s (inside Python)")
EOF
duck() { "$VENV/bin/python" -c "import sys, duckdb; print(duckdb.connect().execute(sys.argv[1]).fetchall()[0][0])" "$1"; }
DUCK_THREADS=$(duck "SELECT current_setting('threads')")

# --- runs ------------------------------------------------------------------

# wall, rss_mb, cpu and median: bench/lib.sh.

STORE=$WORK/store
LOGS=$WORK/logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
BS_ROWS=
DUCK_ROWS=
for i in $(seq 1 "$RUNS"); do
  say "run $i/$RUNS: borderscope ingest (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  cut -d' ' -f1 /proc/loadavg >> "$LOGS/load"
  rm -rf "$STORE"
  /usr/bin/time -v -o "$LOGS/bs-$i.time" "$BIN" --store "$STORE" ingest -q "$FILE" > "$LOGS/bs-$i.out"
  cat "$LOGS/bs-$i.out" >&2
  n=$("$BIN" --store "$STORE" query --format csv "SELECT COUNT(*) FROM flows" | tail -n 1)
  q=$("$BIN" --store "$STORE" query --format csv "SELECT COUNT(*) FROM quarantine" | tail -n 1)
  echo "flows: $n rows, quarantine: $q rows; $(wall "$LOGS/bs-$i.time") s, $(rss_mb "$LOGS/bs-$i.time") MB peak RSS" >&2
  BS_ROWS=$n BS_QUARANTINE=$q
  STORE_BYTES=$(du -sb "$STORE" | cut -f1)
  FLOW_FILES=$(find "$STORE/tables/flows" -name '*.parquet' | wc -l)

  say "run $i/$RUNS: DuckDB COPY to Parquet (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  cut -d' ' -f1 /proc/loadavg >> "$LOGS/load"
  rm -f "$PARQUET"
  /usr/bin/time -v -o "$LOGS/duck-$i.time" "$VENV/bin/python" "$DUCK_PY" "$DUCK_SQL" > "$LOGS/duck-$i.out"
  cat "$LOGS/duck-$i.out" >&2
  DUCK_ROWS=$(duck "SELECT COUNT(*) FROM read_parquet('$PARQUET')")
  echo "parquet: $DUCK_ROWS rows; $(wall "$LOGS/duck-$i.time") s, $(rss_mb "$LOGS/duck-$i.time") MB peak RSS" >&2
  PARQUET_BYTES=$(stat -c %s "$PARQUET")
done

# --- report ----------------------------------------------------------------

med() { for i in $(seq 1 "$RUNS"); do "$1" "$LOGS/$2-$i.time"; done | median; }
all() { for i in $(seq 1 "$RUNS"); do "$1" "$LOGS/$2-$i.time"; done | paste -sd' '; }
BS_S=$(med wall bs) DUCK_S=$(med wall duck)
BS_RSS=$(med rss_mb bs) DUCK_RSS=$(med rss_mb duck)
BS_CPU=$(for i in $(seq 1 "$RUNS"); do cpu "$LOGS/bs-$i.time" | tr -d %; done | median)
DUCK_CPU=$(for i in $(seq 1 "$RUNS"); do cpu "$LOGS/duck-$i.time" | tr -d %; done | median)

row() { # name seconds rss cpu
  awk -v n="$1" -v s="$2" -v m="$3" -v c="$4" -v rows="$ROWS" -v size="$SIZE" 'BEGIN {
    printf "| %s | %.2f | %.0f | %.1f | %.0f | %s%% |\n", n, s, rows / s, size / 1e6 / s, m, c }'
}

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | awk '{ print $NF }' | paste -sd' ')
TREE=" (clean tree)"
if [[ -n $DIRTY ]]; then TREE=" (tree dirty: $DIRTY)"; fi

echo
echo "machine:   $CPU_MODEL, $(nproc) cores, $MEM memory, $(uname -sr)"
echo "code:      borderscope $COMMIT$TREE, DuckDB $DUCKDB_VERSION (PyPI, $DUCK_THREADS threads)"
echo "input:     $FILE: $ROWS rows, $SIZE bytes ($(awk -v s="$SIZE" 'BEGIN { printf "%.1f MB", s / 1e6 }'))"
echo "output:    borderscope store $STORE_BYTES bytes (flows: $FLOW_FILES Parquet files); DuckDB Parquet $PARQUET_BYTES bytes"
echo "rows:      borderscope flows $BS_ROWS (quarantine $BS_QUARANTINE), DuckDB $DUCK_ROWS"
echo "load:      1-minute load average before each run: $(paste -sd' ' "$LOGS/load") (other processes share these cores)"
echo "all runs:  borderscope s: $(all wall bs); MB: $(all rss_mb bs) | DuckDB s: $(all wall duck); MB: $(all rss_mb duck)"
echo
echo "Median of $RUNS runs (MB = 10^6 bytes of input; RSS in MiB):"
echo
echo "| tool | seconds | rows/s | MB/s | peak RSS (MiB) | CPU |"
echo "|---|---:|---:|---:|---:|---:|"
row "borderscope ingest" "$BS_S" "$BS_RSS" "$BS_CPU"
row "DuckDB $DUCKDB_VERSION COPY → Parquet" "$DUCK_S" "$DUCK_RSS" "$DUCK_CPU"
awk -v a="$BS_S" -v b="$DUCK_S" -v x="$BS_RSS" -v y="$DUCK_RSS" 'BEGIN {
  printf "| ratio borderscope/DuckDB | %.2f× time | %.2f× throughput | | %.2f× memory | |\n", a / b, b / a, x / y }'

status=0
if [[ $DUCK_ROWS != "$ROWS" ]]; then
  echo "MISMATCH: DuckDB wrote $DUCK_ROWS rows, the file has $ROWS" >&2; status=1
fi
if [[ $BS_ROWS != "$DUCK_ROWS" ]]; then
  echo "MISMATCH: borderscope stored $BS_ROWS flows, DuckDB $DUCK_ROWS rows" >&2; status=1
fi
exit $status
