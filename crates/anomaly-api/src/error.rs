//! The service's error type, its HTTP status and its JSON body, in one place.

use actix_web::http::{StatusCode, header};
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
    /// A capture body is not declared as a capture (`application/vnd.tcpdump.pcap`, …).
    #[error(
        "unsupported content type: send the capture as application/vnd.tcpdump.pcap, \
         application/x-pcapng or application/octet-stream"
    )]
    UnsupportedCaptureType,
    /// The body broke off or its content encoding is broken.
    #[error("the request body could not be read: {0}")]
    BodyRead(String),
    /// The body is not a readable pcap or pcapng capture.
    #[error("invalid capture: {0}")]
    InvalidCapture(#[source] packet_flows::Error),
    /// The body exceeds the configured limit.
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The body did not arrive within the deadline.
    #[error("the request body took longer than {seconds} s to arrive")]
    BodyTimeout {
        /// The deadline.
        seconds: u64,
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
    /// No valid bearer token (`--api-token-file` is set).
    #[error("a valid bearer token is required: send `Authorization: Bearer <token>`")]
    Unauthorized,
    /// This client sent more `/analyze` requests than `--analyze-rate` allows.
    #[error("too many explanation requests from this client: retry in {retry_after} s")]
    RateLimited {
        /// Seconds until the client may send again.
        retry_after: u64,
    },
    /// The window's prompt plus the requested tokens do not fit the explainer's context.
    #[error("the explanation does not fit the model's context: {0}; ask for fewer `max_tokens`")]
    PromptTooLong(#[source] llm_explainer::Error),
    /// Every explainer context is busy and its queue is full.
    #[error("the explainer is busy: retry later")]
    Busy,
    /// Every slot for large detector jobs (`/predict/batch`) is taken.
    #[error("the detector is busy with other batches: retry later")]
    DetectorBusy,
    /// The remote model server failed.
    #[error("the model server failed: {0}")]
    BadGateway(#[source] llm_explainer::Error),
    /// A fault inside the service; logged with its sources, never the client's doing.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
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
            ApiError::UnsupportedMediaType | ApiError::UnsupportedCaptureType => {
                "unsupported_media_type"
            }
            ApiError::BodyRead(_) => "invalid_body",
            ApiError::InvalidCapture(_) => "invalid_capture",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::BodyTimeout { .. } => "request_timeout",
            ApiError::Validation(_) | ApiError::BatchValidation(_) | ApiError::InvalidOption(_) => {
                "validation_failed"
            }
            ApiError::NotFound { .. } => "not_found",
            ApiError::Unauthorized => "unauthorized",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::PromptTooLong(_) => "prompt_too_long",
            ApiError::Busy | ApiError::DetectorBusy => "busy",
            ApiError::BadGateway(_) => "bad_gateway",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType | ApiError::UnsupportedCaptureType => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::BodyRead(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidCapture(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Validation(_) | ApiError::BatchValidation(_) | ApiError::InvalidOption(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PromptTooLong(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Busy | ApiError::DetectorBusy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(source) = self {
            tracing::error!(error = %chain(source.as_ref()), "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Busy | ApiError::DetectorBusy => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::RateLimited { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            ApiError::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="flowguard""#));
            }
            _ => {}
        }
        response.json(self.body())
    }
}

/// An error and its sources, `: `-separated, for the log.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

impl ApiError {
    pub(crate) fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(e))
    }
}

impl From<flow_features::Error> for ApiError {
    fn from(e: flow_features::Error) -> Self {
        use flow_features::Error as E;
        match e {
            E::Invalid(v) => ApiError::Validation(v),
            E::Json(e) => ApiError::InvalidJson(e.to_string()),
            // Descriptions and dataset files are loaded by the service, never sent by clients.
            E::Description(_) | E::DescriptionJson(_) | E::Dataset { .. } | E::Io { .. } => {
                ApiError::internal(e)
            }
        }
    }
}

impl From<lstm_detector::Error> for ApiError {
    fn from(e: lstm_detector::Error) -> Self {
        use lstm_detector::Error as E;
        match e {
            E::Features(e) => e.into(),
            E::InvalidWindows(invalid) => ApiError::BatchValidation(
                invalid
                    .into_iter()
                    .map(|(window, errors)| WindowViolations { window, errors })
                    .collect(),
            ),
            // Model files, batch shapes and codes come from the service's own preprocessing;
            // training never runs in the service.
            E::InvalidModel(_)
            | E::ModelFile { .. }
            | E::Baseline(_)
            | E::Io { .. }
            | E::Weights { .. }
            | E::BatchShape { .. }
            | E::WindowShape { .. }
            | E::CodeOutOfRange { .. }
            | E::Training(_)
            | E::Backend(_) => ApiError::internal(e),
        }
    }
}

impl From<llm_explainer::Error> for ApiError {
    fn from(e: llm_explainer::Error) -> Self {
        use llm_explainer::Error as E;
        match e {
            E::Busy { .. } | E::Stopped => ApiError::Busy,
            E::PromptTooLong { .. } => ApiError::PromptTooLong(e),
            E::RemoteStatus { .. } | E::Remote(_) => ApiError::BadGateway(e),
            // Models load at start-up; formatting and decoding are the service's own work.
            E::ModelNotFound(_) | E::ModelLoad { .. } | E::Generation(_) => ApiError::internal(e),
        }
    }
}

impl From<packet_flows::Error> for ApiError {
    fn from(e: packet_flows::Error) -> Self {
        use packet_flows::Error as E;
        match e {
            // A body in memory is never opened or read from the operating system.
            E::Open { .. } | E::Read { .. } => ApiError::internal(e),
            E::UnknownFormat { .. }
            | E::TruncatedHeader { .. }
            | E::RecordTooLarge { .. }
            | E::Malformed { .. } => ApiError::InvalidCapture(e),
            // The enum is `#[non_exhaustive]` (and has a live-capture variant only with a
            // feature the service leaves off); what it may add describes a capture it could
            // not read, which is the body's doing.
            other => ApiError::InvalidCapture(other),
        }
    }
}

impl From<incidents::Error> for ApiError {
    fn from(e: incidents::Error) -> Self {
        use incidents::Error as E;
        match e {
            E::Detector(e) => e.into(),
            E::Capture(e) => e.into(),
            E::Explainer(e) => e.into(),
            // The service does not narrate captures.
            E::Unexplained(_) | E::Thread(_) => ApiError::internal(e),
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
        // A body cut short or sent with a broken encoding: the client's doing.
        JsonPayloadError::Payload(e) => ApiError::InvalidJson(e.to_string()),
        JsonPayloadError::Serialize(e) => ApiError::internal(e),
        // actix's enum is `#[non_exhaustive]`; what it may add describes a body it refused.
        other => ApiError::InvalidJson(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(e: impl Into<ApiError>) -> u16 {
        e.into().status_code().as_u16()
    }

    #[test]
    fn what_a_client_can_cause_is_a_4xx_and_the_service_own_faults_a_500() {
        let prompt = llm_explainer::Error::PromptTooLong {
            prompt_tokens: 900,
            max_tokens: 256,
            context: 1024,
        };
        let too_long = ApiError::from(prompt);
        assert_eq!(too_long.status_code().as_u16(), 422);
        assert_eq!(too_long.body().code, "prompt_too_long");
        assert!(too_long.to_string().contains("max_tokens"), "{too_long}");
        let busy = llm_explainer::Error::Busy {
            in_flight: 4,
            pool: 1,
            queue: 3,
        };
        assert_eq!(status(busy), 503);
        assert_eq!(status(llm_explainer::Error::Remote("reset".into())), 502);
        assert_eq!(status(flow_features::Error::Invalid(Vec::new())), 422);
        assert_eq!(
            status(lstm_detector::Error::InvalidWindows(Vec::new())),
            422
        );
        assert_eq!(status(ApiError::RateLimited { retry_after: 3 }), 429);
        assert_eq!(status(ApiError::Unauthorized), 401);
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let internal = ApiError::from(lstm_detector::Error::ModelFile {
            file: "model.json",
            source: json.into(),
        });
        assert_eq!(internal.status_code().as_u16(), 500);
        // The whole chain is kept for the log, not sent to the client.
        let source = std::error::Error::source(&internal).unwrap();
        assert_eq!(source.to_string(), "invalid model file model.json");
        assert!(source.source().unwrap().to_string().contains("EOF"));
        assert_eq!(internal.body().message, "internal error");
    }

    #[test]
    fn refusals_tell_the_client_when_and_how_to_retry() {
        let header = |e: ApiError, name: &str| {
            let response = e.error_response();
            response
                .headers()
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header(ApiError::Busy, "retry-after"), "1");
        assert_eq!(header(ApiError::DetectorBusy, "retry-after"), "1");
        assert_eq!(
            header(ApiError::RateLimited { retry_after: 7 }, "retry-after"),
            "7"
        );
        assert_eq!(
            header(ApiError::Unauthorized, "www-authenticate"),
            r#"Bearer realm="flowguard""#
        );
    }
}
