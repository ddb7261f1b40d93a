//! `POST /analyze`: the verdict, the window's statistics, the detector's attribution, the
//! grounded report and an explanation — the LLM's text when it passes the checks, else the
//! report's summary — as one JSON document, or streamed as Server-Sent Events
//! (`POST /analyze/stream`, or `POST /analyze` with `Accept: text/event-stream`).

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, post, web};
use flow_features::{Attribution, FlowRecord, WindowStatistics, parse_window_request};
use futures_util::{StreamExt, stream};
use llm_explainer::{
    ChatMessage, Checks, Event, Evidence, Explanation, FinishReason, Generation,
    GenerationSettings, Language, Report, Source, Timings, explanation_messages,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::routes::predict::{PredictResponse, sample_request};
use crate::routes::responses::{ExplainerErrors, JsonBodyErrors};
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
    /// What the detector's output says, in plain words, built without a language model.
    pub report: Report,
    /// The explanation: the model's text when it passed every check
    /// (`explanation.source: "model"`), else the report's summary (`"report"`).
    pub llm_explanation: String,
    /// How the explanation was produced and checked.
    pub explanation: GenerationReport,
}

/// How the explanation was produced and checked. Past the deadline (`--llm-deadline`) the
/// model's text is cut (`cut: true`, `finish_reason: "deadline"`), fails the `cut` check, and
/// the report's summary is returned instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenerationReport {
    /// Whose text `llm_explanation` is.
    pub source: Source,
    /// The checks on the model's text, and what failed.
    pub checks: Checks,
    /// The model that wrote it.
    pub model: String,
    /// `stop`; `repetition` when generation stopped where the model began to repeat itself
    /// (the text ends before the repetition); `max_tokens` / `deadline` when a budget cut it.
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
    /// Checks the model's `explanation` of `analysis`; returns the text to answer and how it
    /// was produced.
    fn checked(explanation: Explanation, analysis: &Checking) -> (String, Self) {
        let Explanation {
            text,
            finish_reason,
            prompt_tokens,
            cached_prompt_tokens,
            generated_tokens,
            timings,
            model,
        } = explanation;
        let checks = Checks::run(&analysis.evidence, &analysis.prompt, &text, finish_reason);
        let (chosen, source) = checks.choose(&text, &analysis.report);
        let chosen = chosen.to_owned();
        (
            chosen,
            Self {
                source,
                checks,
                model,
                finish_reason,
                cut: finish_reason.is_cut(),
                prompt_tokens,
                cached_prompt_tokens,
                generated_tokens,
                timings,
            },
        )
    }
}

/// What a model's text is checked against.
struct Checking {
    evidence: Evidence,
    prompt: Vec<ChatMessage>,
    report: Report,
}

/// A scored window with its explanation started.
struct Analysis {
    prediction: PredictResponse,
    checking: Checking,
    generation: Generation,
}

/// Validates, scores, attributes, reports and starts the explanation (on the explainer's
/// threads: the HTTP worker only awaits its events). Fails with 503 at once when the explainer
/// is full.
async fn start_analysis(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    body: web::Json<Value>,
) -> Result<Analysis, ApiError> {
    if let (Some(limits), Some(peer)) = (&state.analyze_limits, req.peer_addr()) {
        limits
            .check(peer.ip())
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    }
    // Validation, the 45 detector windows of the attribution and the report run on the
    // blocking pool: the HTTP workers only route and await. No more at once than the explainer
    // admits (contexts + queue): work past that would end in its 503 anyway.
    let slot = state.analyze_slots.try_take().ok_or(ApiError::Busy)?;
    let state = state.clone();
    web::block(move || {
        let _slot = slot;
        analysis(&state, &body)
    })
    .await
    .map_err(ApiError::internal)?
}

