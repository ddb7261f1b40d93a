#!/usr/bin/env python3
"""Write the real-rows parity fixture: windows of real UNSW-NB15 rows and what the original
model gives for them with the training vocabularies and the original scaler.

Developer-only. Encodes independently of the Rust code (scikit-learn's MinMaxScaler from
`scaler.pkl`, vocabularies from `vocabularies.json`) and scores with onnxruntime on
`models/unsw-nb15-seed/model.onnx`, which reproduces TensorFlow within 6.6e-7
(see tools/convert_seed.py). The Rust tests post these windows through the whole data path.

Usage: python3 tools/make_real_rows_golden.py [--shared ../shared] [--windows 24]
"""
import argparse
import csv
import json
import pathlib
import warnings

import joblib
import numpy as np
import onnxruntime as ort

warnings.filterwarnings("ignore", message="Trying to unpickle")
warnings.filterwarnings("ignore", message="X does not have valid feature names")
CATEGORICAL = ("proto", "service", "state")


def main() -> None:
    root = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=pathlib.Path, default=root.parent / "shared")
    parser.add_argument("--windows", type=int, default=24)
    parser.add_argument(
        "--out", type=pathlib.Path,
        default=root / "crates" / "lstm-detector" / "tests" / "fixtures" / "real_rows_golden.json",
    )
    args = parser.parse_args()
    seed = args.shared / "seed"
    columns = json.loads((seed / "feature_info.json").read_text())["columns"]
    vocab = json.loads((seed / "vocabularies.json").read_text())
    scaler = joblib.load(seed / "scaler.pkl")

    source = args.shared / "data" / "UNSW_NB15_testing-set.dev.csv"
    with open(source, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))

    def flow(row):
        out = {}
        for c in columns:
            if c in CATEGORICAL:
                out[c] = row[c]
            else:
                value = float(row[c])
                out[c] = int(value) if value.is_integer() and "." not in row[c] else value
        return out

    def encode(f):
        out = []
        for c in columns:
            v = f[c]
            if c == "service" and v == "-":
                v = "None"
            out.append(float(vocab[c].index(v)) if c in CATEGORICAL else float(v))
        return out

    # Spread the windows over the file so they cover normal and attack traffic.
    starts = np.linspace(0, len(rows) - 10, args.windows).astype(int)
    windows = [[flow(r) for r in rows[s:s + 10]] for s in starts]
    x = np.stack([scaler.transform(np.array([encode(f) for f in w])) for w in windows]).astype(np.float32)
    session = ort.InferenceSession(str(root / "models" / "unsw-nb15-seed" / "model.onnx"))
    probabilities = session.run(None, {"input": x})[0][:, 0]

    fixture = {
        "description": "Windows of 10 consecutive rows of " + source.name + " (first row index "
        "given) and the original model's probability with the training vocabularies and the "
        "original scaler (scikit-learn + onnxruntime, written by tools/make_real_rows_golden.py).",
        "windows": [
            {"first_row": int(s), "label": int(rows[s + 9]["label"]), "sequence": w, "probability": float(p)}
            for s, w, p in zip(starts, windows, probabilities)
        ],
    }
    args.out.write_text(json.dumps(fixture) + "\n")
    print(f"wrote {len(windows)} windows to {args.out}; probabilities {np.round(probabilities, 3)}")


if __name__ == "__main__":
    main()
