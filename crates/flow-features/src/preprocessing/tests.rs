//! The preprocessor on the shipped descriptions and on hand-made ones.

use super::*;

const SEED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/unsw-nb15-seed/preprocessing.json"
));

fn sample_flows() -> Vec<FlowRecord> {
    let body: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/sample_request.json")).unwrap();
    crate::parse_window(&body["sequence"], 10).unwrap()
}

#[test]
fn seed_vocabularies_follow_label_encoder_order() {
    let pre = Preprocessor::from_json(SEED).unwrap();
    assert_eq!(pre.sequence_length(), 10);
    assert_eq!(pre.columns(), 34);
    assert_eq!(pre.training_code(1, "3pc"), Some(0));
    assert_eq!(pre.training_code(1, "icmp"), Some(37));
    assert_eq!(pre.training_code(1, "rtp"), Some(91));
    assert_eq!(pre.training_code(1, "tcp"), Some(113));
    assert_eq!(pre.training_code(1, "zero"), Some(132));
    assert_eq!(pre.training_code(2, "-"), Some(0));
    assert_eq!(pre.training_code(2, "None"), Some(0));
    assert_eq!(pre.training_code(2, "http"), Some(5));
    assert_eq!(pre.training_code(3, "FIN"), Some(4));
    assert_eq!(pre.training_code(3, "no"), Some(10));
}

#[test]
fn cardinality_past_the_last_column_is_none_not_a_panic() {
    let pre = Preprocessor::from_json(SEED).unwrap();
    assert_eq!(pre.cardinality(1), Some(133));
    assert_eq!(pre.cardinality(0), None);
    assert_eq!(pre.cardinality(34), None);
    assert_eq!(pre.cardinality(usize::MAX), None);
}

#[test]
fn only_values_outside_the_vocabulary_are_masked() {
    let pre = Preprocessor::from_json(SEED).unwrap();
    let mut flows = sample_flows();
    flows[2].proto = "not-a-protocol".into();
    flows[3].service = "None".into(); // an alias of `-`: known
    let mut shown = flows.clone();
    assert_eq!(pre.mask_unknown(&mut shown), 1);
    assert_eq!(shown[2].proto, UNKNOWN_CATEGORY);
    assert_eq!(shown[3].service, "None");
    assert_eq!(shown[4], flows[4]);
    assert!(pre.knows(1, "tcp") && !pre.knows(1, "not-a-protocol") && pre.knows(0, "x"));
}

#[test]
fn unknown_categories_list_the_accepted_values() {
    let pre = Preprocessor::from_json(SEED).unwrap();
    let mut flows = sample_flows();
    flows[2].proto = "quic".into();
    flows[7].state = "fin".into();
    let Err(Error::Invalid(found)) = pre.window(&flows) else {
        panic!()
    };
    assert_eq!(found.len(), 2);
    assert_eq!(
        (found[0].flow, found[0].field.as_deref()),
        (Some(2), Some("proto"))
    );
    let message = found[1].to_string();
    assert!(
        message.starts_with("sequence[7].state: unknown value \"fin\"; accepted values: ACC, CLO")
    );
}

#[test]
fn the_original_per_request_coding_reproduces_the_golden_matrix() {
    let golden: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/seed_sample_prediction.json"
    ))
    .unwrap();
    let pre = Preprocessor::from_json(SEED).unwrap();
    let window = crate::compat::window_per_request(&pre, &sample_flows()).unwrap();
    let expected: Vec<f32> = golden["scaled"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
        })
        .collect();
    assert_eq!(window.values(), expected.as_slice());
}

#[test]
fn training_coding_differs_from_per_request_coding_on_categories_only() {
    let pre = Preprocessor::from_json(SEED).unwrap();
    let flows = sample_flows();
    let ours = pre.window(&flows).unwrap();
    let original = crate::compat::window_per_request(&pre, &flows).unwrap();
    // tcp is code 113 of 132 in training, but 0 in a request where it is the only protocol.
    assert_eq!(ours.row(0)[1], (113.0f64 / 132.0) as f32);
    assert_eq!(original.row(0)[1], 0.0);
    assert_eq!(ours.row(0)[4..], original.row(0)[4..]);
}

#[test]
fn inconsistent_descriptions_are_rejected() {
    let mut d: PreprocessingDescription = serde_json::from_str(SEED).unwrap();
    d.columns[0].name = "sttl".into();
    assert!(matches!(Preprocessor::new(d), Err(Error::Description(m)) if m.contains("sttl")));
    let mut d: PreprocessingDescription = serde_json::from_str(SEED).unwrap();
    d.columns[0].encoding = Encoding::Categorical {
        vocabulary: vec!["a".into()],
        aliases: Default::default(),
        unknown_code: None,
    };
    assert!(Preprocessor::new(d).is_err());
    assert!(Preprocessor::from_json("{\"sequence_length\": 10}").is_err());
}
