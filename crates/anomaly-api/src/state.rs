//! What the handlers share: the loaded models.

use std::sync::Arc;

use lstm_detector::{Backend, Detector, ModelFiles};

use crate::config::Config;

/// Shared, read-only application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The detector scoring windows.
    pub detector: Arc<Detector>,
}

impl AppState {
    /// Loads the models the configuration names (the embedded seed model by default).
    pub fn load(config: &Config) -> lstm_detector::Result<Self> {
        let files = match &config.detector {
            Some(dir) => ModelFiles::read_dir(dir)?,
            None => embedded_seed_model(),
        };
        Ok(Self {
            detector: Arc::new(Detector::load(&files, Backend::default())?),
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
    }
}
