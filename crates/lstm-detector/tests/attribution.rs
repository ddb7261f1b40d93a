//! Occlusion attribution on windows of real rows: the batched scores equal scoring each
//! occluded window on its own, and a model without a baseline has no attribution.

use flow_features::{FEATURES, occlusion_windows, parse_window};
use lstm_detector::{Detector, ModelFiles};
use serde_json::Value;

const SEED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");

fn real_windows() -> Vec<Vec<flow_features::FlowRecord>> {
    let golden: Value =
        serde_json::from_str(include_str!("fixtures/real_rows_golden.json")).unwrap();
    golden["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| parse_window(&w["sequence"], 10).unwrap())
        .collect()
}

#[test]
fn batched_attribution_equals_scoring_each_occluded_window() {
    let detector = Detector::from_dir(SEED_DIR).unwrap();
    let baseline = detector
        .baseline()
        .expect("the seed model ships a baseline")
        .clone();
    let mut attacks_with_a_positive_top_feature = 0;
    for flows in real_windows().iter().take(8) {
        let attribution = detector.attribute(flows).unwrap().unwrap();
        let verdict = detector.predict(flows).unwrap();
        assert!((attribution.probability - verdict.probability).abs() < 1e-6);

        let windows = occlusion_windows(flows, &baseline.flow);
        for influence in &attribution.flows {
            let alone = detector.predict(&windows[1 + influence.flow]).unwrap();
            assert!((alone.probability - influence.occluded_probability).abs() < 1e-5);
            assert!((influence.delta - (verdict.probability - alone.probability)).abs() < 1e-5);
        }
        for influence in &attribution.features {
            let j = FEATURES
                .iter()
                .position(|f| f.name == influence.feature)
                .unwrap();
            let alone = detector.predict(&windows[1 + flows.len() + j]).unwrap();
            assert!((alone.probability - influence.occluded_probability).abs() < 1e-5);
        }
        let ranked: Vec<f32> = attribution.features.iter().map(|f| f.delta.abs()).collect();
        assert!(ranked.windows(2).all(|w| w[0] >= w[1]), "{ranked:?}");
        if verdict.class == 1 && attribution.features[0].delta > 0.0 {
            attacks_with_a_positive_top_feature += 1;
        }
    }
    assert!(
        attacks_with_a_positive_top_feature > 0,
        "some attack is explained by a feature pushing towards attack"
    );
}

#[test]
fn without_baseline_there_is_no_attribution_and_a_bad_baseline_is_refused() {
    let files = ModelFiles::read_dir(SEED_DIR).unwrap();
    let flows = &real_windows()[0];
    let without = ModelFiles {
        baseline: None,
        ..files.clone()
    };
    let detector = Detector::load(&without, Default::default()).unwrap();
    assert!(detector.attribute(flows).unwrap().is_none());

    let unknown_proto = files
        .baseline
        .as_deref()
        .unwrap()
        .replace("\"proto\": \"tcp\"", "\"proto\": \"quic\"");
    assert_ne!(unknown_proto, files.baseline.as_deref().unwrap());
    let bad = ModelFiles {
        baseline: Some(unknown_proto.into()),
        ..files
    };
    let err = Detector::load(&bad, Default::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("baseline"), "{err}");
}
