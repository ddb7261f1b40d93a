//! The hand-written forward pass against Burn's, on both shipped models and real rows.
//! (`tests/parity.rs` holds the seed model's fast path against TensorFlow's numbers.)

use flow_features::read_flows;
use lstm_detector::{Detector, Error};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/flows_train_2k.parquet"
);

fn model(name: &str) -> Detector {
    Detector::from_dir(format!(
        "{}/../../models/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Every sliding window of the 2,000 fixture rows, encoded for `detector`.
fn windows(detector: &Detector) -> Vec<f32> {
    let flows: Vec<_> = read_flows(FIXTURE)
        .unwrap()
        .into_iter()
        .map(|row| row.flow)
        .collect();
    let matrix = detector.preprocessor().encode(&flows).unwrap();
    matrix
        .sliding_windows(detector.sequence_length())
        .flatten()
        .copied()
        .collect()
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn the_fast_path_scores_as_burn_on_both_models_at_every_batch_size() {
    for name in ["unsw-nb15-lstm", "unsw-nb15-seed"] {
        let detector = model(name);
        let all = windows(&detector);
        let per_window = all.len() / 1991;
        // One window, a small batch and the whole file (split across threads).
        for batch in [1, 7, 1991] {
            let part = &all[..batch * per_window];
            let fast = detector.probabilities(part).unwrap();
            let burn = detector.burn_probabilities(part).unwrap();
            let difference = largest_difference(&fast, &burn);
            assert!(difference < 1e-5, "{name}, batch {batch}: {difference}");
        }
        // Windows of a batch are scored independently of their neighbours.
        let single = detector
            .probabilities(&all[5 * per_window..6 * per_window])
            .unwrap();
        let batched = detector.probabilities(&all).unwrap();
        assert_eq!(single[0], batched[5], "{name}");
    }
}

#[test]
fn a_code_outside_the_embedding_is_an_error_not_a_panic() {
    let detector = model("unsw-nb15-lstm");
    let per_window = detector.sequence_length() * detector.preprocessor().columns();
    let window = windows(&detector)[..per_window].to_vec();
    let code_column = detector
        .manifest()
        .architecture
        .embedding
        .as_ref()
        .unwrap()
        .columns[0];
    for bad in [1e6, -1.0, 0.5, f32::NAN] {
        let mut broken = window.clone();
        broken[code_column] = bad;
        let error = detector.probabilities(&broken).unwrap_err();
        assert!(
            matches!(error, Error::CodeOutOfRange { column, .. } if column == code_column),
            "{bad}: {error}"
        );
    }
}
