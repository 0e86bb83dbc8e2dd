#!/bin/sh
# Runs the 3 seeds x {3 channels (our exact recipe), 1 channel} x {teacher, distilled, baseline}, one process at a time.
# PyTorch from Debian (python3-torch) links the reference BLAS (~6x slower); an extracted libopenblas0-serial is used
# when present: apt-get download libopenblas0-serial && dpkg -x libopenblas0-serial_*.deb /tmp/openblas/root
set -e
cd "$(dirname "$0")"
OB=/tmp/openblas/root/usr/lib/x86_64-linux-gnu/openblas-serial
[ -d "$OB" ] && export LD_LIBRARY_PATH="$OB"
OUT=${OUT:-/tmp/ref-runs}
[ -f /tmp/mnist-split/seed2-test-labels.npy ] || node export-mnist-split.mjs /tmp/mnist-split
for seed in ${SEEDS:-0 1 2}; do
  for ch in 3 1; do
    /usr/bin/python3 mnist_reference.py --stage all --seed "$seed" --channels "$ch" --out "$OUT" "$@"
  done
done
