//! `GET /health`: liveness.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health);
}

#[get("/health")]
async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok", "detector": state.detector.manifest().id }))
}
