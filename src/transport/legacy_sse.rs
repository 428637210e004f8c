//! The 2024-11-05 HTTP+SSE transport, hosted by us: rmcp 3.x ships only Streamable HTTP, while
//! older SDK clients and `mcp-remote --transport sse-only` still speak this pair.
//!
//! - `GET /sse` opens a session: one rmcp service per SSE connection, bridged over a pair of
//!   channels (rmcp's `(Sink, Stream)` transport). The first event is `endpoint`, whose data is the
//!   URL to POST messages to; every server message follows as a `message` event.
//! - `POST /message?sessionId=…` hands one JSON-RPC message to that session and answers 202; the
//!   reply travels on the SSE stream.
//!
//! A session is bound to the principal that opened it (another token's POSTs get 404), ends when
//! the client disconnects (the response body's drop guard cancels it), after the idle timeout
//! without traffic and without a call in flight, or at shutdown. Each POSTed request counts as in
//! flight until its response leaves on the stream, so shutdown can wait for it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use rmcp::model::{ClientJsonRpcMessage, ClientNotification, RequestId, ServerJsonRpcMessage};
use rmcp::{RoleServer, Service, ServiceExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::http::json_errors::parse_message;
use super::http::sessions::{OpenSessions, SessionBudget, draining_response};
use super::lifecycle::{InFlight, InFlightGuard};
use super::security::{error_response, read_body};
use crate::policy::principal::Principal;

/// Messages buffered per direction before senders wait.
const CHANNEL_CAPACITY: usize = 64;
/// How long a POST may wait for room in a busy session's queue before answering 503.
const ENQUEUE_TIMEOUT: Duration = Duration::from_secs(30);
/// SSE comment lines keep proxies from closing a quiet stream.
const SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One open SSE session.
struct Session {
    to_server: mpsc::Sender<ClientJsonRpcMessage>,
    owner: Option<Principal>,
    last_activity: Mutex<Instant>,
    /// Requests received and not yet answered.
    pending: Mutex<HashMap<RequestId, InFlightGuard>>,
}

impl Session {
    fn touch(&self) {
        *lock(&self.last_activity) = Instant::now();
    }

    /// Books a client message: requests become in flight, cancellations settle them.
    fn on_client_message(&self, msg: &ClientJsonRpcMessage, inflight: &InFlight) {
        self.touch();
        match msg {
            ClientJsonRpcMessage::Request(r) => {
                lock(&self.pending).insert(r.id.clone(), inflight.enter());
            }
            ClientJsonRpcMessage::Notification(n) => {
                // A cancelled request gets no response: stop counting it here.
                if let ClientNotification::CancelledNotification(c) = &n.notification
                    && let Some(id) = &c.params.request_id
                {
                    lock(&self.pending).remove(id);
                }
            }
            _ => {}
        }
    }

    /// A server message is leaving: responses settle their request.
    fn on_server_message(&self, msg: &ServerJsonRpcMessage) {
        self.touch();
        let id = match msg {
            ServerJsonRpcMessage::Response(r) => Some(&r.id),
            ServerJsonRpcMessage::Error(e) => e.id.as_ref(),
            _ => None,
        };
        if let Some(id) = id {
            lock(&self.pending).remove(id);
        }
    }
}

/// The open SSE sessions by id.
#[derive(Default)]
pub(crate) struct Registry {
    sessions: Mutex<HashMap<String, Arc<Session>>>,
}

impl OpenSessions for Registry {
    fn len(&self) -> usize {
        lock(&self.sessions).len()
    }

    fn owned_by(&self, principal: &Principal) -> usize {
        lock(&self.sessions)
            .values()
            .filter(|s| s.owner.as_ref() == Some(principal))
            .count()
    }
}

impl Registry {
    fn len(&self) -> usize {
        lock(&self.sessions).len()
    }

    fn get(&self, id: &str) -> Option<Arc<Session>> {
        lock(&self.sessions).get(id).cloned()
    }

    fn insert(&self, id: String, session: Arc<Session>) {
        lock(&self.sessions).insert(id, session);
    }

    fn remove(&self, id: &str) {
        lock(&self.sessions).remove(id);
    }
}

/// What the two handlers share.
pub(crate) struct LegacySse<S> {
    pub factory: Arc<dyn Fn() -> S + Send + Sync>,
    pub registry: Arc<Registry>,
    pub budget: Arc<SessionBudget>,
    /// Cancelled at shutdown, after in-flight calls finished: ends every session.
    pub close_sessions: CancellationToken,
    /// Cancelled when shutdown starts: no new sessions.
    pub draining: CancellationToken,
    pub inflight: InFlight,
    pub idle_timeout: Duration,
    pub max_body_bytes: usize,
}

pub(crate) fn router<S>(state: Arc<LegacySse<S>>) -> Router
where
    S: Service<RoleServer> + Send + 'static,
{
    Router::new()
        .route("/sse", get(open_stream::<S>))
        .route("/message", post(post_message::<S>))
        .with_state(state)
}

/// Ends the session once it has been idle (no message either way, no call in flight) for
/// `timeout`, or returns when the session ends by itself.
async fn idle_watchdog(session: Arc<Session>, timeout: Duration, ct: CancellationToken) {
    loop {
        let deadline = *lock(&session.last_activity) + timeout;
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            _ = ct.cancelled() => return,
        }
        if !lock(&session.pending).is_empty() {
            // A long call is not idleness.
            session.touch();
            continue;
        }
        if *lock(&session.last_activity) + timeout <= Instant::now() {
            tracing::info!(
                timeout_s = timeout.as_secs(),
                "closing an idle legacy SSE session"
            );
            ct.cancel();
            return;
        }
    }
}

