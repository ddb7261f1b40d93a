//! `POST /analyze`: the verdict, the window's statistics, the detector's attribution and an
//! explanation from the LLM — as one JSON document, or streamed as Server-Sent Events
//! (`POST /analyze/stream`, or `POST /analyze` with `Accept: text/event-stream`).

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, post, web};
use flow_features::{Attribution, FlowRecord, WindowStatistics, parse_window_request};
use futures_util::{StreamExt, stream};
use llm_explainer::{
    ChatMessage, Event, Evidence, Explanation, FinishReason, Generation, GenerationSettings,
    Language, Timings, Verdict, explanation_messages,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::metrics::Metrics;
use crate::routes::predict::{PredictResponse, sample_request};
use crate::state::AppState;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(analyze).service(analyze_stream);
}

/// Body of `POST /analyze`: a window and optional explanation settings.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = sample_request)]
pub struct AnalyzeRequest {
    /// Exactly as many flows as the model reads (10 for the shipped models).
    pub sequence: Vec<FlowRecord>,
    /// Language of the explanation (default `english`).
    #[serde(default)]
    pub language: Option<Language>,
    /// Fewer tokens than the server's maximum (`--max-tokens`).
    #[serde(default)]
    pub max_tokens: Option<usize>,
}

/// Optional members of the request body beside `sequence`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnalyzeOptions {
    language: Language,
    max_tokens: Option<usize>,
}

/// Response of `POST /analyze`; `prediction`, `statistics` and `llm_explanation` are the
/// original service's keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyzeResponse {
    /// The detector's verdict.
    pub prediction: PredictResponse,
    /// What the window looks like.
    pub statistics: WindowStatistics,
    /// Which flows and features moved the probability (absent when the model has no baseline).
    pub attribution: Option<Attribution>,
    /// The explanation text.
    pub llm_explanation: String,
    /// How the explanation was produced.
    pub explanation: GenerationReport,
}

/// How the explanation was produced. Past the deadline (`--llm-deadline`) the text produced so
/// far is returned with `cut: true` and `finish_reason: "deadline"`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenerationReport {
    /// The model that wrote it.
    pub model: String,
    /// `stop`, or `max_tokens` / `deadline` when the text was cut.
    pub finish_reason: FinishReason,
    /// `true` when a budget cut the text.
    pub cut: bool,
    /// Tokens in the formatted prompt.
    pub prompt_tokens: usize,
    /// Prompt tokens (the system prefix) reused from the previous request, not evaluated again.
    pub cached_prompt_tokens: usize,
    /// Tokens generated.
    pub generated_tokens: usize,
    /// Queue, first token, total (ms) and tokens/s.
    pub timings: Timings,
}

impl GenerationReport {
    fn split(explanation: Explanation) -> (String, Self) {
        let Explanation {
            text,
            finish_reason,
            prompt_tokens,
            cached_prompt_tokens,
            generated_tokens,
            timings,
            model,
        } = explanation;
        let cut = finish_reason.is_cut();
        (
            text,
            Self {
                model,
                finish_reason,
                cut,
                prompt_tokens,
                cached_prompt_tokens,
                generated_tokens,
                timings,
            },
        )
    }
}

/// A scored window with its explanation started.
struct Analysis {
    prediction: PredictResponse,
    statistics: WindowStatistics,
    attribution: Option<Attribution>,
    generation: Generation,
}

/// Validates, scores, attributes and starts the explanation (on the explainer's threads: the
/// HTTP worker only awaits its events). Fails with 503 at once when the explainer is full.
fn start_analysis(state: &AppState, body: &Value) -> Result<Analysis, ApiError> {
    let detector = &state.detector;
    let flows = parse_window_request(body, detector.sequence_length())?;
    // Unknown keys, `sequence` among them, are ignored: no copy of the body is needed.
    let options =
        AnalyzeOptions::deserialize(body).map_err(|e| ApiError::InvalidOption(e.to_string()))?;
    let verdict = detector.predict(&flows)?;
    let attribution = detector.attribute(&flows)?;
    let statistics = WindowStatistics::from_flows(&flows);
    let messages: Vec<ChatMessage> = explanation_messages(
        &Evidence {
            verdict: Verdict {
                probability: verdict.probability,
                class: verdict.class,
                threshold: verdict.threshold,
            },
            statistics: &statistics,
            attribution: attribution.as_ref(),
        },
        options.language,
    );
    let max_tokens = options
        .max_tokens
        .unwrap_or(state.max_tokens)
        .clamp(1, state.max_tokens);
    let settings = GenerationSettings::default()
        .with_max_tokens(max_tokens)
        .with_deadline(state.llm_deadline)
        .with_prompt_lookup(state.llm_prompt_lookup);
    let generation = state.explainer.generate(messages, &settings)?;
    Ok(Analysis {
        prediction: PredictResponse::new(&verdict, &detector.manifest().id),
        statistics,
        attribution,
        generation,
    })
}

