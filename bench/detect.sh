#!/usr/bin/env bash
# `detect c2` throughput: a synthetic Zeek conn.log with implanted beacons and
# benign pollers, ingested into a fresh store, then `borderscope detect c2`
# timed over it, against DuckDB computing RITA-style beacon statistics per
# (host, server) pair over the same store's Parquet files.
#
#   bench/detect.sh [ROWS]          ROWS defaults to 10000000
#
# Environment:
#   BENCH_DIR         work folder (default /tmp/borderscope-bench-detect): generated
#                     log, pinned binaries, DuckDB venv, store, per-run logs. Never
#                     the repo.
#   RUNS              timed runs per tool (default 3); the median is reported.
#   BEACONS, POLLERS  infected and benign polling hosts (default 60 and 300).
#   MAX_RSS_MB, MAX_SECONDS
#                     a detect run is stopped when its resident memory passes
#                     MAX_RSS_MB (default 10240) or it runs MAX_SECONDS (default
#                     1200); the script then reports where it stopped and exits 3.
#   CARGO_TARGET_DIR  default $HOME/.cache/borderscope-target
#
# Ingest is timed once and reported, not part of the headline. Every detect
# run reads the same store (each replaces the findings tables, as a real run
# does). Wall time and peak RSS come from `/usr/bin/time -v` around the whole
# process (for DuckDB that includes starting Python and importing duckdb).
# The store's files are read from the page cache in both cases; nothing here
# drops caches.
set -euo pipefail

ROWS=${1:-10000000}
RUNS=${RUNS:-3}
BEACONS=${BEACONS:-60}
POLLERS=${POLLERS:-300}
MAX_RSS_MB=${MAX_RSS_MB:-10240}
MAX_SECONDS=${MAX_SECONDS:-1200}
WORK=${BENCH_DIR:-/tmp/borderscope-bench-detect}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/borderscope-target}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"
whole_numbers ROWS RUNS BEACONS POLLERS MAX_RSS_MB MAX_SECONDS
work_dir "$WORK"

# --- tools ---------------------------------------------------------------

need_gnu_time
build_release
# The target folder is shared: pin this build's binaries so another build
# cannot swap them between runs.
mkdir -p "$WORK/bin"
cp "$CARGO_TARGET_DIR/release/borderscope" "$CARGO_TARGET_DIR/release/examples/gen_zeek_conn" "$WORK/bin/"
BIN=$WORK/bin/borderscope
GEN=$WORK/bin/gen_zeek_conn

VENV=$WORK/venv
if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
  say "installing DuckDB from PyPI into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet duckdb
fi
DUCKDB_VERSION=$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')

# --- data ----------------------------------------------------------------

FILE=$WORK/conn-$ROWS-b$BEACONS-p$POLLERS.log
TRUTH=$FILE.implants.tsv
if [[ ! -s $FILE || ! -s $TRUTH ]]; then
  say "generating $FILE"
  "$GEN" "$FILE" "$ROWS" --beacons "$BEACONS" --pollers "$POLLERS"
fi
SIZE=$(stat -c %s "$FILE")
IMPLANTED_ROWS=$(awk -F'\t' 'NR > 1 { n += $9 } END { print n + 0 }' "$TRUTH")

STORE=$WORK/store
LOGS=$WORK/logs
rm -rf "$LOGS" "$STORE"
mkdir -p "$LOGS"
q() { "$BIN" --store "$STORE" query --format csv "$1" | tail -n +2; }

