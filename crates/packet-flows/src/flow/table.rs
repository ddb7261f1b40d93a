//! The bidirectional flow table: packets in, flow records out.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::IpAddr;

use super::active::{ActiveFlow, PacketView};
use super::key::quoted_key;
use super::{FlowKey, FlowRecord, FlowTableConfig, RecordEnd};
use crate::{Fragment, Network, PacketMeta, TcpFlags, Timestamp, Transport};

/// The most FTP data connections waiting to be seen at once, and how long one waits.
const MAX_EXPECTED_FTP_DATA: usize = 4_096;
const FTP_DATA_WAIT_NANOS: i64 = 300_000_000_000;
/// The most fragmented datagrams whose first fragment is remembered at once.
const MAX_FRAGMENT_PARENTS: usize = 4_096;

/// Turns packets, in capture order, into [`FlowRecord`]s.
///
/// As in Argus, a record is written when the status interval has passed since its first
/// packet, and the flow goes on; a flow times out (silently: its packets are all written) its
/// protocol's idle timeout after its last record was written, if no packet came since. A
/// record is also written early when a closed TCP connection's ports open a new one, when the
/// table is full and the flow is due soonest, and when the table is
/// [`flush`](FlowTable::flush)ed at the end of the capture. Memory is
/// bounded by [`FlowTableConfig::max_flows`].
///
/// ```
/// use packet_flows::{CaptureReader, FlowTable, FlowTableConfig};
///
/// let mut reader = CaptureReader::open("tests/fixtures/ethernet.pcap")?;
/// let mut table = FlowTable::new(FlowTableConfig::default());
/// while let Some(packet) = reader.next_packet() {
///     let packet = packet?;
///     if let Ok(meta) = packet.decode() {
///         table.push(packet.timestamp, &meta);
///     }
/// }
/// table.flush();
/// let records: Vec<_> = std::iter::from_fn(|| table.pop_record()).collect();
/// assert!(records.iter().any(|r| r.proto == "tcp" && r.state == "FIN"));
/// # Ok::<(), packet_flows::Error>(())
/// ```
#[derive(Debug)]
pub struct FlowTable {
    config: FlowTableConfig,
    flows: HashMap<FlowKey, ActiveFlow, ahash::RandomState>,
    /// When flows may need attention, with the flow's key and number. Each flow has one live
    /// entry, the one at its `scheduled` time; it is checked when due and pushed again for the
    /// flow's next deadline. Entries of ended flows (their key may hold a newer flow, with
    /// another number) and superseded ones are dropped when they come up.
    deadlines: BinaryHeap<Reverse<(i64, FlowKey, u64)>>,
    records: VecDeque<FlowRecord>,
    expected_ftp_data: HashMap<(IpAddr, u16), i64>,
    fragment_parents: HashMap<(IpAddr, IpAddr, u8), FlowKey>,
    now: i64,
    flows_seen: u64,
}

impl FlowTable {
    /// An empty table.
    pub fn new(config: FlowTableConfig) -> FlowTable {
        FlowTable {
            config,
            flows: HashMap::default(),
            deadlines: BinaryHeap::new(),
            records: VecDeque::new(),
            expected_ftp_data: HashMap::new(),
            fragment_parents: HashMap::new(),
            now: i64::MIN,
            flows_seen: 0,
        }
    }

    /// The table's settings.
    pub fn config(&self) -> &FlowTableConfig {
        &self.config
    }

    /// Flows being followed now.
    pub fn active_flows(&self) -> usize {
        self.flows.len()
    }

    /// Flows started so far (a flow cut into several records counts once).
    pub fn flows_seen(&self) -> u64 {
        self.flows_seen
    }

    /// Adds one packet captured at `timestamp`. Packets should come in capture order; one a
    /// little older than the newest seen is added to its flow as if it came now.
    ///
    /// Times are kept to the microsecond, as Argus keeps them (and so UNSW-NB15's rates):
    /// a nanosecond capture's packets are truncated to their microsecond.
    pub fn push(&mut self, timestamp: Timestamp, meta: &PacketMeta<'_>) {
        let micros = timestamp.as_nanos().div_euclid(1_000) * 1_000;
        let nanos = micros.max(self.now);
        self.advance_to(nanos);
        let view = PacketView::of(meta, &self.config);
        self.extend_quoted_flow(meta, nanos);
        let key = self.key_for(meta);
        let (canonical, _) = key.canonical();

        // The common case, a packet of a flow being followed, costs one lookup.
        let reused = match self.flows.get_mut(&canonical) {
            Some(flow) if !flow.is_reused_by(&key, meta) => {
                let fields = (
                    &self.config,
                    &mut self.deadlines,
                    &mut self.expected_ftp_data,
                );
                add_packet(flow, canonical, &key, nanos, &view, fields);
                return;
            }
            Some(_) => true,
            None => false,
        };
        if reused {
            let flow = self.flows.remove(&canonical).expect("present");
            self.emit(flow.into_record(RecordEnd::PortReuse));
        }
        self.make_room();
        let mut flow = ActiveFlow::new(key, nanos, &view, self.flows_seen);
        if let Some(expires) = self
            .expected_ftp_data
            .remove(&(key.destination, key.destination_port))
            && expires >= nanos
        {
            flow.mark_ftp_data();
        }
        self.flows_seen += 1;
        let flow = self.flows.entry(canonical).insert_entry(flow).into_mut();
        let fields = (
            &self.config,
            &mut self.deadlines,
            &mut self.expected_ftp_data,
        );
        add_packet(flow, canonical, &key, nanos, &view, fields);
    }

