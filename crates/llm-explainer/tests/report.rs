//! The grounded report on windows of real UNSW-NB15 rows (the committed 2,000-row fixture),
//! scored by the shipped default detector: every summary passes the checks a model's text
//! must pass, in both languages.

use flow_features::{FlowRecord, read_flows};
use llm_explainer::{
    Checks, Evidence, EvidenceKind, FinishReason, Language, Report, explanation_messages,
};
use lstm_detector::Detector;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn windows() -> (Detector, Vec<Vec<FlowRecord>>) {
    let detector = Detector::from_dir(format!("{ROOT}/models/unsw-nb15-lstm")).unwrap();
    let rows = read_flows(format!(
        "{ROOT}/crates/lstm-detector/tests/fixtures/flows_train_2k.parquet"
    ))
    .unwrap();
    let flows: Vec<FlowRecord> = rows.into_iter().map(|r| r.flow).collect();
    let windows = flows.windows(10).step_by(13).map(<[_]>::to_vec).collect();
    (detector, windows)
}

#[test]
fn summaries_of_real_windows_pass_every_check_in_both_languages() {
    let (detector, windows) = windows();
    let (mut attacks, mut normals) = (0, 0);
    for flows in &windows {
        let (verdict, attribution) = detector.assess(flows).unwrap();
        let evidence = Evidence::new(flows, verdict.clone(), attribution);
        if verdict.is_attack() {
            attacks += 1;
        } else {
            normals += 1;
        }
        for language in [Language::English, Language::French] {
            let report = Report::new(&evidence, language);
            assert_eq!(report, Report::new(&evidence, language), "deterministic");
            let prompt = explanation_messages(&evidence, language);
            let checks = Checks::run(&evidence, &prompt, &report.summary, FinishReason::Stop);
            assert!(checks.passed, "{}\n{checks:?}", report.summary);
            assert!(!report.next_steps.is_empty());

            // The evidence list is the attribution, largest change first.
            let deltas: Vec<f32> = report.evidence.iter().filter_map(|e| e.delta).collect();
            assert!(
                deltas.windows(2).all(|d| d[0].abs() >= d[1].abs()),
                "{deltas:?}"
            );
            if let Some(top) = evidence.top_feature() {
                let first_feature = report
                    .evidence
                    .iter()
                    .find(|e| e.kind == EvidenceKind::Feature)
                    .unwrap();
                assert_eq!(first_feature.name, top.feature);
                assert_eq!(first_feature.baseline, top.baseline_value);
            }
        }
    }
    // The fixture holds both kinds of window.
    assert!(
        attacks > 20 && normals > 20,
        "{attacks} attacks, {normals} normal"
    );
}

#[test]
fn next_steps_follow_the_evidence() {
    let (detector, windows) = windows();
    let mut ftp_steps = 0;
    for flows in &windows {
        let (verdict, attribution) = detector.assess(flows).unwrap();
        let evidence = Evidence::new(flows, verdict.clone(), attribution);
        let steps = Report::new(&evidence, Language::English).next_steps;
        if !verdict.is_attack() {
            assert_eq!(steps[0], "No action is needed for this window.");
            continue;
        }
        assert!(
            steps.last().unwrap().starts_with("Pull the packets"),
            "{steps:?}"
        );
        let ftp = flows.iter().any(|f| f.service.starts_with("ftp"));
        let says_ftp = steps.iter().any(|s| s.contains("FTP server's log"));
        assert!(!ftp || says_ftp, "{steps:?}");
        ftp_steps += usize::from(says_ftp);
        let one_way = flows.iter().filter(|f| f.dpkts == 0.0).count();
        assert_eq!(
            2 * one_way >= flows.len(),
            steps.iter().any(|s| s.contains("got no packet back")),
            "{steps:?}"
        );
    }
    assert!(
        ftp_steps > 0,
        "some attack windows of the fixture carry FTP"
    );
}
