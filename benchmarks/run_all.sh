#!/usr/bin/env bash
# Every benchmark the README quotes, one after the other (they time the same 2 cores, so never in
# parallel), each one's output in OUT/NAME.txt. Usage: benchmarks/run_all.sh [OUT] [NAME ...]
# (default OUT: runs/bench; NAMEs pick a subset). About two and a half hours on 2 cores, figure4 most of it.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/bench}
shift || true
PY=${PYTHON:-.venv/bin/python}
mkdir -p "$OUT"
declare -A ARGS=(
  [language_speed]=""
  [startup]=""
  [openmp_wait]="--full"
  [precision]="--threads 2 --profile"
  [inference_options]="--compile"
  [tf_comparison]=""
  [gpu_check]=""
  [render_speed]=""
  [evolution_overhead]=""
  [flow_layer]="--repeats 3"
  [flow_share]="--repeats 3"
  [flow_accuracy]="--repeats 3"
  [compiler_overhead]="--repeats 3"
  [cpu_settings]="--quick --compile fp32"
  [data_throughput]=""
  [runtime_conv_layout]="--repeats 3"
  [proxy_fitness]=""
  [proxy_task]=""
  [edge_signal]="--out $OUT/edge_signal"
  [evolution_figure4]="--out $OUT/figure4"
  [proxy_ordering]="--runs $OUT/figure4"
)
ORDER=(language_speed startup openmp_wait render_speed evolution_overhead flow_layer flow_share flow_accuracy compiler_overhead cpu_settings
       precision inference_options tf_comparison gpu_check data_throughput runtime_conv_layout proxy_fitness proxy_task edge_signal evolution_figure4 proxy_ordering)
NAMES=("${@:-${ORDER[@]}}")
for name in "${NAMES[@]}"; do
  echo "== $name ${ARGS[$name]} ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$PY" "benchmarks/$name.py" ${ARGS[$name]} 2>&1 | tee "$OUT/$name.txt"
  echo "== $name took $(( $(date +%s) - start )) s"
done
