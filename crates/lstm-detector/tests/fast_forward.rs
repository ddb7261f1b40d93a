//! The hand-written forward pass against Burn's, on both shipped models and real rows.
//! (`tests/parity.rs` holds the seed model's fast path against TensorFlow's numbers.)

use flow_features::{FlowRecord, read_flows};
use lstm_detector::{Detector, Error, SlidingScorer, WindowBatch, compat};

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

fn flows() -> Vec<FlowRecord> {
    read_flows(FIXTURE)
        .unwrap()
        .into_iter()
        .map(|row| row.flow)
        .collect()
}

/// Every sliding window of the 2,000 fixture rows, encoded for `detector`.
fn windows(detector: &Detector) -> WindowBatch {
    let matrix = detector.preprocessor().encode(&flows()).unwrap();
    WindowBatch::sliding(&matrix, detector.sequence_length())
}

/// Windows `range` of `all`, as a batch of their own.
fn part(all: &WindowBatch, range: std::ops::Range<usize>) -> WindowBatch {
    let values = range.flat_map(|i| all.window(i)).copied().collect();
    WindowBatch::from_values(values, all.rows(), all.columns()).unwrap()
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
        assert_eq!(all.len(), 1991);
        // One window, a small batch and the whole file (split across threads).
        for batch in [1, 7, 1991] {
            let part = part(&all, 0..batch);
            let fast = detector.probabilities(&part).unwrap();
            let burn = compat::burn_probabilities(&detector, &part).unwrap();
            let difference = largest_difference(&fast, &burn);
            assert!(difference < 1e-5, "{name}, batch {batch}: {difference}");
        }
        // Windows of a batch are scored independently of their neighbours.
        let single = detector.probabilities(&part(&all, 5..6)).unwrap();
        let batched = detector.probabilities(&all).unwrap();
        assert_eq!(single[0], batched[5], "{name}");
    }
}

#[test]
fn a_code_outside_the_embedding_is_an_error_not_a_panic() {
    let detector = model("unsw-nb15-lstm");
    let window = part(&windows(&detector), 0..1).values().to_vec();
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
        let broken = WindowBatch::from_values(broken, 10, window.len() / 10).unwrap();
        let error = detector.probabilities(&broken).unwrap_err();
        assert!(
            matches!(error, Error::CodeOutOfRange { column, .. } if column == code_column),
            "{bad}: {error}"
        );
    }
}

/// The streaming scorer, the in-memory sliding form and one batch of every window give the
/// same verdicts, at any batch size: one implementation of the sliding rule.
#[test]
fn streaming_sliding_and_batch_scoring_agree() {
    let detector = model("unsw-nb15-lstm");
    let flows = flows();
    let all = windows(&detector);
    let expected = detector.predict_batch(&all).unwrap();
    let matrix = detector.preprocessor().encode(&flows).unwrap();
    for batch_size in [1, 7, 1024, 5000] {
        assert_eq!(
            detector.predict_sliding(&matrix, batch_size).unwrap(),
            expected
        );
        let mut scorer = SlidingScorer::new(&detector, batch_size);
        let mut streamed = Vec::new();
        for (row, flow) in flows.iter().enumerate() {
            let scored = scorer.push(flow, row).unwrap();
            assert!(scored.len() <= batch_size && scorer.waiting() < batch_size);
            streamed.extend(scored);
        }
        streamed.extend(scorer.flush().unwrap());
        let rows: Vec<usize> = streamed.iter().map(|(row, _)| *row).collect();
        assert_eq!(rows, (9..flows.len()).collect::<Vec<_>>());
        let verdicts: Vec<_> = streamed.into_iter().map(|(_, v)| v).collect();
        assert_eq!(verdicts, expected, "batch {batch_size}");
    }
}

#[test]
fn batches_of_another_model_shape_are_refused() {
    let detector = model("unsw-nb15-seed");
    let wrong = WindowBatch::from_values(vec![0.0; 9 * 34], 9, 34).unwrap();
    assert!(matches!(
        detector.probabilities(&wrong),
        Err(Error::WindowShape {
            rows: 9,
            expected_rows: 10,
            ..
        })
    ));
    let empty = WindowBatch::new(10, 34);
    assert!(detector.predict_batch(&empty).unwrap().is_empty());
    let mut scorer = SlidingScorer::new(&detector, 4);
    assert!(scorer.push_encoded(&[0.0; 33], ()).is_err());
    assert!(scorer.flush().unwrap().is_empty());
}

/// A row whose code the network cannot read is refused when it is pushed, so the streaming
/// scorer neither keeps it nor fails every later batch.
#[test]
fn the_streaming_scorer_refuses_a_row_it_could_not_score_and_goes_on() {
    let detector = model("unsw-nb15-lstm");
    let matrix = detector.preprocessor().encode(&flows()[..40]).unwrap();
    let code_column = detector
        .manifest()
        .architecture
        .embedding
        .as_ref()
        .expect("the default model embeds codes")
        .columns[0];
    let mut scorer = SlidingScorer::new(&detector, 8);
    let mut verdicts = Vec::new();
    for row in 0..matrix.rows() {
        if row == 20 {
            let mut broken = matrix.row(row).to_vec();
            broken[code_column] = 1e6;
            let waiting = scorer.waiting();
            assert!(matches!(
                scorer.push_encoded(&broken, row),
                Err(Error::CodeOutOfRange { .. })
            ));
            assert_eq!(scorer.waiting(), waiting);
        }
        verdicts.extend(scorer.push_encoded(matrix.row(row), row).unwrap());
    }
    verdicts.extend(scorer.flush().unwrap());
    let expected = detector.predict_sliding(&matrix, 8).unwrap();
    let got: Vec<_> = verdicts.into_iter().map(|(_, verdict)| verdict).collect();
    assert_eq!(got, expected);
}
