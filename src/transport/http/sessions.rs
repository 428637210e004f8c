//! Sessions: the cap shared by Streamable HTTP and legacy SSE, who owns each session, and the
//! guard around rmcp's `/mcp` service (drain refusal, cap on `initialize`, ownership, in-flight
//! counting).
//!
//! The legacy SSE registry is seen only through [`OpenSessions`], so that this module does not
//! depend on the SSE transport that depends on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rmcp::model::{ClientJsonRpcMessage, ClientRequest};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio_util::sync::CancellationToken;

use super::json_errors::parse_message;
use crate::policy::principal::Principal;
use crate::transport::lifecycle::{InFlight, InFlightGuard};
use crate::transport::security::{error_response, read_body};

/// The session header of Streamable HTTP.
const SESSION_HEADER: &str = "mcp-session-id";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sessions kept outside rmcp's session manager (the legacy SSE registry).
pub(crate) trait OpenSessions: Send + Sync {
    fn len(&self) -> usize;
    /// How many of them `principal` opened.
    fn owned_by(&self, principal: &Principal) -> usize;
}

/// The session caps (in total, and per token principal, so that one caller cannot lock everyone
/// else out), shared by Streamable HTTP and legacy SSE, and the owner of each Streamable HTTP
/// session.
pub(crate) struct SessionBudget {
    max: usize,
    max_per_principal: usize,
    /// Held from the count check until the new session is registered: the cap is exact.
    gate: tokio::sync::Mutex<()>,
    streamable: Arc<LocalSessionManager>,
    sse: Arc<dyn OpenSessions>,
    owners: Mutex<HashMap<String, Option<Principal>>>,
}

impl SessionBudget {
    pub(super) fn new(
        (max, max_per_principal): (usize, usize),
        streamable: Arc<LocalSessionManager>,
        sse: Arc<dyn OpenSessions>,
    ) -> SessionBudget {
        SessionBudget {
            max,
            max_per_principal,
            gate: tokio::sync::Mutex::new(()),
            streamable,
            sse,
            owners: Mutex::new(HashMap::new()),
        }
    }

    /// A permit to open one session for `principal`, or the refusal when a cap is reached. Keep
    /// the permit until the session is registered.
    pub(crate) async fn reserve(
        &self,
        principal: Option<&Principal>,
    ) -> Result<tokio::sync::MutexGuard<'_, ()>, Response> {
        let gate = self.gate.lock().await;
        let live = self.streamable.sessions.read().await;
        if live.len() + self.sse.len() >= self.max {
            return Err(too_many_sessions(self.max));
        }
        if let Some(p) = principal {
            let streamable = lock(&self.owners)
                .iter()
                .filter(|(id, owner)| owner.as_ref() == Some(p) && live.contains_key(id.as_str()))
                .count();
            if streamable + self.sse.owned_by(p) >= self.max_per_principal {
                return Err(too_many_sessions_for_principal(self.max_per_principal));
            }
        }
        Ok(gate)
    }

    /// Whether a Streamable HTTP session with this id is open.
    async fn exists(&self, id: &str) -> bool {
        self.streamable.sessions.read().await.contains_key(id)
    }

    /// Records who opened a Streamable HTTP session, forgetting sessions that have ended.
    async fn set_owner(&self, id: String, owner: Option<Principal>) {
        let live: std::collections::HashSet<String> = self
            .streamable
            .sessions
            .read()
            .await
            .keys()
            .map(|k| k.to_string())
            .collect();
        let mut owners = lock(&self.owners);
        owners.retain(|k, _| live.contains(k));
        owners.insert(id, owner);
    }

    /// False when the session belongs to another principal. Unknown sessions pass (rmcp answers
    /// 404 for them).
    fn may_use(&self, id: &str, principal: Option<&Principal>) -> bool {
        lock(&self.owners)
            .get(id)
            .is_none_or(|owner| owner.as_ref() == principal)
    }
}

