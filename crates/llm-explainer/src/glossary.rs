//! What each UNSW-NB15 feature means, in words an analyst reads, in each language.

use crate::prompt::Language;

/// The meaning of `feature` (one of the 34 model features) in `language`, with its unit; the
/// name itself for an unknown feature.
pub(crate) fn meaning(feature: &str, language: Language) -> &str {
    let Some((_, en, fr)) = MEANINGS.iter().find(|(name, _, _)| *name == feature) else {
        return feature;
    };
    match language {
        Language::English => en,
        Language::French => fr,
    }
}

/// (feature, English, French).
const MEANINGS: [(&str, &str, &str); 34] = [
    ("dur", "flow duration, s", "durée du flux, s"),
    ("proto", "protocol", "protocole"),
    ("service", "application service", "service applicatif"),
    ("state", "connection state", "état de la connexion"),
    ("spkts", "packets from the source", "paquets de la source"),
    (
        "dpkts",
        "packets from the destination",
        "paquets de la destination",
    ),
    ("sbytes", "bytes from the source", "octets de la source"),
    (
        "dbytes",
        "bytes from the destination",
        "octets de la destination",
    ),
    ("rate", "packets per second", "paquets par seconde"),
    (
        "sload",
        "source bits per second",
        "bits par seconde de la source",
    ),
    (
        "dload",
        "destination bits per second",
        "bits par seconde de la destination",
    ),
    (
        "sloss",
        "source packets lost or resent",
        "paquets de la source perdus ou renvoyés",
    ),
    (
        "dloss",
        "destination packets lost or resent",
        "paquets de la destination perdus ou renvoyés",
    ),
    (
        "sinpkt",
        "time between source packets, ms",
        "temps entre paquets de la source, ms",
    ),
    (
        "dinpkt",
        "time between destination packets, ms",
        "temps entre paquets de la destination, ms",
    ),
    ("sjit", "source jitter, ms", "gigue de la source, ms"),
    (
        "djit",
        "destination jitter, ms",
        "gigue de la destination, ms",
    ),
    ("swin", "source TCP window", "fenêtre TCP de la source"),
    (
        "stcpb",
        "source TCP base sequence number",
        "numéro de séquence TCP initial de la source",
    ),
    (
        "dtcpb",
        "destination TCP base sequence number",
        "numéro de séquence TCP initial de la destination",
    ),
    (
        "dwin",
        "destination TCP window",
        "fenêtre TCP de la destination",
    ),
    (
        "tcprtt",
        "TCP handshake round trip, s",
        "aller-retour de la poignée de main TCP, s",
    ),
    (
        "synack",
        "time from SYN to SYN-ACK, s",
        "temps du SYN au SYN-ACK, s",
    ),
    (
        "ackdat",
        "time from SYN-ACK to ACK, s",
        "temps du SYN-ACK à l'ACK, s",
    ),
    (
        "smean",
        "mean packet size from the source, bytes",
        "taille moyenne des paquets de la source, octets",
    ),
    (
        "dmean",
        "mean packet size from the destination, bytes",
        "taille moyenne des paquets de la destination, octets",
    ),
    (
        "trans_depth",
        "HTTP request/response depth",
        "profondeur des échanges HTTP",
    ),
    (
        "response_body_len",
        "HTTP response body size, bytes",
        "taille du corps de la réponse HTTP, octets",
    ),
    (
        "ct_src_dport_ltm",
        "recent flows from this source to this port",
        "flux récents de cette source vers ce port",
    ),
    (
        "ct_dst_sport_ltm",
        "recent flows to this destination from this port",
        "flux récents vers cette destination depuis ce port",
    ),
    (
        "is_ftp_login",
        "FTP login with user and password",
        "connexion FTP avec utilisateur et mot de passe",
    ),
    (
        "ct_ftp_cmd",
        "FTP commands in the session",
        "commandes FTP de la session",
    ),
    (
        "ct_flw_http_mthd",
        "HTTP GET/POST requests in the session",
        "requêtes HTTP GET/POST de la session",
    ),
    (
        "is_sm_ips_ports",
        "same address and port on both ends",
        "même adresse et même port aux deux bouts",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_has_a_meaning_in_its_order() {
        let names: Vec<&str> = MEANINGS.iter().map(|(name, _, _)| *name).collect();
        let features: Vec<&str> = flow_features::FEATURES.iter().map(|f| f.name).collect();
        assert_eq!(names, features);
        assert_eq!(meaning("sbytes", Language::French), "octets de la source");
        assert_eq!(meaning("unknown", Language::English), "unknown");
    }
}
