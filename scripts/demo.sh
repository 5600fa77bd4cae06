#!/usr/bin/env bash
# The main job: set up, build the demo LMDBs from the bundled videos, train SPMC through its three
# stages on the CPU, evaluate on the held-out clip and print bicubic / single-frame / SPMC figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
exec .venv/bin/python tools/demo.py "$@"
