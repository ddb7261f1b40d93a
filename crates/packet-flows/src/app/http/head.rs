//! HTTP message heads: where a head ends, what `httparse` (or, when it refuses, a reading by
//! hand) says of it, and what framing its body has (RFC 9112 §6.3).

use super::super::body::Body;
use super::MAX_HEADERS;

/// What a response's framing needs to know of its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Method {
    Head,
    Connect,
    Other,
}

/// A message head, as the transaction logic needs it.
pub(super) enum Parsed {
    Request { method: Method, body: Option<Body> },
    Response { status: u16, framing: Framing },
}

/// The framing headers of a head.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Framing {
    /// A `Transfer-Encoding` header was present.
    pub(super) encoded: bool,
    /// Its last coding is `chunked`.
    pub(super) chunked: bool,
    /// `Content-Length`: `Some(None)` when present but invalid or conflicting.
    pub(super) length: Option<Option<u64>>,
}

/// Where a head ends in `buf` (just past its empty line), searching from `from`; lines may
/// end in CRLF or a bare LF.
pub(super) fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = buf.get(at..)?.iter().position(|&b| b == b'\n') {
        let lf = at + i;
        match buf.get(lf + 1..) {
            Some([b'\n', ..]) => return Some(lf + 2),
            Some([b'\r', b'\n', ..]) => return Some(lf + 3),
            _ => at = lf + 1,
        }
    }
    None
}

fn config() -> httparse::ParserConfig {
    let mut config = httparse::ParserConfig::default();
    config
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .ignore_invalid_headers_in_requests(true)
        .ignore_invalid_headers_in_responses(true);
    config
}

/// Parses a complete head; `None` when it is neither a request nor a response.
pub(super) fn parse(server: bool, head: &[u8]) -> Option<Parsed> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let (first_line, framing) = if server {
        let mut response = httparse::Response::new(&mut headers);
        match config().parse_response(&mut response, head) {
            Ok(httparse::Status::Complete(_)) => {
                let status = response.code.unwrap_or(200);
                let framing = framing(
                    response
                        .headers
                        .iter()
                        .map(|h| (h.name.as_bytes(), h.value)),
                );
                return Some(Parsed::Response { status, framing });
            }
            _ => fallback(head)?,
        }
    } else {
        let mut request = httparse::Request::new(&mut headers);
        match config().parse_request(&mut request, head) {
            Ok(httparse::Status::Complete(_)) => {
                let method = method(request.method.unwrap_or("").as_bytes());
                let framing = framing(request.headers.iter().map(|h| (h.name.as_bytes(), h.value)));
                return Some(Parsed::Request {
                    method,
                    body: request_body(framing)?,
                });
            }
            _ => fallback(head)?,
        }
    };
    // What httparse rejected (a bad character in the target, an HTTP/0.9 version, too many
    // headers) still counts if its first line is a request or status line.
    let mut words = first_line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let first = words.next()?;
    if server {
        if !first.starts_with(b"HTTP/") {
            return None;
        }
        let status = words
            .next()
            .and_then(|w| std::str::from_utf8(w).ok()?.parse().ok())
            .filter(|s| (100..1000).contains(s))
            .unwrap_or(200);
        Some(Parsed::Response { status, framing })
    } else {
        let token = first.len() <= 20 && first.iter().all(|b| b.is_ascii_uppercase() || *b == b'-');
        if !token || words.next().is_none() {
            return None;
        }
        Some(Parsed::Request {
            method: method(first),
            body: request_body(framing)?,
        })
    }
}

/// The first line and the framing headers of a head, read by hand.
fn fallback(head: &[u8]) -> Option<(&[u8], Framing)> {
    let head = head.trim_ascii_start();
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = lines.next()?;
    let headers = lines.filter_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        Some((line[..colon].trim_ascii(), &line[colon + 1..]))
    });
    Some((first, framing(headers)))
}

fn method(name: &[u8]) -> Method {
    match name {
        b"HEAD" => Method::Head,
        b"CONNECT" => Method::Connect,
        _ => Method::Other,
    }
}

pub(super) fn framing<'a>(headers: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Framing {
    let mut framing = Framing::default();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            framing.encoded = true;
            if let Some(last) = value
                .split(|&b| b == b',')
                .map(<[u8]>::trim_ascii)
                .rfind(|c| !c.is_empty())
            {
                framing.chunked = last.eq_ignore_ascii_case(b"chunked");
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            // `Content-Length: 5, 5` is allowed; different values are not (RFC 9110 §8.6).
            for part in value.split(|&b| b == b',') {
                let parsed = std::str::from_utf8(part.trim_ascii())
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok());
                framing.length = match (framing.length, parsed) {
                    (None, Some(n)) => Some(Some(n)),
                    (Some(Some(old)), Some(n)) if old == n => Some(Some(n)),
                    _ => Some(None),
                };
            }
        }
    }
    framing
}

/// A request's body: `Ok(None)` for none; `None` (stop) when its framing is invalid.
pub(super) fn request_body(framing: Framing) -> Option<Option<Body>> {
    match framing {
        Framing {
            encoded: true,
            chunked: true,
            ..
        } => Some(Some(Body::chunked())),
        Framing { encoded: true, .. } => None,
        Framing {
            length: Some(None), ..
        } => None,
        Framing {
            length: Some(Some(0)) | None,
            ..
        } => Some(None),
        Framing {
            length: Some(Some(n)),
            ..
        } => Some(Some(Body::Length(n))),
    }
}

/// A final response's body (`None`: none).
pub(super) fn response_body(method: Method, status: u16, framing: Framing) -> Option<Body> {
    if method == Method::Head || (100..200).contains(&status) || status == 204 || status == 304 {
        return None;
    }
    match framing {
        Framing {
            encoded: true,
            chunked: true,
            ..
        } => Some(Body::chunked()),
        Framing { encoded: true, .. } => Some(Body::UntilClose),
        Framing {
            length: Some(Some(0)),
            ..
        } => None,
        Framing {
            length: Some(Some(n)),
            ..
        } => Some(Body::Length(n)),
        Framing {
            length: Some(None) | None,
            ..
        } => Some(Body::UntilClose),
    }
}
