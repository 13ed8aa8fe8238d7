#!/usr/bin/env bash
# Installs the local AWS API (moto server) and the AWS CLI into ./.venv, pinned, once.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.1
AWSCLI_VERSION=1.45.11
if [[ -x .venv/bin/moto_server && -x .venv/bin/aws ]] \
  && .venv/bin/python -c "import importlib.metadata as m; assert m.version('moto') == '$MOTO_VERSION'" 2>/dev/null; then
  exit 0
fi
echo "==> installing moto[server]==$MOTO_VERSION and awscli==$AWSCLI_VERSION into .venv"
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "awscli==$AWSCLI_VERSION"