/// Scores a window and explains the verdict.
///
/// With `Accept: text/event-stream` the answer is streamed as `POST /analyze/stream` does.
#[utoipa::path(
    post,
    path = "/analyze",
    tag = "detection",
    request_body = AnalyzeRequest,
    responses(
        (status = 200, description = "Verdict, statistics, attribution and explanation", body = AnalyzeResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 413, description = "The body exceeds the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "Broken rules, each with its flow and field", body = ErrorBody),
        (status = 503, description = "The explainer's contexts and queue are full; retry after `Retry-After` seconds", body = ErrorBody),
    )
)]
#[post("/analyze")]
pub(crate) async fn analyze(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let analysis = start_analysis(&state, &body)?;
    if wants_event_stream(&req) {
        return Ok(event_stream(analysis, state.metrics.clone()));
    }
    // Dropping this future (client gone) drops the generation, which cancels it.
    let explanation = analysis.generation.finish().await?;
    state.metrics.record_generation(&explanation);
    let (llm_explanation, explanation) = GenerationReport::split(explanation);
    Ok(HttpResponse::Ok().json(AnalyzeResponse {
        prediction: analysis.prediction,
        statistics: analysis.statistics,
        attribution: analysis.attribution,
        llm_explanation,
        explanation,
    }))
}

/// Scores a window and streams the explanation as Server-Sent Events.
///
/// Events, in order: one `verdict` (`prediction`, `statistics`, `attribution`), `token` events
/// (`{"text": …}`) as the model writes, then one `done` (`llm_explanation`, `explanation`) or
/// one `error` (an error body). Closing the connection stops the generation.
#[utoipa::path(
    post,
    path = "/analyze/stream",
    tag = "detection",
    request_body = AnalyzeRequest,
    responses(
        (status = 200, description = "`text/event-stream`: verdict, tokens, done", content_type = "text/event-stream", body = String),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 422, description = "Broken rules, each with its flow and field", body = ErrorBody),
        (status = 503, description = "The explainer is full; retry after `Retry-After` seconds", body = ErrorBody),
    )
)]
#[post("/analyze/stream")]
pub(crate) async fn analyze_stream(
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let analysis = start_analysis(&state, &body)?;
    Ok(event_stream(analysis, state.metrics.clone()))
}

fn wants_event_stream(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}

/// The SSE response: the verdict at once, then the generation's events.
fn event_stream(analysis: Analysis, metrics: Metrics) -> HttpResponse {
    let Analysis {
        prediction,
        statistics,
        attribution,
        generation,
    } = analysis;
    let verdict = sse_event(
        "verdict",
        &json!({ "prediction": prediction, "statistics": statistics, "attribution": attribution }),
    );
    // The stream owns the generation: when the client disconnects actix drops the stream, and
    // with it the generation, which cancels the work.
    let events = stream::unfold(Some(generation), move |generation| {
        let metrics = metrics.clone();
        async move {
            let mut generation = generation?;
            let event = match generation.next_event().await? {
                Event::Text(text) => {
                    return Some((
                        sse_event("token", &json!({ "text": text })),
                        Some(generation),
                    ));
                }
                Event::Finished(explanation) => {
                    metrics.record_generation(&explanation);
                    let (text, report) = GenerationReport::split(explanation);
                    sse_event(
                        "done",
                        &json!({ "llm_explanation": text, "explanation": report }),
                    )
                }
                Event::Failed(error) => {
                    // The status line is already sent: the error travels as an event, and is
                    // logged here as error_response would for a plain answer.
                    tracing::error!(%error, "explanation failed mid-stream");
                    sse_event("error", &ApiError::from(error).body())
                }
            };
            Some((event, None))
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Reverse proxies (nginx) must not buffer the stream.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(
            stream::once(async move { verdict })
                .chain(events)
                .map(Ok::<_, actix_web::Error>),
        )
}

/// One SSE event; JSON never contains a raw newline, so `data` is one line.
fn sse_event(name: &str, data: &impl Serialize) -> Bytes {
    let data = serde_json::to_string(data)
        .unwrap_or_else(|e| json!({ "code": "internal", "message": e.to_string() }).to_string());
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}
