//! From captured packets to UNSW-NB15 rows, in one streaming pass.

use super::{ConnectionCounts, CountingOrder, UnswRow};
use crate::{FlowRecord, FlowTable, FlowTableConfig, Packet, Skips};

/// A finished record with its UNSW-NB15 row.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtractedFlow {
    /// The flow table's record.
    pub record: FlowRecord,
    /// The connection counts it was given.
    pub counts: ConnectionCounts,
    /// Its row in the release layout.
    pub row: UnswRow,
}

/// Decodes packets, follows their flows and counts the finished records, in `ltime` order.
///
/// Memory stays flat in the capture's length: it holds the flows active now (bounded by
/// [`FlowTableConfig::max_flows`]) and the records of the last status interval, which wait
/// for their place in `ltime` order.
///
/// ```
/// use packet_flows::{CaptureReader, FlowTableConfig, unsw::Extractor};
///
/// let mut reader = CaptureReader::open("tests/fixtures/ethernet.pcap")?;
/// let mut extractor = Extractor::new(FlowTableConfig::default());
/// let mut rows = Vec::new();
/// while let Some(packet) = reader.next_packet() {
///     extractor.packet(&packet?);
///     rows.extend(extractor.ready());
/// }
/// rows.extend(extractor.finish());
/// assert!(rows.iter().any(|f| f.row.proto == "tcp" && f.row.spkts > 0));
/// assert!(rows.windows(2).all(|w| w[0].row.ltime <= w[1].row.ltime));
/// # Ok::<(), packet_flows::Error>(())
/// ```
#[derive(Debug)]
pub struct Extractor {
    table: FlowTable,
    order: CountingOrder,
    skips: Skips,
    packets: u64,
    lag_nanos: i64,
    clock: i64,
}

impl Extractor {
    /// An extractor whose flow table cuts records as `config` says.
    pub fn new(config: FlowTableConfig) -> Extractor {
        // A flow's next record begins no earlier than its current one, which is written at
        // most one status interval after it began: records older than that are settled.
        let lag = config.status_interval;
        Extractor {
            table: FlowTable::new(config),
            order: CountingOrder::default(),
            skips: Skips::default(),
            packets: 0,
            lag_nanos: i64::try_from(lag.as_nanos()).unwrap_or(i64::MAX),
            clock: i64::MIN,
        }
    }

    /// Adds one captured packet; one that does not decode is counted in [`skips`](Self::skips).
    pub fn packet(&mut self, packet: &Packet<'_>) {
        self.packets += 1;
        self.clock = self.clock.max(packet.timestamp.as_nanos());
        match packet.decode() {
            Ok(meta) => self.table.push(packet.timestamp, &meta),
            Err(skip) => {
                self.skips.add(skip);
                self.table.advance_to(packet.timestamp.as_nanos());
            }
        }
    }

    /// Moves the clock to `timestamp` without a packet (a live capture's quiet moments), so
    /// that flows whose time is up are written.
    pub fn tick(&mut self, timestamp: crate::Timestamp) {
        self.clock = self.clock.max(timestamp.as_nanos());
        self.table.advance_to(timestamp.as_nanos());
    }

    /// The records whose place in `ltime` order is settled, counted.
    pub fn ready(&mut self) -> Vec<ExtractedFlow> {
        while let Some(record) = self.table.pop_record() {
            self.order.push(record);
        }
        let settled = self.clock.saturating_sub(self.lag_nanos);
        into_flows(self.order.release_until(settled))
    }

    /// Ends every flow and returns all the records not yet returned.
    pub fn finish(&mut self) -> Vec<ExtractedFlow> {
        self.table.flush();
        while let Some(record) = self.table.pop_record() {
            self.order.push(record);
        }
        into_flows(self.order.release_until(i64::MAX))
    }

    /// The time up to which every record is out: each record ending at or before it has been
    /// returned by the last [`ready`](Self::ready) (one status interval behind the newest
    /// packet or tick); `None` before the first. What a consumer that waits for "no more
    /// records from a host until t" may rely on.
    pub fn settled(&self) -> Option<crate::Timestamp> {
        (self.clock != i64::MIN)
            .then(|| crate::Timestamp::from_nanos(self.clock.saturating_sub(self.lag_nanos)))
    }

    /// Packets given so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Packets that did not decode, by reason (the capture reader's skips are its own).
    pub fn skips(&self) -> &Skips {
        &self.skips
    }

    /// The flow table.
    pub fn table(&self) -> &FlowTable {
        &self.table
    }
}

fn into_flows(counted: Vec<(FlowRecord, ConnectionCounts)>) -> Vec<ExtractedFlow> {
    counted
        .into_iter()
        .map(|(record, counts)| ExtractedFlow {
            row: UnswRow::new(&record, &counts),
            record,
            counts,
        })
        .collect()
}
