//! IP protocol numbers to the names UNSW-NB15's `proto` column uses.
//!
//! UNSW-NB15 took `proto` from Argus, whose clients print a name from their own table
//! (`ip_proto_string` in argus-clients 3.0.8) rather than from IANA's registry: `ipnip` for 4,
//! `ipv6-icmp` for 58, `zero` for 114, `sccopmce` for 128, `ib` for 253 and `unas` for every
//! number the table leaves empty (135-252, 254, 255). The names below are the ones Debian's
//! argus-client 3.0.8.2 printed for one crafted IPv4 packet per protocol number
//! (`tests/fixtures/argus-proto-names.txt`, made by `scripts/make-reader-fixtures.sh`). ARP is
//! not an IP protocol: Argus names it after its EtherType, and so does
//! [`PacketMeta::proto_name`](crate::PacketMeta::proto_name).

/// Argus's names for protocol numbers 0 to 134 (its table's 51 is `ah`; see [`proto_name`]).
const NAMES: [&str; 135] = [
    "ip",
    "icmp",
    "igmp",
    "ggp",
    "ipnip",
    "st2",
    "tcp",
    "cbt",
    "egp",
    "igp",
    "bbn-rcc",
    "nvp",
    "pup",
    "argus",
    "emcon",
    "xnet",
    "chaos",
    "udp",
    "mux",
    "dcn",
    "hmp",
    "prm",
    "xns-idp",
    "trunk-1",
    "trunk-2",
    "leaf-1",
    "leaf-2",
    "rdp",
    "irtp",
    "iso-tp4",
    "netblt",
    "mfe-nsp",
    "merit-inp",
    "sep",
    "3pc",
    "idpr",
    "xtp",
    "ddp",
    "idpr-cmtp",
    "tp++",
    "il",
    "ipv6",
    "sdrp",
    "ipv6-route",
    "ipv6-frag",
    "idrp",
    "rsvp",
    "gre",
    "mhrp",
    "bna",
    "esp",
    "ah",
    "i-nlsp",
    "swipe",
    "narp",
    "mobile",
    "tlsp",
    "skip",
    "ipv6-icmp",
    "ipv6-no",
    "ipv6-opts",
    "any",
    "cftp",
    "any",
    "sat-expak",
    "kryptolan",
    "rvd",
    "ippc",
    "any",
    "sat-mon",
    "visa",
    "ipcv",
    "cpnx",
    "cphb",
    "wsn",
    "pvp",
    "br-sat-mon",
    "sun-nd",
    "wb-mon",
    "wb-expak",
    "iso-ip",
    "vmtp",
    "secure-vmtp",
    "vines",
    "ttp",
    "nsfnet-igp",
    "dgp",
    "tcf",
    "eigrp",
    "ospf",
    "sprite-rpc",
    "larp",
    "mtp",
    "ax.25",
    "ipip",
    "micp",
    "aes-sp3-d",
    "etherip",
    "encap",
    "pri-enc",
    "gmtp",
    "ifmp",
    "pnni",
    "pim",
    "aris",
    "scps",
    "qnx",
    "a/n",
    "ipcomp",
    "snp",
    "compaq-peer",
    "ipx-n-ip",
    "vrrp",
    "pgm",
    "zero",
    "l2tp",
    "ddx",
    "iatp",
    "stp",
    "srp",
    "uti",
    "smp",
    "sm",
    "ptp",
    "isis",
    "fire",
    "crtp",
    "crudp",
    "sccopmce",
    "iplt",
    "sps",
    "pipe",
    "sctp",
    "fc",
    "rsvp",
];

/// The UNSW-NB15 / Argus name of IP protocol number `protocol`.
///
/// Every number has a name: those Argus's table leaves empty give `"unas"`, as Argus prints
/// them, so the mapping is total and stable. For 51 (AH) this returns the table's `"ah"`, but
/// Argus itself looks through an authentication header and prints the protocol after it, as
/// [`decode`](crate::decode()) does (`IpPacket::protocol` is the protocol after extension
/// headers).
///
/// ```
/// use packet_flows::proto_name;
///
/// assert_eq!(proto_name(6), "tcp");
/// assert_eq!(proto_name(58), "ipv6-icmp");
/// assert_eq!(proto_name(132), "sctp");
/// assert_eq!(proto_name(200), "unas");
/// ```
pub fn proto_name(protocol: u8) -> &'static str {
    match protocol {
        253 => "ib",
        n => NAMES.get(usize::from(n)).copied().unwrap_or("unas"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_protocols() {
        let expected = [
            (0, "ip"),
            (1, "icmp"),
            (2, "igmp"),
            (17, "udp"),
            (47, "gre"),
            (89, "ospf"),
        ];
        for (number, name) in expected {
            assert_eq!(proto_name(number), name);
        }
        assert_eq!(proto_name(134), "rsvp"); // Argus's table repeats rsvp at 134
        assert_eq!(proto_name(135), "unas");
        assert_eq!(proto_name(255), "unas");
    }
}