    /// Writes out every flow's current record (at the end of a capture).
    pub fn flush(&mut self) {
        let mut flows: Vec<_> = self.flows.drain().map(|(_, flow)| flow).collect();
        self.deadlines.clear();
        flows.sort_by_key(|flow| flow.first_nanos());
        for flow in flows {
            self.emit(flow.into_record(RecordEnd::Flushed));
        }
    }

    /// The next finished record, in the order records were finished.
    pub fn pop_record(&mut self) -> Option<FlowRecord> {
        self.records.pop_front()
    }

    /// Moves the table's clock to `nanos`, ending the flows whose time is up.
    pub fn advance_to(&mut self, nanos: i64) {
        self.now = self.now.max(nanos);
        while let Some(&Reverse((due, key, number))) = self.deadlines.peek() {
            if due > self.now {
                break;
            }
            self.deadlines.pop();
            let Some(flow) = self
                .flows
                .get_mut(&key)
                .filter(|f| f.number() == number && f.scheduled == due)
            else {
                continue;
            };
            if flow.idle_deadline(&self.config) <= self.now {
                // Only a flow whose packets are all written out times out: nothing is lost.
                self.flows.remove(&key);
                continue;
            }
            if flow.interval_deadline(&self.config) <= self.now
                && let Some(record) = flow.cut(RecordEnd::StatusInterval, &self.config)
            {
                self.records.push_back(record);
            }
            flow.scheduled = flow.deadline(&self.config);
            self.deadlines.push(Reverse((flow.scheduled, key, number)));
        }
    }

    fn emit(&mut self, record: Option<FlowRecord>) {
        self.records.extend(record);
    }

    /// Extends the record of the flow whose packet an ICMPv4 error quotes to the error's
    /// time, as Argus does (the error itself is a packet of its own ICMP flow; Argus maps
    /// no ICMPv6 error to a flow).
    fn extend_quoted_flow(&mut self, meta: &PacketMeta<'_>, nanos: i64) {
        let Some(Transport::Icmp(message)) = meta.ip().map(|ip| &ip.transport) else {
            return;
        };
        let Some(quoted) = quoted_key(message) else {
            return;
        };
        let (canonical, _) = quoted.canonical();
        if let Some(flow) = self.flows.get_mut(&canonical) {
            flow.answered_by_icmp_error(nanos);
        }
    }

    /// Ends the flow due soonest when the table is full.
    fn make_room(&mut self) {
        while self.flows.len() >= self.config.max_flows.max(1) {
            let Some(Reverse((due, key, number))) = self.deadlines.pop() else {
                return;
            };
            if self
                .flows
                .get(&key)
                .is_some_and(|f| f.number() == number && f.scheduled == due)
            {
                let flow = self.flows.remove(&key).expect("present");
                self.emit(flow.into_record(RecordEnd::Evicted));
            }
        }
    }

    /// The packet's flow key; a later fragment goes to the flow of its datagram's first
    /// fragment (the ports are only in that one).
    fn key_for(&mut self, meta: &PacketMeta<'_>) -> FlowKey {
        let key = FlowKey::of(meta);
        let Network::Ip(ip) = &meta.network else {
            return key;
        };
        let parent = (ip.source, ip.destination, ip.protocol);
        match (ip.fragment, &ip.transport) {
            (Fragment::First, _) => {
                if self.fragment_parents.len() >= MAX_FRAGMENT_PARENTS {
                    self.fragment_parents.clear();
                }
                self.fragment_parents.insert(parent, key);
                key
            }
            (Fragment::Later, Transport::LaterFragment) => {
                self.fragment_parents.get(&parent).copied().unwrap_or(key)
            }
            _ => key,
        }
    }
}

/// The table's parts a packet's flow update touches besides the flow.
type Touched<'t> = (
    &'t FlowTableConfig,
    &'t mut BinaryHeap<Reverse<(i64, FlowKey, u64)>>,
    &'t mut HashMap<(IpAddr, u16), i64>,
);

/// Adds a packet to its flow, schedules the flow's new deadline if it moved earlier, and
/// remembers the FTP data connections the packet announced.
fn add_packet(
    flow: &mut ActiveFlow,
    canonical: FlowKey,
    key: &FlowKey,
    nanos: i64,
    view: &PacketView<'_, '_>,
    (config, deadlines, expected_ftp_data): Touched<'_>,
) {
    flow.add(key, nanos, view, config);
    // A new record brings its status-interval deadline, maybe before the one scheduled.
    let due = flow.deadline(config);
    if due < flow.scheduled {
        flow.scheduled = due;
        deadlines.push(Reverse((due, canonical, flow.number())));
    }
    for (address, port) in flow.take_ftp_data_endpoints() {
        if expected_ftp_data.len() >= MAX_EXPECTED_FTP_DATA {
            expected_ftp_data.retain(|_, expires| *expires >= nanos);
        }
        if expected_ftp_data.len() < MAX_EXPECTED_FTP_DATA {
            expected_ftp_data.insert((address, port), nanos + FTP_DATA_WAIT_NANOS);
        }
    }
}

/// Whether `flags` open a new connection: SYN without ACK.
pub(crate) fn is_opening_syn(flags: TcpFlags) -> bool {
    flags.contains(TcpFlags::SYN) && !flags.contains(TcpFlags::ACK)
}
