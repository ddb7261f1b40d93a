//! One flow being followed: the counters of its current record and what carries over
//! between records.

use super::state::{icmp_state, icmpv6_state, two_way_state};
use super::table::is_opening_syn;
use super::tcp::{TcpConnection, TcpSide};
use super::timing::{GapKind, Gaps};
use super::{ARP, ByteCount, DirectionStats, FlowKey, FlowRecord, FlowTableConfig, RecordEnd};
use crate::app::{AppTracker, Side};
use crate::{
    CookedHeader, Fragment, IcmpMessage, Network, PacketMeta, TcpFlags, TcpSegment, Transport,
    proto_name,
};

/// Bytes ARP counts under [`ByteCount::Ip`]: the ARP message for IPv4 over Ethernet.
const ARP_MESSAGE_LEN: u64 = 28;
/// Linux cooked capture headers, v1 and v2.
const SLL_HEADER_LEN: u64 = 16;
const SLL2_HEADER_LEN: u64 = 20;

/// What the table uses of one decoded packet.
pub(crate) struct PacketView<'p, 'a> {
    bytes: u64,
    payload_len: u64,
    ttl: Option<u8>,
    transport: Option<&'p Transport<'a>>,
    later_fragment: bool,
}

impl<'p, 'a> PacketView<'p, 'a> {
    pub(crate) fn of(meta: &'p PacketMeta<'a>, config: &FlowTableConfig) -> PacketView<'p, 'a> {
        // A Linux cooked header is the capturing host's, not the wire's: Argus leaves it out.
        let cooked_len = match meta.cooked {
            Some(CookedHeader {
                interface_index: Some(_),
                ..
            }) => SLL2_HEADER_LEN,
            Some(_) => SLL_HEADER_LEN,
            None => 0,
        };
        let wire = u64::from(meta.wire_len).saturating_sub(cooked_len);
        match &meta.network {
            Network::Arp(_) => PacketView {
                bytes: match config.bytes {
                    ByteCount::Wire => wire,
                    ByteCount::Ip => ARP_MESSAGE_LEN,
                },
                payload_len: 0,
                ttl: None,
                transport: None,
                later_fragment: false,
            },
            Network::Ip(ip) => PacketView {
                bytes: match config.bytes {
                    ByteCount::Wire => wire,
                    ByteCount::Ip => u64::from(ip.ip_len),
                },
                payload_len: match &ip.transport {
                    Transport::Tcp(t) => u64::from(t.payload_len),
                    Transport::Udp(u) => u64::from(u.payload_len),
                    _ => 0,
                },
                ttl: Some(ip.ttl),
                transport: Some(&ip.transport),
                later_fragment: ip.fragment == Fragment::Later,
            },
        }
    }

    fn tcp(&self) -> Option<&'p TcpSegment<'a>> {
        match self.transport {
            Some(Transport::Tcp(t)) => Some(t),
            _ => None,
        }
    }
}

/// One direction's counters in the current record.
#[derive(Clone, Copy, Debug, Default)]
struct SideCounters {
    packets: u64,
    bytes: u64,
    payload_bytes: u64,
    /// The last TTL seen this way, in this record or an earlier one (`None`: no packet yet).
    ttl: Option<u8>,
    gaps: Gaps,
}

impl SideCounters {
    /// Starts a new record: the counts restart; the TTL and the last packet's time carry on.
    fn restart(&mut self) {
        let (gaps, ttl) = (self.gaps, self.ttl);
        *self = SideCounters::default();
        self.gaps = gaps;
        self.gaps.restart();
        self.ttl = ttl;
    }
}

/// A flow in the table.
#[derive(Debug)]
pub(crate) struct ActiveFlow {
    /// The flow's number in the table, from 0.
    number: u64,
    /// When the table's live deadline entry for this flow is due (`i64::MAX`: none yet).
    pub(crate) scheduled: i64,
    /// Oriented from the flow's source.
    key: FlowKey,
    first_nanos: i64,
    /// The current record's first and last packets; `None` before its first.
    span: Option<(i64, i64)>,
    /// The flow's last packet in any record.
    last_nanos: i64,
    /// When the last record was cut at the status interval.
    last_cut: Option<i64>,
    source: SideCounters,
    destination: SideCounters,
    tcp: Option<TcpConnection>,
    /// Whether a reset, or a FIN each way, has been seen.
    closed: bool,
    fins: (bool, bool),
    icmp_first: Option<IcmpMessage>,
    app: AppTracker,
    continued: bool,
}

