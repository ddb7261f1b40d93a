//! Why packets were skipped, and how many for each reason.
//!
//! A capture is an attacker's input: a record that cannot be read or a packet that cannot be
//! decoded is skipped and counted, never a panic. The reader counts the records it skips;
//! callers count the [`Skip`]s that [`decode`](crate::decode()) returns.

use std::fmt;

/// One reason for skipping a record or a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Skip {
    // Capture records (counted by the reader).
    /// The capture ends in the middle of a record (a capture cut short while being written).
    TruncatedRecord,
    /// A pcapng block whose length is sound but whose contents do not parse.
    MalformedBlock,
    /// A pcapng packet naming an interface that no Interface Description Block described.
    UnknownInterface,
    /// An Interface Description Block beyond the reader's interface limit.
    TooManyInterfaces,
    /// A timestamp that cannot be expressed in `i64` nanoseconds, or an invalid `if_tsresol`.
    BadTimestamp,
    /// A record holding no packet bytes.
    ZeroLength,
    /// A captured length above the snapshot length or above the packet's original length.
    SnaplenExceeded,
    // Packet contents (returned by `decode`).
    /// A link-layer type this crate does not decode.
    UnknownLinkType,
    /// Shorter than its link-layer header (including VLAN tags).
    TruncatedLinkHeader,
    /// The link layer carries something other than IPv4, IPv6 or ARP.
    NotIp,
    /// An ARP packet shorter than its address lengths say.
    TruncatedArp,
    /// ARP for something other than IPv4 addresses.
    UnsupportedArp,
    /// The IP version nibble is neither 4 nor 6, or does not match the link type.
    BadIpVersion,
    /// An IPv4 header length (IHL) below the 20-byte minimum.
    BadIpHeaderLength,
    /// The IP header or an IPv6 extension header is cut short.
    TruncatedIpHeader,
    /// A malformed IP extension header (hop-by-hop not first, bad authentication header).
    BadIpExtensionHeader,
    /// The TCP, UDP or ICMP header is cut short.
    TruncatedTransportHeader,
    /// A TCP data offset below 5 words or beyond the segment.
    BadTcpHeaderLength,
}

impl Skip {
    /// Every reason, in the order reports list them.
    pub const ALL: [Skip; 18] = [
        Skip::TruncatedRecord,
        Skip::MalformedBlock,
        Skip::UnknownInterface,
        Skip::TooManyInterfaces,
        Skip::BadTimestamp,
        Skip::ZeroLength,
        Skip::SnaplenExceeded,
        Skip::UnknownLinkType,
        Skip::TruncatedLinkHeader,
        Skip::NotIp,
        Skip::TruncatedArp,
        Skip::UnsupportedArp,
        Skip::BadIpVersion,
        Skip::BadIpHeaderLength,
        Skip::TruncatedIpHeader,
        Skip::BadIpExtensionHeader,
        Skip::TruncatedTransportHeader,
        Skip::BadTcpHeaderLength,
    ];

    /// A stable snake_case name, for reports and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Skip::TruncatedRecord => "truncated_record",
            Skip::MalformedBlock => "malformed_block",
            Skip::UnknownInterface => "unknown_interface",
            Skip::TooManyInterfaces => "too_many_interfaces",
            Skip::BadTimestamp => "bad_timestamp",
            Skip::ZeroLength => "zero_length",
            Skip::SnaplenExceeded => "snaplen_exceeded",
            Skip::UnknownLinkType => "unknown_link_type",
            Skip::TruncatedLinkHeader => "truncated_link_header",
            Skip::NotIp => "not_ip",
            Skip::TruncatedArp => "truncated_arp",
            Skip::UnsupportedArp => "unsupported_arp",
            Skip::BadIpVersion => "bad_ip_version",
            Skip::BadIpHeaderLength => "bad_ip_header_length",
            Skip::TruncatedIpHeader => "truncated_ip_header",
            Skip::BadIpExtensionHeader => "bad_ip_extension_header",
            Skip::TruncatedTransportHeader => "truncated_transport_header",
            Skip::BadTcpHeaderLength => "bad_tcp_header_length",
        }
    }

    fn index(self) -> usize {
        // ALL lists every variant, so the search always succeeds.
        Skip::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Counts of skipped records and packets, by [`Skip`] reason.
///
/// ```
/// use packet_flows::{Skip, Skips};
///
/// let mut skips = Skips::default();
/// skips.add(Skip::NotIp);
/// skips.add(Skip::NotIp);
/// skips.add(Skip::TruncatedRecord);
/// assert_eq!(skips.get(Skip::NotIp), 2);
/// assert_eq!(skips.total(), 3);
/// assert_eq!(skips.to_string(), "3 skipped: truncated_record 1, not_ip 2");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Skips {
    counts: [u64; Skip::ALL.len()],
}

impl Skips {
    /// Counts one more skip for `reason`.
    pub fn add(&mut self, reason: Skip) {
        let count = &mut self.counts[reason.index()];
        *count = count.saturating_add(1);
    }

    /// How many skips were counted for `reason`.
    pub fn get(&self, reason: Skip) -> u64 {
        self.counts[reason.index()]
    }

    /// All skips, whatever the reason.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0, |sum, n| sum.saturating_add(*n))
    }

    /// Adds every count of `other` to these.
    pub fn merge(&mut self, other: &Skips) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine = mine.saturating_add(theirs);
        }
    }

    /// The reasons with a non-zero count, in [`Skip::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Skip, u64)> + '_ {
        Skip::ALL
            .iter()
            .map(|s| (*s, self.get(*s)))
            .filter(|(_, n)| *n > 0)
    }
}

impl fmt::Display for Skips {
    /// `"N skipped: reason n, reason n"`, or `"0 skipped"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} skipped", self.total())?;
        for (i, (reason, count)) in self.iter().enumerate() {
            let sep = if i == 0 { ": " } else { ", " };
            write!(f, "{sep}{reason} {count}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_its_own_slot_and_name() {
        let mut skips = Skips::default();
        for (i, reason) in Skip::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
            for _ in 0..=i {
                skips.add(*reason);
            }
        }
        for (i, reason) in Skip::ALL.iter().enumerate() {
            assert_eq!(skips.get(*reason), i as u64 + 1, "{reason}");
        }
        let mut names: Vec<_> = Skip::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Skip::ALL.len());
    }

    #[test]
    fn merge_adds_and_empty_report_says_zero() {
        let mut a = Skips::default();
        assert_eq!(a.to_string(), "0 skipped");
        let mut b = Skips::default();
        b.add(Skip::ZeroLength);
        a.merge(&b);
        a.merge(&b);
        assert_eq!(a.get(Skip::ZeroLength), 2);
        assert_eq!(a.to_string(), "2 skipped: zero_length 2");
    }
}
