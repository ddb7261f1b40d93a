//! One scored flow: an extracted UNSW-NB15 row and the detector's verdict on the window it
//! ends.

use flow_features::{FlowRecord, Verdict};
use packet_flows::unsw::UnswRow;

/// A flow record scored by the detector, in the order flows end.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredFlow {
    /// Position in the stream of extracted records (0 = first), context flows included.
    pub seq: u64,
    /// The record's row: the release's columns and the flow's identity.
    pub row: UnswRow,
    /// The verdict on the window of the last `sequence_length` records ending with this one.
    pub verdict: Verdict,
}

/// The detector's 34 features of an extracted row (the columns the model reads; `sttl`,
/// `dttl` and the other `ct_*` counts are left out, as the model leaves them out).
///
/// ```
/// use packet_flows::{CaptureReader, FlowTableConfig, unsw::Extractor};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packet-flows/tests/fixtures/ethernet.pcap");
/// let mut reader = CaptureReader::open(path)?;
/// let mut extractor = Extractor::new(FlowTableConfig::default());
/// while let Some(packet) = reader.next_packet() {
///     extractor.packet(&packet?);
/// }
/// let flow = &extractor.finish()[0];
/// let record = incidents::flow_record(&flow.row);
/// assert_eq!((record.proto.as_str(), record.spkts), (flow.row.proto, flow.row.spkts as f64));
/// # Ok::<(), packet_flows::Error>(())
/// ```
pub fn flow_record(row: &UnswRow) -> FlowRecord {
    FlowRecord {
        dur: row.dur,
        proto: row.proto.to_owned(),
        service: row.service.to_owned(),
        state: row.state.to_owned(),
        spkts: row.spkts as f64,
        dpkts: row.dpkts as f64,
        sbytes: row.sbytes as f64,
        dbytes: row.dbytes as f64,
        rate: row.rate,
        sload: row.sload,
        dload: row.dload,
        sloss: row.sloss as f64,
        dloss: row.dloss as f64,
        sinpkt: row.sinpkt,
        dinpkt: row.dinpkt,
        sjit: row.sjit,
        djit: row.djit,
        swin: f64::from(row.swin),
        stcpb: f64::from(row.stcpb),
        dtcpb: f64::from(row.dtcpb),
        dwin: f64::from(row.dwin),
        tcprtt: row.tcprtt,
        synack: row.synack,
        ackdat: row.ackdat,
        smean: row.smean as f64,
        dmean: row.dmean as f64,
        trans_depth: row.trans_depth as f64,
        response_body_len: row.response_body_len as f64,
        ct_src_dport_ltm: row.ct_src_dport_ltm as f64,
        ct_dst_sport_ltm: row.ct_dst_sport_ltm as f64,
        is_ftp_login: f64::from(row.is_ftp_login),
        ct_ftp_cmd: row.ct_ftp_cmd as f64,
        ct_flw_http_mthd: row.ct_flw_http_mthd as f64,
        is_sm_ips_ports: f64::from(row.is_sm_ips_ports),
    }
}
