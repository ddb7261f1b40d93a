//! `GET /health` (liveness) and `GET /ready` (readiness).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health).service(ready);
}

/// Answer of `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    pub status: &'static str,
    /// Identifier of the detector model.
    pub detector: String,
}

/// Answer of `GET /ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    pub status: &'static str,
    /// Identifier of the detector model.
    pub detector: String,
    /// Whether `/analyze` returns attribution (the detector has a baseline).
    pub attribution: bool,
    /// The explainer's model.
    pub llm: String,
    /// Explanations generating or waiting now.
    pub llm_in_flight: usize,
    /// Explanations admitted at most; beyond, `/analyze` answers 503.
    pub llm_capacity: usize,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
#[get("/health")]
pub(crate) async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        detector: state.detector.manifest().id.clone(),
    })
}

/// Readiness: both models are loaded (the server binds its port only after loading them, so
/// any answer here means ready) and how busy the explainer is.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "Models loaded", body = Readiness)))]
#[get("/ready")]
pub(crate) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let load = state.explainer.load();
    HttpResponse::Ok().json(Readiness {
        status: "ready",
        detector: state.detector.manifest().id.clone(),
        attribution: state.detector.baseline().is_some(),
        llm: state.explainer.model_name().to_owned(),
        llm_in_flight: load.in_flight,
        llm_capacity: load.pool + load.queue,
    })
}
