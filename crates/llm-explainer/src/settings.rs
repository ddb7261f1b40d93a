//! Generation settings: budgets, sampling and stop strings.

use std::time::Duration;

/// How one explanation is generated. Deterministic by default (greedy decoding).
///
/// ```
/// use llm_explainer::GenerationSettings;
/// use std::time::Duration;
/// let settings = GenerationSettings::default()
///     .with_max_tokens(128)
///     .with_deadline(Duration::from_secs(5))
///     .with_temperature(0.7)
///     .with_seed(7);
/// assert_eq!(settings.max_tokens, 128);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationSettings {
    /// Most new tokens to generate.
    pub max_tokens: usize,
    /// Wall-clock bound for the whole request once it starts running.
    pub deadline: Duration,
    /// Sampling temperature; `0` means greedy (same input, same text).
    pub temperature: f32,
    /// Nucleus sampling mass (used when `temperature > 0`).
    pub top_p: f32,
    /// Sampling seed (used when `temperature > 0`).
    pub seed: u32,
    /// Penalty on tokens seen in the last 64 (`1.0`, the default, disables it; local models
    /// only). It breaks the loops of very small models but makes them invent numbers.
    pub repeat_penalty: f32,
    /// Generation stops before any of these strings.
    pub stop: Vec<String>,
    /// Guess the next tokens from the text so far and check the guesses in one batch (local
    /// models, greedy decoding without a repetition penalty). An explanation repeats much of its
    /// prompt, so this generates faster. The answer is greedy decoding's either way, up to
    /// floating-point rounding: a batch sums in another order than one token at a time, which can
    /// flip a near tie. On by default.
    pub prompt_lookup: bool,
}

impl Default for GenerationSettings {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            deadline: Duration::from_secs(30),
            temperature: 0.0,
            top_p: 0.95,
            seed: 42,
            repeat_penalty: 1.0,
            stop: Vec::new(),
            prompt_lookup: true,
        }
    }
}

impl GenerationSettings {
    /// Sets [`max_tokens`](Self::max_tokens).
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: usize) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// Sets [`deadline`](Self::deadline).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets [`temperature`](Self::temperature).
    #[must_use]
    pub fn with_temperature(mut self, temperature: f32) -> Self {
        self.temperature = temperature;
        self
    }

    /// Sets [`top_p`](Self::top_p).
    #[must_use]
    pub fn with_top_p(mut self, top_p: f32) -> Self {
        self.top_p = top_p;
        self
    }

    /// Sets [`seed`](Self::seed).
    #[must_use]
    pub fn with_seed(mut self, seed: u32) -> Self {
        self.seed = seed;
        self
    }

    /// Sets [`repeat_penalty`](Self::repeat_penalty).
    #[must_use]
    pub fn with_repeat_penalty(mut self, penalty: f32) -> Self {
        self.repeat_penalty = penalty;
        self
    }

    /// Sets [`stop`](Self::stop).
    #[must_use]
    pub fn with_stop(mut self, stop: Vec<String>) -> Self {
        self.stop = stop;
        self
    }

    /// Sets [`prompt_lookup`](Self::prompt_lookup).
    #[must_use]
    pub fn with_prompt_lookup(mut self, enabled: bool) -> Self {
        self.prompt_lookup = enabled;
        self
    }
}