impl ActiveFlow {
    pub(crate) fn new(
        key: FlowKey,
        nanos: i64,
        view: &PacketView<'_, '_>,
        number: u64,
    ) -> ActiveFlow {
        let protocol = u8::try_from(key.protocol).unwrap_or(0);
        ActiveFlow {
            number,
            scheduled: i64::MAX,
            key,
            first_nanos: nanos,
            span: None,
            last_nanos: nanos,
            last_cut: None,
            source: SideCounters::default(),
            destination: SideCounters::default(),
            tcp: view.tcp().map(|_| TcpConnection::default()),
            closed: false,
            fins: (false, false),
            icmp_first: None,
            app: AppTracker::new(protocol, key.source_port, key.destination_port),
            continued: false,
        }
    }

    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    pub(crate) fn first_nanos(&self) -> i64 {
        self.first_nanos
    }

    pub(crate) fn mark_ftp_data(&mut self) {
        self.app.mark_ftp_data();
    }

    pub(crate) fn take_ftp_data_endpoints(&mut self) -> Vec<(std::net::IpAddr, u16)> {
        let server = self.key.destination;
        self.app
            .take_ftp_data_endpoints()
            .map(|(address, port)| (address.unwrap_or(server), port))
            .collect()
    }

    /// Whether `key`'s packet opens a new connection on this closed connection's ports.
    pub(crate) fn is_reused_by(&self, key: &FlowKey, meta: &PacketMeta<'_>) -> bool {
        let Some(Transport::Tcp(tcp)) = meta.ip().map(|ip| &ip.transport) else {
            return false;
        };
        self.closed && is_opening_syn(tcp.flags) && key == &self.key
    }

    /// When the flow times out: its idle timeout after its last record was written, and
    /// never while its current record holds packets (Argus's behaviour: a UDP flow with
    /// packets 59 s apart is one record, and one 61 s apart is two records of one flow).
    pub(crate) fn idle_deadline(&self, config: &FlowTableConfig) -> i64 {
        if self.span.is_some() {
            return i64::MAX;
        }
        let timeout = if self.tcp.is_some() {
            config.tcp_idle_timeout
        } else {
            config.ip_idle_timeout
        };
        // A packet exactly at the timeout still belongs to the flow, as in Argus.
        self.last_cut
            .unwrap_or(self.last_nanos)
            .saturating_add(nanos_of(timeout))
            .saturating_add(1)
    }

    pub(crate) fn interval_deadline(&self, config: &FlowTableConfig) -> i64 {
        match self.span {
            Some((start, _)) => start.saturating_add(nanos_of(config.status_interval)),
            None => i64::MAX,
        }
    }

    pub(crate) fn deadline(&self, config: &FlowTableConfig) -> i64 {
        self.idle_deadline(config)
            .min(self.interval_deadline(config))
    }

    /// An ICMP error at `nanos` quoting one of this flow's packets: the record's last time
    /// becomes the error's (Argus's "ICMP mapped" flows).
    pub(crate) fn answered_by_icmp_error(&mut self, nanos: i64) {
        if let Some(span) = self.span.as_mut() {
            span.1 = span.1.max(nanos);
        }
    }

