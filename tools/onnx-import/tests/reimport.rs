//! The committed seed weights are exactly what burn-onnx makes of the committed ONNX file.

use std::path::Path;
use std::process::Command;

use lstm_detector::Detector;

#[test]
fn reimporting_the_onnx_file_reproduces_the_committed_model() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/unsw-nb15-seed");
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_onnx-import"))
        .arg("--onnx")
        .arg(seed.join("model.onnx"))
        .arg("--preprocessing")
        .arg(seed.join("preprocessing.json"))
        .arg("--out")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());

    for file in ["model.json", "preprocessing.json"] {
        let fresh = std::fs::read_to_string(out.path().join(file)).unwrap();
        let committed = std::fs::read_to_string(seed.join(file)).unwrap();
        assert_eq!(fresh, committed, "{file} differs from a fresh import");
    }
    let fresh = Detector::from_dir(out.path()).unwrap();
    let committed = Detector::from_dir(&seed).unwrap();
    let windows: Vec<f32> = (0..8 * 340)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
        .collect();
    let windows = lstm_detector::WindowBatch::from_values(windows, 10, 34).unwrap();
    assert_eq!(
        fresh.probabilities(&windows).unwrap(),
        committed.probabilities(&windows).unwrap()
    );
}
