//! `anomaly train` then `anomaly evaluate` end to end on the committed 2,000-row fixture.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn anomaly(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "anomaly {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn is_png(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.len() > 10_000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

#[test]
fn train_writes_a_complete_model_and_evaluate_reproduces_its_test_metrics() {
    let fixture = repo("crates/lstm-detector/tests/fixtures/flows_train_2k.parquet");
    let fixture = fixture.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("fixture-model");
    let model = model.to_str().unwrap();
    anomaly(&[
        "train",
        "--data",
        fixture,
        "--out",
        model,
        "--epochs",
        "5",
        "--hidden-sizes",
        "16",
        "--head-sizes",
        "32",
        "--batch-size",
        "64",
    ]);

    for file in [
        "model.json",
        "preprocessing.json",
        "weights.bpk",
        "baseline.json",
        "card.json",
        "README.md",
    ] {
        assert!(Path::new(model).join(file).exists(), "{file} missing");
    }
    let card = json(&Path::new(model).join("card.json"));
    assert_eq!(card["id"], "fixture-model");
    assert_eq!(card["data"]["rows"], 2000);
    assert_eq!(card["data"]["sha256"].as_str().unwrap().len(), 64);
    // 70/30 split of 2,000 rows, the training part's last 10 % validates; 9 rows per part
    // start no window.
    assert_eq!(card["windows"]["train"], 1260 - 9);
    assert_eq!(card["windows"]["validation"], 140 - 9);
    assert_eq!(card["windows"]["test"], 600 - 9);
    assert_eq!(
        card["training"]["network"]["hidden_sizes"],
        serde_json::json!([16])
    );
    assert_eq!(card["history"].as_array().unwrap().len(), 5);
    let readme = std::fs::read_to_string(Path::new(model).join("README.md")).unwrap();
    assert!(readme.contains("accuracy **"), "{readme}");

    let out = dir.path().join("evaluation");
    let seed_model = repo("models/unsw-nb15-seed");
    let table = anomaly(&[
        "evaluate",
        "--data",
        fixture,
        "--model",
        model,
        "--model",
        seed_model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(table.contains("| attack |"), "{table}");
    assert!(table.contains("these test rows were held out"), "{table}");
    let report = json(&out.join("evaluation.json"));
    let models = report["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    // Evaluate recomputes the same split and windows as train did: identical metrics.
    assert_eq!(models[0]["evaluation"], card["test"]);
    assert_eq!(models[1]["id"], "unsw-nb15-seed");
    assert_eq!(models[1]["evaluation"]["windows"], 591);
    let accuracy = models[0]["evaluation"]["accuracy"].as_f64().unwrap();
    // Well above the majority class's share (55 % attacks) after five short epochs.
    assert!(accuracy > 0.75, "{accuracy}");
    assert!(is_png(&out.join("roc.png")));
    assert!(is_png(&out.join("loss.png")));
}

#[test]
fn train_reports_a_file_without_labels() {
    let dir = tempfile::tempdir().unwrap();
    let unlabeled = dir.path().join("unlabeled.csv");
    let csv = std::fs::read_to_string(repo("crates/flow-features/tests/fixtures/flows_small.csv"))
        .unwrap();
    // Drop the last two columns (attack_cat, label) of every line.
    let stripped: String = csv
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            fields[..fields.len() - 2].join(",") + "\n"
        })
        .collect();
    std::fs::write(&unlabeled, stripped).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .args(["train", "--data", unlabeled.to_str().unwrap(), "--out"])
        .arg(dir.path().join("m"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no label"), "{stderr}");
}
