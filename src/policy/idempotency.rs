//! Idempotency keys: a repeated call with the same key answers with the first call's result
//! instead of writing again, for [`IDEMPOTENCY_WINDOW`]; the same key for a different request is
//! a CONFLICT. Keys are per principal. Results live in the state store (`policy::state`): with
//! `--state-dir` they survive a restart; bounded in number and time either way.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::state::{IdempotencyRecord, MemoryStore, PutOutcome, StateStore, StoreLimits};
use crate::error::{Error, ErrorCode, Result};

/// How long an idempotency key replays its first result.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// Remembered results of completed writes.
pub struct Idempotency {
    store: Arc<dyn StateStore>,
}

impl Default for Idempotency {
    fn default() -> Self {
        Idempotency {
            store: Arc::new(MemoryStore::new(StoreLimits::default())),
        }
    }
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Idempotency { .. }")
    }
}

fn slot(principal: &str, key: &str) -> String {
    // Keys are caller text: hashed, so the store key is short and holds no free text.
    format!(
        "idem:{}",
        super::confirmations::digest(&serde_json::json!([principal, key]))
    )
}

fn conflict() -> Error {
    Error::new(
        ErrorCode::Conflict,
        "this idempotency_key was already used for a different request",
    )
    .with_hint("Use a new idempotency_key for a new request.")
}

impl Idempotency {
    /// Keeps the results in `store`.
    pub fn with_store(store: Arc<dyn StateStore>) -> Self {
        Idempotency { store }
    }

    /// The earlier result for this key, if any.
    pub async fn replay(&self, principal: &str, key: &str, digest: &str) -> Result<Option<Value>> {
        match self.store.get_idempotent(&slot(principal, key)).await? {
            Some(r) if r.digest == digest => Ok(Some(r.result)),
            Some(_) => Err(conflict()),
            None => Ok(None),
        }
    }

    /// Remembers the result of a completed write under its key.
    pub async fn remember(
        &self,
        principal: &str,
        key: &str,
        digest: &str,
        result: Value,
    ) -> Result<()> {
        let record = IdempotencyRecord {
            digest: digest.to_string(),
            result,
        };
        let slot = slot(principal, key);
        match self
            .store
            .put_idempotent(&slot, record.clone(), IDEMPOTENCY_WINDOW)
            .await?
        {
            PutOutcome::Stored => Ok(()),
            _ => {
                self.store
                    .replace_idempotent(&slot, record, IDEMPOTENCY_WINDOW)
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn idempotency_replays_and_refuses_reuse_for_other_requests() {
        let c = Idempotency::default();
        assert!(c.replay("p", "k", "d1").await.unwrap().is_none());
        c.remember("p", "k", "d1", json!({"id": 1})).await.unwrap();
        assert_eq!(
            c.replay("p", "k", "d1").await.unwrap(),
            Some(json!({"id": 1}))
        );
        assert_eq!(
            c.replay("p", "k", "d2").await.unwrap_err().code,
            ErrorCode::Conflict
        );
        assert!(
            c.replay("q", "k", "d1").await.unwrap().is_none(),
            "keys are per principal"
        );
    }

    #[tokio::test]
    async fn a_key_still_replays_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let open = || {
            Arc::new(
                crate::policy::state::EmbeddedStore::open(Some(dir.path().to_path_buf())).unwrap(),
            )
        };
        {
            let c = Idempotency::with_store(open());
            c.remember("p", "k", "d1", json!({"id": 1})).await.unwrap();
        }
        let c = Idempotency::with_store(open());
        assert_eq!(
            c.replay("p", "k", "d1").await.unwrap(),
            Some(json!({"id": 1}))
        );
    }
}
