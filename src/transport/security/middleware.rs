//! The front door as axum middleware: the checks of the module docs, in order.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth_failures::AuthFailures;
use super::tokens::{Credential, bearer, unauthorized};
use super::{HostPolicy, OriginPolicy, RateLimits, Rejection, TokenStore};
use crate::policy::principal::{Principal, Role};
use crate::transport::oauth::{ChallengeKind, Identity, OAuth};

/// Everything the front door needs, shared by all requests.
pub struct Security {
    pub hosts: HostPolicy,
    pub origins: OriginPolicy,
    pub tokens: TokenStore,
    pub rate_limits: RateLimits,
    pub auth_failures: AuthFailures,
    pub max_body_bytes: usize,
    /// OAuth access tokens, tried when no static token matches.
    pub oauth: Option<OAuth>,
}

/// Host, Origin, body cap, bearer token and rate limit, in that order (see the module docs).
/// Inserts the caller's [`Principal`] into the request extensions when tokens or OAuth are
/// configured.
pub async fn guard_mcp(State(sec): State<Arc<Security>>, mut req: Request, next: Next) -> Response {
    if let Err(r) = sec.hosts.check(req.uri(), req.headers()) {
        return closing(req.headers(), r.into_response());
    }
    if let Err(r) = sec.origins.check(req.headers()) {
        return closing(req.headers(), r.into_response());
    }
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > sec.max_body_bytes as u64
    {
        return closing(
            req.headers(),
            Rejection::PayloadTooLarge(sec.max_body_bytes).into_response(),
        );
    }
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let principal = match authenticate(&sec, req.headers(), addr).await {
        Ok(p) => p,
        Err(refusal) => return closing(req.headers(), refusal),
    };
    if let Err(refused) = sec.rate_limits.check(principal.as_ref()) {
        // The role only: an email is a personal value and stays out of the log.
        tracing::info!(
            role = principal.as_ref().map(|p| p.role.as_str()),
            "rate limit reached"
        );
        return closing(req.headers(), sec.rate_limits.too_many(refused));
    }
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

/// A refusal of a request whose body is left unread. The body may still be on its way: hyper then
/// closes the connection after the answer, and a client that reused it (an OAuth client retrying
/// after its login, the next request of a pooled client) would see a dead socket. Saying
/// `Connection: close` makes the client open a new one.
fn closing(headers: &HeaderMap, mut refusal: Response) -> Response {
    if has_body(headers) {
        refusal
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    refusal
}

/// Whether a request announces a body (a length above zero, or chunked).
fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// The caller a request proves: a static token first, then (when configured) an OAuth access
/// token. `Ok(None)` when no authentication is configured at all. Every wrong credential, static
/// or OAuth, counts against the client address's failure budget.
async fn authenticate(
    sec: &Security,
    headers: &HeaderMap,
    addr: Option<IpAddr>,
) -> Result<Option<Principal>, Response> {
    if sec.tokens.is_empty() && sec.oauth.is_none() {
        return Ok(None);
    }
    let token = match bearer(headers) {
        Credential::Bearer(token) => token,
        // No token: tell an OAuth client where to get one (RFC 9728 §5.1).
        Credential::Missing => {
            return Err(match &sec.oauth {
                Some(oauth) => oauth.challenge(ChallengeKind::MissingToken).into_response(),
                None => unauthorized(false),
            });
        }
    };
    if let Some(throttled) = sec.auth_failures.throttled(addr).await {
        return Err(throttled);
    }
    if let Some(p) = sec.tokens.authenticate(token) {
        return Ok(Some(p));
    }
    let refusal = match &sec.oauth {
        Some(oauth) => match oauth.authenticate(headers).await {
            Ok(identity) => return Ok(Some(principal_of(identity))),
            Err(challenge) => challenge.into_response(),
        },
        None => unauthorized(true),
    };
    Err(sec.auth_failures.failed(addr).await.unwrap_or(refusal))
}

/// The caller an OAuth identity stands for. Without the HR role the caller is a manager: the
/// policy derives reports from Personio's supervisor tree, so a person without reports sees
/// exactly what an employee sees.
fn principal_of(identity: Identity) -> Principal {
    Principal {
        email: identity.email,
        role: if identity.hr { Role::Hr } else { Role::Manager },
    }
}

/// Only the Host check (anti DNS-rebinding), for the OAuth routes: they are browser navigations
/// and cross-origin token requests, so the Origin allow-list does not apply to them.
pub async fn guard_host(State(sec): State<Arc<Security>>, req: Request, next: Next) -> Response {
    if let Err(r) = sec.hosts.check(req.uri(), req.headers()) {
        return closing(req.headers(), r.into_response());
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
