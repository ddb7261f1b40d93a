//! Scores one window of flows from a JSON request file with a detector model directory.
//!
//! ```sh
//! cargo run --example predict -- [request.json] [model dir]
//! ```
//! Defaults: the original's sample request and `models/unsw-nb15-lstm`.

use std::error::Error;

use flow_features::parse_window_request;
use lstm_detector::Detector;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let request = args
        .next()
        .unwrap_or_else(|| "crates/flow-features/tests/fixtures/sample_request.json".into());
    let model = args
        .next()
        .unwrap_or_else(|| "models/unsw-nb15-lstm".into());

    let detector = Detector::from_dir(&model)?;
    let body: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&request)?)?;
    let flows = parse_window_request(&body, detector.sequence_length())?;
    let verdict = detector.predict(&flows)?;
    println!(
        "{}: probability {:.6} -> {} (threshold {}, model {})",
        request,
        verdict.probability,
        verdict.label(),
        verdict.threshold,
        detector.manifest().id
    );
    Ok(())
}
