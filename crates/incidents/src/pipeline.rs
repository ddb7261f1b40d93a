//! A capture scored on two threads: extraction on its own, the detector on the caller's.

use std::io::Read;
use std::sync::mpsc;

use lstm_detector::Detector;
use packet_flows::unsw::{Extractor, UnswRow};
use packet_flows::{CaptureReader, FlowTableConfig, Skips};

use crate::{Error, RecordScorer, ScoredFlow};

/// Records the extraction thread hands over at once: few enough that the scorer starts
/// early, enough that the channel costs nothing per record.
const CHUNK: usize = 256;
/// Chunks on their way at most: what bounds the rows in flight when the detector is the
/// slower side. Room to run ahead lets extraction finish early and leave both cores to the
/// detector (on two cores, measurably faster than 8 chunks; 128 were no faster).
const CHUNKS_IN_FLIGHT: usize = 64;

/// What the extraction thread counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExtractionCounts {
    /// Packets read, skipped ones included.
    pub packets: u64,
    /// Packets or capture records skipped, by reason (the reader's and the decoder's).
    pub skips: Skips,
    /// Flows the flow table followed.
    pub flows: u64,
    /// Records extracted (and given to the scorer).
    pub records: u64,
}

/// Reads `reader` through with extraction (decoding, flow table, counts) on a thread of its
/// own while the caller's thread scores the records, so that on two cores the detector's work
/// on one batch overlaps the extraction of the next. `each` gets the scored flows in order,
/// `batch_size` windows per detector call; an error from it or from the capture stops both
/// threads and is returned. Flows, their order and their verdicts are those of a
/// [`TrafficScorer`](crate::TrafficScorer) given the same packets; memory is the extractor's,
/// one batch, and at most 64 × 256 rows in flight.
///
/// ```
/// use packet_flows::{CaptureReader, FlowTableConfig};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packet-flows/tests/fixtures/flows/scan.pcap");
/// let detector = embedded_models::load(embedded_models::DEFAULT)?;
/// let reader = CaptureReader::open(path)?;
/// let mut scored = Vec::new();
/// let counts = incidents::score_capture(&detector, reader, FlowTableConfig::default(), 1024,
///     |flows| -> incidents::Result<()> { scored.extend(flows); Ok(()) })?;
/// assert_eq!(scored.len() as u64, counts.records - 9);
/// assert!(scored.windows(2).all(|w| w[0].row.ltime <= w[1].row.ltime));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn score_capture<R, E>(
    detector: &Detector,
    reader: CaptureReader<R>,
    flows: FlowTableConfig,
    batch_size: usize,
    mut each: impl FnMut(Vec<ScoredFlow>) -> Result<(), E>,
) -> Result<ExtractionCounts, E>
where
    R: Read + Send,
    E: From<Error>,
{
    let (sender, receiver) = mpsc::sync_channel(CHUNKS_IN_FLIGHT);
    std::thread::scope(|scope| {
        let extraction = std::thread::Builder::new()
            .name("extraction".into())
            .spawn_scoped(scope, move || extract(reader, flows, &sender))
            .map_err(|error| E::from(Error::Thread(error)))?;
        let mut scorer = RecordScorer::new(detector, batch_size);
        // The receiver is dropped when scoring stops, early or not: a blocked sender then
        // returns, and the extraction thread ends.
        let scored = (|| {
            for chunk in receiver {
                each(scorer.push(chunk?)?)?;
            }
            each(scorer.flush()?)
        })();
        let counts = match extraction.join() {
            Ok(counts) => counts,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        scored.map(|()| ExtractionCounts {
            records: scorer.records(),
            ..counts
        })
    })
}

/// The extraction thread: chunks of records to `sender` until the capture ends, fails, or the
/// scorer stops listening.
fn extract<R: Read>(
    mut reader: CaptureReader<R>,
    flows: FlowTableConfig,
    sender: &mpsc::SyncSender<Result<Vec<UnswRow>, Error>>,
) -> ExtractionCounts {
    let mut extractor = Extractor::new(flows);
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut listening = true;
    while let Some(packet) = reader.next_packet() {
        match packet {
            Ok(packet) => extractor.packet(&packet),
            Err(error) => {
                listening = false;
                let _ = sender.send(Err(error.into()));
                break;
            }
        }
        // The rows only: the scorer needs nothing else, and the rest is freed here.
        chunk.extend(extractor.ready().into_iter().map(|flow| flow.row));
        if chunk.len() >= CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if sender.send(Ok(full)).is_err() {
                listening = false;
                break;
            }
        }
    }
    if listening {
        chunk.extend(extractor.finish().into_iter().map(|flow| flow.row));
        let _ = sender.send(Ok(chunk));
    }
    let mut skips = reader.skips().clone();
    skips.merge(extractor.skips());
    ExtractionCounts {
        packets: extractor.packets() + reader.skips().total(),
        skips,
        flows: extractor.table().flows_seen(),
        records: 0,
    }
}
