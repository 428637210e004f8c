//! `POST /webhooks/personio`: Personio's change notifications, so the directory follows changes
//! instead of polling for them (Personio: "where webhooks are available, repetitive polling will
//! not be permitted").
//!
//! The route sits outside the MCP bearer auth: Personio signs each delivery instead (HMAC-SHA256
//! over `"{timestamp}.{body}"` with the shared secret, [`verify`]). A delivery is acknowledged as
//! soon as it is verified and queued (Personio wants a 2xx within 3 s and retries otherwise), and
//! processed by one background task: events are "dataless", so the named person is re-read by id
//! (never a listing) into the directory cache. Absence events need no fetch: they drop the few
//! seconds' listings kept of that person (of everyone, when the event names nobody), here and,
//! through the shared store's feed, on the other replicas.
//!
//! Refusals (no or bad signature, stale timestamp, oversized body) answer 401/413 and are
//! counted; every refusal logs the running totals, without any header or body content.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::app::App;
use crate::domain::directory::DirectoryConfig;

/// Where Personio delivers.
pub const PATH: &str = "/webhooks/personio";
/// Header names. Personio documents HMAC-SHA256 over timestamp and body; these names are the
/// ones the sandbox sends and public integrations check — not confirmed from Personio's own
/// reference (see docs/v2-and-webhooks.md), so they live here and nowhere else.
pub const SIGNATURE_HEADER: &str = "x-personio-signature";
pub const TIMESTAMP_HEADER: &str = "x-personio-timestamp";
/// How far a delivery's timestamp may be from our clock: a captured delivery cannot be replayed
/// later than this.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(5 * 60);
/// Deliveries are ids only ("dataless"); anything near this is not from Personio.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Deliveries waiting for the worker; beyond this the delivery gets 503 and Personio retries.
const QUEUE: usize = 1024;

/// With webhooks the directory is not polled; this long safety refresh catches a lost delivery.
pub fn push_directory_config() -> DirectoryConfig {
    DirectoryConfig {
        refresh_after: Duration::from_secs(6 * 60 * 60),
        full_reload_after: Duration::from_secs(24 * 60 * 60),
    }
}

/// Why a delivery was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unsigned,
    BadSignature,
    Stale,
}

/// Checks one delivery: the timestamp within [`REPLAY_WINDOW`] of `now` (Unix seconds) and the
/// signature (lowercase hex, an optional `sha256=` prefix tolerated) compared in constant time.
pub fn verify(
    secret: &SecretString,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(Refusal::Unsigned);
    };
    let ts_value: i64 = ts.trim().parse().map_err(|_| Refusal::Stale)?;
    let window = i64::try_from(REPLAY_WINDOW.as_secs()).unwrap_or(i64::MAX);
    if now.abs_diff(ts_value) > window.unsigned_abs() {
        return Err(Refusal::Stale);
    }
    let sig = sig.trim();
    let sig = sig.strip_prefix("sha256=").unwrap_or(sig);
    let expected = hex::decode(sig).map_err(|_| Refusal::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .map_err(|_| Refusal::BadSignature)?;
    mac.update(ts.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| Refusal::BadSignature)
}

/// Counters of the receiver (logged on refusals; read by tests).
#[derive(Debug, Default)]
pub struct Counters {
    pub accepted: AtomicU64,
    pub refused_unsigned: AtomicU64,
    pub refused_bad_signature: AtomicU64,
    pub refused_stale: AtomicU64,
    pub refused_too_large: AtomicU64,
    pub processed: AtomicU64,
    pub failed: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CounterValues {
    pub accepted: u64,
    pub refused: u64,
    pub refused_unsigned: u64,
    pub refused_bad_signature: u64,
    pub refused_stale: u64,
    pub refused_too_large: u64,
    pub processed: u64,
    pub failed: u64,
}

impl Counters {
    pub fn values(&self) -> CounterValues {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (u, b, s, t) = (
            get(&self.refused_unsigned),
            get(&self.refused_bad_signature),
            get(&self.refused_stale),
            get(&self.refused_too_large),
        );
        CounterValues {
            accepted: get(&self.accepted),
            refused: u + b + s + t,
            refused_unsigned: u,
            refused_bad_signature: b,
            refused_stale: s,
            refused_too_large: t,
            processed: get(&self.processed),
            failed: get(&self.failed),
        }
    }
}

/// What the worker does with one event: only the person it names matters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    event: String,
    person: Option<i64>,
}

/// Reads the event name and the person an event is about (`payload.id` for person events,
/// `payload.person.id` for employment and absence events). Nothing else is read.
fn change_of(body: &[u8]) -> Option<Change> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let event = v
        .get("event_name")?
        .as_str()?
        .chars()
        .take(80)
        .collect::<String>();
    let payload = v.get("payload")?;
    let id_text = |x: Option<&serde_json::Value>| match x? {
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
        serde_json::Value::Number(n) => n.as_i64(),
        _ => None,
    };
    let person = if event.starts_with("person.") {
        id_text(payload.get("id"))
    } else {
        id_text(payload.pointer("/person/id"))
    };
    Some(Change { event, person })
}

