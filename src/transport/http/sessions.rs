//! Sessions: the cap shared by Streamable HTTP and legacy SSE, who owns each session, and the
//! guard around rmcp's `/mcp` service (drain refusal, cap on `initialize`, ownership, in-flight
//! counting).
//!
//! The legacy SSE registry is seen only through [`OpenSessions`], so that this module does not
//! depend on the SSE transport that depends on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio_util::sync::CancellationToken;

use crate::policy::principal::Principal;
use crate::transport::lifecycle::{InFlight, InFlightGuard};
use crate::transport::security::{error_response, read_body};

/// The session header of Streamable HTTP.
const SESSION_HEADER: &str = "mcp-session-id";

/// Sessions kept outside rmcp's session manager (the legacy SSE registry).
pub(crate) trait OpenSessions: Send + Sync {
    fn len(&self) -> usize;
}

/// The session cap, shared by Streamable HTTP and legacy SSE, and the owner of each Streamable
/// HTTP session.
pub(crate) struct SessionBudget {
    max: usize,
    /// Held from the count check until the new session is registered: the cap is exact.
    gate: tokio::sync::Mutex<()>,
    streamable: Arc<LocalSessionManager>,
    sse: Arc<dyn OpenSessions>,
    owners: Mutex<HashMap<String, Option<Principal>>>,
}

impl SessionBudget {
    pub(super) fn new(
        max: usize,
        streamable: Arc<LocalSessionManager>,
        sse: Arc<dyn OpenSessions>,
    ) -> SessionBudget {
        SessionBudget {
            max,
            gate: tokio::sync::Mutex::new(()),
            streamable,
            sse,
            owners: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    pub(crate) async fn active(&self) -> usize {
        self.streamable.sessions.read().await.len() + self.sse.len()
    }

    /// A permit to open one session, or `None` when the cap is reached. Keep it until the session
    /// is registered.
    pub(crate) async fn reserve(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        let gate = self.gate.lock().await;
        (self.active().await < self.max).then_some(gate)
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
        let mut owners = self
            .owners
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        owners.retain(|k, _| live.contains(k));
        owners.insert(id, owner);
    }

    /// False when the session belongs to another principal. Unknown sessions pass (rmcp answers
    /// 404 for them).
    fn may_use(&self, id: &str, principal: Option<&Principal>) -> bool {
        let owners = self
            .owners
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        owners
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
        "No such session: it ended or never existed. Initialize a new one.",
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

#[derive(serde::Deserialize)]
struct MethodProbe {
    method: Option<String>,
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
        (Method::POST, Some(_)) => {
            let guard = st.inflight.enter();
            hold_until_sent(next.run(req).await, guard)
        }
        (Method::POST, None) => {
            // A new session (`initialize`) or a session-less 2026-07-28 request.
            if st.draining.is_cancelled() {
                return draining_response();
            }
            let (parts, body) = req.into_parts();
            let bytes = match read_body(body, st.max_body_bytes).await {
                Ok(b) => b,
                Err(r) => return r.into_response(),
            };
            let initialize = serde_json::from_slice::<MethodProbe>(&bytes)
                .is_ok_and(|p| p.method.as_deref() == Some("initialize"));
            let req = Request::from_parts(parts, Body::from(bytes));
            let guard = st.inflight.enter();
            if !initialize {
                return hold_until_sent(next.run(req).await, guard);
            }
            let Some(permit) = st.budget.reserve().await else {
                return too_many_sessions(st.budget.max());
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
        (Method::GET, _) if st.draining.is_cancelled() => draining_response(),
        _ => next.run(req).await,
    }
}
