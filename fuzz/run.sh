#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, JOBS at a time (default 2), from the
# seeds in seeds/<target>/ plus what earlier runs found (corpus/<target>/, not committed).
# Prints each target's executions and whether it crashed; artifacts/<target>/ keeps crashes.
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
jobs="${JOBS:-2}"
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build -O >/dev/null || exit 1
mkdir -p logs
run() {
  t="$1"
  mkdir -p "corpus/$t"
  cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 >"logs/$t.log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
  if [ "$status" -eq 0 ]; then
    echo "$t: ${execs:-?} executions in ${seconds} s, no crash"
  else
    echo "$t: CRASHED (exit $status), see fuzz/logs/$t.log and fuzz/artifacts/$t/"
  fi
}
export -f run
export seconds
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run {}'
