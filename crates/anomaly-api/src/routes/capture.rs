//! `POST /score/capture`: a pcap or pcapng capture in the body; every flow in it scored, the
//! attack verdicts grouped into incidents, and the counts.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use flow_features::AttackCategory;
use incidents::{CaptureOptions, CaptureReport, FlowListing, GroupingConfig, Incident};
use packet_flows::{CaptureReader, FlowTableConfig};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::body::{Media, read_body};
use crate::routes::responses::CaptureErrors;
use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/score/capture").route(web::post().to(score_capture)));
}

/// Most flows a response lists.
pub const MAX_FLOW_LIMIT: usize = 10_000;

/// One scored flow.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowVerdict {
    /// Position among the capture's records, in the order they end (0 = first).
    pub record: u64,
    pub srcip: String,
    pub sport: u16,
    pub dstip: String,
    pub dsport: u16,
    /// Protocol as UNSW-NB15 names it (`tcp`, `udp`, `icmp`, `arp`, …).
    pub proto: &'static str,
    /// Service from the payload (`http`, `dns`, …; `-` none).
    pub service: &'static str,
    /// Argus's state (`FIN`, `CON`, `INT`, `REQ`, `RST`, …).
    pub state: &'static str,
    /// Start and end, seconds since the epoch.
    pub stime: f64,
    pub ltime: f64,
    /// Probability of attack of the window of 10 records ending with this one.
    pub probability: f32,
    /// `1` attack, `0` normal.
    pub class: u8,
    /// The category head's reading (absent for a model without one).
    pub attack_category: Option<AttackCategory>,
}

/// Response of `POST /score/capture`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaptureResponse {
    /// The detector's id.
    pub model: String,
    /// Packets in the capture.
    pub packets: u64,
    /// Packets or records that could not be used, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Flow records extracted.
    pub records: u64,
    /// Records scored (from the 10th on: the first nine are context).
    pub scored: u64,
    /// Scored records with an attack verdict.
    pub flagged: u64,
    /// Incidents found, listed or not.
    pub incident_count: u64,
    /// Attack verdicts grouped by source, in the order they closed; at most 1000.
    pub incidents: Vec<Incident>,
    /// The flows listed (see `flows` and `flow_limit`), in the order they ended.
    pub flows: Vec<FlowVerdict>,
    /// More flows matched than `flow_limit`.
    pub flows_truncated: bool,
}

