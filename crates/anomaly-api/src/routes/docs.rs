//! `GET /openapi.json` (OpenAPI 3, generated from the Rust types) and `GET /docs` (Swagger UI,
//! served from the binary: no CDN, works offline).

use actix_web::{HttpResponse, get, http::header, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::Protection;
use crate::error::ErrorBody;
use crate::routes::{analyze, capture, health, metrics, predict, responses};

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
        capture::score_capture,
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

/// With `--api-token-file`: the bearer scheme and its 401 on every operation that needs a
/// token, so Swagger UI's "Authorize" button sends the token with each call.
fn declare_bearer_tokens(openapi: &mut utoipa::openapi::OpenApi, protection: Protection) {
    openapi
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    let unauthorized = responses::unauthorized();
    for (path, item) in &mut openapi.paths.paths {
        if !protection.covers(path) {
            continue;
        }
        for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
            operation.security = Some(vec![SecurityRequirement::new(
                "bearer",
                Vec::<String>::new(),
            )]);
            operation
                .responses
                .responses
                .insert("401".into(), unauthorized.clone());
        }
    }
}

/// Registers the routes.
/// Registers the routes; `protection` is `Some` when the server requires tokens.
pub fn configure(cfg: &mut web::ServiceConfig, protection: Option<Protection>) {
    let mut openapi = ApiDoc::openapi();
    if let Some(protection) = protection {
        declare_bearer_tokens(&mut openapi, protection);
    }
    cfg.service(docs_redirect)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi));
}

/// `/docs` → `/docs/`, where Swagger UI's relative asset paths resolve.
#[get("/docs")]
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Routes that fail alike are documented alike, from the shared response sets.
    #[test]
    fn every_route_documents_the_errors_it_answers() {
        let openapi = ApiDoc::openapi();
        let statuses = |path: &str| -> Vec<String> {
            let item = &openapi.paths.paths[path];
            let operation = item.post.as_ref().or(item.get.as_ref()).unwrap();
            operation.responses.responses.keys().cloned().collect()
        };
        let body = ["200", "400", "413", "415", "422"];
        assert_eq!(statuses("/predict"), body);
        let batch = ["200", "400", "408", "413", "415", "422", "503"];
        assert_eq!(statuses("/predict/batch"), batch);
        assert_eq!(statuses("/score/capture"), batch);
        let capture = openapi.paths.paths["/score/capture"].post.as_ref().unwrap();
        let query: Vec<&str> = capture
            .parameters
            .iter()
            .flatten()
            .filter_map(|p| match p {
                utoipa::openapi::RefOr::T(p) => Some(p.name.as_str()),
                utoipa::openapi::RefOr::Ref(_) => None,
            })
            .collect();
        assert_eq!(
            query,
            ["flows", "flow_limit", "min_flows", "gap", "status_interval"]
        );
        let explained = ["200", "400", "413", "415", "422", "429", "503"];
        assert_eq!(statuses("/analyze"), explained);
        assert_eq!(statuses("/analyze/stream"), explained);
        let json = serde_json::to_value(&openapi).unwrap();
        let not_json = &json["paths"]["/analyze/stream"]["post"]["responses"]["400"];
        assert_eq!(
            not_json["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }
}
