#!/usr/bin/env bash
# Benchmark: reading configuration from Git. For a repository of N terraform_data resources in
# N/10 files with a history of C commits, prints wall time and peak memory of `validate` from
# the directory, from the local repository (--git), and from a file:// remote: the first run
# (mirror clone), a second run (fetch, nothing new) and a run after one new commit (fetch).
# Figures, not assertions. TERRANE_BIN=path skips the release build (e.g. a debug binary).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
commits="${2:-200}"
if [ -z "${TERRANE_BIN:-}" ]; then
  target="${CARGO_TARGET_DIR:-$HOME/.cache/terrane/target}"
  cargo build --release -q -p terrane --bin terrane
  TERRANE_BIN="$target/release/terrane"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
g() { git -c user.name=bench -c user.email=bench@terrane.invalid -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }
repo="$work/repo"
mkdir -p "$repo/infra"
g -C "$repo" init -q
for c in $(seq 1 "$commits"); do
  echo "commit $c" > "$repo/HISTORY"
  g -C "$repo" add -A && g -C "$repo" commit -qm "history $c"
done
python3 - "$n" "$repo/infra" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
files = max(1, n // 10)
for f in range(files):
    with open(f"{d}/r{f:04}.tf", "w") as out:
        for i in range(f * 10, min(n, f * 10 + 10)):
            dep = f", terraform_data.r{i - 1}.id" if i else ""
            out.write(f'resource "terraform_data" "r{i}" {{\n  input = ["r{i}"{dep}]\n}}\n')
PY
g -C "$repo" add -A && g -C "$repo" commit -qm "the configuration"
g clone -q --bare "$repo" "$work/origin.git"
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$TERRANE_BIN" --state "$work/state" "$@" > "$work/out" 2>/dev/null
  read -r secs kb < "$work/time"
  printf '%-34s %6.2f s  %7.1f MB  (%s)\n' "$label" "$secs" "$(echo "$kb/1024" | bc -l)" "$(cat "$work/out")"
}
echo "N=$n resources in $((n / 10)) files, $commits commits of history"
measure "validate DIR" validate "$repo/infra"
measure "validate --git LOCAL" validate --git "$repo" infra
measure "validate --git file:// (clone)" validate --git "file://$work/origin.git" infra
measure "validate --git file:// (fetch)" validate --git "file://$work/origin.git" infra
echo "one more" >> "$repo/HISTORY"
g -C "$repo" commit -qam "one more" && g -C "$repo" push -q "$work/origin.git" main
measure "validate --git file:// (1 new)" validate --git "file://$work/origin.git" infra
