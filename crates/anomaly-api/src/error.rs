//! The service's error type, its HTTP status and its JSON body, in one place.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, error::JsonPayloadError};
use flow_features::Violation;
use serde::Serialize;

/// Every error a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not valid JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// The body is not declared as `application/json`.
    #[error("unsupported content type: send the body as application/json")]
    UnsupportedMediaType,
    /// The body exceeds the configured limit.
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The JSON is well-formed but breaks the request rules.
    #[error("{}", summary(.0))]
    Validation(Vec<Violation>),
    /// Windows of a batch break the request rules; each listed with its index.
    #[error("invalid request: {} windows with problems", .0.len())]
    BatchValidation(Vec<WindowViolations>),
    /// An option beside `sequence` is malformed (e.g. an unknown `language`).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// No such route.
    #[error("no route {method} {path}")]
    NotFound {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
    },
    /// Every explainer context is busy and its queue is full.
    #[error("the explainer is busy: retry later")]
    Busy,
    /// The remote model server failed.
    #[error("the model server failed: {0}")]
    BadGateway(String),
    /// A fault inside the service; logged, never the client's doing.
    #[error("internal error")]
    Internal(String),
}

fn summary(violations: &[Violation]) -> String {
    match violations.len() {
        1 => format!("invalid request: {}", violations[0]),
        n => format!("invalid request: {n} problems"),
    }
}

/// The broken rules of one window of a batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WindowViolations {
    /// Index of the window in `sequences`.
    pub window: usize,
    /// Its broken rules, with flow index and field.
    pub errors: Vec<Violation>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: &'static str,
    /// Human-readable summary.
    pub message: String,
    /// Each broken rule, with the flow index and field it concerns (validation errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Violation>,
    /// Each window of a batch that breaks rules (`POST /predict/batch` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<WindowViolations>,
}

impl ApiError {
    /// The JSON body describing this error (also sent as a stream's `error` event).
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code(),
            message: self.to_string(),
            errors: match self {
                ApiError::Validation(v) => v.clone(),
                _ => Vec::new(),
            },
            windows: match self {
                ApiError::BatchValidation(w) => w.clone(),
                _ => Vec::new(),
            },
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Validation(_) | ApiError::BatchValidation(_) | ApiError::InvalidOption(_) => {
                "validation_failed"
            }
            ApiError::NotFound { .. } => "not_found",
            ApiError::Busy => "busy",
            ApiError::BadGateway(_) => "bad_gateway",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) | ApiError::BatchValidation(_) | ApiError::InvalidOption(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::Busy = self {
            response.insert_header(("Retry-After", "1"));
        }
        response.json(self.body())
    }
}

impl From<flow_features::Error> for ApiError {
    fn from(e: flow_features::Error) -> Self {
        match e {
            flow_features::Error::Invalid(v) => ApiError::Validation(v),
            flow_features::Error::Json(e) => ApiError::InvalidJson(e.to_string()),
            // Descriptions and dataset files are loaded by the service, never sent by clients.
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<lstm_detector::Error> for ApiError {
    fn from(e: lstm_detector::Error) -> Self {
        match e {
            lstm_detector::Error::Features(e) => e.into(),
            lstm_detector::Error::InvalidWindows(invalid) => ApiError::BatchValidation(
                invalid
                    .into_iter()
                    .map(|(window, errors)| WindowViolations { window, errors })
                    .collect(),
            ),
            // Model files and batch shapes are the service's own doing.
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<llm_explainer::Error> for ApiError {
    fn from(e: llm_explainer::Error) -> Self {
        use llm_explainer::Error as E;
        match e {
            E::Busy { .. } | E::Stopped => ApiError::Busy,
            E::RemoteStatus { .. } | E::Remote(_) => ApiError::BadGateway(e.to_string()),
            // Models load at start-up and the prompt is the service's own.
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Maps actix's JSON extractor errors to [`ApiError`] (installed in the app's `JsonConfig`).
pub(crate) fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge { limit }
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) => ApiError::InvalidJson(e.to_string()),
        other => ApiError::InvalidJson(other.to_string()),
    }
}
