//! Idempotency keys: a repeated call with the same key answers with the first call's result
//! instead of writing again, for [`IDEMPOTENCY_WINDOW`]; the same key for a different request is
//! a CONFLICT. Keys are per principal, bounded in number and time.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};

/// How long an idempotency key replays its first result.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// Most keys remembered at once (the oldest go first).
pub const MAX_KEYS: u64 = 50_000;

/// Remembered results of completed writes.
pub struct Idempotency {
    results: moka::sync::Cache<String, (String, Value)>,
}

impl Default for Idempotency {
    fn default() -> Self {
        Idempotency {
            results: moka::sync::Cache::builder()
                .max_capacity(MAX_KEYS)
                .time_to_live(IDEMPOTENCY_WINDOW)
                .build(),
        }
    }
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Idempotency { .. }")
    }
}

fn slot(principal: &str, key: &str) -> String {
    format!("{principal}|{key}")
}

impl Idempotency {
    /// The earlier result for this key, if any.
    pub fn replay(&self, principal: &str, key: &str, digest: &str) -> Result<Option<Value>> {
        match self.results.get(&slot(principal, key)) {
            Some((d, result)) if d == digest => Ok(Some(result)),
            Some(_) => Err(Error::new(
                ErrorCode::Conflict,
                "this idempotency_key was already used for a different request",
            )
            .with_hint("Use a new idempotency_key for a new request.")),
            None => Ok(None),
        }
    }

    /// Remembers the result of a completed write under its key.
    pub fn remember(&self, principal: &str, key: &str, digest: &str, result: Value) {
        self.results
            .insert(slot(principal, key), (digest.to_string(), result));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn idempotency_replays_and_refuses_reuse_for_other_requests() {
        let c = Idempotency::default();
        assert!(c.replay("p", "k", "d1").unwrap().is_none());
        c.remember("p", "k", "d1", json!({"id": 1}));
        assert_eq!(c.replay("p", "k", "d1").unwrap(), Some(json!({"id": 1})));
        assert_eq!(
            c.replay("p", "k", "d2").unwrap_err().code,
            ErrorCode::Conflict
        );
        assert!(
            c.replay("q", "k", "d1").unwrap().is_none(),
            "keys are per principal"
        );
    }
}