say "ingest into a fresh store (load average: $(load))"
INGEST_LOAD=$(load)
/usr/bin/time -v -o "$LOGS/ingest.time" "$BIN" --store "$STORE" ingest -q "$FILE" > "$LOGS/ingest.out"
cat "$LOGS/ingest.out" >&2
FLOWS=$(q "SELECT COUNT(*) FROM flows")
QUARANTINE=$(q "SELECT COUNT(*) FROM quarantine")
echo "flows: $FLOWS rows, quarantine: $QUARANTINE rows; $(wall "$LOGS/ingest.time") s, $(rss_mb "$LOGS/ingest.time") MB peak RSS" >&2
FLOW_FILES=$(find "$STORE/tables/flows" -name '*.parquet' | wc -l)
FLOW_BYTES=$(find "$STORE/tables/flows" -name '*.parquet' -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')

# --- the DuckDB job --------------------------------------------------------

# RITA-style beacon statistics per (internal host, outside server) pair over
# the flows table's Parquet files (one fresh ingest: every file is live). The
# same selection as borderscope's beacon stage: pairs from an internal
# address to an outside one, over the connections the host opened; the same
# parts: gap and size quartiles (Bowley skew) and MAD, connections per hour
# over the day, coverage of the data's span; and the facts the evidence
# plans use (busy share, unanswered share, no protocol on any flow). DuckDB's
# `internal` below knows only the private, loopback, link-local and ULA
# ranges: enough for this data, whose internal hosts are 10/8 and fd00::/8.
DUCK_OUT=$WORK/duckdb-beacons.parquet
DUCK_SQL=$(cat <<EOF
CREATE MACRO internal(ip) AS ip LIKE '10.%' OR ip LIKE '192.168.%' OR ip LIKE '127.%' OR ip LIKE '169.254.%'
  OR regexp_matches(ip, '^172\.(1[6-9]|2[0-9]|3[01])\.') OR regexp_matches(lower(ip), '^(f[cd]|fe[89ab])[0-9a-f]*:');
CREATE MACRO skew_part(q) AS CASE WHEN q[3] - q[1] < 10 OR q[2] = q[1] OR q[2] = q[3] THEN 1.0
  ELSE 1.0 - abs((q[1] + q[3] - 2 * q[2]) / (q[3] - q[1])) END;
CREATE MACRO mad_part(med, dev) AS CASE WHEN med > 0 THEN greatest((med - dev) / med, 0.0) ELSE 0.0 END;
COPY (
  WITH flows AS (SELECT * FROM read_parquet('$STORE/tables/flows/**/*.parquet')),
  span AS (SELECT epoch(min(ts)) AS s, epoch(max(ts)) AS e FROM flows),
  f AS (
    SELECT src_ip AS host, dst_ip AS server, dst_port AS port, epoch(ts) AS t, hour(ts) AS h,
           src_bytes AS b, COALESCE(duration, 0) AS d, service,
           transport = 'tcp' AND state IN ('S0', 'REJ', 'RSTOS0', 'SH') AS failed
    FROM flows
    WHERE internal(src_ip) AND NOT internal(dst_ip)
      AND (transport <> 'tcp' OR history IS NULL OR contains(history, 'S'))),
  gaps AS (SELECT host, server, t - lag(t) OVER (PARTITION BY host, server ORDER BY t) AS gap FROM f),
  g AS (
    SELECT host, server, quantile_cont(gap, [0.25, 0.5, 0.75]) AS q, mad(gap) AS dev
    FROM gaps WHERE gap IS NOT NULL GROUP BY host, server),
  sizes AS (
    SELECT host, server, COUNT(*) AS n, min(port) AS port, min(t) AS first, max(t) AS last,
           quantile_cont(b, [0.25, 0.5, 0.75]) AS q, mad(b) AS dev,
           sum(d) / greatest(max(t + d) - min(t), 1) AS busy, avg(failed::INT) AS failed,
           bool_and(service IS NULL) AS no_protocol
    FROM f GROUP BY host, server HAVING COUNT(*) >= 4),
  hours AS (SELECT host, server, h, COUNT(*) AS c FROM f GROUP BY host, server, h),
  hist AS (
    SELECT host, server, sum(c) / 24.0 AS mean,
           sqrt(greatest(sum(c * c) / 24.0 - pow(sum(c) / 24.0, 2), 0)) AS sd
    FROM hours GROUP BY host, server),
  parts AS (
    SELECT s.host, s.server, s.port, s.n, s.busy, s.failed, s.no_protocol, g.q[2] AS median_gap_s,
           (skew_part(g.q) + mad_part(g.q[2], g.dev)) / 2 AS ts_part,
           (skew_part(s.q) + mad_part(s.q[2], s.dev)) / 2 AS ds_part,
           CASE WHEN h.sd / h.mean > 1 THEN 0.0 ELSE 1.0 - h.sd / h.mean END AS hist_part,
           least((s.last - s.first) / greatest(span.e - span.s, 1), 1.0) AS dur_part
    FROM sizes s JOIN g USING (host, server) JOIN hist h USING (host, server) CROSS JOIN span)
  SELECT *, (ts_part + ds_part + hist_part + dur_part) / 4 AS score FROM parts
) TO '$DUCK_OUT' (FORMAT parquet)
EOF
)
DUCK_PY=$WORK/duckdb_beacons.py
cat > "$DUCK_PY" <<'EOF'
import sys, time, duckdb
con = duckdb.connect()
start = time.perf_counter()
con.execute(sys.argv[1])
print(f"scored pairs in {time.perf_counter() - start:.2f} s (inside Python)")
EOF
duck() { "$VENV/bin/python" -c "import sys, duckdb; print('\n'.join(','.join(map(str, r)) for r in duckdb.connect().execute(sys.argv[1]).fetchall()))" "$1"; }
DUCK_THREADS=$(duck "SELECT current_setting('threads')")

# --- runs ------------------------------------------------------------------

for i in $(seq 1 "$RUNS"); do
  say "run $i/$RUNS: borderscope detect c2 (load average: $(load))"
  load >> "$LOGS/load"
  if ! watched "$LOGS/bs-$i.time" "$LOGS/bs-$i.out" "$BIN" --store "$STORE" detect c2; then
    STOPPED=$i
    break
  fi
  head -n 3 "$LOGS/bs-$i.out" >&2
  echo "$(wall "$LOGS/bs-$i.time") s, $(rss_mb "$LOGS/bs-$i.time") MB peak RSS, $(cpu "$LOGS/bs-$i.time")% CPU" >&2

  say "run $i/$RUNS: DuckDB beacon statistics (load average: $(load))"
  load >> "$LOGS/load"
  rm -f "$DUCK_OUT"
  /usr/bin/time -v -o "$LOGS/duck-$i.time" "$VENV/bin/python" "$DUCK_PY" "$DUCK_SQL" > "$LOGS/duck-$i.out"
  cat "$LOGS/duck-$i.out" >&2
  echo "$(wall "$LOGS/duck-$i.time") s, $(rss_mb "$LOGS/duck-$i.time") MB peak RSS, $(cpu "$LOGS/duck-$i.time")% CPU" >&2
done

# --- where the time goes ---------------------------------------------------

# The beacon stage alone, as `beacon_pairs_sql` in crates/detect/src/c2/
# detector.rs plans it (the beacon_score aggregate per pair, without the
# busy, unanswered and protocol columns), and the same grouping with a plain
# COUNT: how much of a detect run the beacon aggregate is. Once, untimed in
# the headline.
OPENED="(f.transport <> 'tcp' OR f.history IS NULL OR strpos(f.history, 'S') > 0)"
SPAN="WITH span AS (SELECT MIN(ts) AS s, MAX(ts) AS e FROM flows)"
PAIRS_FROM="FROM flows f CROSS JOIN span WHERE ip_is_internal(f.src_ip) AND NOT ip_is_internal(f.dst_ip) GROUP BY f.src_ip, f.dst_ip"
probe() { # name sql
  say "stage probe: $1 (load average: $(load))"
  local status=0
  watched "$LOGS/probe-$1.time" "$LOGS/probe-$1.out" "$BIN" --store "$STORE" query --format csv "$2" || status=$?
  PROBES+="$1: $(wall "$LOGS/probe-$1.time") s, $(rss_mb "$LOGS/probe-$1.time") MiB peak RSS"
  if ((status == 3)); then PROBES+=" ($(cat "$LOGS/probe-$1.time.stopped"))"; fi
  PROBES+="; "
}
PROBES=
probe group_by "$SPAN SELECT COUNT(*) AS pairs FROM (SELECT COUNT(*) FILTER (WHERE $OPENED) AS n, MIN(span.s) AS s $PAIRS_FROM)"
probe beacon_score "$SPAN SELECT COUNT(*) AS pairs, SUM(CASE WHEN p['score'] >= 0.5 THEN 1 ELSE 0 END) AS scored_half FROM (
  SELECT beacon_score(f.ts, f.src_bytes, span.s, span.e) FILTER (WHERE $OPENED) AS p $PAIRS_FROM)"
