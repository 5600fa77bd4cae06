#!/bin/bash
# The ablation run of docs/RESULTS.md: every variant with one budget (--iters-factor, default 0.1
# of each config's schedule) and seed 0, one flock per variant so that other heavy jobs on a
# shared machine can interleave between variants. Results: work_dirs/ablate/table.md.
#   nohup tools/benchmarks/run_ablation.sh [FACTOR] > work_dirs/ablate/run.log 2>&1 &
set -u
cd "$(dirname "$0")/../.."
FACTOR=${1:-0.1}
A=configs/ablations
export OMP_NUM_THREADS=1
for c in $A/bicubic_x4_demo.py configs/spmc/spmc_x4_demo.py $A/singleframe_x4_demo.py \
         $A/me_warploss_masked.py $A/me_warploss_centred.py $A/me_warploss_unit.py \
         $A/spmc_x4_demo_end2end.py $A/spmc_x4_demo_zeroflow.py $A/spmc_x4_demo_warpresize.py \
         $A/spmc_x4_demo_nolstm.py $A/spmc_x4_demo_cvflow.py $A/spmc_x4_demo_5f.py $A/spmc_x4_demo_7f.py; do
  echo "=== $c $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg)"
  flock /tmp/vsrkit_cpu.lock .venv/bin/python tools/ablate.py "$c" --iters-factor "$FACTOR" --seed 0 \
      --work-dir work_dirs/ablate --skip-done --threads 1
done
echo "=== all done $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg)"
