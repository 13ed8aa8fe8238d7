#!/usr/bin/env bash
# Benchmark: the engine on generated stacks of N terraform_data resources forming a DAG (each
# references one or two earlier ones). For each N it reports wall time and peak memory of:
#   plan on an empty store, apply (from an empty store), a no-change plan, a plan with 1 % of
#   the resources changed, and the apply of that change.
# Figures, not assertions. Targets at N=10000 on a 2-core machine: plans < 1 s and < 200 MB,
# apply < 10 s. Usage: bench/engine.sh [N...]   (default: 1000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000 10000}")
target="${CARGO_TARGET_DIR:-$HOME/.cache/terrane/target}"
cargo build --release -q -p terrane --no-default-features --bin terrane
bin="$target/release/terrane"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gen() { # gen N CHANGED_PERCENT FILE
  python3 - "$1" "$2" "$3" <<'PY'
import random, sys
n, pct, path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
random.seed(42)
# A separate generator picks the changed resources, so the graph is the same for every pct.
changed = set(random.Random(7).sample(range(n), int(n * pct / 100))) if pct else set()
with open(path, "w") as f:
    for i in range(n):
        refs = []
        if i > 0:
            refs.append(random.randrange(i))
        if i > 1 and random.random() < 0.5:
            refs.append(random.randrange(i))
        v = f"w{i}" if i in changed else f"v{i}"
        deps = "".join(f"    d{k} = terraform_data.r{j}.id\n" for k, j in enumerate(refs))
        f.write(f'resource "terraform_data" "r{i}" {{\n  input = {{\n    v = "{v}"\n{deps}  }}\n}}\n')
PY
}

measure() { # measure LABEL N DIR ARGS...
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
  read -r secs kb < <(tail -1 "$work/time")
  local what
  what=$(grep -E '^(Plan:|No changes|Apply complete)' "$work/out" | head -1 || true)
  printf '%-18s N=%-6s %7.2f s %8.1f MB   %s\n' "$label" "$n" "$secs" \
    "$(echo "$kb/1024" | bc -l)" "$what"
}

for n in ${sizes[@]}; do
  dir="$work/n$n"
  mkdir -p "$dir"
  gen "$n" 0 "$dir/main.tf"
  measure "plan (empty store)" "$n" "$dir" plan --detailed-exitcode
  measure "apply" "$n" "$dir" apply --auto-approve
  measure "plan (no change)" "$n" "$dir" plan --detailed-exitcode
  gen "$n" 1 "$dir/main.tf"
  measure "plan (1% changed)" "$n" "$dir" plan --detailed-exitcode
  measure "apply (1% changed)" "$n" "$dir" apply --auto-approve
done
