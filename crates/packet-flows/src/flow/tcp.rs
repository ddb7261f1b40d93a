//! What Argus follows in a TCP connection: the handshake's times, base sequence numbers,
//! windows, bytes in flight, retransmissions, and whether each segment is "in protocol" (the
//! kind of inter-packet gap it ends, which decides how `ra` prints the jitter).
//!
//! The rules are Argus 3.0.8's (`ArgusTcp.c`), checked field by field against it on the
//! repository's captures (`tests/argus_parity.rs`). Sequence numbers are compared as plain
//! unsigned numbers, as Argus compares them, not in serial arithmetic.

use super::timing::GapKind;
use crate::{TcpFlags, TcpSegment};

/// One direction of a TCP connection, as Argus keeps it per record.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TcpSide {
    /// The base sequence number (`stcpb`), 0 when unknown.
    pub base_sequence: u32,
    /// One past the highest sequence number this side has sent.
    sequence: u32,
    /// The last acknowledgment this side sent, less one; 0 before its first.
    acknowledged: u32,
    /// The last window this side advertised (not on FIN, RST or a zero window), unscaled.
    window: Option<u16>,
    /// The window-scale shift from this side's options.
    window_scale: Option<u8>,
    /// Bytes this side has in flight, by Argus's reckoning.
    in_flight: u32,
    /// Segments retransmitted (`sloss`).
    pub retransmissions: u64,
    /// Flags seen in the current record.
    pub flags: TcpFlags,
}

impl TcpSide {
    /// The last window advertised, shifted by this side's window-scale option as Argus
    /// shifts it (whether or not the peer agreed to scaling, and on a SYN too).
    pub(crate) fn scaled_window(&self) -> u32 {
        let window = u32::from(self.window.unwrap_or(0));
        window << self.window_scale.unwrap_or(0).min(14)
    }

    fn window_or_zero(&self) -> u16 {
        self.window.unwrap_or(0)
    }
}

/// A TCP connection's handshake and per-direction state.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TcpConnection {
    /// The flow's source side (the first packet's sender).
    pub source: TcpSide,
    /// The other side.
    pub destination: TcpSide,
    /// Whether the flow's first segment has been seen.
    started: bool,
    syn_nanos: Option<i64>,
    syn_ack_nanos: Option<i64>,
    ack_nanos: Option<i64>,
}

impl TcpConnection {
    /// Follows one segment; `from_source` says which side sent it. Returns the kind of gap
    /// the segment ends.
    pub(crate) fn segment(
        &mut self,
        from_source: bool,
        seg: &TcpSegment<'_>,
        nanos: i64,
    ) -> GapKind {
        let flags = seg.flags;
        let syn = flags.contains(TcpFlags::SYN);
        let ack = flags.contains(TcpFlags::ACK);
        // The handshake's times: the source's (last) SYN, the destination's SYN/ACK, then
        // the source's first ACK after it. A SYN sent again before the answer is a
        // retransmission, and the round trip is timed from it.
        if from_source && syn && !ack && self.syn_ack_nanos.is_none() {
            if self.syn_nanos.replace(nanos).is_some() {
                self.source.retransmissions += 1;
            }
        } else if !from_source && syn && ack && self.syn_ack_nanos.is_none() {
            self.syn_ack_nanos = Some(nanos);
        } else if from_source && ack && !syn && self.syn_ack_nanos.is_some() {
            self.ack_nanos.get_or_insert(nanos);
        }

        let (sender, peer) = if from_source {
            (&mut self.source, &mut self.destination)
        } else {
            (&mut self.destination, &mut self.source)
        };
        sender.flags = TcpFlags(sender.flags.0 | flags.0);
        if seg.window_scale.is_some() {
            sender.window_scale = seg.window_scale;
        }
        if !self.started {
            self.started = true;
            first_segment(sender, peer, seg);
            return GapKind::Active;
        }
        later_segment(sender, peer, seg)
    }

    /// SYN to SYN/ACK, seconds (`synack`); 0 without both.
    pub(crate) fn synack(&self) -> f64 {
        seconds_between(self.syn_nanos, self.syn_ack_nanos)
    }

    /// SYN/ACK to the source's ACK, seconds (`ackdat`); 0 without both.
    pub(crate) fn ackdat(&self) -> f64 {
        seconds_between(self.syn_ack_nanos, self.ack_nanos)
    }

    /// Argus's state for the current record.
    pub(crate) fn state(&self) -> &'static str {
        let flags = TcpFlags(self.source.flags.0 | self.destination.flags.0);
        if flags.contains(TcpFlags::RST) {
            "RST"
        } else if flags.contains(TcpFlags::FIN) {
            "FIN"
        } else if self.ack_nanos.is_some() || self.syn_nanos.is_none() {
            "CON"
        } else if self.syn_ack_nanos.is_some() {
            "ACC"
        } else {
            "REQ"
        }
    }

    /// Starts a new record. As Argus zeroes a record's TCP counters when it writes one, the
    /// next record takes each side's next segment as that side's first (its sequence number
    /// becomes the base); windows and window scales carry on.
    pub(crate) fn restart(&mut self) {
        for side in [&mut self.source, &mut self.destination] {
            *side = TcpSide {
                window: side.window,
                window_scale: side.window_scale,
                ..TcpSide::default()
            };
        }
    }
}

