//! The crate's error type.

/// Everything that can go wrong in this crate. Exhaustive on purpose: the service maps every
/// variant to an HTTP status with no catch-all, so a new variant must be placed there.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The GGUF file does not exist.
    #[error("model file not found: {0}")]
    ModelNotFound(String),
    /// llama.cpp could not load the model (not a GGUF, truncated, unsupported architecture).
    #[error("cannot load model {path}: {reason}")]
    ModelLoad {
        /// The GGUF file.
        path: String,
        /// What llama.cpp reported.
        reason: String,
    },
    /// Every context is busy and the wait queue is full: retry later.
    #[error("explainer busy: {in_flight} requests in flight (pool {pool} + queue {queue})")]
    Busy {
        /// Requests running or waiting.
        in_flight: usize,
        /// Contexts generating at once.
        pool: usize,
        /// Requests allowed to wait.
        queue: usize,
    },
    /// The prompt plus the token budget do not fit the context window.
    #[error(
        "prompt of {prompt_tokens} tokens + budget of {max_tokens} exceeds the context of {context} tokens"
    )]
    PromptTooLong {
        /// Tokens in the formatted prompt.
        prompt_tokens: usize,
        /// Requested new tokens.
        max_tokens: usize,
        /// Context size.
        context: usize,
    },
    /// Formatting, tokenizing or decoding inside llama.cpp failed.
    #[error("generation failed: {0}")]
    Generation(String),
    /// The remote server answered with an error status.
    #[error("remote model server answered {status}: {body}")]
    RemoteStatus {
        /// HTTP status.
        status: u16,
        /// Response body (truncated).
        body: String,
    },
    /// The remote server could not be reached or sent an invalid stream.
    #[error("remote model server: {0}")]
    Remote(String),
    /// The explainer shut down before answering.
    #[error("explainer stopped")]
    Stopped,
}

/// Convenience alias for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
