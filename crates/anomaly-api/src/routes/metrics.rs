//! `GET /metrics`: Prometheus text exposition.

use actix_web::{HttpResponse, get, web};

use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(metrics);
}

/// Metrics in the Prometheus text format: `http_requests_total{route,method,status}`,
/// `http_request_duration_seconds{route}`, `llm_requests_in_flight`, `llm_queue_depth`,
/// `llm_generated_tokens_total`, `llm_time_to_first_token_seconds`, `process_*`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain; version=0.0.4", body = String)))]
#[get("/metrics")]
pub(crate) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(state.explainer.load()))
}
