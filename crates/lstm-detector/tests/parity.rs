//! The original Keras model, imported through ONNX and burn-onnx, reproduces TensorFlow.

use flow_features::parse_window;
use lstm_detector::{Detector, ModelFiles, WindowBatch, compat};
use serde_json::Value;

const SEED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn seed() -> Detector {
    Detector::from_dir(SEED_DIR).expect("the shipped seed model loads")
}

#[test]
fn detector_is_send_and_sync() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Detector>();
}

#[test]
fn all_public_golden_windows_match_tensorflow_within_1e_5() {
    let golden = fixture("keras_parity_public.json");
    let windows: Vec<f32> = golden["windows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w.as_array().unwrap().iter())
        .flat_map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
        })
        .collect();
    let expected: Vec<f64> = golden["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .collect();
    assert_eq!(expected.len(), 96);

    let batch = WindowBatch::from_values(windows.clone(), 10, 34).unwrap();
    let got = seed().probabilities(&batch).unwrap();
    assert_eq!(got.len(), expected.len());
    let worst = got
        .iter()
        .zip(&expected)
        .map(|(g, e)| (f64::from(*g) - e).abs())
        .fold(0.0_f64, f64::max);
    println!("96 public windows: max abs error vs TensorFlow {worst:.2e}");
    assert!(worst < 1e-5, "max abs error {worst:e}");

    // Batch and single-window scoring agree.
    let detector = seed();
    for (i, window) in windows.chunks(340).enumerate().step_by(17) {
        let window = WindowBatch::from_values(window.to_vec(), 10, 34).unwrap();
        let single = detector.probabilities(&window).unwrap()[0];
        assert!(
            (single - got[i]).abs() < 1e-6,
            "window {i}: {single} vs {}",
            got[i]
        );
    }
}

#[test]
fn the_original_sample_request_reproduces_the_original_service() {
    let golden = fixture("../../../flow-features/tests/fixtures/seed_sample_prediction.json");
    let detector = seed();
    let flows = parse_window(&golden["request"]["sequence"], 10).unwrap();

    // The original's per-request category codes: its published number.
    let original = compat::predict_per_request(&detector, &flows).unwrap();
    let published = golden["probability"].as_f64().unwrap();
    assert!(
        (f64::from(original.probability) - published).abs() < 1e-6,
        "{original:?}"
    );
    assert_eq!(original.class, 0);

    // The training vocabularies (tcp = 113, service '-' = None = 0, FIN = 4): our answer, which
    // onnxruntime gives as 0.003708601 for the same encoding. The sample's shifted columns
    // (e.g. dwin = 621772692, scaled to 2.4e6) saturate the LSTM, so the codes barely matter here.
    let ours = detector.predict(&flows).unwrap();
    assert!((ours.probability - 0.003_708_601).abs() < 1e-6, "{ours:?}");
    let window = detector.preprocessor().window(&flows).unwrap();
    let per_request =
        flow_features::compat::window_per_request(detector.preprocessor(), &flows).unwrap();
    assert_ne!(
        window, per_request,
        "the two codings must encode the sample differently"
    );
    assert_eq!((ours.class, ours.label()), (0, "normal"));
}

#[test]
fn embedded_weights_load_whatever_their_alignment() {
    let dir = ModelFiles::read_dir(SEED_DIR).unwrap();
    // `include_bytes!` data has no alignment guarantee: place the weights at an odd address.
    let mut buffer = vec![0u8; dir.weights.len() + 1];
    buffer[1..].copy_from_slice(&dir.weights);
    let buffer: &'static [u8] = Box::leak(buffer.into_boxed_slice());
    let embedded = ModelFiles {
        weights: std::borrow::Cow::Borrowed(&buffer[1..]),
        ..dir.clone()
    };
    let a = Detector::load(&dir, Default::default()).unwrap();
    let b = Detector::load(&embedded, Default::default()).unwrap();
    let window = WindowBatch::from_values(vec![0.25_f32; 340], 10, 34).unwrap();
    assert_eq!(
        a.probabilities(&window).unwrap(),
        b.probabilities(&window).unwrap()
    );
}

