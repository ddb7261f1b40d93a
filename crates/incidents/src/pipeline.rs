//! A capture scored on two threads: extraction on its own, the detector on the caller's.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use lstm_detector::Detector;
use packet_flows::unsw::{Extractor, UnswRow};
use packet_flows::{CaptureReader, FlowTableConfig, Skips};

use crate::{Error, RecordScorer, ScoredFlow};

/// Rows the extraction thread gathers before handing them over (or all that one packet
/// releases, if more): few enough that the scorer starts early, enough that the channel
/// costs nothing per row.
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
/// on one batch overlaps the extraction of the next. `each` gets every batch of scored flows
/// in order: `batch_size` flows, the last batch fewer. An error from `each`, from the detector
/// or from the capture stops both threads and is returned, after the batches completed before
/// it (as one thread would). Flows, their order and their verdicts are those of a
/// [`TrafficScorer`](crate::TrafficScorer) given the same packets. Memory is the extractor's,
/// one batch with its records, and at most 64 chunks of rows in flight: 256 rows each, or all
/// that one packet released (at the end of the capture, every flow still open).
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
    let stop = AtomicBool::new(false);
    let stopped = &stop;
    std::thread::scope(|scope| {
        // The thread owns the sender: if it panics, the channel closes without an end.
        let extraction = std::thread::Builder::new()
            .name("extraction".into())
            .spawn_scoped(scope, move || extract(reader, flows, &sender, stopped))
            .map_err(|error| E::from(Error::Thread(error)))?;
        let mut scorer = RecordScorer::new(detector, batch_size);
        // However scoring ends (an error, or a panic in `each`), the extraction thread stops
        // before its next packet; the receiver goes with the closure, so a blocked send
        // returns too.
        let stop_guard = StopOnDrop(stopped);
        let scored = (|| {
            for handed in receiver {
                match handed {
                    // Row by row, so that each batch is handed on before any later failure.
                    Handed::Rows(rows) => {
                        for row in rows {
                            let scored = scorer.push([row])?;
                            if !scored.is_empty() {
                                each(scored)?;
                            }
                        }
                    }
                    // As one thread would: the full batches before the failure are out.
                    Handed::Failed(error) => return Err(error.into()),
                    Handed::End => {
                        let last = scorer.flush()?;
                        return if last.is_empty() { Ok(()) } else { each(last) };
                    }
                }
            }
            // The extraction thread went away without an end: it panicked (joined below).
            Ok(())
        })();
        drop(stop_guard);
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

/// Sets the flag when dropped, on an early return or an unwinding panic alike.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What the extraction thread hands the scorer.
enum Handed {
    /// Rows of finished records, in order.
    Rows(Vec<UnswRow>),
    /// The capture could not be read on (after the rows before it).
    Failed(Error),
    /// The capture ended; every row has been handed.
    End,
}

/// The extraction thread: chunks of rows to `sender` until the capture ends or fails, or the
/// scorer stops.
fn extract<R: Read>(
    mut reader: CaptureReader<R>,
    flows: FlowTableConfig,
    sender: &mpsc::SyncSender<Handed>,
    stop: &AtomicBool,
) -> ExtractionCounts {
    let mut extractor = Extractor::new(flows);
    let mut chunk = Vec::with_capacity(CHUNK);
    let last = loop {
        if stop.load(Ordering::Relaxed) {
            break None;
        }
        match reader.next_packet() {
            None => break Some(Handed::End),
            Some(Err(error)) => break Some(Handed::Failed(error.into())),
            Some(Ok(packet)) => extractor.packet(&packet),
        }
        // The rows only: the scorer needs nothing else, and the rest is freed here.
        chunk.extend(extractor.ready().into_iter().map(|flow| flow.row));
        if chunk.len() >= CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if sender.send(Handed::Rows(full)).is_err() {
                break None;
            }
        }
    };
    if let Some(last) = last {
        if matches!(last, Handed::End) {
            chunk.extend(extractor.finish().into_iter().map(|flow| flow.row));
        }
        // A send fails only when the scorer has stopped, which then needs nothing more.
        let _ = sender
            .send(Handed::Rows(chunk))
            .and_then(|()| sender.send(last));
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
