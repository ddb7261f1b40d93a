//! `POST /predict`: the verdict on one window of flows.

use actix_web::{HttpRequest, HttpResponse, post, web};
use flow_features::{AttackCategory, FlowRecord, parse_window, parse_window_request};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ApiError, WindowViolations};
use crate::routes::body::{Media, read_body};
use crate::routes::responses::{BatchErrors, JsonBodyErrors, WindowErrors};
use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(predict);
}

/// Registers `POST /predict/batch`, whose bodies may reach `--batch-body-limit` bytes.
pub fn configure_batch(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/predict/batch").route(web::post().to(predict_batch)));
}

/// Several windows scored in one call.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// Windows, each exactly as many flows as the model reads; at most `--batch-limit`.
    pub sequences: Vec<Vec<FlowRecord>>,
}

/// Response of `POST /predict/batch`: one prediction per window, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// The verdicts, in the order of `sequences`.
    pub predictions: Vec<PredictResponse>,
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
    /// The most likely kind of traffic (UNSW-NB15's `attack_cat`, `Normal` included) and the
    /// three most likely, from the model's category head combined with `probability`: normal
    /// traffic gets `1 - probability`, each kind of attack its share of `probability`, and
    /// `name` is on the verdict's side, so it never contradicts `class`. `null` when the model
    /// has no head (the original's).
    pub attack_category: Option<AttackCategory>,
}

impl PredictResponse {
    /// The response for `verdict` from the model `model`.
    pub fn new(verdict: &lstm_detector::Verdict, model: &str) -> Self {
        Self {
            probability: verdict.probability,
            class: verdict.class,
            label: verdict.label(),
            threshold: verdict.threshold,
            model: model.to_owned(),
            attack_category: verdict.category.clone(),
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
        JsonBodyErrors,
        WindowErrors,
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

/// Scores a list of windows in one batched detector call.
#[utoipa::path(
    post,
    path = "/predict/batch",
    tag = "detection",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "One verdict per window, in order", body = BatchResponse),
        JsonBodyErrors,
        BatchErrors,
    )
)]
pub(crate) async fn predict_batch(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(&req, payload, state.batch_body_limit, Media::Json).await?;
    let slot = state.batch_slots.try_take().ok_or(ApiError::DetectorBusy)?;
    // Parsing up to `--batch-body-limit` of JSON and scoring up to `--batch-limit` windows run
    // on the blocking pool, never on an HTTP worker: /health and /predict stay responsive.
    let job_state = state.clone();
    let response = web::block(move || {
        let _slot = slot;
        score_batch(&job_state, &body)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok().json(response))
}

/// Parses, validates and scores a batch body (blocking: runs on the blocking pool).
fn score_batch(state: &AppState, body: &[u8]) -> Result<BatchResponse, ApiError> {
    let body: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    let detector = &state.detector;
    let Some(sequences) = body.get("sequences").and_then(Value::as_array) else {
        return Err(ApiError::InvalidOption(
            "`sequences` must be an array of windows".into(),
        ));
    };
    if sequences.is_empty() || sequences.len() > state.batch_limit {
        return Err(ApiError::InvalidOption(format!(
            "`sequences` must hold 1 to {} windows, got {}",
            state.batch_limit,
            sequences.len()
        )));
    }
    let mut windows = Vec::with_capacity(sequences.len());
    let mut problems = Vec::new();
    for (window, sequence) in sequences.iter().enumerate() {
        match parse_window(sequence, detector.sequence_length()) {
            Ok(flows) => windows.push((window, flows)),
            Err(flow_features::Error::Invalid(errors)) => {
                problems.push(WindowViolations { window, errors })
            }
            Err(other) => return Err(other.into()),
        }
    }
    if !problems.is_empty() {
        // Report every broken window at once: the well-typed ones are checked against the
        // model's vocabularies and ranges too (scoring does that on the success path).
        for (window, flows) in &windows {
            if let Err(flow_features::Error::Invalid(errors)) =
                detector.preprocessor().window(flows)
            {
                problems.push(WindowViolations {
                    window: *window,
                    errors,
                });
            }
        }
        problems.sort_by_key(|p| p.window);
        return Err(ApiError::BatchValidation(problems));
    }
    let windows: Vec<_> = windows.into_iter().map(|(_, flows)| flows).collect();
    let model = &detector.manifest().id;
    let predictions = detector
        .predict_batch(&detector.encode_windows(&windows)?)?
        .iter()
        .map(|verdict| PredictResponse::new(verdict, model))
        .collect();
    Ok(BatchResponse { predictions })
}