    /// Adds a packet of this flow.
    pub(crate) fn add(
        &mut self,
        key: &FlowKey,
        nanos: i64,
        view: &PacketView<'_, '_>,
        config: &FlowTableConfig,
    ) {
        let from_source = *key == self.key;
        let span = self.span.get_or_insert((nanos, nanos));
        span.1 = nanos;
        self.last_nanos = nanos;

        let kind = match (view.tcp(), self.tcp.as_mut()) {
            (Some(segment), Some(tcp)) => {
                self.closed |= segment.flags.contains(TcpFlags::RST);
                if segment.flags.contains(TcpFlags::FIN) {
                    if from_source {
                        self.fins.0 = true;
                    } else {
                        self.fins.1 = true;
                    }
                }
                self.closed |= self.fins.0 && self.fins.1;
                let side = if from_source {
                    Side::Source
                } else {
                    Side::Destination
                };
                let syn = segment.flags.contains(TcpFlags::SYN);
                self.app
                    .tcp_segment(side, segment.sequence, syn, segment.payload);
                tcp.segment(from_source, segment, nanos)
            }
            _ => GapKind::Active,
        };
        match view.transport {
            Some(Transport::Udp(udp)) => {
                let side = if from_source {
                    Side::Source
                } else {
                    Side::Destination
                };
                self.app.udp_datagram(side, udp.payload);
            }
            Some(Transport::Icmp(message) | Transport::Icmpv6(message)) => {
                self.icmp_first.get_or_insert(*message);
            }
            _ => {}
        }

        let counters = if from_source {
            &mut self.source
        } else {
            &mut self.destination
        };
        counters.packets += 1;
        counters.bytes += view.bytes;
        counters.payload_bytes += view.payload_len;
        counters.ttl = view.ttl.or(counters.ttl);
        // A later fragment is part of its first fragment's packet: no gap of its own.
        if !view.later_fragment {
            let limit = nanos_of(config.status_interval).saturating_mul(2);
            counters.gaps.packet(nanos, kind, limit);
        }
    }

    /// Writes the current record and starts the next one, `None` when it holds no packet.
    pub(crate) fn cut(&mut self, end: RecordEnd, config: &FlowTableConfig) -> Option<FlowRecord> {
        let record = self.record(end)?;
        self.last_cut = Some(self.interval_deadline(config));
        self.span = None;
        self.source.restart();
        self.destination.restart();
        if let Some(tcp) = self.tcp.as_mut() {
            tcp.restart();
        }
        self.continued = true;
        Some(record)
    }

    /// The flow's last record; `None` when its packets were all written already (its
    /// current record, begun by a status cut, holds none).
    pub(crate) fn into_record(self, end: RecordEnd) -> Option<FlowRecord> {
        self.record(end)
    }

    fn record(&self, end: RecordEnd) -> Option<FlowRecord> {
        let (stime, ltime) = self.span?;
        let protocol = self.key.protocol;
        let state = match (&self.tcp, self.icmp_first) {
            (Some(tcp), _) => tcp.state(),
            (None, Some(first)) if protocol == 58 => icmpv6_state(first),
            (None, Some(first)) => icmp_state(first),
            (None, None) => two_way_state(
                self.source.packets,
                self.destination.packets,
                self.continued,
            ),
        };
        let (source_tcp, destination_tcp) = match &self.tcp {
            Some(tcp) => (tcp.source, tcp.destination),
            None => (TcpSide::default(), TcpSide::default()),
        };
        Some(FlowRecord {
            key: self.key,
            proto: match protocol {
                ARP => "arp",
                p => proto_name(u8::try_from(p).unwrap_or(u8::MAX)),
            },
            stime: crate::Timestamp::from_nanos(stime),
            ltime: crate::Timestamp::from_nanos(ltime),
            state,
            source: stats(&self.source, &source_tcp),
            destination: stats(&self.destination, &destination_tcp),
            synack: self.tcp.map_or(0.0, |t| t.synack()),
            ackdat: self.tcp.map_or(0.0, |t| t.ackdat()),
            app: self.app.summary(),
            icmp: self.icmp_first,
            end,
            continued: self.continued,
        })
    }
}

fn stats(counters: &SideCounters, tcp: &TcpSide) -> DirectionStats {
    DirectionStats {
        packets: counters.packets,
        bytes: counters.bytes,
        payload_bytes: counters.payload_bytes,
        ttl: counters.ttl,
        loss: tcp.retransmissions,
        inter_packet_ms: counters.gaps.mean_ms(),
        jitter_ms: counters.gaps.jitter_ms(),
        window: tcp.scaled_window(),
        base_sequence: tcp.base_sequence,
    }
}

fn nanos_of(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}
