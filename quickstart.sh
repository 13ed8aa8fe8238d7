#!/usr/bin/env bash
# The quick start: builds terrane, starts a local AWS API (moto server) on a free port, and runs
# the main job end to end on examples/quickstart: plan, apply, a no-change plan, a change made
# behind terrane's back that the next plan and the drift report show, apply to correct it, and
# destroy.
# Nothing here talks to real AWS; the store lives in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/terrane/target}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "installing the local AWS API (moto) and the AWS CLI into ./.venv"
scripts/setup-venv.sh
export PATH="$PWD/.venv/bin:$PATH"

step "building terrane (the first build compiles the AWS SDK: several minutes on 2 cores)"
# The same build as the test command (scripts/test.sh), so the two share one set of artifacts:
# a plain `cargo build` resolves dependency features differently and would compile everything again.
cargo test --workspace --locked --no-run -q
TERRANE="$CARGO_TARGET_DIR/debug/terrane"

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
moto_server -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
cleanup() { kill "$MOTO_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export TERRANE_STATE="$WORK/state"
STACK=examples/quickstart

step "starting moto on $AWS_ENDPOINT_URL"
for _ in $(seq 1 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; then break; fi
  sleep 0.2
done

step "terrane validate $STACK"
"$TERRANE" validate "$STACK"

step "terrane plan $STACK"
"$TERRANE" plan "$STACK"

step "terrane apply --auto-approve $STACK"
"$TERRANE" apply --auto-approve "$STACK"

step "terrane output"
"$TERRANE" output

step "a second plan: nothing to do (exit code 0 with --detailed-exitcode)"
"$TERRANE" plan --detailed-exitcode "$STACK"

step "someone changes the queue behind terrane's back (AWS CLI: visibility timeout 60 -> 5)"
QUEUE_URL="$("$TERRANE" output queue_url)"
# AWS CLI v1 does not apply AWS_ENDPOINT_URL to every service: name the endpoint.
aws --endpoint-url "$AWS_ENDPOINT_URL" sqs set-queue-attributes --queue-url "$QUEUE_URL" --attributes VisibilityTimeout=5

step "terrane plan: the drift shows up, with its reason (exit code 2 = changes)"
set +e
"$TERRANE" plan --detailed-exitcode "$STACK"
code=$?
set -e
if [[ $code -ne 2 ]]; then
  echo "expected the plan to report the drift (exit 2), got $code" >&2
  exit 1
fi

step "terrane drift: the one-shot drift report for CI (exit code 2 = drifted)"
set +e
"$TERRANE" drift "$STACK"
code=$?
set -e
if [[ $code -ne 2 ]]; then
  echo "expected the drift report to find the change (exit 2), got $code" >&2
  exit 1
fi

step "terrane apply --auto-approve: puts the queue back as the configuration says"
"$TERRANE" apply --auto-approve "$STACK"

step "terrane drift: in sync again (exit code 0)"
"$TERRANE" drift "$STACK"

step "terrane state list"
"$TERRANE" state list

step "terrane destroy --auto-approve"
"$TERRANE" destroy --auto-approve "$STACK"

step "done: the quick start ran plan, apply, drift and destroy against a local AWS API"
