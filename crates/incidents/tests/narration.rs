//! Narrating incidents with the real llama.cpp and the default GGUF (installed by
//! `scripts/setup-models.sh`): off the capture path, rate-limited, and checked against the
//! evidence. Without the model file the test prints why and passes, unless `REQUIRE_LLM=1`
//! (set by CI).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use incidents::{GroupingConfig, IncidentEvent, Narrator, ScoringConfig, Watch, WatchEvent};
use llm_explainer::{GenerationSettings, Language, LlamaExplainer, LlamaSettings, Report};
use packet_flows::CaptureReader;

fn model_path() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/llm/SmolLM2-135M-Instruct.Q4_1.gguf");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("REQUIRE_LLM").is_err(),
        "REQUIRE_LLM is set but {} is missing",
        path.display()
    );
    writeln!(
        std::io::stderr(),
        "skipped: {} is missing; run scripts/setup-models.sh",
        path.display()
    )
    .ok();
    None
}

/// The raised incidents of the labelled attack capture.
fn raised() -> Vec<IncidentEvent> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../anomaly-cli/tests/fixtures/attack/attack.pcap"
    );
    let detector = embedded_models::load(embedded_models::DEFAULT).unwrap();
    let flows = packet_flows::FlowTableConfig {
        status_interval: Duration::from_secs(5),
        ..Default::default()
    };
    let mut watch = Watch::new(
        &detector,
        flows,
        ScoringConfig::default(),
        GroupingConfig::default(),
    );
    let mut reader = CaptureReader::open(path).unwrap();
    let mut events = Vec::new();
    while let Some(packet) = reader.next_packet() {
        events.extend(watch.packet(&packet.unwrap()).unwrap());
    }
    events.extend(watch.finish().unwrap());
    events
        .into_iter()
        .filter_map(|e| match e {
            WatchEvent::Incident(i @ IncidentEvent::Raised(_)) => Some(i),
            _ => None,
        })
        .collect()
}

#[test]
fn incidents_are_narrated_in_the_background_rate_limited_and_checked() {
    let Some(path) = model_path() else { return };
    let incidents = raised();
    assert!(incidents.len() >= 2, "{} incidents", incidents.len());
    let llm = LlamaExplainer::load(LlamaSettings::new(path).with_threads(1)).unwrap();
    let narrator = Narrator::start(
        Arc::new(llm),
        GenerationSettings::default().with_max_tokens(96),
        Language::English,
        Duration::from_secs(3600),
    )
    .unwrap();

    // Offering never waits for the model.
    let started = Instant::now();
    assert!(narrator.offer(&incidents[0]));
    assert!(
        !narrator.offer(&incidents[1]),
        "inside the minimum interval"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(narrator.counts().skipped, 1);

    let narrations = narrator.finish();
    let [narration] = narrations.as_slice() else {
        panic!("{narrations:?}")
    };
    let incident = incidents[0].incident();
    assert_eq!(narration.incident, incident.id);
    assert!(!narration.text.trim().is_empty());
    let evidence = incident.evidence.as_ref().unwrap();
    match narration.source {
        // The model's text is returned only when it passed every check.
        "model" => assert!(narration.failed_checks.is_empty()),
        // Otherwise the grounded report stands in, and the failures are named.
        "report" => {
            assert_eq!(
                narration.text,
                Report::new(evidence, Language::English).summary
            );
            assert!(!narration.failed_checks.is_empty());
        }
        other => panic!("source {other}"),
    }
    let document = &narration.document;
    assert_eq!(document["event"]["action"], "incident-narrated");
    assert_eq!(document["event"]["id"], incident.id.as_str());
    assert_eq!(document["message"], narration.text.as_str());
    assert_eq!(document["source"]["ip"], incident.source.to_string());
}
