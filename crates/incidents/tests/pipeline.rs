//! `score_capture` (extraction on its own thread) against the one-thread `TrafficScorer` on
//! real attack traffic, and how it stops on a failing capture or consumer.

use std::time::Duration;

use incidents::{ScoredFlow, ScoringConfig, TrafficScorer, score_capture};
use packet_flows::{CaptureReader, FlowTableConfig};

const ATTACK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../anomaly-cli/tests/fixtures/attack/attack.pcap"
);

fn flows() -> FlowTableConfig {
    FlowTableConfig {
        status_interval: Duration::from_secs(5),
        ..FlowTableConfig::default()
    }
}

#[test]
fn two_threads_score_exactly_what_one_thread_scores() {
    let detector = embedded_models::load(embedded_models::DEFAULT).unwrap();
    let config = ScoringConfig {
        batch_size: 100,
        max_delay: Duration::MAX,
    };
    let mut scorer = TrafficScorer::new(&detector, flows(), config);
    let mut reader = CaptureReader::open(ATTACK).unwrap();
    let mut expected = Vec::new();
    while let Some(packet) = reader.next_packet() {
        expected.extend(scorer.packet(&packet.unwrap()).unwrap());
    }
    expected.extend(scorer.finish().unwrap());

    let mut calls = 0;
    let mut scored: Vec<ScoredFlow> = Vec::new();
    let counts = score_capture(
        &detector,
        CaptureReader::open(ATTACK).unwrap(),
        flows(),
        100,
        |flows| -> incidents::Result<()> {
            calls += 1;
            scored.extend(flows);
            Ok(())
        },
    )
    .unwrap();
    assert!(
        expected.len() > 1000 && calls > 1,
        "{} flows, {calls} calls",
        expected.len()
    );
    assert_eq!(scored, expected);
    assert_eq!(counts.records, scorer.records());
    let extractor = scorer.extractor();
    assert_eq!(counts.packets, extractor.packets() + reader.skips().total());
    assert_eq!(counts.flows, extractor.table().flows_seen());
    assert_eq!(
        counts.skips.total(),
        reader.skips().total() + extractor.skips().total()
    );
}

/// A consumer's own error, beside the scorer's.
#[derive(Debug)]
enum Stop {
    DiskFull,
    Scoring(incidents::Error),
}

impl From<incidents::Error> for Stop {
    fn from(error: incidents::Error) -> Self {
        Stop::Scoring(error)
    }
}

#[test]
fn a_consumer_error_stops_both_threads_and_is_returned() {
    let detector = embedded_models::load(embedded_models::DEFAULT).unwrap();
    let mut calls = 0;
    let result = score_capture(
        &detector,
        CaptureReader::open(ATTACK).unwrap(),
        flows(),
        64,
        |_| -> Result<(), Stop> {
            calls += 1;
            if calls == 3 {
                Err(Stop::DiskFull)
            } else {
                Ok(())
            }
        },
    );
    match result {
        Err(Stop::DiskFull) => {}
        Err(Stop::Scoring(error)) => panic!("the scorer failed instead: {error}"),
        Ok(counts) => panic!("not stopped: {counts:?}"),
    }
    assert_eq!(calls, 3);
}

#[test]
fn a_capture_cut_in_a_packet_header_ends_as_one_thread_ends() {
    let detector = embedded_models::load(embedded_models::DEFAULT).unwrap();
    let bytes = std::fs::read(ATTACK).unwrap();
    // Cut in the middle: the reader reports the cut packet as it would to one thread.
    let cut = bytes[..bytes.len() / 2 + 7].to_vec();
    let one_thread = {
        let mut reader = CaptureReader::new(std::io::Cursor::new(cut.clone())).unwrap();
        let mut failed = None;
        let mut packets = 0;
        while let Some(packet) = reader.next_packet() {
            match packet {
                Ok(_) => packets += 1,
                Err(error) => {
                    failed = Some(error.to_string());
                    break;
                }
            }
        }
        (packets, failed, reader.skips().total())
    };
    let mut scored = 0;
    let result = score_capture(
        &detector,
        CaptureReader::new(std::io::Cursor::new(cut)).unwrap(),
        flows(),
        64,
        |flows| -> incidents::Result<()> {
            scored += flows.len();
            Ok(())
        },
    );
    match (one_thread.1, result) {
        (Some(error), Err(incidents::Error::Capture(got))) => assert_eq!(got.to_string(), error),
        (None, Ok(counts)) => {
            assert_eq!(counts.packets, one_thread.0 + one_thread.2);
            assert_eq!(scored as u64, counts.records - 9);
        }
        (expected, got) => panic!("one thread: {expected:?}, two: {got:?}"),
    }
}

/// Reads the capture, then panics: a broken reader on the extraction thread.
struct PanicsAfter {
    bytes: std::io::Cursor<Vec<u8>>,
    left: usize,
}

impl std::io::Read for PanicsAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        assert!(self.left > 0, "the reader broke");
        let len = buf.len().min(self.left);
        let n = self.bytes.read(&mut buf[..len])?;
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn a_panic_on_the_extraction_thread_reaches_the_caller_without_a_last_partial_batch() {
    let detector = embedded_models::load(embedded_models::DEFAULT).unwrap();
    let bytes = std::fs::read(ATTACK).unwrap();
    let left = bytes.len() * 3 / 4;
    let reader = PanicsAfter {
        bytes: std::io::Cursor::new(bytes),
        left,
    };
    let reader = CaptureReader::new(reader).unwrap();
    let mut batches = Vec::new();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        score_capture(
            &detector,
            reader,
            flows(),
            64,
            |flows| -> incidents::Result<()> {
                batches.push(flows.len());
                Ok(())
            },
        )
    }));
    assert!(outcome.is_err(), "the panic was not passed on");
    // Only whole batches came out: the stream did not end as if the capture had.
    assert!(batches.iter().all(|&n| n % 64 == 0), "{batches:?}");
}
