//! What the handlers share: the loaded models and the explanation limits.

use std::sync::Arc;
use std::time::Duration;

use llm_explainer::{Explainer, LlamaExplainer, LlamaSettings, OpenAiExplainer};
use lstm_detector::{Backend, Detector, ModelFiles};

use crate::config::Config;
use crate::metrics::Metrics;

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
    /// Most windows per `POST /predict/batch`.
    pub batch_limit: usize,
    /// Prometheus metrics.
    pub metrics: Metrics,
}

impl AppState {
    /// Loads the models the configuration names (the embedded seed detector by default).
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let files = match &config.detector {
            Some(dir) => ModelFiles::read_dir(dir)?,
            None => embedded_seed_model(),
        };
        let detector = Arc::new(Detector::load(&files, Backend::default())?);
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
            batch_limit: config.batch_limit.max(1),
            metrics: Metrics::new()?,
        })
    }
}

/// The original Keras model (`models/unsw-nb15-seed`), compiled into the binary so the service
/// runs from anywhere without model files.
pub fn embedded_seed_model() -> ModelFiles {
    macro_rules! seed_file {
        ($include:ident, $name:literal) => {
            $include!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../models/unsw-nb15-seed/",
                $name
            ))
        };
    }
    ModelFiles {
        manifest: seed_file!(include_str, "model.json").into(),
        preprocessing: seed_file!(include_str, "preprocessing.json").into(),
        weights: seed_file!(include_bytes, "weights.bpk").as_slice().into(),
        baseline: Some(seed_file!(include_str, "baseline.json").into()),
    }
}
