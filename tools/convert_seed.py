#!/usr/bin/env python3
"""Convert the original system's artifacts into a model directory this project serves.

One-off, developer-only tool (never needed at run time). Reads the original's files from
`../shared/seed` and writes into `models/unsw-nb15-seed/`:

* `model.onnx` – the Keras LSTM(20) -> LSTM(20) -> Dense(1, sigmoid) as an ONNX graph, built
  directly from `lstm_model.weights.h5` with h5py + onnx (no TensorFlow needed);
* `preprocessing.json` – column order, sequence length, vocabularies and Min-Max ranges taken
  from `scaler.pkl`, `label_encoder.pkl` and `vocabularies.json`.

The ONNX file is then turned into Burn weights by `cargo run -p onnx-import` (burn-onnx).

Checks inside: onnxruntime (when installed) reproduces the TensorFlow probabilities of
`../shared/golden/keras_parity_public.json`, and the scaler reproduces the golden scaled matrix
of `seed_sample_prediction.json`.

Usage: pip install h5py onnx numpy scikit-learn joblib onnxruntime
       python3 tools/convert_seed.py [--shared ../shared] [--out models/unsw-nb15-seed]
"""
import argparse
import json
import pathlib
import warnings

import h5py
import joblib
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HIDDEN = 20

warnings.filterwarnings("ignore", message="Trying to unpickle")  # the pickles are from scikit-learn 1.6


def keras_to_onnx_gates(m: np.ndarray) -> np.ndarray:
    """Reorder the last axis' four gate blocks from Keras (i, f, c, o) to ONNX (i, o, f, c)."""
    i, f, c, o = np.split(m, 4, axis=-1)
    return np.concatenate([i, o, f, c], axis=-1)


def lstm_initializers(h5, group: str, prefix: str):
    kernel = h5[f"layers/{group}/cell/vars/0"][()]  # [input, 4H]
    recurrent = h5[f"layers/{group}/cell/vars/1"][()]  # [H, 4H]
    bias = h5[f"layers/{group}/cell/vars/2"][()]  # [4H]
    w = keras_to_onnx_gates(kernel).T[np.newaxis].astype(np.float32)  # [1, 4H, input]
    r = keras_to_onnx_gates(recurrent).T[np.newaxis].astype(np.float32)  # [1, 4H, H]
    b = np.concatenate([keras_to_onnx_gates(bias), np.zeros(4 * HIDDEN, np.float32)])
    b = b[np.newaxis].astype(np.float32)  # [1, 8H]: Keras has one bias, ONNX has Wb and Rb
    return [
        numpy_helper.from_array(w, f"{prefix}_W"),
        numpy_helper.from_array(r, f"{prefix}_R"),
        numpy_helper.from_array(b, f"{prefix}_B"),
    ]


