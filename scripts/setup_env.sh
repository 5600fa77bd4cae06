#!/usr/bin/env bash
# Create .venv and install vsrkit into it (editable, with the dev and data extras).
# Re-running is cheap: it reinstalls only when setup.py changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.vsrkit-installed
want=$(sha1sum setup.py | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing vsrkit and its pinned dependencies into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,data]" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  .venv/bin/python -c "import vsrkit, torch, mmengine" || { echo "[setup] install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
