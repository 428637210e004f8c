//! Webhooks: registrations made through `POST /__sandbox/webhooks`, and signed "dataless" event
//! deliveries whenever sandbox data changes (an employee added, patched or terminated; an absence
//! created or deleted through v1 or v2).
//!
//! It exists so that a client's webhook receiver can be tested end to end — sandbox change, signed
//! delivery, receiver fetches the record — without Personio. Deliveries follow Personio's published
//! rules where they are known (JSON envelope `{company_id, event_name, occurred_at, payload, meta}`,
//! ids only in `payload`, 3 s to acknowledge, retries on time-outs and 5xx except 501, a bounded number
//! of requests) and document the sandbox's own choices where Personio's are not public (the signature
//! headers; see docs/sandbox.md). Delivery runs in background tasks and never delays the request
//! that caused the change.

pub mod delivery;
pub mod events;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::clock;

/// At most this many registrations (every input is bounded).
pub const MAX_REGISTRATIONS: usize = 20;
/// Deliveries waiting or in flight beyond this are dropped (and counted), so a flood of changes
/// cannot grow memory without bound.
const MAX_PENDING: u64 = 10_000;
/// Concurrent HTTP requests across all deliveries.
const MAX_CONCURRENT: usize = 32;
/// The `company_id` of every event (the simulated account's id).
pub const COMPANY_ID: &str = "4711";

/// One registered webhook.
#[derive(Debug)]
pub struct Registration {
    pub id: Uuid,
    pub url: url::Url,
    pub description: String,
    /// Key of the HMAC-SHA256 signature.
    pub secret: SecretString,
    /// Sent verbatim as `Authorization` (Personio's `auth_type: TOKEN`); `None` for `NONE`.
    pub token: Option<SecretString>,
    pub enabled_events: Vec<String>,
    /// HTTP requests per event at most (first try included), 1–14 like Personio's overall cap.
    pub max_attempts: u32,
    /// Delay before the first retry; it doubles per retry up to [`delivery::MAX_BACKOFF`].
    pub min_backoff: Duration,
}

/// Delivery counters for `GET /__sandbox/stats` (`webhooks`).
#[derive(Debug, Default, Serialize, Clone, Copy, PartialEq, Eq)]
pub struct WebhookStats {
    /// Events matched to a registration (one delivery each).
    pub deliveries: u64,
    /// HTTP requests sent (first tries and retries).
    pub attempts: u64,
    /// Deliveries acknowledged with a 2xx.
    pub delivered: u64,
    /// Requests that failed (non-2xx, time-out, connection error).
    pub failed_attempts: u64,
    /// Deliveries given up: retries exhausted or an answer Personio does not retry (4xx, 501).
    pub abandoned: u64,
    /// Deliveries dropped because too many were pending.
    pub dropped: u64,
}

#[derive(Default)]
struct Counters {
    deliveries: AtomicU64,
    attempts: AtomicU64,
    delivered: AtomicU64,
    failed_attempts: AtomicU64,
    abandoned: AtomicU64,
    dropped: AtomicU64,
    pending: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The webhook registry and dispatcher of one sandbox.
pub struct Webhooks {
    hooks: Mutex<Vec<Arc<Registration>>>,
    counters: Arc<Counters>,
    client: OnceLock<reqwest::Client>,
    permits: Arc<Semaphore>,
    cancel: CancellationToken,
}

impl Webhooks {
    /// A registry whose deliveries stop when `cancel` fires (sandbox shutdown).
    pub fn new(cancel: CancellationToken) -> Webhooks {
        Webhooks {
            hooks: Mutex::new(Vec::new()),
            counters: Arc::new(Counters::default()),
            client: OnceLock::new(),
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            cancel,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Registration>>> {
        self.hooks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a registration; `Err` when the registry is full.
    pub fn register(&self, registration: Registration) -> Result<Arc<Registration>, String> {
        let mut hooks = self.lock();
        if hooks.len() >= MAX_REGISTRATIONS {
            return Err(format!(
                "at most {MAX_REGISTRATIONS} webhooks may be registered"
            ));
        }
        let registration = Arc::new(registration);
        hooks.push(registration.clone());
        Ok(registration)
    }

    pub fn list(&self) -> Vec<Arc<Registration>> {
        self.lock().clone()
    }

    /// Removes a registration; pending deliveries of it still finish.
    pub fn remove(&self, id: Uuid) -> bool {
        let mut hooks = self.lock();
        let before = hooks.len();
        hooks.retain(|h| h.id != id);
        hooks.len() != before
    }

    pub fn stats(&self) -> WebhookStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WebhookStats {
            deliveries: get(&c.deliveries),
            attempts: get(&c.attempts),
            delivered: get(&c.delivered),
            failed_attempts: get(&c.failed_attempts),
            abandoned: get(&c.abandoned),
            dropped: get(&c.dropped),
        }
    }

    pub fn reset_stats(&self) {
        let c = &self.counters;
        for a in [
            &c.deliveries, &c.attempts, &c.delivered, &c.failed_attempts, &c.abandoned, &c.dropped,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }

    /// Sends `event_name` with `payload` (ids only) to every registration that enabled it. Must be
    /// called inside the Tokio runtime (every caller is a request handler).
    pub fn emit(&self, event_name: &'static str, payload: Value, occurred_at: DateTime<Utc>) {
        let targets: Vec<Arc<Registration>> = self
            .lock()
            .iter()
            .filter(|h| h.enabled_events.iter().any(|e| e == event_name))
            .cloned()
            .collect();
        if targets.is_empty() {
            return;
        }
        let Some(client) = self.client() else {
            return;
        };
        let body = json!({
            "company_id": COMPANY_ID,
            "event_name": event_name,
            "occurred_at": clock::v2_timestamp(occurred_at),
            "payload": payload,
            "meta": {"event_id": Uuid::new_v4().to_string()},
        });
        let body = bytes::Bytes::from(body.to_string());
        for hook in targets {
            let counters = self.counters.clone();
            Counters::bump(&counters.deliveries);
            if counters.pending.fetch_add(1, Ordering::Relaxed) >= MAX_PENDING {
                counters.pending.fetch_sub(1, Ordering::Relaxed);
                Counters::bump(&counters.dropped);
                continue;
            }
            let job = delivery::Job {
                client: client.clone(),
                hook,
                body: body.clone(),
                event_name,
            };
            let permits = self.permits.clone();
            let cancel = self.cancel.clone();
            tokio::spawn(async move {
                let outcome = tokio::select! {
                    () = cancel.cancelled() => None,
                    delivered = job.run(&counters, &permits) => Some(delivered),
                };
                match outcome {
                    Some(true) => Counters::bump(&counters.delivered),
                    Some(false) => Counters::bump(&counters.abandoned),
                    None => {}
                }
                counters.pending.fetch_sub(1, Ordering::Relaxed);
            });
        }
    }

    fn client(&self) -> Option<reqwest::Client> {
        if let Some(c) = self.client.get() {
            return Some(c.clone());
        }
        match delivery::build_client() {
            Ok(c) => Some(self.client.get_or_init(|| c).clone()),
            Err(e) => {
                tracing::error!(error = %e, "sandbox: webhook HTTP client could not be built");
                None
            }
        }
    }
}