/// Scores a packet capture: its flows, their verdicts and the incidents they make.
#[utoipa::path(
    post,
    path = "/score/capture",
    tag = "detection",
    // The query's options, read and checked by `parse_options`, which names each rule.
    params(
        ("flows" = Option<String>, Query,
         description = "Which flows to list: `all` (default), `attacks` or `none`"),
        ("flow_limit" = Option<usize>, Query,
         description = "Flows listed at most, 1 to 10000 (default 10000); all are counted"),
        ("min_flows" = Option<u64>, Query,
         description = "Attack flows from one source before an incident is raised, 1 to 1000000 (default 5)"),
        ("gap" = Option<u64>, Query,
         description = "Seconds without an attack flow after which a source's incident closes, 1 to 86400 (default 60)"),
        ("status_interval" = Option<u64>, Query,
         description = "Seconds after which a long flow's record is cut (Argus's status interval), 1 to 86400 (default 60, as UNSW-NB15)"),
    ),
    request_body(
        content = Vec<u8>,
        content_type = "application/vnd.tcpdump.pcap",
        description = "A pcap or pcapng capture (also as application/x-pcapng or \
                       application/octet-stream), at most `--capture-body-limit` bytes"
    ),
    responses(
        (status = 200, description = "The flows, verdicts and incidents", body = CaptureResponse),
        CaptureErrors,
    )
)]
pub(crate) async fn score_capture(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let options = parse_options(req.query_string())?;
    let body = read_body(&req, payload, state.capture_body_limit, Media::Capture).await?;
    let slot = state.batch_slots.try_take().ok_or(ApiError::DetectorBusy)?;
    // Extraction and scoring run on the blocking pool, never on an HTTP worker.
    let job_state = state.clone();
    let response = web::block(move || {
        let _slot = slot;
        let reader = CaptureReader::new(Cursor::new(body.freeze()))?;
        let report = incidents::analyze_capture(&job_state.detector, reader, options)?;
        job_state.metrics.record_capture(&report);
        Ok::<_, ApiError>(response(report, &job_state.detector.manifest().id))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok().json(response))
}

fn response(report: CaptureReport, model: &str) -> CaptureResponse {
    let flows = report
        .flows
        .into_iter()
        .map(|f| FlowVerdict {
            record: f.seq,
            srcip: f.row.srcip.to_string(),
            sport: f.row.sport,
            dstip: f.row.dstip.to_string(),
            dsport: f.row.dsport,
            proto: f.row.proto,
            service: f.row.service,
            state: f.row.state,
            stime: f.row.stime.as_secs_f64(),
            ltime: f.row.ltime.as_secs_f64(),
            probability: f.verdict.probability,
            class: f.verdict.class,
            attack_category: f.verdict.category,
        })
        .collect();
    CaptureResponse {
        model: model.to_owned(),
        packets: report.packets,
        skipped: report.skips.iter().map(|(s, n)| (s.name(), n)).collect(),
        records: report.records,
        scored: report.scored,
        flagged: report.flagged,
        incident_count: report.incident_count,
        incidents: report.incidents,
        flows,
        flows_truncated: report.flows_truncated,
    }
}

/// The query's options; each malformed or unknown one is named with its rule.
fn parse_options(query: &str) -> Result<CaptureOptions, ApiError> {
    let pairs: Vec<(String, String)> = web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|e| ApiError::InvalidOption(format!("query string: {e}")))?
        .into_inner();
    let mut options = CaptureOptions {
        flow_limit: MAX_FLOW_LIMIT,
        ..CaptureOptions::default()
    };
    let mut flows = FlowTableConfig::default();
    let mut grouping = GroupingConfig::default();
    for (name, value) in &pairs {
        let number = |max: u64| -> Result<u64, ApiError> {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::InvalidOption(format!(
                        "`{name}` must be a whole number from 1 to {max}, got {value:?}"
                    ))
                })
        };
        match name.as_str() {
            "flows" => {
                options.listing = match value.as_str() {
                    "all" => FlowListing::All,
                    "attacks" => FlowListing::Attacks,
                    "none" => FlowListing::None,
                    _ => {
                        return Err(ApiError::InvalidOption(format!(
                            "`flows` must be `all`, `attacks` or `none`, got {value:?}"
                        )));
                    }
                }
            }
            "flow_limit" => options.flow_limit = number(MAX_FLOW_LIMIT as u64)? as usize,
            "min_flows" => grouping.min_flows = number(1_000_000)?,
            "gap" => grouping.gap = Duration::from_secs(number(86_400)?),
            "status_interval" => flows.status_interval = Duration::from_secs(number(86_400)?),
            _ => {
                return Err(ApiError::InvalidOption(format!(
                    "unknown query parameter `{name}` (known: flows, flow_limit, min_flows, \
                     gap, status_interval)"
                )));
            }
        }
    }
    options.flows = flows;
    options.grouping = grouping;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_options_are_checked_and_named() {
        let options = parse_options("flows=attacks&flow_limit=20&min_flows=3&gap=5").unwrap();
        assert_eq!(options.listing, FlowListing::Attacks);
        assert_eq!(options.flow_limit, 20);
        assert_eq!(options.grouping.min_flows, 3);
        assert_eq!(options.grouping.gap, Duration::from_secs(5));
        let message = |q: &str| parse_options(q).unwrap_err().to_string();
        assert!(message("flows=some").contains("`flows` must be"));
        assert!(message("flow_limit=0").contains("`flow_limit` must be a whole number from 1"));
        assert!(message("flow_limit=10001").contains("10000"));
        assert!(message("gap=-1").contains("`gap`"));
        assert!(message("speed=fast").contains("unknown query parameter `speed`"));
        assert_eq!(parse_options("").unwrap().listing, FlowListing::All);
    }
}
