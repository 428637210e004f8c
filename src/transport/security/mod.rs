//! The HTTP transports' front door: who may talk to the server, from where, how much and how often.
//!
//! An HTTP server with HR data on it must be unreachable by a web page (DNS rebinding, cross-site
//! requests) and by anyone without a token. Every MCP route (`/mcp`, `/sse`, `/message`) passes,
//! in this order:
//!
//! 1. [`HostPolicy`]: the `Host` header must name this server (anti DNS-rebinding) → 403.
//! 2. [`OriginPolicy`]: a browser `Origin`, when present, must be allow-listed → 403.
//! 3. the body cap: a declared `Content-Length` above the cap → 413 (streamed bodies are capped
//!    where they are read, with the same limit).
//! 4. [`TokenStore`]: `Authorization: Bearer <token>` when tokens are configured → 401 with
//!    `WWW-Authenticate: Bearer`; after a small burst of wrong tokens from one address, 429
//!    ([`AuthFailures`]). The token's
//!    [`Principal`](crate::policy::principal::Principal) is attached to the request extensions.
//! 5. [`RateLimits`]: a per-principal request budget → 429 with `Retry-After`.
//!
//! In front of all of it, [`cors`] answers browser preflights for explicitly allowed origins.
//!
//! The probes (`/healthz`, `/readyz`) carry no data: they pass the Origin check only, so that load
//! balancers and orchestrators can reach them by IP without a token.

mod auth_failures;
mod cors;
mod hosts;
mod middleware;
mod origins;
mod rate_limit;
mod token_strength;
mod tokens;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use auth_failures::AuthFailures;
pub use cors::cors;
pub use hosts::HostPolicy;
pub use middleware::{Security, guard_host, guard_mcp, guard_origin};
pub use origins::OriginPolicy;
pub use rate_limit::{RateLimit, RateLimits};
pub use token_strength::MIN_TOKEN_LEN;
pub use tokens::{TokenStore, principal_count};

/// A configuration problem found at start-up (bad token file, malformed allow-list entry...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn config_error(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// Whether an allow-list is the lone wildcard `*` (accept anything); `*` next to other entries is
/// refused, since it would silently make them meaningless.
fn lone_wildcard(flag: &str, entries: &[String]) -> Result<bool, ConfigError> {
    if !entries.iter().any(|e| e.trim() == "*") {
        return Ok(false);
    }
    if entries.len() > 1 {
        return Err(config_error(format!(
            "{flag}: `*` cannot be combined with other entries"
        )));
    }
    Ok(true)
}

/// A small JSON error body: `{"error": code, "message": text}`.
pub(crate) fn error_response(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
) -> Response {
    let body = serde_json::json!({"error": code, "message": message.into()});
    (status, axum::Json(body)).into_response()
}

/// A 429 with `Retry-After` (whole seconds, at least 1) and a JSON body whose message may use the
/// seconds: `message(secs)`.
pub(crate) fn too_many_requests(
    wait: std::time::Duration,
    code: &str,
    message: impl FnOnce(u64) -> String,
) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = error_response(StatusCode::TOO_MANY_REQUESTS, code, message(secs));
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(secs),
    );
    response
}

/// Request headers from pairs, for the front door's unit tests.
#[cfg(test)]
pub(crate) fn test_headers(pairs: &[(&'static str, &str)]) -> axum::http::HeaderMap {
    let mut h = axum::http::HeaderMap::new();
    for (k, v) in pairs {
        if let Ok(v) = axum::http::HeaderValue::from_str(v) {
            h.insert(*k, v);
        }
    }
    h
}

/// Why the front door turned a request away (becomes a JSON error response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    MissingHost,
    HostNotAllowed,
    OriginNotAllowed,
    PayloadTooLarge(usize),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::MissingHost => error_response(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The Host header is missing or malformed.",
            ),
            Rejection::HostNotAllowed => error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                "The Host header is not allowed on this server (see --allowed-host).",
            ),
            Rejection::OriginNotAllowed => error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Requests from this Origin are not allowed (see --allowed-origin).",
            ),
            Rejection::PayloadTooLarge(limit) => error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "The request body exceeds the limit of {limit} bytes (see --max-body-bytes)."
                ),
            ),
        }
    }
}

/// Reads a request body up to `limit` bytes; 413 beyond.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, Rejection> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Rejection::PayloadTooLarge(limit))
}
