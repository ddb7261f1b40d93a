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
    #[arg(long, env = "ANOMALY_API_BODY_LIMIT", default_value_t = 256 * 1024,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..=64 * 1024 * 1024))]
    pub body_limit: usize,
    /// Most windows in one `POST /predict/batch`.
    #[arg(long, env = "ANOMALY_API_BATCH_LIMIT", default_value_t = 1024,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=65_536))]
    pub batch_limit: usize,
    /// Largest accepted `POST /predict/batch` body, in bytes.
    #[arg(long, env = "ANOMALY_API_BATCH_BODY_LIMIT", default_value_t = 16 * 1024 * 1024,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..=1024 * 1024 * 1024))]
    pub batch_body_limit: usize,
    /// Largest accepted `POST /score/capture` body (a pcap or pcapng file), in bytes.
    #[arg(long, env = "ANOMALY_API_CAPTURE_BODY_LIMIT", default_value_t = 64 * 1024 * 1024,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..=1024 * 1024 * 1024))]
    pub capture_body_limit: usize,
    /// `POST /predict/batch` requests parsed and scored at once, on the blocking pool (never
    /// on an HTTP worker); beyond, 503 with Retry-After.
    #[arg(long, env = "ANOMALY_API_BATCH_JOBS", default_value_t = 2,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub batch_jobs: usize,
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
    #[arg(long, env = "ANOMALY_API_LLM_POOL", default_value_t = 1,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub llm_pool: usize,
    /// `/analyze` requests allowed to wait for a context; beyond, 503 with Retry-After.
    #[arg(long, env = "ANOMALY_API_LLM_QUEUE", default_value_t = 3,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=4096))]
    pub llm_queue: usize,
    /// llama.cpp threads per context (default: cores − 1, leaving a core to the HTTP workers).
    #[arg(long, env = "ANOMALY_API_LLM_THREADS", value_parser = clap::value_parser!(i32).range(1..=256))]
    pub llm_threads: Option<i32>,
    /// Most tokens an explanation may have (requests may ask for fewer).
    #[arg(long, env = "ANOMALY_API_MAX_TOKENS", default_value_t = 256,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=8192))]
    pub max_tokens: usize,
    /// Seconds an explanation may take once started; past it, the text is returned cut.
    #[arg(long, env = "ANOMALY_API_LLM_DEADLINE", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
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
    #[arg(long, env = "ANOMALY_API_WORKERS", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub workers: Option<usize>,
    /// File of bearer tokens, one per line (16+ visible ASCII characters; `#` comments). When
    /// set, every route but `/health` and `/ready` needs `Authorization: Bearer <token>`.
    #[arg(long, env = "ANOMALY_API_TOKEN_FILE")]
    pub api_token_file: Option<PathBuf>,
    /// With `--api-token-file`: serve `/metrics` without a token (e.g. to a local scraper).
    #[arg(long, env = "ANOMALY_API_PUBLIC_METRICS")]
    pub public_metrics: bool,
    /// With `--api-token-file`: require the token for `/docs` and `/openapi.json` too (a
    /// browser then cannot open the Swagger UI).
    #[arg(long, env = "ANOMALY_API_PROTECT_DOCS")]
    pub protect_docs: bool,
    /// PEM certificate chain: serve HTTPS (with `--tls-key`).
    #[arg(long, env = "ANOMALY_API_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert` (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "ANOMALY_API_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// `/analyze` requests per client address and minute (IPv6: per /64); beyond, 429 with
    /// Retry-After. Unset: no per-client limit (the explainer's queue still bounds the load).
    #[arg(long, env = "ANOMALY_API_ANALYZE_RATE",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub analyze_rate: Option<u32>,
    /// Requests a client may send at once before `--analyze-rate` applies.
    #[arg(long, env = "ANOMALY_API_ANALYZE_BURST", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub analyze_burst: u32,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "ANOMALY_API_SHUTDOWN_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
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
