//! The HTTP service: `POST /predict` over the LSTM detector, `POST /analyze` (and its
//! Server-Sent-Events form) adding the detector's attribution and an LLM explanation,
//! `POST /score/capture` scoring a packet capture into flows and incidents, API docs
//! (`/openapi.json`, `/docs`), and operations (`/health`, `/ready`, `/metrics`).
//!
//! The binary (`anomaly-api`) parses [`Config`] and calls [`serve`]; tests and embedders can
//! start the same server with [`start`]. No ML logic lives here: requests are parsed and scored
//! by `flow-features` and `lstm-detector`, explained by `llm-explainer`, and their errors are
//! mapped to HTTP in [`error`].
//!
//! - [`config`] – flags and environment variables;
//! - [`auth`] – optional bearer tokens;
//! - [`rate_limit`] – per-client limits on `/analyze`;
//! - [`tls`] – HTTPS with rustls;
//! - [`state`] – the loaded models and limits shared by the handlers;
//! - [`routes`] – one module per group of endpoints;
//! - [`request_context`] – request ids, logs and request metrics;
//! - [`metrics`] – the Prometheus registry;
//! - [`slots`] – bounded concurrency for work off the HTTP workers;
//! - [`error`] – every error's status and JSON body.

pub mod auth;
pub mod config;
pub mod error;
pub mod metrics;
pub mod rate_limit;
pub mod request_context;
pub mod routes;
pub mod slots;
pub mod state;
pub mod tls;

use std::net::SocketAddr;

use actix_web::dev::Server;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, middleware, web};

pub use config::Config;
pub use error::ApiError;
pub use state::AppState;

/// Binds the server described by `config` (HTTPS with `--tls-cert`/`--tls-key`) and returns it
/// (not yet awaited) with the bound address (useful with port 0).
pub fn start(config: &Config, state: AppState) -> anyhow::Result<(Server, SocketAddr)> {
    let body_limit = config.body_limit;
    let protection = state.access.as_ref().map(|access| access.protection);
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        let json = web::JsonConfig::default()
            .limit(body_limit)
            .error_handler(move |err, _req| error::json_error(err, body_limit).into());
        App::new()
            .app_data(state.clone())
            .app_data(json)
            // The last `wrap` runs first: every request, refused ones included, gets its id,
            // log line and metrics before the token is checked.
            .wrap(middleware::from_fn(auth::require_token))
            .wrap(middleware::from_fn(request_context::request_context))
            .configure(routes::predict::configure)
            .configure(routes::predict::configure_batch)
            .configure(routes::capture::configure)
            .configure(routes::analyze::configure)
            .configure(routes::health::configure)
            .configure(routes::metrics::configure)
            .configure(|cfg| routes::docs::configure(cfg, protection))
            .default_service(web::to(not_found))
    })
    // SIGTERM/SIGINT: stop accepting, let in-flight requests finish for up to this long.
    .shutdown_timeout(config.shutdown_timeout);
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let server = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            server.bind_rustls_0_23(config.bind, tls::server_config(cert, key)?)?
        }
        // clap requires both flags together; a `Config` built in code may still hold one.
        (Some(_), None) | (None, Some(_)) => {
            anyhow::bail!("--tls-cert and --tls-key go together")
        }
        (None, None) => server.bind(config.bind)?,
    };
    let addr = server.addrs()[0];
    Ok((server.run(), addr))
}

/// Loads the models and serves until SIGINT/SIGTERM (in-flight requests get
/// `--shutdown-timeout` seconds to finish).
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let state = AppState::load(&config)?;
    let (server, addr) = start(&config, state)?;
    tracing::info!(%addr, ready_ms = started.elapsed().as_millis() as u64, "listening");
    server.await?;
    tracing::info!("stopped");
    Ok(())
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound {
        method: req.method().to_string(),
        path: req.path().to_owned(),
    })
}
