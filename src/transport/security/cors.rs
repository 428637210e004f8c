//! CORS for the origins an operator allowed with `--allowed-origin`, so that a browser client
//! (a web app, the MCP Inspector in direct mode) can call `/mcp` and the SSE pair.
//!
//! A browser sends `Authorization`, a JSON `Content-Type` and the MCP headers only after a
//! preflight `OPTIONS` that names them, and lets the page read a response (and its
//! `Mcp-Session-Id`) only when the response names the page's origin. Only origins configured
//! explicitly get this: the default loopback list stays without CORS, because any page served
//! from a local development server would otherwise reach a token-less local server.
//! Foreign origins keep getting 403, preflight included.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Security;

/// What a client may send: bearer auth, JSON, the MCP session and version headers, the 2026-07-28
/// routing headers, and `Last-Event-ID` to resume a stream.
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Accept, Mcp-Session-Id, \
                             Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID";
const ALLOW_METHODS: &str = "GET, POST, DELETE, OPTIONS";
/// What a page may read besides the CORS-safelisted headers: the session id it must send back,
/// the negotiated version, the auth challenge and when to retry.
const EXPOSE_HEADERS: &str = "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After";
/// Browsers may cache a preflight answer this long (seconds).
const MAX_AGE: &str = "600";

fn origin_header(headers: &HeaderMap) -> Option<HeaderValue> {
    headers.get(header::ORIGIN).cloned()
}

/// Adds the response headers that let the page at `origin` read the response.
fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

/// Answers preflights and marks responses to allowed origins; on routes without CORS (no
/// explicit `--allowed-origin`), passes everything through to the checks behind it.
pub async fn cors(State(sec): State<Arc<Security>>, req: Request, next: Next) -> Response {
    if !sec.origins.cors_enabled() {
        return next.run(req).await;
    }
    let Some(origin) = origin_header(req.headers()) else {
        return next.run(req).await;
    };
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        if let Err(r) = sec.hosts.check(req.uri(), req.headers()) {
            return r.into_response();
        }
        if let Err(r) = sec.origins.check(req.headers()) {
            return r.into_response();
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        allow(h, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        return response;
    }
    let allowed = sec.origins.permits(req.headers());
    let mut response = next.run(req).await;
    if allowed {
        allow(response.headers_mut(), origin);
    }
    response
}