/// The receiver: verifies, counts, queues.
pub struct Receiver {
    secret: SecretString,
    counters: Arc<Counters>,
    queue: mpsc::Sender<Change>,
}

impl Receiver {
    /// Starts the worker that applies changes to `app`'s directory (it ends when the receiver
    /// and its routes are dropped).
    pub fn start(secret: SecretString, app: App) -> Arc<Receiver> {
        let counters = Arc::new(Counters::default());
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(work(rx, app, counters.clone()));
        Arc::new(Receiver {
            secret,
            counters,
            queue: tx,
        })
    }

    pub fn counters(&self) -> CounterValues {
        self.counters.values()
    }

    fn refuse(&self, why: Refusal) -> StatusCode {
        let c = match why {
            Refusal::Unsigned => &self.counters.refused_unsigned,
            Refusal::BadSignature => &self.counters.refused_bad_signature,
            Refusal::Stale => &self.counters.refused_stale,
        };
        c.fetch_add(1, Ordering::Relaxed);
        let v = self.counters.values();
        tracing::warn!(reason = ?why, refused_total = v.refused, accepted_total = v.accepted, "webhook delivery refused");
        StatusCode::UNAUTHORIZED
    }
}

async fn work(mut rx: mpsc::Receiver<Change>, app: App, counters: Arc<Counters>) {
    while let Some(change) = rx.recv().await {
        let result = if change.event.starts_with("absence-period.") {
            app.absences_changed(change.person);
            Ok(())
        } else {
            match change.person {
                Some(id) => app.person_changed(id).await,
                None => Ok(()),
            }
        };
        match result {
            Ok(()) => {
                counters.processed.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(event = %change.event, "webhook event applied");
            }
            Err(e) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(event = %change.event, code = %e.code, "webhook event could not be applied; the safety refresh will catch up");
            }
        }
    }
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(why) = verify(
        &r.secret,
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &body,
        now,
    ) {
        return r.refuse(why);
    }
    r.counters.accepted.fetch_add(1, Ordering::Relaxed);
    let Some(change) = change_of(&body) else {
        // Signed but not understood (a new event shape): acknowledged, nothing to do.
        tracing::info!("signed webhook delivery without a readable event; ignored");
        return StatusCode::ACCEPTED;
    };
    match r.queue.try_send(change) {
        Ok(()) => StatusCode::ACCEPTED,
        // Full: Personio retries a 5xx later; nothing is lost.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// An oversized body: counted with the refusals.
async fn too_large(
    State(r): State<Arc<Receiver>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(req).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        r.counters.refused_too_large.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            refused_total = r.counters.values().refused,
            "webhook delivery refused: body too large"
        );
    }
    response
}

/// The route, to be mounted outside the MCP auth.
pub fn router(receiver: Arc<Receiver>) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            receiver.clone(),
            too_large,
        ))
        .with_state(receiver)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, ts: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn signatures_verify_and_refusals_are_told_apart() {
        let secret = SecretString::from("whsec".to_string());
        let body = br#"{"event_name":"person.updated","payload":{"id":"7"}}"#;
        let now = 1_750_000_000;
        let ts = now.to_string();
        let sig = sign("whsec", &ts, body);
        assert_eq!(verify(&secret, Some(&ts), Some(&sig), body, now), Ok(()));
        assert_eq!(
            verify(
                &secret,
                Some(&ts),
                Some(&format!("sha256={sig}")),
                body,
                now + 299
            ),
            Ok(())
        );
        assert_eq!(
            verify(&secret, None, Some(&sig), body, now),
            Err(Refusal::Unsigned)
        );
        assert_eq!(
            verify(&secret, Some(&ts), None, body, now),
            Err(Refusal::Unsigned)
        );
        assert_eq!(
            verify(&secret, Some(&ts), Some(&sig), b"{}", now),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify(&secret, Some(&ts), Some("zz"), body, now),
            Err(Refusal::BadSignature)
        );
        let other = SecretString::from("other".to_string());
        assert_eq!(
            verify(&other, Some(&ts), Some(&sig), body, now),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify(&secret, Some(&ts), Some(&sig), body, now + 301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify(&secret, Some("soon"), Some(&sig), body, now),
            Err(Refusal::Stale)
        );
    }

    #[test]
    fn events_name_their_person() {
        let person = change_of(br#"{"event_name":"person.updated","payload":{"id":"42"}}"#);
        assert_eq!(person.and_then(|c| c.person), Some(42));
        let employment = change_of(
            br#"{"event_name":"employment.updated","payload":{"id":"u-1","person":{"id":"43"}}}"#,
        );
        assert_eq!(employment.and_then(|c| c.person), Some(43));
        assert!(change_of(b"not json").is_none());
    }
}