pub(crate) fn too_many_sessions(max: usize) -> Response {
    let mut r = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "too_many_sessions",
        format!(
            "The server has reached its limit of {max} open sessions (see --max-sessions). Close \
             unused sessions or try again later."
        ),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    r
}

fn too_many_sessions_for_principal(max: usize) -> Response {
    let mut r = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_sessions",
        format!(
            "This principal already has {max} open sessions (see --max-sessions-per-principal). \
             Close unused sessions (DELETE /mcp) or wait for idle ones to expire."
        ),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    r
}

pub(crate) fn draining_response() -> Response {
    let mut r = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "shutting_down",
        "The server is shutting down and takes no new sessions or calls.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn session_not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "session_not_found",
        super::json_errors::SESSION_NOT_FOUND,
    )
}

/// Keeps `guard` alive until a streaming response body has been sent (or dropped); other
/// responses are complete already.
fn hold_until_sent(response: Response, guard: InFlightGuard) -> Response {
    let streaming = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !streaming {
        return response;
    }
    let (parts, body) = response.into_parts();
    let stream = body.into_data_stream().map(move |chunk| {
        let _in_flight = &guard;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
        })
}

fn is_initialize(message: &ClientJsonRpcMessage) -> bool {
    matches!(message, ClientJsonRpcMessage::Request(r)
        if matches!(r.request, ClientRequest::InitializeRequest(_)))
}

pub(super) struct McpState {
    pub(super) budget: Arc<SessionBudget>,
    pub(super) inflight: InFlight,
    pub(super) draining: CancellationToken,
    pub(super) max_body_bytes: usize,
}

/// Around rmcp's `/mcp` service: drain refusal, the session cap on `initialize`, session
/// ownership, and in-flight counting of POSTs.
pub(super) async fn mcp_guard(
    State(st): State<Arc<McpState>>,
    req: Request,
    next: Next,
) -> Response {
    let principal = req.extensions().get::<Principal>().cloned();
    let session = req
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(id) = &session
        && !st.budget.may_use(id, principal.as_ref())
    {
        return session_not_found();
    }
    match (req.method().clone(), session) {
        (Method::POST, session) => {
            // A session-less POST is a new session (`initialize`) or a 2026-07-28 request.
            if session.is_none() && st.draining.is_cancelled() {
                return draining_response();
            }
            let (parts, body) = req.into_parts();
            let bytes = match read_body(body, st.max_body_bytes).await {
                Ok(b) => b,
                Err(r) => return r.into_response(),
            };
            // A JSON body that is no JSON-RPC message gets a JSON-RPC error here; other content
            // types get rmcp's 415.
            let initialize = if is_json(&parts.headers) {
                match parse_message(&bytes) {
                    Ok(message) => is_initialize(&message),
                    Err(rejection) => return rejection.into_response(),
                }
            } else {
                false
            };
            let req = Request::from_parts(parts, Body::from(bytes));
            let guard = st.inflight.enter();
            if session.is_some() || !initialize {
                return hold_until_sent(next.run(req).await, guard);
            }
            let permit = match st.budget.reserve(principal.as_ref()).await {
                Ok(permit) => permit,
                Err(refusal) => return refusal,
            };
            let response = next.run(req).await;
            if let Some(id) = response
                .headers()
                .get(SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
            {
                st.budget.set_owner(id.to_owned(), principal).await;
            }
            drop(permit);
            hold_until_sent(response, guard)
        }
        (Method::DELETE, Some(id)) => {
            // rmcp answers 202 whether or not the session existed; clients expect 200/204, and
            // 404 for a session that is not there.
            if !st.budget.exists(&id).await {
                return session_not_found();
            }
            let response = next.run(req).await;
            if response.status() == StatusCode::ACCEPTED {
                StatusCode::NO_CONTENT.into_response()
            } else {
                response
            }
        }
        (Method::GET, _) if st.draining.is_cancelled() => draining_response(),
        _ => next.run(req).await,
    }
}
