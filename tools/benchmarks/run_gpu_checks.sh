#!/bin/bash
# The GPU checks of docs/BENCHMARKS.md in one run, on a CUDA machine whose python3 has a CUDA
# torch: the CUDA tests (tests/cuda, against the CPU) with the op and model tests, the model
# benchmark in fp32 and bf16 (ms/frame and % of the GPU's measured peak, training steps), an
# fp16 training step (GradScaler), and the SPMC op against grid_sample. What that python lacks
# (mmengine, lmdb, av, ...) is installed from .whl/ when present (tools/benchmarks/gpu_wheels.sh).
# There is no git history on such a copy: the "before" columns stay empty (--before none).
#   bash tools/benchmarks/run_gpu_checks.sh [OUT_DIR]      (default: $OUT, else work_dirs/gpu)
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-work_dirs/gpu}}
mkdir -p "$out"
PY=${PY:-python3}
export PYTHONUNBUFFERED=1
if compgen -G '.whl/*.whl' > /dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/vsrkit_site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/vsrkit_site${PYTHONPATH:+:$PYTHONPATH}
fi
$PY -c "import sys, torch; torch.cuda.is_available() or sys.exit('run_gpu_checks.sh: error: \
torch ' + torch.__version__ + ' sees no CUDA device'); print('torch', torch.__version__, torch.cuda.get_device_name())" || exit 1
status=0
step() {  # step NAME CMD...: runs CMD, its output also in $out/NAME.txt; a failure fails the run
  local name=$1; shift
  echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC') $*" | tee "$out/$name.txt"
  "$@" 2>&1 | tee -a "$out/$name.txt" || status=1
}
step tests $PY -m pytest -q -p no:cacheprovider tests/cuda tests/ops tests/models
step model $PY tools/benchmarks/bench_model.py all --device cuda --before none --iters 25
step model_bf16 $PY tools/benchmarks/bench_model.py all --device cuda --amp bf16 --before none --iters 25
step train_fp16 $PY tools/benchmarks/bench_model.py train-step --stage fusion --device cuda \
  --amp fp16 --before none --reps 25
step ops $PY tools/benchmarks/bench_ops.py --device cuda
exit $status
