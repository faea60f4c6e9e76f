#!/usr/bin/env bash
# Every benchmark docs/ quotes, one after the other (they time the same cores, so never in parallel),
# each one's output in OUT/NAME.txt. Usage: benchmarks/run_all.sh [OUT] [NAME ...] (default OUT:
# runs/bench; NAMEs pick a subset). How long it runs: docs/measurements.md.
#
# ARGS is the one statement of each benchmark's arguments: docs/ quotes exactly these (with OUT as
# runs/bench), and tests/benchmarks/test_run_all.py compares them. Every benchmark with a block in
# docs/ passes --write-docs and writes its table there itself, so `make bench` regenerates every table.
# A NAME of the form MODULE:VARIANT runs MODULE with other arguments for another table (its block).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/bench}
shift || true
PY=${PYTHON:-.venv/bin/python}
mkdir -p "$OUT"
declare -A ARGS=(
  [language_speed]="--write-docs"
  [startup]="--rounds 8 --write-docs"
  [lsp_latency]="--write-docs"
  [dashboard_speed]="--write-docs"
  [openmp_wait]="--rounds 2 --full --write-docs"
  [precision]="--repeats 3 --full-repeats 2 --profile --write-docs"
  [inference_options]="--rounds 12 --compile --write-docs"
  [tf_comparison]="--repeats 5 --write-docs"
  [tf_comparison:training]="--training --repeats 3 --write-docs tf_comparison:training"
  [forward_profile]="--write-docs"
  [tf_plus_parity]="--write-json"
  [plus_parity]="--write-docs"
  [attention_cost]="--write-docs"
  [gpu_check]=""
  [render_speed]="--write-docs"
  [evolution_overhead]=""
  [latency_noise]="--write-docs"
  [latency_noise:2threads]="--threads 2 --write-docs latency_noise:2threads"
  [flow_layer]="--repeats 3"
  [flow_share]="--repeats 3 --write-docs"
  [flow_accuracy]="--write-docs"
  [compiler_overhead]="--repeats 3 --write-docs"
  [cpu_settings]="--quick --compile fp32 --write-docs"
  [data_throughput]="--write-docs"
  [runtime_conv_layout]="--repeats 3"
  [proxy_fitness]=""
  [proxy_task]="--write-docs"
  [edge_signal]="--multipliers 1,10 --out $OUT/edge_signal --write-docs"
  [edge_signal:120it]="--iterations 120 --size 32 --data proxy:train=1024,val=256,size=32,seed=7 --multipliers 1,10,30 --out $OUT/edge_signal_120it --write-docs edge_signal:120it"
  [edge_signal:60it]="--iterations 60 --size 32 --data proxy:train=1024,val=256,size=32,seed=7 --multipliers 1,10,30,100 --out $OUT/edge_signal_60it --write-docs edge_signal:60it"
  [evolution_figure4]="--out $OUT/figure4 --write-docs"
  [proxy_ordering]="--runs $OUT/figure4 --write-docs"
  [guidance_anatomy]="--runs $OUT/figure4 --write-docs"
  [cost_search]="--out $OUT/cost_search --write-docs"
)
ORDER=(language_speed startup lsp_latency dashboard_speed openmp_wait render_speed evolution_overhead latency_noise latency_noise:2threads flow_layer flow_share flow_accuracy compiler_overhead cpu_settings
       precision inference_options tf_comparison tf_comparison:training forward_profile tf_plus_parity plus_parity attention_cost gpu_check data_throughput runtime_conv_layout proxy_fitness proxy_task
       edge_signal edge_signal:120it edge_signal:60it evolution_figure4 proxy_ordering guidance_anatomy cost_search)
NAMES=("${@:-${ORDER[@]}}")
for name in "${NAMES[@]}"; do
  if [[ ! -v "ARGS[$name]" ]]; then
    echo "run_all.sh: no benchmark named $name (one of: ${ORDER[*]})" >&2
    exit 2
  fi
  echo "== $name ${ARGS[$name]} ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$PY" -m "benchmarks.${name%%:*}" ${ARGS[$name]} 2>&1 | tee "$OUT/${name/:/_}.txt"
  echo "== $name took $(( $(date +%s) - start )) s"
done
