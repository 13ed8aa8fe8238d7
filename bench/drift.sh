#!/usr/bin/env bash
# Benchmark: `terrane drift` on generated stacks of N terraform_data resources (default 500).
# For each N: apply, then drift with the stack in sync, then drift with 1 % of the resources
# changed in the configuration (pending changes). Prints wall time and peak memory, and the
# figures the report itself carries (its duration and the cloud API calls it made, from the JSON
# `stats`). Figures, not assertions. The built-in type needs no cloud, so its API calls are 0;
# the same script on an AWS configuration (CONFIG=dir, with AWS_ENDPOINT_URL pointing at moto)
# shows the batched reads.
# Usage: bench/drift.sh [N...]   PROFILE=release for an optimised build (default debug).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-500}")
profile="${PROFILE:-debug}"
target="${CARGO_TARGET_DIR:-target}"
features=(--no-default-features)
[ -n "${CONFIG:-}" ] && features=()
if [ "$profile" = release ]; then
  cargo build --release -q -p terrane "${features[@]}" --bin terrane
else
  cargo build -q -p terrane "${features[@]}" --bin terrane
fi
bin="$(cd "$target/$profile" && pwd)/terrane"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gen() { # gen N CHANGED_PERCENT FILE
  python3 - "$1" "$2" "$3" <<'PY'
import random, sys
n, pct, path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
random.seed(7)
changed = set(random.sample(range(n), int(n * pct / 100))) if pct else set()
with open(path, "w") as f:
    for i in range(n):
        v = f"w{i}" if i in changed else f"v{i}"
        f.write(f'resource "terraform_data" "r{i}" {{\n  input = {{ v = "{v}", n = {i} }}\n}}\n')
PY
}

run() { # run LABEL N DIR ARGS...
  local label=$1 n=$2 dir=$3
  shift 3
  local code=0
  ( cd "$dir" && /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --state "$dir/.state" "$@" \
      > "$work/out" 2> "$work/err" ) || code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then
    echo "$label N=$n failed (exit $code):" >&2
    tail -5 "$work/err" >&2
    exit 1
  fi
  read -r secs kb < "$work/time"
  local figures=""
  if [ "${1:-}" = drift ]; then
    figures=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s, st = r["summary"], r["stats"]
print("exit %s: %d checked, %d changed, %d pending; report %d ms, %d API calls" % (
    sys.argv[2], s["checked"], s["changed"], s["pending"], st["duration_ms"], st["api_calls"]))
' "$work/out" "$code")
  fi
  printf '%-22s N=%-6s %7.2f s %8.1f MB   %s\n' "$label" "$n" "$secs" \
    "$(echo "$kb/1024" | bc -l)" "$figures"
}

if [ -n "${CONFIG:-}" ]; then
  dir=$(cd "$CONFIG" && pwd)
  run "apply" "-" "$dir" apply --auto-approve "$dir"
  run "drift --unmanaged" "-" "$dir" drift "$dir" --unmanaged --format json
  exit 0
fi

for n in "${sizes[@]}"; do
  dir="$work/n$n"
  mkdir -p "$dir"
  gen "$n" 0 "$dir/main.tf"
  run "apply" "$n" "$dir" apply --auto-approve
  run "drift (in sync)" "$n" "$dir" drift . --format json
  gen "$n" 1 "$dir/main.tf"
  run "drift (1% pending)" "$n" "$dir" drift . --format json
done
