//! UNSW-NB15's connection counts (`ct_*`): how many of the last 100 records, ordered by
//! their last packet (`ltime`), share an address, a port or a service with this one.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use crate::FlowRecord;

/// Records the counts look back over, the current one included.
pub const WINDOW: usize = 100;

/// The seven counts of one record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionCounts {
    /// Same service and source address (`ct_srv_src`).
    pub srv_src: u32,
    /// Same service and destination address (`ct_srv_dst`).
    pub srv_dst: u32,
    /// Same destination address (`ct_dst_ltm`).
    pub dst: u32,
    /// Same source address (`ct_src_ltm`).
    pub src: u32,
    /// Same source address and destination port (`ct_src_dport_ltm`).
    pub src_dport: u32,
    /// Same destination address and source port (`ct_dst_sport_ltm`).
    pub dst_sport: u32,
    /// Same source and destination addresses (`ct_dst_src_ltm`).
    pub dst_src: u32,
}

/// What the counts compare of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    source: IpAddr,
    source_port: u16,
    destination: IpAddr,
    destination_port: u16,
    service: &'static str,
}

impl Identity {
    fn of(record: &FlowRecord) -> Identity {
        let (source_port, destination_port) = record.ports();
        Identity {
            source: record.key.source,
            source_port,
            destination: record.key.destination,
            destination_port,
            service: record.app.service.as_str(),
        }
    }
}

/// Puts records in `ltime` order and counts each against the 99 before it.
///
/// The flow table writes a record up to a status interval after its first packet, so records
/// are held until no record with an earlier `ltime` can still come: until the table's clock
/// is past their `ltime` by the status interval ([`release_until`](Self::release_until)).
#[derive(Debug, Default)]
pub struct CountingOrder {
    pending: BTreeMap<(i64, u64), FlowRecord>,
    arrivals: u64,
    recent: VecDeque<Identity>,
}

impl CountingOrder {
    /// Holds `record` until it can be counted.
    pub fn push(&mut self, record: FlowRecord) {
        self.pending
            .insert((record.ltime.as_nanos(), self.arrivals), record);
        self.arrivals += 1;
    }

    /// Records held now.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Counts and returns, in `ltime` order, every held record whose `ltime` is at or before
    /// `nanos` (`i64::MAX` for all of them).
    pub fn release_until(&mut self, nanos: i64) -> Vec<(FlowRecord, ConnectionCounts)> {
        let mut out = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > nanos {
                break;
            }
            let record = entry.remove();
            let counts = self.count(&record);
            out.push((record, counts));
        }
        out
    }

    fn count(&mut self, record: &FlowRecord) -> ConnectionCounts {
        let me = Identity::of(record);
        if self.recent.len() == WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(me);
        let mut counts = ConnectionCounts::default();
        for other in &self.recent {
            let same_src = other.source == me.source;
            let same_dst = other.destination == me.destination;
            let same_srv = other.service == me.service;
            counts.srv_src += u32::from(same_srv && same_src);
            counts.srv_dst += u32::from(same_srv && same_dst);
            counts.dst += u32::from(same_dst);
            counts.src += u32::from(same_src);
            counts.src_dport +=
                u32::from(same_src && other.destination_port == me.destination_port);
            counts.dst_sport += u32::from(same_dst && other.source_port == me.source_port);
            counts.dst_src += u32::from(same_src && same_dst);
        }
        counts
    }
}
