//! `GET /openapi.json` (OpenAPI 3, generated from the Rust types) and `GET /docs` (Swagger UI,
//! served from the binary: no CDN, works offline).

use actix_web::{HttpResponse, get, http::header, web};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ErrorBody;
use crate::routes::{analyze, health, metrics, predict};

/// The OpenAPI document of the service.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Explainable network-flow anomaly detector",
        description = "An LSTM scores windows of 10 network flows (UNSW-NB15 features); a local \
                       LLM explains each verdict, grounded in the detector's own attribution."
    ),
    paths(
        predict::predict,
        predict::predict_batch,
        analyze::analyze,
        analyze::analyze_stream,
        health::health,
        health::ready,
        metrics::metrics,
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "detection", description = "Scoring and explaining windows of flows"),
        (name = "operations", description = "Liveness, readiness and metrics"),
    )
)]
pub struct ApiDoc;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(docs_redirect)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()));
}

/// `/docs` → `/docs/`, where Swagger UI's relative asset paths resolve.
#[get("/docs")]
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}
