//! `POST /analyze`: the verdict, the window's statistics and an explanation from the LLM.

use actix_web::{HttpResponse, post, web};
use flow_features::{WindowStatistics, parse_window_request};
use llm_explainer::{
    Explanation, FinishReason, GenerationSettings, Language, Timings, Verdict, explanation_messages,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::routes::predict::PredictResponse;
use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(analyze);
}

/// Optional members of the request body beside `sequence`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnalyzeOptions {
    /// `english` (default) or `french`.
    language: Language,
    /// Fewer tokens than the server's maximum.
    max_tokens: Option<usize>,
}

/// Response of `POST /analyze`; `prediction`, `statistics` and `llm_explanation` are the
/// original service's keys.
#[derive(Debug, Serialize)]
struct AnalyzeResponse {
    prediction: PredictResponse,
    statistics: WindowStatistics,
    llm_explanation: String,
    explanation: GenerationReport,
}

/// How the explanation was produced.
#[derive(Debug, Serialize)]
struct GenerationReport {
    model: String,
    /// `stop`, or `max_tokens` / `deadline` when the text was cut.
    finish_reason: FinishReason,
    /// `true` when a budget cut the text.
    cut: bool,
    prompt_tokens: usize,
    generated_tokens: usize,
    timings: Timings,
}

impl GenerationReport {
    fn split(explanation: Explanation) -> (String, Self) {
        let Explanation {
            text,
            finish_reason,
            prompt_tokens,
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
                generated_tokens,
                timings,
            },
        )
    }
}

#[post("/analyze")]
async fn analyze(
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let detector = &state.detector;
    let flows = parse_window_request(&body, detector.sequence_length())?;
    let options: AnalyzeOptions = serde_json::from_value(strip_sequence(&body))
        .map_err(|e| ApiError::InvalidOption(e.to_string()))?;
    let verdict = detector.predict(&flows)?;
    let statistics = WindowStatistics::from_flows(&flows);

    let messages = explanation_messages(
        &Verdict {
            probability: verdict.probability,
            class: verdict.class,
            threshold: verdict.threshold,
        },
        &statistics,
        options.language,
    );
    let max_tokens = options
        .max_tokens
        .unwrap_or(state.max_tokens)
        .clamp(1, state.max_tokens);
    let settings = GenerationSettings::default()
        .with_max_tokens(max_tokens)
        .with_deadline(state.llm_deadline);
    // Generation runs on the explainer's own threads; this future only awaits its answer, and
    // dropping it (client gone) cancels the generation.
    let explanation = state
        .explainer
        .generate(messages, &settings)?
        .finish()
        .await?;
    let (llm_explanation, explanation) = GenerationReport::split(explanation);

    Ok(HttpResponse::Ok().json(AnalyzeResponse {
        prediction: PredictResponse::new(&verdict, &detector.manifest().id),
        statistics,
        llm_explanation,
        explanation,
    }))
}

fn strip_sequence(body: &Value) -> Value {
    let mut options = body.clone();
    if let Some(map) = options.as_object_mut() {
        map.remove("sequence");
    }
    options
}
