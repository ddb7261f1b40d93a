#!/usr/bin/env bash
# Detector speed side by side with ONNX Runtime on the original's model, in one run: rounds of
# `tools/time_onnxruntime.py` (onnxruntime on models/unsw-nb15-seed/model.onnx, default session
# options) interleaved with the criterion bench of the hand-written forward on the same model,
# so that both see the same machine. Dev-only; needs `pip install onnxruntime numpy`.
# ROUNDS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import onnxruntime" 2>/dev/null \
  || { echo "needs onnxruntime: pip install onnxruntime numpy" >&2; exit 1; }
cargo bench --quiet -p lstm-detector --bench detector --no-run
for round in $(seq "${ROUNDS:-3}"); do
  echo "== round $round"
  python3 tools/time_onnxruntime.py | grep -E "^batch"
  cargo bench --quiet -p lstm-detector --bench detector -- --warm-up-time 1 \
    --measurement-time 3 "detector_batch/unsw-nb15-seed/" 2>/dev/null \
    | grep -E "^detector_batch|time:" | grep -v "%" | paste - - | sed 's/  */ /g'
done
