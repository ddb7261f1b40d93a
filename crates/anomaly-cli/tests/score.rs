//! `anomaly score` end to end on a small committed flow file, in every output format.

use std::path::{Path, PathBuf};
use std::process::Command;

use flow_features::read_flows;
use lstm_detector::Detector;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Runs `anomaly score <input> --out <out>` and checks it succeeded.
fn score(input: &Path, out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .arg("score")
        .arg(input)
        .arg("--detector")
        .arg(repo("models/unsw-nb15-seed"))
        .arg("--out")
        .arg(out)
        .args(["--batch", "7"]) // several batches, the last one partial
        .status()
        .unwrap();
    assert!(status.success());
}

/// The probabilities `Detector::predict` gives each window of the file, from row 9 on.
fn expected(input: &Path) -> Vec<(u64, f32, Option<u8>)> {
    let detector = Detector::from_dir(repo("models/unsw-nb15-seed")).unwrap();
    let rows = read_flows(input).unwrap();
    let flows: Vec<_> = rows.iter().map(|r| r.flow.clone()).collect();
    (9..rows.len())
        .map(|i| {
            let p = detector.predict(&flows[i - 9..=i]).unwrap().probability;
            (i as u64, p, rows[i].label)
        })
        .collect()
}

#[test]
fn scores_every_window_in_file_order_as_csv_jsonl_and_parquet() {
    let input = repo("crates/flow-features/tests/fixtures/flows_small.csv");
    let expected = expected(&input);
    assert_eq!(expected.len(), 32 - 9);
    let dir = tempfile::tempdir().unwrap();

    let csv_out = dir.path().join("scores.csv");
    score(&input, &csv_out);
    let mut reader = csv::Reader::from_path(&csv_out).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    // The original's model has no category head: its category cells are empty.
    assert_eq!(
        header,
        [
            "row",
            "probability",
            "class",
            "category",
            "category_probability",
            "category_top",
            "label",
            "attack_cat"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), expected.len());
    for (row, (index, probability, label)) in rows.iter().zip(&expected) {
        assert_eq!(row[0].parse::<u64>().unwrap(), *index);
        let got: f32 = row[1].parse().unwrap();
        assert!(
            (got - probability).abs() < 1e-6,
            "row {index}: {got} vs {probability}"
        );
        assert_eq!(row[2].parse::<u8>().unwrap(), u8::from(*probability > 0.5));
        assert!((3..6).all(|cell| row[cell].is_empty()), "{row:?}");
        assert_eq!(row[6].parse::<u8>().ok(), *label);
    }

    let jsonl_out = dir.path().join("scores.jsonl");
    score(&input, &jsonl_out);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl_out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expected.len());
    assert_eq!(lines[0]["row"], 9);
    assert!((lines[0]["probability"].as_f64().unwrap() - f64::from(expected[0].1)).abs() < 1e-6);

    let parquet_out = dir.path().join("scores.parquet");
    score(&input, &parquet_out);
    let file = std::fs::File::open(&parquet_out).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut probabilities = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch
            .column_by_name("probability")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::Float32Array>()
            .unwrap()
            .clone();
        probabilities.extend(column.values().iter().copied());
    }
    let want: Vec<f32> = expected.iter().map(|e| e.1).collect();
    assert_eq!(probabilities.len(), want.len());
    assert!(
        probabilities
            .iter()
            .zip(&want)
            .all(|(a, b)| (a - b).abs() < 1e-6)
    );
}

#[test]
fn a_file_that_cannot_be_read_is_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .args(["score", "/nonexistent/flows.parquet", "--detector"])
        .arg(repo("models/unsw-nb15-seed"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/flows.parquet"), "{stderr}");
}

#[test]
fn the_default_detector_is_embedded_and_works_from_any_directory() {
    let input = repo("crates/flow-features/tests/fixtures/flows_small.csv");
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path().join("scores.csv");
    let status = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .current_dir(elsewhere.path())
        .arg("score")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let default = embedded_models::load(embedded_models::DEFAULT).unwrap();
    let flows: Vec<_> = read_flows(&input)
        .unwrap()
        .into_iter()
        .map(|r| r.flow)
        .collect();
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), flows.len() - 9);
    for (i, row) in rows.iter().enumerate() {
        let verdict = default.predict(&flows[i..i + 10]).unwrap();
        let got: f32 = row[1].parse().unwrap();
        assert!(
            (got - verdict.probability).abs() < 1e-6,
            "{got} vs {verdict:?}"
        );
        // The default model's category head: the verdict's category, then the top three.
        let category = verdict.category.unwrap();
        assert_eq!(&row[3], category.name.as_str());
        let p: f32 = row[4].parse().unwrap();
        assert!((p - category.probability).abs() < 1e-6);
        let top: Vec<String> = category
            .top
            .iter()
            .map(|c| format!("{}={}", c.name, c.probability))
            .collect();
        assert_eq!(&row[5], top.join(";"));
    }
}
