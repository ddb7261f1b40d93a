//! How a local model is loaded and its pool sized.

use std::path::PathBuf;

/// How a [`LlamaExplainer`](super::LlamaExplainer) loads its model and sizes its pool.
///
/// ```
/// use llm_explainer::LlamaSettings;
/// let settings = LlamaSettings::new("models/llm/SmolLM2-135M-Instruct.Q4_1.gguf")
///     .with_pool_size(2)
///     .with_queue_size(8)
///     .with_threads(1);
/// assert_eq!(settings.context_size, 2048);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaSettings {
    /// The GGUF file.
    pub model_path: PathBuf,
    /// Tokens per context (prompt + answer).
    pub context_size: u32,
    /// Contexts generating at once; each has its own worker thread and KV cache.
    pub pool_size: usize,
    /// Requests allowed to wait for a context; beyond that, [`Error::Busy`](crate::Error::Busy).
    pub queue_size: usize,
    /// CPU threads per context. llama.cpp's threads spin while waiting, so on a small machine
    /// leave a core free for the rest of the process: the default is cores − 1 (at least 1).
    pub threads: i32,
}

impl LlamaSettings {
    /// Defaults for `model_path`: context 2048, pool 1, queue 3, threads cores − 1.
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            model_path: model_path.into(),
            context_size: 2048,
            pool_size: 1,
            queue_size: 3,
            threads: cores.saturating_sub(1).max(1) as i32,
        }
    }

    /// Sets [`context_size`](Self::context_size).
    #[must_use]
    pub fn with_context_size(mut self, tokens: u32) -> Self {
        self.context_size = tokens;
        self
    }

    /// Sets [`pool_size`](Self::pool_size) (at least 1).
    #[must_use]
    pub fn with_pool_size(mut self, contexts: usize) -> Self {
        self.pool_size = contexts.max(1);
        self
    }

    /// Sets [`queue_size`](Self::queue_size).
    #[must_use]
    pub fn with_queue_size(mut self, requests: usize) -> Self {
        self.queue_size = requests;
        self
    }

    /// Sets [`threads`](Self::threads) (at least 1).
    #[must_use]
    pub fn with_threads(mut self, threads: i32) -> Self {
        self.threads = threads.max(1);
        self
    }
}
