# Shared helpers of the bench scripts: sourced, not run.
#
# Every timed command runs under GNU `/usr/bin/time -v`; these read its log.

say() { printf '\n== %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# Seconds from /usr/bin/time -v's "h:mm:ss" or "m:ss.ss".
wall() {
  sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f\n", s }'
}
rss_mb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{ printf "%.0f\n", $1 / 1024 }'; }
cpu() { sed -n 's/.*Percent of CPU this job got: //p' "$1" | tr -d %; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# whole_numbers VAR...: stops the script unless each variable named holds
# a whole number.
whole_numbers() {
  local v
  for v in "$@"; do
    case ${!v} in
      '' | *[!0-9]*) echo "$v must be a whole number, not '${!v}'" >&2; exit 2 ;;
    esac
  done
}

# work_dir DIR: creates a bench's work folder; one inside the repository
# (REPO) is refused, so that a bench never writes into the checkout.
work_dir() {
  case $1 in
    "$REPO" | "$REPO"/*) echo "BENCH_DIR must be outside the repository" >&2; exit 2 ;;
  esac
  mkdir -p "$1"
}

# build_release: the release build every bench script uses. One selection
# of packages for all of them, so that they share one build (another
# selection would change dependency features and rebuild).
build_release() {
  say "building borderscope (release) in $CARGO_TARGET_DIR"
  (cd "$REPO" && cargo build --release -p borderscope -p borderscope-ingest --bin borderscope --example gen_zeek_conn)
}

need_gnu_time() {
  if [[ ! -x /usr/bin/time ]]; then
    say "installing GNU time"
    local sudo_=
    [[ $(id -u) -eq 0 ]] || sudo_=sudo
    $sudo_ apt-get install -y time
  fi
}

# Runs a command under `/usr/bin/time -v -o TIME_LOG`, its output to OUT,
# sampling its resident memory every second into TIME_LOG.rss, and stops it
# (that process only) when it passes MAX_RSS_MB or MAX_SECONDS: on a shared
# machine a run that needs more is reported, not waited out. Returns 3 when
# it was stopped, else the command's status.
watched() {
  local time_log=$1 out=$2
  shift 2
  /usr/bin/time -v -o "$time_log" "$@" > "$out" &
  local timer=$! child='' rss='' started=$SECONDS why=''
  : > "$time_log.rss"
  while kill -0 "$timer" 2> /dev/null; do
    [[ -n $child ]] || child=$(pgrep -P "$timer" | head -n 1 || true)
    if [[ -n $child ]]; then
      rss=$(ps -o rss= -p "$child" 2> /dev/null | tr -d ' ' || true)
      if [[ -n $rss ]]; then
        echo "$((SECONDS - started)) $((rss / 1024))" >> "$time_log.rss"
        if ((rss / 1024 > MAX_RSS_MB)); then
          why="resident memory $((rss / 1024)) MiB passed MAX_RSS_MB=$MAX_RSS_MB"
        elif ((SECONDS - started > MAX_SECONDS)); then
          why="still running after MAX_SECONDS=$MAX_SECONDS s"
        fi
        if [[ -n $why ]]; then
          kill "$child" 2> /dev/null || true
          wait "$timer" || true
          echo "stopped after $((SECONDS - started)) s: $why" | tee "$time_log.stopped" >&2
          return 3
        fi
      fi
    fi
    sleep 1
  done
  wait "$timer"
}

# The machine and code a benchmark ran on, for the head of its report.
machine() {
  local cpu_model mem
  cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  echo "$cpu_model, $(nproc) cores, $mem memory, $(uname -sr)"
}
commit_of() { # repo
  local commit dirty
  commit=$(git -C "$1" rev-parse --short HEAD 2> /dev/null || echo unknown)
  dirty=$(git -C "$1" status --porcelain --untracked-files=no 2> /dev/null | awk '{ print $NF }' | paste -sd' ')
  if [[ -n $dirty ]]; then echo "$commit (tree dirty: $dirty)"; else echo "$commit (clean tree)"; fi
}
