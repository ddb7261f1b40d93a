//! Live capture from a network interface through libpcap (feature `live`).
//!
//! Capturing needs root or the `CAP_NET_RAW` and `CAP_NET_ADMIN` capabilities
//! (`setcap cap_net_raw,cap_net_admin=eip <binary>`); without them [`LiveCapture::open`]
//! says so instead of libpcap's bare "Operation not permitted".

use std::time::Duration;

use crate::{Error, LinkType, Packet, Skip, Skips, Timestamp};

/// How long a read waits for a packet before returning `None`, so that callers can move
/// the flow table's clock on a quiet interface.
pub const READ_TIMEOUT: Duration = Duration::from_millis(250);

/// Bytes captured per packet: enough for any header and the payload the application-layer
/// parsers read, as tcpdump's default.
pub const SNAPLEN: i32 = 262_144;

/// A capture on one interface.
pub struct LiveCapture {
    interface: String,
    capture: pcap::Capture<pcap::Active>,
    link_type: LinkType,
    skips: Skips,
    /// The socket had data at the last wait and has not been drained since.
    readable: bool,
}

/// What libpcap reports about a capture's packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets the filter passed.
    pub received: u32,
    /// Packets dropped because the buffer was full (the reader was too slow).
    pub dropped: u32,
    /// Packets the interface or its driver dropped.
    pub interface_dropped: u32,
}

impl LiveCapture {
    /// Opens `interface` (`any` for all of them on Linux), with a BPF `filter` in tcpdump's
    /// syntax if given.
    pub fn open(interface: &str, filter: Option<&str>) -> Result<LiveCapture, Error> {
        let fail = |hint: &str, source: pcap::Error| Error::Live {
            interface: interface.to_owned(),
            hint: hint.to_owned(),
            source,
        };
        let inactive = pcap::Capture::from_device(interface)
            .map_err(|e| fail("no such interface (see `ip link`)", e))?;
        let mut capture = inactive
            .snaplen(SNAPLEN)
            .immediate_mode(true)
            .timeout(READ_TIMEOUT.as_millis() as i32)
            .open()
            .map_err(|e| {
                let text = e.to_string();
                let hint = if text.contains("ermission") || text.contains("not permitted") {
                    "capturing needs root or CAP_NET_RAW and CAP_NET_ADMIN \
                     (setcap cap_net_raw,cap_net_admin=eip on the binary)"
                } else if text.contains("No such device") || text.contains("doesn't exist") {
                    "no such interface (see `ip link`)"
                } else {
                    "libpcap cannot open it"
                };
                fail(hint, e)
            })?;
        if let Some(filter) = filter {
            capture
                .filter(filter, true)
                .map_err(|e| fail("the BPF filter does not compile (tcpdump syntax)", e))?;
        }
        // Non-blocking, with `poll` for the wait: the only way a quiet interface still hands
        // control back every READ_TIMEOUT (for timeouts, deadlines and Ctrl-C).
        let capture = capture
            .setnonblock()
            .map_err(|e| fail("libpcap cannot make the capture non-blocking", e))?;
        let link_type = capture.get_datalink();
        Ok(LiveCapture {
            interface: interface.to_owned(),
            link_type: LinkType(u16::try_from(link_type.0).unwrap_or(u16::MAX)),
            capture,
            skips: Skips::default(),
            readable: false,
        })
    }

    /// The interface's link-layer header type.
    pub fn link_type(&self) -> LinkType {
        self.link_type
    }

    /// The next packet; `None` when none came within [`READ_TIMEOUT`], or when the one that
    /// came was unusable (it is counted in [`skips`](Self::skips)).
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, Error> {
        if !self.readable {
            self.readable = wait_readable(&self.capture);
            if !self.readable {
                return Ok(None);
            }
        }
        let packet = match self.capture.next_packet() {
            Ok(packet) => packet,
            Err(pcap::Error::TimeoutExpired) => {
                // Drained: wait on the socket next time.
                self.readable = false;
                return Ok(None);
            }
            Err(e) => {
                return Err(Error::Live {
                    interface: self.interface.clone(),
                    hint: "reading failed (was the interface removed?)".to_owned(),
                    source: e,
                });
            }
        };
        let header = packet.header;
        let seconds = i128::from(header.ts.tv_sec);
        let micros = u128::try_from(header.ts.tv_usec).unwrap_or(0);
        let timestamp = Timestamp::from_parts(seconds, micros, 1_000_000);
        let Some(timestamp) = timestamp else {
            self.skips.add(Skip::BadTimestamp);
            return Ok(None);
        };
        let skip = if packet.data.is_empty() {
            Some(Skip::ZeroLength)
        } else if packet.data.len() as u64 > u64::from(header.len) {
            Some(Skip::SnaplenExceeded)
        } else {
            None
        };
        if let Some(skip) = skip {
            self.skips.add(skip);
            return Ok(None);
        }
        Ok(Some(Packet {
            timestamp,
            link_type: self.link_type,
            interface: 0,
            captured: packet.data,
            original_len: header.len,
        }))
    }

    /// Packets libpcap delivered that could not be used, by reason.
    pub fn skips(&self) -> &Skips {
        &self.skips
    }

    /// libpcap's counts so far.
    pub fn stats(&mut self) -> Result<LiveStats, Error> {
        let stats = self.capture.stats().map_err(|e| Error::Live {
            interface: self.interface.clone(),
            hint: "libpcap cannot report its counts".to_owned(),
            source: e,
        })?;
        Ok(LiveStats {
            received: stats.received,
            dropped: stats.dropped,
            interface_dropped: stats.if_dropped,
        })
    }
}

/// Waits up to [`READ_TIMEOUT`] for the capture's socket; `true` when it is readable, or when
/// the wait itself failed (the read that follows reports the error).
fn wait_readable(capture: &pcap::Capture<pcap::Active>) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(capture, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(READ_TIMEOUT.subsec_nanos()),
    };
    match rustix::event::poll(&mut fds, Some(&timeout)) {
        Ok(ready) => ready > 0,
        // A signal (Ctrl-C): back to the caller, which checks it.
        Err(rustix::io::Errno::INTR) => false,
        Err(_) => true,
    }
}
