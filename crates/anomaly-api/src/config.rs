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
    /// Detector model directory (model.json, preprocessing.json, weights.bpk).
    /// Default: the original Keras model, embedded in the binary.
    #[arg(long, env = "ANOMALY_API_DETECTOR")]
    pub detector: Option<PathBuf>,
    /// Largest accepted request body, in bytes; larger bodies get 413.
    #[arg(long, env = "ANOMALY_API_BODY_LIMIT", default_value_t = 256 * 1024)]
    pub body_limit: usize,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "ANOMALY_API_WORKERS")]
    pub workers: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Self::parse_from(["anomaly-api"])
    }
}
