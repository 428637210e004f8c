//! Request counters for `GET /__sandbox/stats`: per route (method + matched path template) and status.
//! Tests use them to prove retries happened (or did not), e.g. "exactly one POST reached the server".
//!
//! `total` counts requests when they **arrive** (so a request whose client already gave up on it —
//! a timeout during an injected delay — is counted at once); `by_status` counts them when they
//! complete. A request abandoned before it completed is recorded under status `499` once the server
//! drops it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

#[derive(Debug, Default, Clone, Serialize)]
pub struct RouteStats {
    pub total: u64,
    pub by_status: BTreeMap<String, u64>,
}

/// `{"total": N, "by_status": {"200": N}, "by_route": {"GET /v1/company/employees": {"total": N, "by_status": {...}}}}`
#[derive(Debug, Default, Clone, Serialize)]
pub struct StatsSnapshot {
    pub total: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_route: BTreeMap<String, RouteStats>,
}

#[derive(Default)]
pub struct Stats {
    inner: Mutex<StatsSnapshot>,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, StatsSnapshot> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts an arriving request.
    pub fn arrive(&self, key: &str) {
        let mut s = self.lock();
        s.total += 1;
        s.by_route.entry(key.to_string()).or_default().total += 1;
    }

    /// Counts the status of a finished (or abandoned: 499) request.
    pub fn complete(&self, key: &str, status: u16) {
        let mut s = self.lock();
        let status = status.to_string();
        *s.by_status.entry(status.clone()).or_default() += 1;
        *s.by_route
            .entry(key.to_string())
            .or_default()
            .by_status
            .entry(status)
            .or_default() += 1;
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        self.lock().clone()
    }

    pub fn reset(&self) {
        *self.lock() = StatsSnapshot::default();
    }
}
