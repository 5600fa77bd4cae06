#!/bin/bash
# The timing runs of docs/BENCHMARKS.md, each under the shared CPU lock, with the machine load
# before and after each (concurrent load inflates wall times). Output: work_dirs/bench/*.txt
#   tools/benchmarks/run_benchmarks.sh [ops] [model] [schedule] [data]   (default: all four)
set -u
cd "$(dirname "$0")/../.."
mkdir -p work_dirs/bench
PY=.venv/bin/python
LOCK=/tmp/vsrkit_cpu.lock
what=${*:-ops model schedule data}
stamp() { echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC') uptime:$(uptime | sed 's/.*load/ load/')"; }
for w in $what; do
  out=work_dirs/bench/$w.txt
  case $w in
    ops) cmd="$PY tools/benchmarks/bench_ops.py --threads 2 --reps 10 && $PY tools/benchmarks/bench_ops.py --threads 1 --reps 10 --sizes 480x640" ;;
    model) cmd="$PY tools/benchmarks/bench_model.py all --threads 2 --iters 25 && $PY tools/benchmarks/bench_model.py parts --model demo --size 180x320 --threads 2" ;;
    schedule) cmd="$PY tools/benchmarks/bench_schedule.py --factor 0.1" ;;
    data) cmd="$PY tools/benchmarks/bench_data.py" ;;
    *) echo "unknown benchmark $w"; exit 2 ;;
  esac
  { stamp; echo "\$ $cmd"; flock $LOCK bash -c "stamp() { echo \"# \$(date -u '+%H:%M:%S UTC') uptime:\$(uptime | sed 's/.*load/ load/')\"; }; stamp; $cmd; stamp"; } > "$out" 2>&1
  echo "$w -> $out"
done