#[test]
fn broken_model_files_give_errors() {
    let dir = ModelFiles::read_dir(SEED_DIR).unwrap();
    let truncated = ModelFiles {
        weights: dir.weights[..dir.weights.len() / 2].to_vec().into(),
        ..dir.clone()
    };
    assert!(Detector::load(&truncated, Default::default()).is_err());
    let wider = dir
        .manifest
        .replace("[\n      20,\n      20\n    ]", "[32, 20]");
    assert_ne!(
        wider, dir.manifest,
        "manifest layout changed: update this test"
    );
    let wider = ModelFiles {
        manifest: wider.into(),
        ..dir.clone()
    };
    let err = Detector::load(&wider, Default::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("weights"), "{err}");
    assert!(Detector::from_dir("/nonexistent/model").is_err());
    assert!(matches!(
        WindowBatch::from_values(vec![0.0; 339], 10, 34),
        Err(lstm_detector::Error::BatchShape { len: 339, .. })
    ));
}

#[test]
fn real_rows_score_as_tensorflow_with_training_vocabularies_and_original_scaler() {
    let golden = fixture("real_rows_golden.json");
    let detector = seed();
    let windows = golden["windows"].as_array().unwrap();
    assert!(windows.len() >= 20);
    let mut classes = [0; 2];
    for w in windows {
        let flows = parse_window(&w["sequence"], 10).unwrap();
        let got = detector.predict(&flows).unwrap();
        let expected = w["probability"].as_f64().unwrap();
        let first_row = &w["first_row"];
        assert!(
            (f64::from(got.probability) - expected).abs() < 1e-5,
            "row {first_row}: {got:?} vs {expected}"
        );
        classes[usize::from(got.class)] += 1;
    }
    assert!(
        classes[0] > 0 && classes[1] > 0,
        "fixture covers both verdicts: {classes:?}"
    );
}

/// `cargo test -p lstm-detector --features ndarray`: Burn's deprecated backend agrees with
/// `flex` (through Burn's own forward pass: the hand-written one does not use the backend).
#[cfg(feature = "ndarray")]
#[test]
fn ndarray_backend_matches_flex() {
    let files = ModelFiles::read_dir(SEED_DIR).unwrap();
    let flex = Detector::load(&files, lstm_detector::Backend::Flex).unwrap();
    let ndarray = Detector::load(&files, lstm_detector::Backend::NdArray).unwrap();
    let windows: Vec<f32> = (0..16 * 340)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
        .collect();
    let windows = WindowBatch::from_values(windows, 10, 34).unwrap();
    let (a, b) = (
        compat::burn_probabilities(&flex, &windows).unwrap(),
        compat::burn_probabilities(&ndarray, &windows).unwrap(),
    );
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-6, "{x} vs {y}");
    }
}

#[test]
fn numbers_too_large_for_the_network_are_rejected_not_scored_as_nan() {
    let golden = fixture("../../../flow-features/tests/fixtures/seed_sample_prediction.json");
    let detector = seed();
    let mut flows = parse_window(&golden["request"]["sequence"], 10).unwrap();
    flows[2].dur = 1e308;
    flows[7].rate = f64::MAX;
    let Err(lstm_detector::Error::Features(flow_features::Error::Invalid(found))) =
        detector.predict(&flows)
    else {
        panic!("huge values must be rejected");
    };
    let found: Vec<_> = found.iter().map(|v| (v.flow, v.field.clone())).collect();
    assert_eq!(
        found,
        [
            (Some(2), Some("dur".into())),
            (Some(7), Some("rate".into()))
        ]
    );

    // Large but representable values still score.
    for flow in &mut flows {
        (flow.dur, flow.rate, flow.sbytes) = (1e20, 1e25, 1e28);
    }
    assert!(detector.predict(&flows).unwrap().probability.is_finite());
}
