#!/bin/bash
# The quality runs of docs/RESULTS.md at the full demo budget: SPMC and the single-frame baseline
# with seeds 1-3 (seed 0 is the README demo's run), and the ablation variants (seed 0). Jobs come from one queue and run on
# WORKERS processes side by side (default 2: one torch thread each keeps both cores of a 2-core
# machine busy); --skip-done makes a stopped run resumable.
#   nohup tools/benchmarks/run_quality.sh > work_dirs/quality/run.log 2>&1 &
#   python tools/benchmarks/write_results.py     # docs/RESULTS.md from work_dirs/quality/
# Each job: python tools/ablate.py CONFIG --seed S --work-dir work_dirs/quality/seedS --skip-done
set -u
cd "$(dirname "$0")/../.."
WORKERS=${WORKERS:-2}
OUT=${OUT:-work_dirs/quality}
A=configs/ablations
S=configs/spmc
mkdir -p "$OUT"
queue="$OUT/queue.txt"
# Most important first: the seed comparison, then the ablations (longest first, so that two
# workers end together), then a third seed of each model. Seed 0 of SPMC and the single-frame
# model is the README demo's own run (bash scripts/demo.sh; write_results.py reads its results).
cat > "$queue" <<JOBS
$S/spmc_x4_demo.py 1
$S/spmc_x4_demo.py 2
$S/single_frame_x4_demo.py 1
$S/single_frame_x4_demo.py 2
$S/bicubic_x4_demo.py 0
$A/spmc_x4_demo_7f.py 0
$A/spmc_x4_demo_5f.py 0
$A/spmc_x4_demo_nolstm.py 0
$A/spmc_x4_demo_cvflow.py 0
$A/spmc_x4_demo_warpresize.py 0
$A/spmc_x4_demo_zeroflow.py 0
$S/spmc_x4_demo.py 3
$S/single_frame_x4_demo.py 3
JOBS
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
worker() {
  while true; do
    job=$(flock "$queue.lock" sh -c 'head -n1 "$0"; sed -i 1d "$0"' "$queue")
    [ -z "$job" ] && return
    set -- $job
    echo "=== worker $w: $1 seed $2 $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg)"
    .venv/bin/python tools/ablate.py "$1" --seed "$2" --work-dir "$OUT/seed$2" --skip-done \
        --threads 1 --out "$OUT/seed$2/table.md" > "$OUT/$(basename "$1" .py)_seed$2.log" 2>&1 \
      || echo "=== worker $w: FAILED $1 seed $2 (see $OUT/$(basename "$1" .py)_seed$2.log)"
  done
}
for w in $(seq 1 "$WORKERS"); do worker & done
wait
echo "=== all done $(date -u +%H:%M:%S)"
