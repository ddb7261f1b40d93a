//! What the handlers share: the loaded models and the explanation limits.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use llm_explainer::{Explainer, LlamaExplainer, LlamaSettings, OpenAiExplainer};
use lstm_detector::Detector;

use crate::auth::{Access, Protection, Tokens};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::rate_limit::ClientLimits;
use crate::slots::Slots;

/// Shared application state: models, limits and metrics.
#[derive(Clone)]
pub struct AppState {
    /// The detector scoring windows.
    pub detector: Arc<Detector>,
    /// The explainer behind `/analyze`.
    pub explainer: Arc<dyn Explainer>,
    /// Most tokens per explanation.
    pub max_tokens: usize,
    /// Wall-clock bound per explanation.
    pub llm_deadline: Duration,
    /// Whether local generation uses prompt lookup (see `GenerationSettings::prompt_lookup`).
    pub llm_prompt_lookup: bool,
    /// Most windows per `POST /predict/batch`.
    pub batch_limit: usize,
    /// Largest `POST /predict/batch` body, in bytes.
    pub batch_body_limit: usize,
    /// Largest `POST /score/capture` body, in bytes.
    pub capture_body_limit: usize,
    /// Batches (and captures) parsed and scored at once (off the HTTP workers); beyond, 503.
    pub batch_slots: Arc<Slots>,
    /// `/analyze` requests validated and scored at once, off the HTTP workers (as many as the
    /// explainer admits); beyond, 503.
    pub analyze_slots: Arc<Slots>,
    /// Bearer tokens and the paths they protect; `None`: open to anyone who can connect.
    pub access: Option<Access>,
    /// Per-client limits on `/analyze`; `None`: none.
    pub analyze_limits: Option<Arc<ClientLimits>>,
    /// Prometheus metrics.
    pub metrics: Metrics,
}

impl AppState {
    /// Loads the models the configuration names (the embedded trained detector by default).
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        // Cheap checks first: a bad token file fails before the models load.
        let access = match &config.api_token_file {
            Some(path) => Some(Access {
                tokens: Tokens::from_file(path)?,
                protection: Protection {
                    metrics: !config.public_metrics,
                    docs: config.protect_docs,
                },
            }),
            None => None,
        };
        let detector = Arc::new(embedded_models::load(&config.detector)?);
        let explainer: Arc<dyn Explainer> = match &config.llm_url {
            Some(url) => Arc::new(
                OpenAiExplainer::new(url, &config.llm_model)
                    .with_api_key(std::env::var("OPENAI_API_KEY").ok())
                    .with_max_concurrent(config.llm_pool + config.llm_queue),
            ),
            None => {
                let mut settings = LlamaSettings::new(&config.llm)
                    .with_pool_size(config.llm_pool)
                    .with_queue_size(config.llm_queue);
                if let Some(threads) = config.llm_threads {
                    settings = settings.with_threads(threads);
                }
                let explainer = LlamaExplainer::load(settings).map_err(|e| {
                    anyhow::anyhow!("{e} (run scripts/setup-models.sh, or pass --llm <gguf> or --llm-url <server>)")
                })?;
                Arc::new(explainer)
            }
        };
        Ok(Self {
            detector,
            explainer,
            max_tokens: config.max_tokens.max(1),
            llm_deadline: Duration::from_secs(config.llm_deadline),
            llm_prompt_lookup: config.llm_prompt_lookup,
            batch_limit: config.batch_limit.max(1),
            batch_body_limit: config.batch_body_limit,
            capture_body_limit: config.capture_body_limit,
            batch_slots: Slots::new(config.batch_jobs),
            analyze_slots: Slots::new(config.llm_pool + config.llm_queue),
            access,
            analyze_limits: config.analyze_rate.map(|rate| {
                let nz = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
                Arc::new(ClientLimits::new(nz(rate), nz(config.analyze_burst)))
            }),
            metrics: Metrics::new()?,
        })
    }
}
