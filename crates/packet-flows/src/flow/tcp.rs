//! What Argus follows in a TCP connection: the handshake's times, base sequence numbers,
//! windows, retransmissions and the flags that decide the state.

use super::timing::GapKind;
use crate::{TcpFlags, TcpSegment};

/// One direction of a TCP connection.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TcpSide {
    /// The sequence number of this side's SYN, or the one Argus infers from its first segment
    /// when no SYN was seen; in a later record, the first sequence number in it.
    pub base_sequence: Option<u32>,
    /// One past the highest sequence number this side has sent.
    next_sequence: Option<u32>,
    /// The window-scale shift this side offered on its SYN.
    window_scale: Option<u8>,
    /// The last window advertised on a segment without SYN, FIN or RST, unscaled.
    window: Option<u16>,
    /// Segments carrying bytes this side had already sent.
    pub retransmissions: u64,
    /// Flags seen in the current record.
    pub flags: TcpFlags,
    /// Whether the next segment sets the base sequence number: Argus gives each record after
    /// the first the sequence number its side's first segment in it carries.
    rebase: bool,
}

/// A TCP connection's handshake and per-direction state.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TcpConnection {
    /// The flow's source side (the first packet's sender).
    pub source: TcpSide,
    /// The other side.
    pub destination: TcpSide,
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
        // The handshake's times: the source's SYN, the destination's SYN/ACK, then the
        // source's first ACK after it.
        if from_source && syn && !ack && self.syn_nanos.is_none() {
            self.syn_nanos = Some(nanos);
        } else if !from_source && syn && ack && self.syn_ack_nanos.is_none() {
            self.syn_ack_nanos = Some(nanos);
        } else if from_source
            && ack
            && !syn
            && self.syn_ack_nanos.is_some()
            && self.ack_nanos.is_none()
        {
            self.ack_nanos = Some(nanos);
        }

        let side = if from_source {
            &mut self.source
        } else {
            &mut self.destination
        };
        side.flags = TcpFlags(side.flags.0 | flags.0);
        if syn {
            side.window_scale = seg.window_scale;
        }
        if syn || side.rebase {
            side.base_sequence = Some(seg.sequence);
        } else if side.base_sequence.is_none() {
            // Joined mid-connection: Argus takes the first sequence number less one, as if
            // it followed the SYN.
            side.base_sequence = Some(seg.sequence.wrapping_sub(1));
        }
        side.rebase = false;
        if !flags.contains(TcpFlags::FIN) && !syn && !flags.contains(TcpFlags::RST) {
            side.window = Some(seg.window);
        }
        // SYN and FIN each take one sequence number.
        let len = seg.payload_len + u32::from(syn) + u32::from(flags.contains(TcpFlags::FIN));
        let end = seg.sequence.wrapping_add(len);
        let retransmitted = match side.next_sequence {
            Some(next) if len > 0 => !after(end, next),
            _ => false,
        };
        if retransmitted && seg.payload_len > 0 {
            side.retransmissions += 1;
        }
        if side.next_sequence.is_none_or(|next| after(end, next)) {
            side.next_sequence = Some(end);
        }
        if seg.payload_len == 0 || retransmitted || seg.window == 0 {
            GapKind::Idle
        } else {
            GapKind::Active
        }
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

    /// Starts a new record: the flags restart, the sequence tracking goes on.
    pub(crate) fn restart(&mut self) {
        for side in [&mut self.source, &mut self.destination] {
            side.flags = TcpFlags::default();
            side.retransmissions = 0;
            side.rebase = true;
        }
    }
}

impl TcpSide {
    /// The last window advertised, scaled when both sides offered window scaling.
    pub(crate) fn scaled_window(&self, peer: &TcpSide) -> u32 {
        let window = u32::from(self.window.unwrap_or(0));
        match (self.window_scale, peer.window_scale) {
            (Some(shift), Some(_)) => window << shift.min(14),
            _ => window,
        }
    }
}

/// Whether sequence number `a` comes after `b` (RFC 1982 serial arithmetic).
fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn seconds_between(from: Option<i64>, to: Option<i64>) -> f64 {
    match (from, to) {
        (Some(from), Some(to)) if to >= from => (to - from) as f64 / 1e9,
        _ => 0.0,
    }
}
