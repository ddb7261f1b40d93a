//! The `service` column's values, and the UDP services, which Zeek finds by port.

use std::fmt;

/// The service names as UNSW-NB15's `service` column spells them (Zeek's `conn.log`
/// `service`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Service {
    /// No service recognised: `-`.
    #[default]
    None,
    /// `http`.
    Http,
    /// `ftp`: an FTP control connection.
    Ftp,
    /// `ftp-data`: a connection an FTP control connection announced (PORT, EPRT, PASV, EPSV).
    FtpData,
    /// `smtp`.
    Smtp,
    /// `ssh`.
    Ssh,
    /// `dns`, over UDP or TCP.
    Dns,
    /// `snmp`.
    Snmp,
    /// `ssl`: TLS or SSL, whatever it carries.
    Ssl,
    /// `dhcp`.
    Dhcp,
    /// `irc`.
    Irc,
    /// `radius`.
    Radius,
    /// `pop3`.
    Pop3,
}

impl Service {
    /// The name as the dataset writes it: `-`, `http`, `ftp`, `ftp-data`, `smtp`, `ssh`,
    /// `dns`, `snmp`, `ssl`, `dhcp`, `irc`, `radius`, `pop3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::None => "-",
            Service::Http => "http",
            Service::Ftp => "ftp",
            Service::FtpData => "ftp-data",
            Service::Smtp => "smtp",
            Service::Ssh => "ssh",
            Service::Dns => "dns",
            Service::Snmp => "snmp",
            Service::Ssl => "ssl",
            Service::Dhcp => "dhcp",
            Service::Irc => "irc",
            Service::Radius => "radius",
            Service::Pop3 => "pop3",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The service of a UDP datagram between `ports` (source, destination), if one of them is a
/// port Zeek attaches a UDP analyzer to and the payload passes that protocol's sanity check.
///
/// Zeek attaches its DNS, DHCP, SNMP and RADIUS analyzers by port and lists the service once
/// the analyzer has parsed a message; the checks stand in for "parsed": they are what a
/// well-formed message of the protocol cannot fail, so random bytes on the port (a scan, a
/// flood) stay `-`. The destination port is tried first.
pub(super) fn udp_service(ports: (u16, u16), payload: &[u8]) -> Option<Service> {
    let (source, destination) = ports;
    [destination, source]
        .into_iter()
        .find_map(|port| match port {
            53 => dns_header(payload).then_some(Service::Dns),
            67 | 68 => dhcp(payload).then_some(Service::Dhcp),
            161 | 162 => snmp(payload).then_some(Service::Snmp),
            1812 | 1813 | 1645 | 1646 => radius(payload).then_some(Service::Radius),
            _ => None,
        })
}

/// Most questions a plausible DNS message has (real ones have 1).
const MAX_QUESTIONS: u16 = 16;

/// A plausible DNS header (RFC 1035 §4.1.1): 12 bytes, a defined opcode (0-5), a defined
/// RCODE (0-10) and at most [`MAX_QUESTIONS`] questions.
pub(super) fn dns_header(message: &[u8]) -> bool {
    let Some(header) = message.get(..12) else {
        return false;
    };
    let opcode = (header[2] >> 3) & 0x0f;
    let rcode = header[3] & 0x0f;
    let questions = u16::from_be_bytes([header[4], header[5]]);
    opcode <= 5 && rcode <= 10 && questions <= MAX_QUESTIONS
}

/// A BOOTP message (RFC 951, RFC 2131): op 1 (request) or 2 (reply), and the DHCP magic
/// cookie 99.130.83.99 at offset 236.
fn dhcp(payload: &[u8]) -> bool {
    matches!(payload.first(), Some(1 | 2))
        && payload.get(236..240) == Some(&[0x63, 0x82, 0x53, 0x63][..])
}

/// An SNMP message: a BER SEQUENCE whose first element is the version, `INTEGER` 0 (v1),
/// 1 (v2c) or 3 (v3).
fn snmp(payload: &[u8]) -> bool {
    let content = match payload {
        [0x30, len, rest @ ..] if *len < 0x80 => rest,
        [0x30, 0x81, _, rest @ ..] => rest,
        [0x30, 0x82, _, _, rest @ ..] => rest,
        _ => return false,
    };
    matches!(content, [0x02, 0x01, 0 | 1 | 3, ..])
}

/// A RADIUS packet (RFC 2865, RFC 2866): a defined code (1-5 access and accounting, 11-13
/// challenge and status) and a length field of 20-4096 bytes that the datagram holds.
fn radius(payload: &[u8]) -> bool {
    let [code, _, high, low, ..] = *payload else {
        return false;
    };
    let len = usize::from(u16::from_be_bytes([high, low]));
    matches!(code, 1..=5 | 11..=13) && (20..=4096).contains(&len) && len <= payload.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query for example.com A from tests/fixtures-like traffic: id 0x1000, RD.
    const DNS_QUERY: [u8; 29] = [
        0x10, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 7, b'e', b'x',
        b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0x00, 0x01, 0x00, 0x01,
    ];

    #[test]
    fn names_as_the_dataset_spells_them() {
        assert_eq!(Service::None.as_str(), "-");
        assert_eq!(Service::FtpData.to_string(), "ftp-data");
        assert_eq!(Service::default(), Service::None);
    }

    #[test]
    fn dns_on_port_53_either_way() {
        assert_eq!(udp_service((40053, 53), &DNS_QUERY), Some(Service::Dns));
        assert_eq!(udp_service((53, 40053), &DNS_QUERY), Some(Service::Dns));
        assert_eq!(udp_service((40053, 54), &DNS_QUERY), None);
    }

    #[test]
    fn random_bytes_on_service_ports_are_no_service() {
        let random = [
            0x8f, 0x3a, 0xd1, 0x7c, 0x5e, 0x92, 0x0b, 0xe4, 0x61, 0x2d, 0xb8, 0x47, 0xf0, 0x19,
        ];
        for port in [53, 67, 161, 1812] {
            assert_eq!(udp_service((40000, port), &random), None, "port {port}");
        }
        assert_eq!(udp_service((40000, 53), &DNS_QUERY[..11]), None);
        // Opcode 7 and 300 questions are not DNS.
        let mut bad = DNS_QUERY;
        bad[2] = 7 << 3;
        assert!(!dns_header(&bad));
        let mut bad = DNS_QUERY;
        bad[4] = 1;
        assert!(!dns_header(&bad));
    }

    #[test]
    fn dhcp_needs_the_magic_cookie() {
        let mut discover = vec![0u8; 300];
        discover[..4].copy_from_slice(&[1, 1, 6, 0]);
        discover[236..240].copy_from_slice(&[0x63, 0x82, 0x53, 0x63]);
        assert_eq!(udp_service((68, 67), &discover), Some(Service::Dhcp));
        discover[237] = 0;
        assert_eq!(udp_service((68, 67), &discover), None);
    }

    #[test]
    fn snmp_needs_a_sequence_with_a_version() {
        // GetRequest, v2c, community "public".
        let get = [
            0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0,
            0x19,
        ];
        assert_eq!(udp_service((50000, 161), &get), Some(Service::Snmp));
        assert_eq!(udp_service((161, 162), &get), Some(Service::Snmp));
        assert!(!snmp(&[0x30, 0x26, 0x02, 0x01, 0x02]));
        assert!(!snmp(&[0x31, 0x26, 0x02, 0x01, 0x01]));
        assert!(snmp(&[0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03]));
    }

    #[test]
    fn radius_needs_a_code_and_a_consistent_length() {
        let mut request = vec![0u8; 20];
        request[0] = 1;
        request[3] = 20;
        assert_eq!(udp_service((40000, 1812), &request), Some(Service::Radius));
        assert_eq!(udp_service((40000, 1645), &request), Some(Service::Radius));
        request[3] = 21; // longer than the datagram
        assert_eq!(udp_service((40000, 1812), &request), None);
        request[3] = 20;
        request[0] = 9;
        assert_eq!(udp_service((40000, 1812), &request), None);
    }
}