echo "probes: $PROBES" >&2
PAIRS=$(tail -n 1 "$LOGS/probe-group_by.out")


# What ran on what: the head of both reports.
describe() {
  echo
  echo "machine:   $(machine)"
  echo "code:      borderscope $(commit_of "$REPO"), DuckDB $DUCKDB_VERSION (PyPI, $DUCK_THREADS threads)"
  echo "input:     $FILE: $ROWS rows ($IMPLANTED_ROWS implanted: $BEACONS beaconing hosts, $POLLERS polling hosts), $SIZE bytes"
  echo "store:     flows $FLOWS rows (quarantine $QUARANTINE) in $FLOW_FILES Parquet files, $FLOW_BYTES bytes; $PAIRS host-outside pairs"
  echo "ingest:    $(wall "$LOGS/ingest.time") s, $(rss_mb "$LOGS/ingest.time") MiB peak RSS, $(cpu "$LOGS/ingest.time")% CPU (load average before: $INGEST_LOAD)"
  echo "probes:    $PROBES"
  echo "load:      1/5/15-minute load averages before each run: $(paste -sd';' "$LOGS/load" | sed 's/;/; /g') (other processes share these cores)"
}

if [[ -n ${STOPPED:-} ]]; then
  describe
  echo "STOPPED:   detect c2 run $STOPPED: $(cat "$LOGS/bs-$STOPPED.time.stopped")"
  echo "memory:    resident MiB by second, last samples: $(tail -n 5 "$LOGS/bs-$STOPPED.time.rss" | awk '{ printf "%ss %s; ", $1, $2 }')"
  exit 3
