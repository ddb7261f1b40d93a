//! Command-line flags; each has an environment-variable equivalent.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// Explainable network-flow anomaly detection over HTTP.
#[derive(Parser, Debug, Clone)]
#[command(version, about)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "ANOMALY_API_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// Detector: the name of one embedded in the binary — `unsw-nb15-lstm` (trained in Rust,
    /// the default) or `unsw-nb15-seed` (the original Keras model) — or a model directory
    /// (model.json, preprocessing.json, weights.bpk, optional baseline.json).
    #[arg(long, env = "ANOMALY_API_DETECTOR", default_value = "unsw-nb15-lstm")]
    pub detector: String,
    /// Largest accepted request body, in bytes; larger bodies get 413.
    #[arg(long, env = "ANOMALY_API_BODY_LIMIT", default_value_t = 256 * 1024)]
    pub body_limit: usize,
    /// Most windows in one `POST /predict/batch`.
    #[arg(long, env = "ANOMALY_API_BATCH_LIMIT", default_value_t = 1024)]
    pub batch_limit: usize,
    /// Largest accepted `POST /predict/batch` body, in bytes.
    #[arg(long, env = "ANOMALY_API_BATCH_BODY_LIMIT", default_value_t = 16 * 1024 * 1024)]
    pub batch_body_limit: usize,
    /// GGUF model explaining verdicts on `/analyze` (any instruct model with a chat template).
    #[arg(
        long,
        env = "ANOMALY_API_LLM",
        default_value = "models/llm/SmolLM2-135M-Instruct.Q4_1.gguf"
    )]
    pub llm: PathBuf,
    /// Use an OpenAI-compatible server (e.g. `http://host:8080/v1`) instead of a local GGUF.
    #[arg(long, env = "ANOMALY_API_LLM_URL")]
    pub llm_url: Option<String>,
    /// Model name sent to the `--llm-url` server.
    #[arg(long, env = "ANOMALY_API_LLM_MODEL", default_value = "default")]
    pub llm_model: String,
    /// llama.cpp contexts generating at once (remote: requests in flight).
    #[arg(long, env = "ANOMALY_API_LLM_POOL", default_value_t = 1)]
    pub llm_pool: usize,
    /// `/analyze` requests allowed to wait for a context; beyond, 503 with Retry-After.
    #[arg(long, env = "ANOMALY_API_LLM_QUEUE", default_value_t = 3)]
    pub llm_queue: usize,
    /// llama.cpp threads per context (default: cores − 1, leaving a core to the HTTP workers).
    #[arg(long, env = "ANOMALY_API_LLM_THREADS")]
    pub llm_threads: Option<i32>,
    /// Most tokens an explanation may have (requests may ask for fewer).
    #[arg(long, env = "ANOMALY_API_MAX_TOKENS", default_value_t = 256)]
    pub max_tokens: usize,
    /// Seconds an explanation may take once started; past it, the text is returned cut.
    #[arg(long, env = "ANOMALY_API_LLM_DEADLINE", default_value_t = 30)]
    pub llm_deadline: u64,
    /// Guess tokens from the prompt and check them in batches (local GGUF, faster); `false`
    /// decodes one token at a time.
    #[arg(
        long,
        env = "ANOMALY_API_LLM_PROMPT_LOOKUP",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub llm_prompt_lookup: bool,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "ANOMALY_API_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "ANOMALY_API_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self::parse_from(["anomaly-api"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_lookup_is_on_unless_turned_off() {
        assert!(Config::default().llm_prompt_lookup);
        let off = Config::try_parse_from(["anomaly-api", "--llm-prompt-lookup", "false"]).unwrap();
        assert!(!off.llm_prompt_lookup);
        // Anything but `true` or `false` is refused.
        assert!(Config::try_parse_from(["anomaly-api", "--llm-prompt-lookup", "maybe"]).is_err());
    }
}
