//! Argus's state strings for flows that are not TCP.

use super::key::icmpv6_request_type;
use crate::IcmpMessage;

/// The state of a UDP, ARP or other IP record: `CON` when both directions have packets in
/// it, else `INT` (initial) in the flow's first record and `REQ` (requests going unanswered)
/// in a later one.
pub(crate) fn two_way_state(
    source_packets: u64,
    destination_packets: u64,
    continued: bool,
) -> &'static str {
    if source_packets > 0 && destination_packets > 0 {
        "CON"
    } else if continued {
        "REQ"
    } else {
        "INT"
    }
}

/// The state of an ICMP flow, from its first message.
///
/// Echo is `ECO` when the request came first (answered or not), `ECR` when a reply did; the
/// other types are named after their
/// message as Argus names them: `URN`/`URH`/`URP`/`URF`/`URS`/`URO`/`UR` for the kinds of
/// destination unreachable, `SRC` source quench, `RED` redirect, `TXD` time exceeded, `PAR`
/// parameter problem, `TST` timestamp, `IRQ` information, `MAS` address mask, `RTA`/`RTS`
/// router advertisement/solicitation.
pub(crate) fn icmp_state(first: IcmpMessage) -> &'static str {
    match (first.kind, first.code) {
        (8, _) => "ECO",
        (0, _) => "ECR",
        (3, 0) => "URN",
        (3, 1) => "URH",
        (3, 2) => "URP",
        (3, 3) => "URP",
        (3, 4) => "URF",
        (3, 5) => "URS",
        (3, _) => "URO",
        (4, _) => "SRC",
        (5, _) => "RED",
        (9, _) => "RTA",
        (10, _) => "RTS",
        (11, _) => "TXD",
        (12, _) => "PAR",
        (13, _) | (14, _) => "TST",
        (15, _) | (16, _) => "IRQ",
        (17, _) | (18, _) => "MAS",
        _ => "INT",
    }
}

/// The state of an ICMPv6 flow, from its first message's type, a reply's read as its
/// request's (an echo reply's flow is `ECO`, a neighbour advertisement's `NNS`): the ICMPv4
/// names for echo and errors, and for neighbour discovery and multicast listener messages
/// `NRS` (router solicitation), `NNS` (neighbour solicitation), `NRED` (redirect),
/// `MHQ`/`MHR`/`MHD` (listener query/report/done).
pub(crate) fn icmpv6_state(first: IcmpMessage) -> &'static str {
    match (icmpv6_request_type(first.kind), first.code) {
        (128, _) => "ECO",
        (1, 0) => "URN",
        (1, 1) => "URA",
        (1, 3) => "URH",
        (1, 4) => "URP",
        (1, _) => "URO",
        (2, _) => "PTB",
        (3, _) => "TXD",
        (4, _) => "PAR",
        (130, _) => "MHQ",
        (131 | 143, _) => "MHR",
        (132, _) => "MHD",
        (133, _) => "NRS",
        (135, _) => "NNS",
        (137, _) => "NRED",
        _ => "INT",
    }
}
