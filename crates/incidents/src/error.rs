//! The one error type of the crate, keeping each source.

/// What can go wrong between packets and incidents.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The detector failed to score or attribute a window.
    #[error("detector: {0}")]
    Detector(#[from] lstm_detector::Error),
    /// The capture could not be read.
    #[error("capture: {0}")]
    Capture(#[from] packet_flows::Error),
    /// The narrating language model failed.
    #[error("narration: {0}")]
    Explainer(#[from] llm_explainer::Error),
    /// An incident without evidence (a model without a baseline) cannot be narrated.
    #[error("incident {0} has no evidence to narrate")]
    Unexplained(String),
    /// The narration thread could not be started.
    #[error("narration thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
