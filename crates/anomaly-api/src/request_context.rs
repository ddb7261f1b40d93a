//! Per-request context: a request id (the client's `X-Request-Id` when sane, else a new UUID)
//! echoed in the response, a tracing span carrying it, one log line and the request metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;

use crate::state::AppState;

/// The header carrying the request id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the current request, in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Middleware (installed with `middleware::from_fn`) giving every request its context.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    // The route pattern, not the path: metric labels stay few whatever clients send.
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    // One Arc clone; the metrics are reached through it after the response.
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);

    let result = next.call(req).instrument(span.clone()).await;
    let status = match &result {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    let seconds = started.elapsed().as_secs_f64();
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            ms = format!("{:.3}", seconds * 1000.0),
            "answered"
        )
    });
    if let Some(state) = state {
        state
            .metrics
            .record_request(&route, &method, status.as_u16(), seconds);
    }
    let mut res = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(res)
}

/// Ids from clients are echoed into logs and headers: keep them short and printable.
fn is_sane_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::is_sane_id;

    #[test]
    fn client_ids_are_bounded_and_printable() {
        assert!(is_sane_id("3f2a-req_1.retry:2"));
        assert!(!is_sane_id(""));
        assert!(!is_sane_id("a b"));
        assert!(!is_sane_id("line\nbreak"));
        assert!(!is_sane_id(&"x".repeat(129)));
    }
}
