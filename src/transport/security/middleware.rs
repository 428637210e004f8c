//! The front door as axum middleware: the checks of the module docs, in order.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth_failures::AuthFailures;
use super::tokens::{Credential, bearer, unauthorized};
use super::{HostPolicy, OriginPolicy, RateLimits, Rejection, TokenStore};

/// Everything the front door needs, shared by all requests.
pub struct Security {
    pub hosts: HostPolicy,
    pub origins: OriginPolicy,
    pub tokens: TokenStore,
    pub rate_limits: RateLimits,
    pub auth_failures: AuthFailures,
    pub max_body_bytes: usize,
}

/// Host, Origin, body cap, bearer token and rate limit, in that order (see the module docs).
/// Inserts the caller's [`Principal`] into the request extensions when tokens are configured.
pub async fn guard_mcp(State(sec): State<Arc<Security>>, mut req: Request, next: Next) -> Response {
    if let Err(r) = sec.hosts.check(req.uri(), req.headers()) {
        return r.into_response();
    }
    if let Err(r) = sec.origins.check(req.headers()) {
        return r.into_response();
    }
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > sec.max_body_bytes as u64
    {
        return Rejection::PayloadTooLarge(sec.max_body_bytes).into_response();
    }
    let principal = if sec.tokens.is_empty() {
        None
    } else {
        match bearer(req.headers()) {
            Credential::Missing => return unauthorized(false),
            Credential::Bearer(token) => {
                let addr = req
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip());
                if let Some(throttled) = sec.auth_failures.throttled(addr).await {
                    return throttled;
                }
                match sec.tokens.authenticate(token) {
                    Some(p) => Some(p),
                    None => {
                        return match sec.auth_failures.failed(addr).await {
                            Some(throttled) => throttled,
                            None => unauthorized(true),
                        };
                    }
                }
            }
        }
    };
    if let Err(refused) = sec.rate_limits.check(principal.as_ref()) {
        // The role only: an email is a personal value and stays out of the log.
        tracing::info!(
            role = principal.as_ref().map(|p| p.role.as_str()),
            "rate limit reached"
        );
        return sec.rate_limits.too_many(refused);
    }
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

/// The Origin check alone, for the probes.
pub async fn guard_origin(State(sec): State<Arc<Security>>, req: Request, next: Next) -> Response {
    if let Err(r) = sec.origins.check(req.headers()) {
        return r.into_response();
    }
    next.run(req).await
}
