//! Scores every sliding window of a Parquet or CSV flow file and compares with its labels.
//!
//! ```sh
//! cargo run --release --example score_file -- ../shared/data/UNSW_NB15_testing-set.dev.parquet
//! ```
//! Each window of 10 consecutive rows is labelled with its last row. The rows of the UNSW-NB15
//! partitions carry no timestamps, so these windows are not real traffic over time; and both
//! shipped models were fitted on rows that include these (`anomaly evaluate` measures on rows
//! held out from training).

use std::error::Error;
use std::time::Instant;

use flow_features::read_flows;
use lstm_detector::Detector;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or("usage: score_file <flows.parquet|flows.csv> [model dir]")?;
    let model = args
        .next()
        .unwrap_or_else(|| "models/unsw-nb15-lstm".into());
    let detector = Detector::from_dir(&model)?;

    let rows = read_flows(&file)?;
    let flows: Vec<_> = rows.iter().map(|r| r.flow.clone()).collect();
    let started = Instant::now();
    let matrix = detector.preprocessor().encode(&flows)?;
    let predictions = detector.predict_sliding(&matrix, 1024)?;
    let elapsed = started.elapsed();

    let labels = rows[detector.sequence_length() - 1..]
        .iter()
        .map(|r| r.label);
    let (mut correct, mut labelled) = (0usize, 0usize);
    for (prediction, label) in predictions.iter().zip(labels) {
        if let Some(label) = label {
            labelled += 1;
            correct += usize::from(prediction.class == label);
        }
    }
    let attacks = predictions.iter().filter(|p| p.class == 1).count();
    println!(
        "{} rows, {} windows scored in {:.2?} ({:.0} windows/s)",
        rows.len(),
        predictions.len(),
        elapsed,
        predictions.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "predicted attack: {attacks} ({:.1} %)",
        100.0 * attacks as f64 / predictions.len().max(1) as f64
    );
    if labelled > 0 {
        println!(
            "accuracy against the last row's label: {:.4} ({correct}/{labelled})",
            correct as f64 / labelled as f64
        );
    }
    Ok(())
}
