#!/usr/bin/env bash
# Benchmark: CPU used by an idle `terrane serve` with 3 stacks (a local Git repository of
# terraform_data resources, interval 10m) between runs. Starts the service, waits until every
# stack has run once, then reads the process's CPU time (utime+stime from /proc) over a window
# with no run due. Figures, not assertions. Usage: bench/serve-idle.sh [SECONDS]  (default 60)
# Uses $TERRANE_BIN if set, else builds the debug binary without the AWS SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
if [ -z "${TERRANE_BIN:-}" ]; then
  cargo build -q -p terrane --no-default-features --bin terrane
  TERRANE_BIN="${CARGO_TARGET_DIR:-target}/debug/terrane"
fi
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

git init -q -b main "$work/repo"
for s in one two three; do
  mkdir -p "$work/repo/$s"
  for i in $(seq 1 20); do
    printf 'resource "terraform_data" "r%s" {\n  input = "%s-%s"\n}\n' "$i" "$s" "$i" >> "$work/repo/$s/main.tf"
  done
  printf '[[stack]]\nname = "%s"\ngit = "%s"\npath = "%s"\ninterval = "10m"\ndrift_interval = "10m"\n\n' \
    "$s" "$work/repo" "$s" >> "$work/terrane.toml"
done
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=bench -c user.email=bench@example.invalid commit -qm bench

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TERRANE_BIN" serve --config "$work/terrane.toml" --state "$work/state" \
  --listen "127.0.0.1:$port" --log-format json 2>"$work/log" &
pid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "service not ready"; cat "$work/log"; exit 1; }
sleep 2 # let the first runs' notifications and logs settle

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$secs"
t1=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$pid/status")
python3 - "$t0" "$t1" "$hz" "$secs" "$rss" "$threads" <<'PY'
import sys
t0, t1, hz, secs, rss, threads = map(int, sys.argv[1:])
cpu = (t1 - t0) / hz
print(f"idle serve, 3 stacks x 20 resources: {cpu:.2f} s CPU in {secs} s "
      f"({100 * cpu / secs:.3f} % of one core), RSS {rss / 1024:.1f} MiB, {threads} threads")
PY
kill -TERM "$pid"
wait "$pid" && echo "exit 0 after SIGTERM"
pid=""