def build_onnx(weights: pathlib.Path, seq_len: int, n_features: int) -> onnx.ModelProto:
    with h5py.File(weights, "r") as h5:
        inits = lstm_initializers(h5, "lstm", "lstm1") + lstm_initializers(h5, "lstm_1", "lstm2")
        dense_w = h5["layers/dense/vars/0"][()].astype(np.float32)  # [20, 1]
        dense_b = h5["layers/dense/vars/1"][()].astype(np.float32)  # [1]
    inits += [
        numpy_helper.from_array(dense_w, "dense_W"),
        numpy_helper.from_array(dense_b, "dense_B"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array([0], np.int64), "axis0"),
    ]
    lstm_attrs = dict(hidden_size=HIDDEN, layout=0)
    nodes = [
        helper.make_node("Transpose", ["input"], ["time_major"], perm=[1, 0, 2]),
        helper.make_node("LSTM", ["time_major", "lstm1_W", "lstm1_R", "lstm1_B"], ["lstm1_Y"], **lstm_attrs),
        helper.make_node("Squeeze", ["lstm1_Y", "axis1"], ["lstm1_seq"]),
        helper.make_node("LSTM", ["lstm1_seq", "lstm2_W", "lstm2_R", "lstm2_B"], ["", "lstm2_Yh"], **lstm_attrs),
        helper.make_node("Squeeze", ["lstm2_Yh", "axis0"], ["lstm2_last"]),
        helper.make_node("MatMul", ["lstm2_last", "dense_W"], ["logit_mm"]),
        helper.make_node("Add", ["logit_mm", "dense_B"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["probability"]),
    ]
    graph = helper.make_graph(
        nodes,
        "unsw_nb15_seed_lstm",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", seq_len, n_features])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch", 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.producer_name = "tools/convert_seed.py"
    onnx.checker.check_model(model)
    return model


def build_preprocessing(seed: pathlib.Path) -> dict:
    info = json.loads((seed / "feature_info.json").read_text())
    vocab = json.loads((seed / "vocabularies.json").read_text())
    scaler = joblib.load(seed / "scaler.pkl")
    state_encoder = joblib.load(seed / "label_encoder.pkl")
    assert list(scaler.feature_names_in_) == info["columns"], "scaler columns differ"
    assert list(state_encoder.classes_) == vocab["state"], "state vocabulary differs"
    assert tuple(scaler.feature_range) == (0, 1) and not scaler.clip
    columns = []
    for name, lo, hi in zip(info["columns"], scaler.data_min_, scaler.data_max_):
        column = {"name": name, "scaling": {"type": "min_max", "data_min": float(lo), "data_max": float(hi)}}
        if name in ("proto", "service", "state"):
            encoding = {"type": "categorical", "vocabulary": vocab[name]}
            if name == "service":
                encoding["aliases"] = {"-": "None"}  # the original replaced '-' before encoding
            assert len(vocab[name]) == int(hi) + 1, f"{name}: vocabulary and scaler disagree"
            column["encoding"] = encoding
        else:
            column["encoding"] = {"type": "numeric"}
        columns.append(column)
    return {"sequence_length": info["sequence_length"], "columns": columns}


def check_onnx(path: pathlib.Path, golden: pathlib.Path) -> None:
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed: skipping the parity check")
        return
    data = json.loads((golden / "keras_parity_public.json").read_text())
    windows = np.asarray(data["windows"], np.float32)
    expected = np.asarray(data["probabilities"], np.float64)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": windows})[0][:, 0]
    err = np.abs(got - expected).max()
    print(f"onnxruntime vs TensorFlow on {len(expected)} windows: max abs error {err:.2e}")
    assert err < 1e-5, err


def check_scaler(seed: pathlib.Path, golden: pathlib.Path) -> None:
    sample = json.loads((golden / "seed_sample_prediction.json").read_text())
    scaler = joblib.load(seed / "scaler.pkl")
    x = np.asarray(sample["encoded_unscaled"], np.float64)
    lo, hi = scaler.data_min_, scaler.data_max_
    rng = np.where(hi - lo == 0, 1.0, hi - lo)
    scale = 1.0 / rng  # scikit-learn's arithmetic, which the Rust scaler repeats
    ours = (x * scale + (-lo * scale)).astype(np.float32)
    assert np.array_equal(ours, np.asarray(sample["scaled"], np.float32)), "scaler mismatch"


def main() -> None:
    root = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=pathlib.Path, default=root.parent / "shared")
    parser.add_argument("--out", type=pathlib.Path, default=root / "models" / "unsw-nb15-seed")
    args = parser.parse_args()
    seed, golden = args.shared / "seed", args.shared / "golden"
    args.out.mkdir(parents=True, exist_ok=True)

    preprocessing = build_preprocessing(seed)
    (args.out / "preprocessing.json").write_text(json.dumps(preprocessing, indent=1) + "\n")
    check_scaler(seed, golden)

    n_features = len(preprocessing["columns"])
    model = build_onnx(seed / "lstm_model.weights.h5", preprocessing["sequence_length"], n_features)
    onnx.save(model, args.out / "model.onnx")
    check_onnx(args.out / "model.onnx", golden)
    print(f"wrote {args.out}/model.onnx and preprocessing.json")


if __name__ == "__main__":
    main()
