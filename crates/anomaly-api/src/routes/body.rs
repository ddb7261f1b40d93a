//! Reading a large request body off the stream: its media type checked first, its size
//! bounded after content decoding (a compressed bomb stops at the limit), its arrival bounded
//! in time. `/predict/batch` reads JSON this way, `/score/capture` packet captures.

use std::time::Duration;

use actix_web::dev::Decompress;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::StreamExt;

use crate::error::ApiError;

/// Longest a client may take to send a large body.
pub(crate) const BODY_DEADLINE: Duration = Duration::from_secs(30);

/// What a body must be.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Media {
    /// `application/json` (or `+json`).
    Json,
    /// A pcap or pcapng file: `application/vnd.tcpdump.pcap`, `application/x-pcapng`,
    /// `application/octet-stream` and their aliases (the bytes decide, by their magic).
    Capture,
}

/// The capture media types accepted, by subtype under `application/`.
pub(crate) const CAPTURE_SUBTYPES: [&str; 6] = [
    "vnd.tcpdump.pcap",
    "pcap",
    "x-pcap",
    "x-pcapng",
    "pcapng",
    "octet-stream",
];

impl Media {
    fn accepts(self, req: &HttpRequest) -> bool {
        let Ok(Some(mime)) = req.mime_type() else {
            return false;
        };
        match self {
            Media::Json => {
                mime.subtype() == actix_web::mime::JSON
                    || mime.suffix() == Some(actix_web::mime::JSON)
            }
            Media::Capture => {
                mime.type_() == actix_web::mime::APPLICATION
                    && CAPTURE_SUBTYPES.contains(&mime.subtype().as_str())
            }
        }
    }

    fn refusal(self) -> ApiError {
        match self {
            Media::Json => ApiError::UnsupportedMediaType,
            Media::Capture => ApiError::UnsupportedCaptureType,
        }
    }
}

/// Reads a body of at most `limit` bytes (after decoding), within [`BODY_DEADLINE`].
pub(crate) async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    media: Media,
) -> Result<web::BytesMut, ApiError> {
    let read = read_bounded(req, payload, limit, media);
    // Reading is async (a slow client holds a connection, never a slot or a worker), and
    // bounded in time.
    actix_web::rt::time::timeout(BODY_DEADLINE, read)
        .await
        .map_err(|_| ApiError::BodyTimeout {
            seconds: BODY_DEADLINE.as_secs(),
        })?
}

async fn read_bounded(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    media: Media,
) -> Result<web::BytesMut, ApiError> {
    if !media.accepts(req) {
        return Err(media.refusal());
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Compression does not shrink a body below its encoded size by more than a few bytes: a
    // declared length past the limit is refused before reading, encoded or not.
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut payload = Decompress::from_headers(payload, req.headers());
    // The declared length is of the encoded body: a capacity hint only.
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match media {
            Media::Json => ApiError::InvalidJson(e.to_string()),
            Media::Capture => ApiError::BodyRead(e.to_string()),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
