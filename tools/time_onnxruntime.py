#!/usr/bin/env python3
"""Dev-only: times ONNX Runtime on the seed model's ONNX file, for a side-by-side comparison
with `cargo bench -p lstm-detector --bench detector` on the same machine.

    pip install onnxruntime numpy
    python3 tools/time_onnxruntime.py && cargo bench -p lstm-detector --bench detector

Prints the median of repeated runs for one window and batches of 64 and 1024 (default session
options, as a user of onnxruntime would run it). Not used by the service, the tests or CI.
"""
import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

MODEL = Path(__file__).resolve().parent.parent / "models/unsw-nb15-seed/model.onnx"


def median_seconds(session, batch, budget=3.0):
    x = np.full((batch, 10, 34), 0.25, dtype=np.float32)
    session.run(None, {"input": x})  # warm-up
    samples = []
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline or len(samples) < 20:
        start = time.perf_counter()
        session.run(None, {"input": x})
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    session = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    print(f"onnxruntime {ort.__version__}, {MODEL.name}")
    for batch in (1, 64, 1024):
        seconds = median_seconds(session, batch)
        print(
            f"batch {batch:>4}: median {seconds * 1e6:9.1f} µs  ({batch / seconds:,.0f} windows/s)"
        )


if __name__ == "__main__":
    main()
