//! `POST /predict`: the verdict on one window of flows.

use actix_web::{HttpResponse, post, web};
use flow_features::{FlowRecord, parse_window_request};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(predict);
}

/// A window of consecutive flows, oldest first; the verdict is about the last one.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = sample_request)]
pub struct WindowRequest {
    /// Exactly as many flows as the model reads (10 for the shipped models).
    pub sequence: Vec<FlowRecord>,
}

/// The original service's sample request, as the documentation's example.
pub(crate) fn sample_request() -> Value {
    serde_json::from_str(include_str!(
        "../../../flow-features/tests/fixtures/sample_request.json"
    ))
    .expect("the sample request is valid JSON")
}

/// Response of `POST /predict`; `probability` and `class` are the original service's keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct PredictResponse {
    /// Probability that the window's last flow belongs to an attack.
    pub probability: f32,
    /// `1` attack, `0` normal.
    pub class: u8,
    /// `"attack"` or `"normal"`.
    pub label: &'static str,
    /// Decision threshold: class 1 when `probability > threshold`.
    pub threshold: f32,
    /// Identifier of the detector model.
    pub model: String,
}

impl PredictResponse {
    /// The response for `verdict` from the model `model`.
    pub fn new(verdict: &lstm_detector::Prediction, model: &str) -> Self {
        Self {
            probability: verdict.probability,
            class: verdict.class,
            label: verdict.label(),
            threshold: verdict.threshold,
            model: model.to_owned(),
        }
    }
}

/// Scores one window of flows.
#[utoipa::path(
    post,
    path = "/predict",
    tag = "detection",
    request_body = WindowRequest,
    responses(
        (status = 200, description = "The verdict", body = PredictResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 413, description = "The body exceeds the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "Broken rules, each with its flow and field", body = ErrorBody),
    )
)]
#[post("/predict")]
pub(crate) async fn predict(
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let detector = &state.detector;
    let flows = parse_window_request(&body, detector.sequence_length())?;
    let verdict = detector.predict(&flows)?;
    Ok(HttpResponse::Ok().json(PredictResponse::new(&verdict, &detector.manifest().id)))
}
