//! Access control: optional bearer tokens (`--api-token-file`). Only SHA-256 digests of the
//! tokens are kept, and a presented token is compared with each in constant time.
//!
//! `/health` and `/ready` are always open (probes carry no secrets); `/metrics` needs a token
//! unless `--public-metrics`; `/docs` and `/openapi.json` are open unless `--protect-docs`, since
//! a browser cannot send a bearer token to load a page (the Swagger UI's "Authorize" button sends
//! it with every call it makes).

use std::path::Path;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

/// Shortest token accepted in a token file: shorter ones are guessable.
pub const MIN_TOKEN_LEN: usize = 16;

/// The accepted tokens, as digests.
#[derive(Clone)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} accepted)", self.digests.len())
    }
}

/// Why a token file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The token file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A line holds a token that is too short or has spaces or control characters.
    #[error("{path}:{line}: a token must be {MIN_TOKEN_LEN} or more visible ASCII characters")]
    BadToken {
        /// The token file.
        path: String,
        /// 1-based line number.
        line: usize,
    },
    /// The file holds no token.
    #[error("{path}: no token (one per line; blank lines and lines starting with # are skipped)")]
    Empty {
        /// The token file.
        path: String,
    },
}

impl Tokens {
    /// Reads one token per line; blank lines and `#` comments are skipped.
    pub fn from_file(path: &Path) -> Result<Self, TokenFileError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TokenFileError::Io {
            path: name.clone(),
            source,
        })?;
        let mut tokens = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let token = line.trim();
            if token.is_empty() || token.starts_with('#') {
                continue;
            }
            if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(TokenFileError::BadToken {
                    path: name,
                    line: i + 1,
                });
            }
            tokens.push(token);
        }
        if tokens.is_empty() {
            return Err(TokenFileError::Empty { path: name });
        }
        Ok(Self::new(tokens))
    }

    /// Accepts exactly `tokens`.
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            digests: tokens.into_iter().map(digest).collect(),
        }
    }

    /// Whether `presented` is one of the tokens. Every digest is compared, each in constant
    /// time, so the time taken says nothing about how close a guess was.
    pub fn accepts(&self, presented: &str) -> bool {
        let presented = digest(presented);
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |found, d| {
                found | d.ct_eq(&presented)
            })
            .into()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Which paths need a token when tokens are set.
#[derive(Debug, Clone, Copy)]
pub struct Protection {
    /// `/metrics` needs a token.
    pub metrics: bool,
    /// `/docs` and `/openapi.json` need a token.
    pub docs: bool,
}

impl Protection {
    /// Whether `path` needs a token.
    pub fn covers(&self, path: &str) -> bool {
        match path {
            "/health" | "/ready" => false,
            "/metrics" => self.metrics,
            "/openapi.json" | "/docs" => self.docs,
            docs if docs.starts_with("/docs/") => self.docs,
            _ => true,
        }
    }
}

/// Middleware (installed with `middleware::from_fn`): with tokens configured, a request to a
/// covered path without `Authorization: Bearer <valid token>` gets 401 and never reaches its
/// handler.
pub async fn require_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.access.as_ref())
        .is_some_and(|access| {
            access.protection.covers(req.path()) && !access.tokens.accepts(bearer(&req))
        });
    if refused {
        let response = ApiError::Unauthorized.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The bearer token of a request, or `""`.
fn bearer(req: &ServiceRequest) -> &str {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .unwrap_or("")
}

/// Tokens and what they protect, in the app state.
#[derive(Debug, Clone)]
pub struct Access {
    /// The accepted tokens.
    pub tokens: Tokens,
    /// Which optional paths need one.
    pub protection: Protection,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_exactly_and_files_are_checked() {
        let tokens = Tokens::new(["correct-horse-battery", "second-token-0123456"]);
        assert!(tokens.accepts("correct-horse-battery"));
        assert!(tokens.accepts("second-token-0123456"));
        assert!(!tokens.accepts("correct-horse-batter"));
        assert!(!tokens.accepts(""));

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "# ops\n\n  correct-horse-battery  \n").unwrap();
        assert!(
            Tokens::from_file(&file)
                .unwrap()
                .accepts("correct-horse-battery")
        );
        std::fs::write(&file, "short\n").unwrap();
        assert_eq!(
            Tokens::from_file(&file).unwrap_err().to_string(),
            format!(
                "{}:1: a token must be 16 or more visible ASCII characters",
                file.display()
            )
        );
        std::fs::write(&file, "# nothing\n").unwrap();
        assert!(matches!(
            Tokens::from_file(&file),
            Err(TokenFileError::Empty { .. })
        ));
    }

    #[test]
    fn probes_are_open_and_docs_and_metrics_follow_the_flags() {
        let default = Protection {
            metrics: true,
            docs: false,
        };
        assert!(!default.covers("/health") && !default.covers("/ready"));
        assert!(default.covers("/predict") && default.covers("/analyze/stream"));
        assert!(default.covers("/metrics") && !default.covers("/docs/index.html"));
        assert!(default.covers("/docsx") && default.covers("/nowhere"));
        let open = Protection {
            metrics: false,
            docs: true,
        };
        assert!(!open.covers("/metrics") && open.covers("/openapi.json"));
    }
}