async fn open_stream<S>(State(st): State<Arc<LegacySse<S>>>, req: Request) -> Response
where
    S: Service<RoleServer> + Send + 'static,
{
    if st.draining.is_cancelled() {
        return draining_response();
    }
    let owner = req.extensions().get::<Principal>().cloned();
    let slot = match st.budget.reserve(owner.as_ref()).await {
        Ok(slot) => slot,
        Err(refusal) => return refusal,
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (to_server, from_client) = mpsc::channel::<ClientJsonRpcMessage>(CHANNEL_CAPACITY);
    let (to_client, from_server) = mpsc::channel::<ServerJsonRpcMessage>(CHANNEL_CAPACITY);
    let session = Arc::new(Session {
        to_server,
        owner,
        last_activity: Mutex::new(Instant::now()),
        pending: Mutex::new(HashMap::new()),
    });
    st.registry.insert(id.clone(), session.clone());
    drop(slot);

    let ct = st.close_sessions.child_token();
    tokio::spawn(idle_watchdog(session.clone(), st.idle_timeout, ct.clone()));
    {
        let (registry, id, ct) = (st.registry.clone(), id.clone(), ct.clone());
        let service = (st.factory)();
        tokio::spawn(async move {
            match service
                .serve_with_ct((to_client, from_client), ct.clone())
                .await
            {
                Ok(running) => {
                    let reason = running.waiting().await;
                    tracing::debug!(?reason, "legacy SSE session ended");
                }
                Err(e) => tracing::debug!(error = %e, "legacy SSE session ended before it started"),
            }
            // POSTs for this id now get 404; the watchdog stops.
            registry.remove(&id);
            ct.cancel();
        });
    }
    tracing::debug!(sessions = st.registry.len(), "legacy SSE session opened");

    // The client disconnecting drops the body, and with it this guard: the session ends.
    let on_disconnect = ct.clone().drop_guard();
    let endpoint = futures::stream::once(futures::future::ready(Ok::<_, Infallible>(
        Event::default()
            .event("endpoint")
            .data(format!("/message?sessionId={id}")),
    )));
    let messages = from_server
        .take_until(ct.cancelled_owned())
        .filter_map(move |msg| {
            let _keep = &on_disconnect;
            session.on_server_message(&msg);
            let event = match serde_json::to_string(&msg) {
                Ok(json) => Some(Ok(Event::default().event("message").data(json))),
                Err(e) => {
                    tracing::error!(error = %e, "a server message could not be encoded; dropped");
                    None
                }
            };
            futures::future::ready(event)
        });
    let mut response = Sse::new(endpoint.chain(messages))
        .keep_alive(KeepAlive::new().interval(SSE_KEEP_ALIVE))
        .into_response();
    // Tell buffering proxies (nginx) to pass events through as they come.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

#[derive(Debug, serde::Deserialize)]
struct MessageQuery {
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

fn unknown_session() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "session_not_found",
        "No such session on this server: it ended, the server restarted, or a load balancer sent \
         it to another replica (route /message by sessionId to the replica that opened GET /sse). \
         Open a new one with GET /sse.",
    )
}

async fn post_message<S>(
    State(st): State<Arc<LegacySse<S>>>,
    Query(q): Query<MessageQuery>,
    req: Request,
) -> Response
where
    S: Service<RoleServer> + Send + 'static,
{
    let Some(session_id) = q.session_id else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The sessionId query parameter is missing; use the URL of the `endpoint` event.",
        );
    };
    let (parts, body) = req.into_parts();
    // Another principal's session looks exactly like a missing one.
    let Some(session) = st
        .registry
        .get(&session_id)
        .filter(|s| s.owner.as_ref() == parts.extensions.get::<Principal>())
    else {
        return unknown_session();
    };
    let bytes = match read_body(body, st.max_body_bytes).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let mut msg = match parse_message(&bytes) {
        Ok(m) => m,
        Err(rejection) => return rejection.into_response(),
    };
    let request_id = match &msg {
        ClientJsonRpcMessage::Request(r) => Some(r.id.clone()),
        _ => None,
    };
    session.on_client_message(&msg, &st.inflight);
    // Same contract as rmcp's Streamable HTTP service: handlers find the HTTP request parts (and
    // the Principal inside their extensions) in the request extensions.
    msg.insert_extension(parts);
    let mut to_server = session.to_server.clone();
    let outcome = tokio::time::timeout(ENQUEUE_TIMEOUT, to_server.send(msg)).await;
    let undo = || {
        if let Some(id) = &request_id {
            lock(&session.pending).remove(id);
        }
    };
    match outcome {
        Ok(Ok(())) => (StatusCode::ACCEPTED, "Accepted").into_response(),
        Ok(Err(_)) => {
            undo();
            unknown_session()
        }
        Err(_) => {
            undo();
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "session_busy",
                "The session is not taking messages; try again later.",
            )
        }
    }
}
