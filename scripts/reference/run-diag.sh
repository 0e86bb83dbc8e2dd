#!/bin/sh
# Mechanism check for the channel effect: baseline students (no teacher needed) with the patch-embedding weight's lr
# scaled — 3 channels at lr/3 (what AdamW's step would be with one channel) and 1 channel at lr·3 — paired with the
# plain runs of run-all.sh (same init, batches, shifts and drop-path masks per seed).
set -e
cd "$(dirname "$0")"
OB=/tmp/openblas/root/usr/lib/x86_64-linux-gnu/openblas-serial
[ -d "$OB" ] && export LD_LIBRARY_PATH="$OB"
OUT=${OUT:-/tmp/ref-runs}
for seed in ${SEEDS:-0 1 2 3 4 5}; do
  /usr/bin/python3 mnist_reference.py --stage baseline --seed "$seed" --channels 3 --pe-lr-mult 0.3333333 --out "$OUT"
  /usr/bin/python3 mnist_reference.py --stage baseline --seed "$seed" --channels 1 --pe-lr-mult 3 --out "$OUT"
done
