#!/bin/bash
# The ablation run of docs/RESULTS.md, one flock per variant so that other heavy jobs on a shared
# machine can interleave between variants; --skip-done makes the script resumable.
#   nohup tools/benchmarks/run_ablation.sh [FACTOR] [ME_FACTOR] > work_dirs/ablate/run.log 2>&1 &
# FACTOR (default 0.1) scales every SR variant's schedule (work_dirs/ablate/table.md);
# ME_FACTOR (default 0.5) scales the three motion-only warp-loss cases, which cost ~0.3 s per
# iteration, so they can afford half the demo's motion stage (work_dirs/ablate_me/table.md).
set -u
cd "$(dirname "$0")/../.."
FACTOR=${1:-0.1}
ME_FACTOR=${2:-0.5}
A=configs/ablations
export OMP_NUM_THREADS=1
run() {  # run WORK_DIR FACTOR CONFIG
  echo "=== $3 x$2 $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  flock /tmp/vsrkit_cpu.lock .venv/bin/python tools/ablate.py "$3" --iters-factor "$2" --seed 0 \
      --work-dir "$1" --skip-done --threads 1
}
for c in configs/spmc/bicubic_x4_demo.py configs/spmc/spmc_x4_demo.py \
         $A/me_warploss_masked.py $A/me_warploss_centred.py $A/me_warploss_unit.py; do
  run work_dirs/ablate "$FACTOR" "$c"
done
for c in $A/me_warploss_masked.py $A/me_warploss_centred.py $A/me_warploss_unit.py; do
  run work_dirs/ablate_me "$ME_FACTOR" "$c"
done
for c in $A/spmc_x4_demo_end2end.py $A/spmc_x4_demo_zeroflow.py $A/spmc_x4_demo_warpresize.py \
         $A/spmc_x4_demo_nolstm.py configs/spmc/single_frame_x4_demo.py $A/spmc_x4_demo_cvflow.py \
         $A/spmc_x4_demo_5f.py $A/spmc_x4_demo_7f.py; do
  run work_dirs/ablate "$FACTOR" "$c"
done
echo "=== all done $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg)"
