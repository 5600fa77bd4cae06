#!/bin/bash
# Wheels of what a GPU machine's own python (3.12, with a CUDA torch, numpy, OpenCV, rich,
# PyYAML, matplotlib) lacks for vsrkit, the versions of this checkout's .venv, into .whl/ (kept
# out of git by .git/info/exclude), for tools/benchmarks/run_gpu_checks.sh to install there.
#   bash tools/benchmarks/gpu_wheels.sh [PYTHON_VERSION]      (default 3.12)
set -euo pipefail
cd "$(dirname "$0")/../.."
pyver=${1:-3.12}
PY=.venv/bin/python
[ -x $PY ] || { echo "gpu_wheels.sh: error: no .venv here (run bash scripts/setup_env.sh first)" >&2; exit 2; }
pkgs=$($PY - <<'PY'
from importlib.metadata import version
print(' '.join(f'{n}=={version(n)}' for n in
               ('mmengine', 'addict', 'termcolor', 'yapf', 'platformdirs', 'lmdb', 'av')))
PY
)
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
rm -rf .whl
platforms=""
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  platforms="$platforms --platform $p"
done
$PY -m pip download -q --no-deps --only-binary=:all: --python-version "$pyver" --implementation cp \
  $platforms -d .whl $pkgs
ls -l .whl
du -sh .whl