fn analysis(state: &AppState, body: &Value) -> Result<Analysis, ApiError> {
    let detector = &state.detector;
    let flows: Vec<FlowRecord> = parse_window_request(body, detector.sequence_length())?;
    // Unknown keys, `sequence` among them, are ignored: no copy of the body is needed.
    let options =
        AnalyzeOptions::deserialize(body).map_err(|e| ApiError::InvalidOption(e.to_string()))?;
    let (verdict, attribution) = detector.assess(&flows)?;
    let prediction = PredictResponse::new(&verdict, &detector.manifest().id);
    // Values the detector does not know reach the report and the prompt as a placeholder.
    let evidence = Evidence::new(&flows, verdict, attribution).masked(detector.preprocessor());
    let report = Report::new(&evidence, options.language);
    let prompt = explanation_messages(&evidence, options.language);
    let max_tokens = options
        .max_tokens
        .unwrap_or(state.max_tokens)
        .clamp(1, state.max_tokens);
    let settings = GenerationSettings::default()
        .with_max_tokens(max_tokens)
        .with_deadline(state.llm_deadline)
        .with_prompt_lookup(state.llm_prompt_lookup);
    let generation = state.explainer.generate(prompt.clone(), &settings)?;
    Ok(Analysis {
        prediction,
        checking: Checking {
            evidence,
            prompt,
            report,
        },
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
        (status = 200, description = "Verdict, statistics, attribution, report and the checked explanation", body = AnalyzeResponse),
        JsonBodyErrors,
        ExplainerErrors,
    )
)]
#[post("/analyze")]
pub(crate) async fn analyze(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let analysis = start_analysis(&state, &req, body).await?;
    if wants_event_stream(&req) {
        return Ok(event_stream(analysis, state.metrics.clone()));
    }
    let Analysis {
        prediction,
        checking,
        generation,
    } = analysis;
    // Dropping this future (client gone) drops the generation, which cancels it.
    let explanation = generation.finish().await?;
    state.metrics.record_generation(&explanation);
    let (llm_explanation, explanation) = GenerationReport::checked(explanation, &checking);
    state
        .metrics
        .record_checks(&explanation.checks, explanation.source);
    Ok(HttpResponse::Ok().json(AnalyzeResponse {
        prediction,
        statistics: checking.evidence.statistics,
        attribution: checking.evidence.attribution,
        report: checking.report,
        llm_explanation,
        explanation,
    }))
}

/// Scores a window and streams the explanation as Server-Sent Events.
///
/// Events, in order: one `verdict` (`prediction`, `statistics`, `attribution`, `report`) before
/// any model token, `token` events (`{"text": …}`: the model's draft, as it writes), then one
/// `done` (`llm_explanation`: the draft if it passed the checks, else the report's summary;
/// `explanation`: source and checks) or one `error` (an error body). Closing the connection
/// stops the generation.
#[utoipa::path(
    post,
    path = "/analyze/stream",
    tag = "detection",
    request_body = AnalyzeRequest,
    responses(
        (status = 200, description = "`text/event-stream`: verdict, tokens, done", content_type = "text/event-stream", body = String),
        JsonBodyErrors,
        ExplainerErrors,
    )
)]
#[post("/analyze/stream")]
pub(crate) async fn analyze_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let analysis = start_analysis(&state, &req, body).await?;
    Ok(event_stream(analysis, state.metrics.clone()))
}

fn wants_event_stream(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}

/// The SSE response: the verdict and report at once, then the generation's events.
fn event_stream(analysis: Analysis, metrics: Metrics) -> HttpResponse {
    let Analysis {
        prediction,
        checking,
        generation,
    } = analysis;
    let verdict = sse_event(
        "verdict",
        &json!({
            "prediction": prediction,
            "statistics": &checking.evidence.statistics,
            "attribution": &checking.evidence.attribution,
            "report": &checking.report,
        }),
    );
    // The stream owns the generation: when the client disconnects actix drops the stream, and
    // with it the generation, which cancels the work.
    let events = stream::unfold(Some((generation, checking)), move |state| {
        let metrics = metrics.clone();
        async move {
            let (mut generation, checking) = state?;
            let event = match generation.next_event().await? {
                Event::Text(text) => {
                    return Some((
                        sse_event("token", &json!({ "text": text })),
                        Some((generation, checking)),
                    ));
                }
                Event::Finished(explanation) => {
                    metrics.record_generation(&explanation);
                    let (text, report) = GenerationReport::checked(explanation, &checking);
                    metrics.record_checks(&report.checks, report.source);
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
