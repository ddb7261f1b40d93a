//! The error responses of the OpenAPI document, each written once: a route lists the sets it
//! can answer beside its own 200, so two routes that fail alike are documented alike.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Ref, RefOr};

/// A response whose body is an `ErrorBody`.
pub(crate) fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

fn errors(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| ((*status).to_owned(), error_response(description)))
        .collect()
}

/// What every route reading a JSON body can answer before looking at it.
pub(crate) struct JsonBodyErrors;

impl IntoResponses for JsonBodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[
            ("400", "The body is not JSON"),
            (
                "413",
                "The body exceeds its limit (`--body-limit`; `--batch-body-limit` for batches)",
            ),
            ("415", "Not sent as application/json"),
        ])
    }
}

/// A window that breaks the rules (`POST /predict`).
pub(crate) struct WindowErrors;

impl IntoResponses for WindowErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[("422", "Broken rules, each with its flow and field")])
    }
}

/// What the explaining routes (`/analyze`, `/analyze/stream`) can answer.
pub(crate) struct ExplainerErrors;

impl IntoResponses for ExplainerErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[
            (
                "422",
                "Broken rules, each with its flow and field; or `prompt_too_long`",
            ),
            (
                "429",
                "This client passed `--analyze-rate`; retry after `Retry-After` seconds",
            ),
            (
                "503",
                "The explainer's contexts and queue are full; retry after `Retry-After` seconds",
            ),
        ])
    }
}

/// What `POST /predict/batch` can answer beyond a JSON body's errors.
pub(crate) struct BatchErrors;

impl IntoResponses for BatchErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[
            (
                "422",
                "No windows, too many, or windows breaking rules (listed by index)",
            ),
            ("408", "The body took longer than 30 s to arrive"),
            (
                "503",
                "Every batch slot (`--batch-jobs`) is taken; retry after `Retry-After` seconds",
            ),
        ])
    }
}

/// What `POST /score/capture` can answer.
pub(crate) struct CaptureErrors;

impl IntoResponses for CaptureErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        errors(&[
            (
                "400",
                "The body broke off or its content encoding is broken",
            ),
            ("408", "The body took longer than 30 s to arrive"),
            ("413", "The body exceeds `--capture-body-limit`"),
            (
                "415",
                "Not sent as application/vnd.tcpdump.pcap, application/x-pcapng or \
                 application/octet-stream",
            ),
            (
                "422",
                "Not a pcap or pcapng capture, or its framing is broken (`invalid_capture`, \
                 with the byte offset); or a malformed query option",
            ),
            (
                "503",
                "Every detector slot (`--batch-jobs`) is taken; retry after `Retry-After` seconds",
            ),
        ])
    }
}

/// The answer of every route that needs a token, when the server has tokens.
pub(crate) fn unauthorized() -> RefOr<Response> {
    error_response("No valid bearer token")
}