fi

# --- what was found --------------------------------------------------------

# One line judging servers ($1: one IP a line) and host-server pairs ($2:
# `host,server` lines) against the implanted truth: controllers found, by
# style, apart those with one or two hosts (which the flows alone cannot
# tell from a poller: see docs/benchmarks.md); infected hosts whose pair is
# found; pollers' pairs wrongly found; servers found that are no controller.
judge() {
  awk -F'\t' -v S="$1" -v P="$2" '
    FILENAME == S { srv[$1] = 1; next }
    FILENAME == P { split($0, a, ","); pair[a[1] "," a[2]] = 1; next }
    FNR == 1 { next }
    {
      known[$2] = 1
      if ($1 == "controller") {
        if (!($2 in ctl)) {
          ctl[$2] = 1; cn++; k = $4 (($6 >= 3) ? "" : " (1-2 hosts)"); kn[k]++
          if ($2 in srv) { cf++; kf[k]++ }
        }
        hn++; if (($5 "," $2) in pair) hf++
      } else {
        pn++; if (($5 "," $2) in pair) pf++
      }
    }
    END {
      for (s in srv) if (!(s in ctl)) { other++; if (s in known) polled++ }
      printf "controllers %d of %d (", cf, cn
      split("tls http retries opaque", st, " "); sep = ""
      for (i = 1; i <= 4; i++) for (j = 0; j < 2; j++) {
        k = st[i] (j ? " (1-2 hosts)" : "")
        if (k in kn) { printf "%s%s %d/%d", sep, k, kf[k], kn[k]; sep = ", " }
      }
      printf "); infected hosts %d of %d; poller pairs %d of %d; other servers %d (%d of them polled services)\n",
        hf, hn, pf, pn, other, polled
    }' "$1" "$2" "$TRUTH"
}

