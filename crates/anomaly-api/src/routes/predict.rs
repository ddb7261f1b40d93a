//! `POST /predict`: the verdict on one window of flows.

use actix_web::{HttpResponse, post, web};
use flow_features::parse_window_request;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(predict);
}

/// Response of `POST /predict`; `probability` and `class` are the original service's keys.
#[derive(Debug, Serialize)]
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

#[post("/predict")]
async fn predict(
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let detector = &state.detector;
    let flows = parse_window_request(&body, detector.sequence_length())?;
    let verdict = detector.predict(&flows)?;
    Ok(HttpResponse::Ok().json(PredictResponse::new(&verdict, &detector.manifest().id)))
}
