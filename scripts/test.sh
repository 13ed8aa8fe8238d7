#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every test of the workspace
# (unit tests, and the end-to-end binary that starts its own moto servers).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/terrane/target}"
scripts/setup-venv.sh
export PATH="$PWD/.venv/bin:$PATH"
cargo test --workspace --locked "$@"
