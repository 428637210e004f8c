//! Fault injection, so that client retry, timeout and parsing paths can be tested against the sandbox.
//!
//! A [`FaultConfig`] is set at start (`SandboxConfig::faults`, CLI `--faults '<json>'`) or at runtime
//! (`PUT /__sandbox/faults`, reset with `DELETE`). It applies to Personio routes (`/v1`, `/v2`), never
//! to `/__sandbox`. Requests matching the optional `path_prefix` and `method` scope are counted
//! (1-based, from the moment the config was set); request `n` gets a fault of a kind when `n` is a
//! multiple of that kind's `*_every`. When several kinds fire on one request: 429 wins over 500, 500
//! over malformed JSON; delays add up with the others.
//!
//! `after_commit: true` runs the real handler first (a write is stored) and only then answers 500 or
//! sleeps `delay_ms` — the "timeout after commit" / "500 after commit" cases a client must survive
//! without creating duplicates. A 429 never commits.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Fault settings. JSON field names are the Rust field names; every field is optional.
///
/// ```json
/// {"server_error_every": 2, "method": "GET", "path_prefix": "/v1/company/employees"}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Every Nth matching request answers 429 Too Many Requests.
    pub rate_limit_every: Option<u64>,
    /// Every Nth matching request answers 500.
    pub server_error_every: Option<u64>,
    /// Every Nth matching request is delayed by `delay_ms` (to provoke client timeouts).
    pub delay_every: Option<u64>,
    /// Delay applied by `delay_every`, in milliseconds.
    pub delay_ms: u64,
    /// Every Nth matching request answers 200 with a truncated (malformed) JSON body.
    pub malformed_json_every: Option<u64>,
    /// Added latency for every matching request, in milliseconds.
    pub latency_ms: u64,
    /// Only requests whose path starts with this prefix are affected (e.g. `/v1/company/time-offs`).
    pub path_prefix: Option<String>,
    /// Only requests with this HTTP method are affected (e.g. `POST`; case-insensitive).
    pub method: Option<String>,
    /// 500s and delays happen after the handler ran (the write is committed).
    pub after_commit: bool,
}

impl FaultConfig {
    /// Parses the JSON form (an object; unknown fields are errors).
    pub fn from_json(json: &str) -> Result<FaultConfig, String> {
        match serde_json::from_str::<serde_json::Value>(json) {
            Ok(v @ serde_json::Value::Object(_)) => {
                serde_json::from_value(v).map_err(|e| e.to_string())
            }
            Ok(_) => Err("expected a JSON object".to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|p| path.starts_with(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// What to do to one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    pub latency: Duration,
    pub rate_limit: bool,
    pub server_error: bool,
    pub delay: Option<Duration>,
    pub malformed: bool,
    pub after_commit: bool,
}

#[derive(Default)]
struct Inner {
    config: FaultConfig,
    counter: u64,
}

/// The live fault configuration and its request counter.
#[derive(Default)]
pub struct Faults {
    inner: Mutex<Inner>,
}

fn fires(every: Option<u64>, n: u64) -> bool {
    every.is_some_and(|e| e > 0 && n.is_multiple_of(e))
}

impl Faults {
    pub fn new(config: FaultConfig) -> Faults {
        Faults {
            inner: Mutex::new(Inner { config, counter: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self) -> FaultConfig {
        self.lock().config.clone()
    }

    /// Replaces the configuration and restarts the request count.
    pub fn set(&self, config: FaultConfig) {
        let mut inner = self.lock();
        inner.config = config;
        inner.counter = 0;
    }

    /// Decides the faults of one request (and counts it when it is in scope).
    pub fn plan(&self, method: &str, path: &str) -> FaultPlan {
        let mut inner = self.lock();
        if !inner.config.matches(method, path) {
            return FaultPlan::default();
        }
        inner.counter += 1;
        let n = inner.counter;
        let c = &inner.config;
        FaultPlan {
            latency: Duration::from_millis(c.latency_ms),
            rate_limit: fires(c.rate_limit_every, n),
            server_error: fires(c.server_error_every, n),
            delay: fires(c.delay_every, n).then(|| Duration::from_millis(c.delay_ms)),
            malformed: fires(c.malformed_json_every, n),
            after_commit: c.after_commit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_counts_only_scoped_requests() {
        let faults = Faults::new(FaultConfig {
            server_error_every: Some(2),
            method: Some("get".into()),
            path_prefix: Some("/v1/company".into()),
            ..FaultConfig::default()
        });
        assert!(!faults.plan("GET", "/v1/company/employees").server_error);
        assert!(!faults.plan("POST", "/v1/company/time-offs").server_error);
        assert!(!faults.plan("GET", "/v1/auth").server_error);
        assert!(faults.plan("GET", "/v1/company/employees").server_error);
        assert!(!faults.plan("GET", "/v1/company/employees").server_error);
    }

    #[test]
    fn json_shape_is_strict() {
        let ok: FaultConfig = serde_json::from_str(r#"{"delay_every":1,"delay_ms":50}"#).unwrap();
        assert_eq!(ok.delay_every, Some(1));
        assert!(serde_json::from_str::<FaultConfig>(r#"{"dely_every":1}"#).is_err());
        assert!(FaultConfig::from_json("[1]").is_err());
        assert_eq!(
            FaultConfig::from_json(r#"{"latency_ms":5}"#)
                .unwrap()
                .latency_ms,
            5
        );
    }
}