q "SELECT ip FROM c2_servers" | sort -u > "$LOGS/bs-servers"
q "SELECT host, server FROM c2_control" > "$LOGS/bs-pairs"
EVIDENCE=$(q "SELECT kind || ':' || COUNT(*) FROM c2_evidence GROUP BY kind ORDER BY kind" | paste -sd' ')
BS_JUDGED=$(judge "$LOGS/bs-servers" "$LOGS/bs-pairs")
CONTROLLERS=$(awk -F'\t' '$1 == "controller" { c[$2] = 1 } END { print length(c) }' "$TRUTH")
FOUND_N=$(awk -F'\t' 'NR == FNR { f[$1] = 1; next } $1 == "controller" && ($2 in f) { c[$2] = 1 } END { print length(c) }' "$LOGS/bs-servers" "$TRUTH")

# The same truth against DuckDB's RITA-style scores, which have no
# corroboration: pairs scoring 0.7 or more, and their servers.
DUCK_PAIRS=$(duck "SELECT COUNT(*) FROM read_parquet('$DUCK_OUT')")
duck "SELECT host, server FROM read_parquet('$DUCK_OUT') WHERE score >= 0.7" > "$LOGS/duck-pairs"
cut -d, -f2 "$LOGS/duck-pairs" | sort -u > "$LOGS/duck-servers"
DUCK_JUDGED=$(judge "$LOGS/duck-servers" "$LOGS/duck-pairs")

# --- report ----------------------------------------------------------------

med() { for i in $(seq 1 "$RUNS"); do "$1" "$LOGS/$2-$i.time"; done | median; }
all() { for i in $(seq 1 "$RUNS"); do "$1" "$LOGS/$2-$i.time"; done | paste -sd' '; }
BS_S=$(med wall bs) DUCK_S=$(med wall duck)
BS_RSS=$(med rss_mb bs) DUCK_RSS=$(med rss_mb duck)
BS_CPU=$(med cpu bs) DUCK_CPU=$(med cpu duck)

row() { # name seconds rss cpu
  awk -v n="$1" -v s="$2" -v m="$3" -v c="$4" -v rows="$FLOWS" 'BEGIN {
    printf "| %s | %.2f | %.0f | %.0f | %s%% |\n", n, s, rows / s, m, c }'
}

describe
echo "findings:  $(wc -l < "$LOGS/bs-servers") control servers, $(wc -l < "$LOGS/bs-pairs") control pairs; evidence rows by kind: $EVIDENCE"
echo "found:     detect c2: $BS_JUDGED"
echo "           DuckDB, pairs scoring >= 0.7 (of $DUCK_PAIRS scored): $DUCK_JUDGED"
echo "all runs:  borderscope s: $(all wall bs); MiB: $(all rss_mb bs) | DuckDB s: $(all wall duck); MiB: $(all rss_mb duck)"
echo
echo "Median of $RUNS runs over $FLOWS flows (RSS in MiB):"
echo
echo "| tool | seconds | flows/s | peak RSS (MiB) | CPU |"
echo "|---|---:|---:|---:|---:|"
row "borderscope detect c2" "$BS_S" "$BS_RSS" "$BS_CPU"
row "DuckDB $DUCKDB_VERSION beacon statistics" "$DUCK_S" "$DUCK_RSS" "$DUCK_CPU"
awk -v a="$BS_S" -v b="$DUCK_S" -v x="$BS_RSS" -v y="$DUCK_RSS" 'BEGIN {
  printf "| ratio borderscope/DuckDB | %.2f× time | %.2f× throughput | %.2f× memory | |\n", a / b, b / a, x / y }'

status=0
if [[ $FLOWS != "$ROWS" ]]; then
  echo "MISMATCH: the store holds $FLOWS flows, the file has $ROWS rows" >&2; status=1
fi
if [[ $FOUND_N -eq 0 && $CONTROLLERS -gt 0 ]]; then
  echo "NOTHING FOUND: detect c2 found none of the $CONTROLLERS implanted controllers" >&2; status=1
fi
exit $status