/// The flow's first segment, from its source.
fn first_segment(sender: &mut TcpSide, peer: &mut TcpSide, seg: &TcpSegment<'_>) {
    let flags = seg.flags;
    let len = seg.payload_len;
    if flags.contains(TcpFlags::RST) {
        sender.base_sequence = if seg.sequence != 0 {
            seg.sequence.wrapping_sub(1)
        } else {
            seg.acknowledgment.wrapping_sub(1)
        };
        sender.sequence = seg.sequence.wrapping_add(len);
        return;
    }
    sender.window = Some(seg.window);
    if flags.contains(TcpFlags::SYN) {
        sender.base_sequence = seg.sequence;
        sender.sequence = seg.sequence;
        if flags.contains(TcpFlags::ACK) {
            peer.acknowledged = seg.acknowledgment.wrapping_sub(1);
        }
        return;
    }
    // Joined mid-connection: the base is taken as if this segment followed the SYN. (Argus
    // files this first acknowledgment under the other side.)
    if flags.contains(TcpFlags::ACK) && !flags.contains(TcpFlags::FIN) {
        peer.acknowledged = seg.acknowledgment.wrapping_sub(1);
    }
    sender.base_sequence = seg.sequence.wrapping_sub(1);
    sender.sequence = seg.sequence.wrapping_add(len);
}

/// Any later segment: windows, bytes in flight, retransmissions, acknowledgments.
fn later_segment(sender: &mut TcpSide, peer: &mut TcpSide, seg: &TcpSegment<'_>) -> GapKind {
    let flags = seg.flags;
    let closing = flags.contains(TcpFlags::FIN) || flags.contains(TcpFlags::RST);
    // A bare SYN again (a retransmitted SYN) changes nothing and counts as in protocol.
    if flags == TcpFlags::SYN {
        return GapKind::Active;
    }
    let mut active = true;
    if seg.window == 0 && !closing {
        active = false; // the window is shut
    } else if !closing {
        sender.window = Some(seg.window);
    }

    let len = seg.payload_len;
    let seq = seg.sequence;
    let end = seq.wrapping_add(len);
    if len > 0 && peer.window_or_zero() != 0 {
        // The first data after everything was acknowledged starts a burst: not in protocol.
        if sender.in_flight == 0 {
            active = false;
        }
        if sender.flags.contains(TcpFlags::FIN) && seq < sender.sequence {
            sender.retransmissions += 1;
        }
        if !flags.contains(TcpFlags::SYN) {
            sender.in_flight = sender.in_flight.wrapping_add(len);
        }
    } else {
        active = false;
    }

    if end < seq {
        // The sequence numbers wrapped: start counting again from here.
        sender.base_sequence = end;
        sender.sequence = end;
    } else if sender.base_sequence == 0 {
        // This side's first segment in the record.
        sender.base_sequence = seq;
        sender.sequence = end;
    } else if len > 0 && peer.window_or_zero() != 0 {
        if seq < peer.acknowledged {
            let window =
                u32::from(sender.window_or_zero()) >> sender.window_scale.unwrap_or(0).min(31);
            if peer.acknowledged - seq < window {
                retransmitted(sender, len);
                active = false;
            }
        } else {
            let highest = end.max(sender.sequence);
            if sender.window_or_zero() != 0 {
                if sender.in_flight > highest.wrapping_sub(1).wrapping_sub(peer.acknowledged) {
                    retransmitted(sender, len);
                    active = false;
                } else if end < sender.sequence && seq == peer.acknowledged.wrapping_add(1) {
                    retransmitted(sender, len);
                }
            }
            sender.sequence = highest;
        }
    }

    if flags.contains(TcpFlags::ACK) && seg.acknowledgment != 0 {
        acknowledge(sender, peer, seg);
    }
    if active {
        GapKind::Active
    } else {
        GapKind::Idle
    }
}

fn retransmitted(sender: &mut TcpSide, len: u32) {
    sender.retransmissions += 1;
    sender.in_flight = sender.in_flight.wrapping_sub(len);
}

/// The sender acknowledges the peer's bytes: the peer's bytes in flight shrink.
fn acknowledge(sender: &mut TcpSide, peer: &mut TcpSide, seg: &TcpSegment<'_>) {
    let ack = seg.acknowledgment;
    if sender.acknowledged != 0 && peer.sequence > sender.acknowledged {
        peer.in_flight = peer
            .sequence
            .wrapping_sub(1)
            .wrapping_sub(sender.acknowledged);
    }
    if sender.acknowledged == ack.wrapping_sub(1) {
        return;
    }
    if sender.acknowledged == 0 || peer.sequence == ack {
        peer.in_flight = 0;
    } else if !seg.flags.contains(TcpFlags::SYN) {
        let newly = ack.wrapping_sub(1).wrapping_sub(sender.acknowledged);
        peer.in_flight -= peer.in_flight.min(newly);
    }
    sender.acknowledged = ack.wrapping_sub(1);
}

fn seconds_between(from: Option<i64>, to: Option<i64>) -> f64 {
    match (from, to) {
        (Some(from), Some(to)) if to >= from => (to - from) as f64 / 1e9,
        _ => 0.0,
    }
}
