#!/usr/bin/env bash
# Benchmark: `terrane validate` on generated configurations of N terraform_data resources
# (a DAG: each references one or two earlier ones, with locals, count and for_each mixed in).
# Prints wall time and peak memory for each N. Figures, not assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000 10000}")
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/terrane/target}"
target="$CARGO_TARGET_DIR"
# The built-in terraform_data type is all this needs: skip the AWS SDK.
cargo build --release -q -p terrane --no-default-features --bin terrane
bin="$target/release/terrane"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in ${sizes[@]}; do
  dir="$work/n$n"
  mkdir -p "$dir"
  python3 - "$n" "$dir/main.tf" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(42)
with open(path, "w") as f:
    f.write('locals {\n  prefix = "bench"\n}\n')
    for i in range(n):
        refs = []
        if i > 0:
            refs.append(random.randrange(i))
        if i > 1 and random.random() < 0.5:
            refs.append(random.randrange(i))
        inp = ", ".join(f"terraform_data.r{j}.id" for j in refs)
        f.write(f'resource "terraform_data" "r{i}" {{\n  input = ["${{local.prefix}}-{i}", {inp}]\n}}\n')
PY
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" validate "$dir" > "$work/out"
  read -r secs kb < "$work/time"
  printf 'validate  N=%-6s  %6.2f s  %7.1f MB  (%s)\n' "$n" "$secs" "$(echo "$kb/1024" | bc -l)" "$(cat "$work/out")"
done
