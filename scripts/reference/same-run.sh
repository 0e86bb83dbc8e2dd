#!/bin/bash
# Same-run comparison of the onnx engine with PyTorch: each `deit-eval bench` row (built CLI) is followed by the same
# workload in PyTorch 1.13 + timm (pytorch_bench_*.py, 2 threads), so both see the same machine state. Prints one
# line per measurement; compare adjacent lines as ratios. Needs `npm run build`, /usr/bin/python3 with torch and timm
# 0.9.16 on PYTHONPATH (TIMM=/path/to/timm-0.9.16-src, default /tmp/timm0916).
# usage: scripts/reference/same-run.sh [STEPS=5]
set -eu
cd "$(dirname "$0")/../.."
STEPS=${1:-5}
PY="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296 PYTHONPATH=${TIMM:-/tmp/timm0916} /usr/bin/python3"
load() { cut -d' ' -f1 /proc/loadavg; }
ours() { # label, deit-eval bench args...
  local label=$1; shift
  node apps/eval/dist/cli.js bench --json --engine onnx --steps "$STEPS" "$@" 2>/dev/null | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8")); const p = r.train ?? r.inference;
    console.log(`deitjs onnx  ${process.argv[1]}: ${p.imagesPerSecond.toFixed(2)} img/s (peak RSS ${Math.round(r.peakRssMiB)} MiB)`);' "$label (load $(load))"
}
ours "deit_tiny_distilled_patch16_224 inference b64" --model deit_tiny_distilled_patch16_224 --batch-size 64 --phases inference
STEPS=$STEPS $PY scripts/reference/pytorch_bench_infer.py | sed 's/^/             /'
for teacher in none resnet50 regnety_160; do
  extra=(); [ "$teacher" != none ] && extra=(--teacher "$teacher" --distillation-type hard --teacher-engine onnx)
  ours "deit_tiny_distilled_patch16_224 train b32 + $teacher" --model deit_tiny_distilled_patch16_224 --batch-size 32 --phases train "${extra[@]}"
  STEPS=$STEPS $PY scripts/reference/pytorch_bench_train.py "$teacher" | sed 's/^/             /'
done
ours "deit_tiny_distilled_patch4_32 train b128" --model deit_tiny_distilled_patch4_32 --batch-size 128 --phases train
STEPS=$STEPS $PY scripts/reference/pytorch_bench_train.py none deit_tiny_distilled_patch4_32 128 | sed 's/^/             /'
