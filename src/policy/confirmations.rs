//! Human confirmation of writes: sealed, single-use confirmation tokens and MRTR request states.
//!
//! Tokens are sealed with an HMAC key (rmcp's `RequestStateCodec`): they bind the principal and a
//! digest of the exact request, expire after [`CONFIRMATION_TTL`], and are accepted once: a spent
//! nonce is claimed in the state store (`policy::state`), which with `--state-dir` survives a
//! restart — so a token used once stays used even when the signing key outlives the process.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{RequestStateCodec, SealOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::state::{MemoryStore, StateStore, StoreLimits};
use crate::error::{Error, Result};

/// How long a confirmation token or confirmation request stays valid.
pub const CONFIRMATION_TTL: Duration = Duration::from_secs(10 * 60);

/// SHA-256 over the canonical JSON of a request: the identity of "the same request".
pub fn digest(request: &Value) -> String {
    let canonical = serde_json::to_string(request).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

#[derive(Debug, Serialize, Deserialize)]
struct Sealed {
    /// Digest of the request it confirms.
    d: String,
    /// Nonce, for single use.
    n: String,
}

/// Issues and checks confirmation tokens.
pub struct Confirmations {
    codec: RequestStateCodec,
    ttl: Duration,
    spent: Arc<dyn StateStore>,
}

impl std::fmt::Debug for Confirmations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Confirmations { .. }")
    }
}

fn associated_data(principal: &str, digest: &str) -> Vec<u8> {
    format!("personio-mcp/confirm|{principal}|{digest}").into_bytes()
}

fn refused(why: &str) -> Error {
    Error::validation(format!("the confirmation token was refused: {why}")).with_hint(
        "Call the tool again without confirmation_token to get a fresh preview and token, \
and pass the same arguments with it.",
    )
}

impl Confirmations {
    /// A random per-process key: tokens do not survive a restart, and replicas cannot share them.
    pub fn random() -> Self {
        Self::random_with_ttl(CONFIRMATION_TTL)
    }

    /// [`Confirmations::random`] with another validity period (tests).
    pub fn random_with_ttl(ttl: Duration) -> Self {
        let mut key = uuid::Uuid::new_v4().as_bytes().to_vec();
        key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Confirmations::from_codec(RequestStateCodec::new_unchecked(key), ttl)
    }

    /// A configured key (at least 32 bytes), shared by replicas and restarts.
    pub fn with_key(key: Vec<u8>) -> Result<Self> {
        let codec = RequestStateCodec::try_new(key).map_err(|e| {
            Error::validation(format!(
                "the signing key is not usable ({e}); it needs at least 32 bytes"
            ))
        })?;
        Ok(Confirmations::from_codec(codec, CONFIRMATION_TTL))
    }

    fn from_codec(codec: RequestStateCodec, ttl: Duration) -> Self {
        Confirmations {
            codec,
            ttl,
            spent: Arc::new(MemoryStore::new(StoreLimits::default())),
        }
    }

    /// How long tokens stay valid (confirmation pages expire with them).
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Remembers spent nonces in `store` (e.g. the embedded store of `--state-dir`).
    pub fn with_store(mut self, store: Arc<dyn StateStore>) -> Self {
        self.spent = store;
        self
    }

    /// Seals a token that confirms `digest` for `principal`.
    pub fn issue(&self, principal: &str, digest: &str) -> Result<String> {
        let body = Sealed {
            d: digest.to_string(),
            n: uuid::Uuid::new_v4().simple().to_string(),
        };
        self.codec
            .seal_json_with(
                &body,
                &SealOptions::new()
                    .associated_data(&associated_data(principal, digest))
                    .ttl(self.ttl),
            )
            .map_err(|e| Error::upstream(format!("could not seal a confirmation ({e})")))
    }

    /// Checks a token for this principal and request, and spends it.
    pub async fn redeem(&self, token: &str, principal: &str, digest: &str) -> Result<()> {
        let body: Sealed = self
            .codec
            .open_json_with(token.trim(), &associated_data(principal, digest))
            .map_err(|e| {
                let text = e.to_string().to_lowercase();
                if text.contains("expire") {
                    refused("it has expired")
                } else {
                    refused("it does not belong to this request and caller, or was altered")
                }
            })?;
        if body.d != digest {
            return Err(refused("it does not belong to this request"));
        }
        // Atomic claim: of two concurrent redemptions (or processes) exactly one wins.
        let first = self
            .spent
            .claim_once(
                &format!("nonce:{}", body.n),
                self.ttl + Duration::from_secs(60),
            )
            .await?;
        if !first {
            return Err(refused("it was already used"));
        }
        Ok(())
    }

    /// Seals an MRTR request state (same binding as a token).
    pub fn seal_state(&self, principal: &str, digest: &str) -> Result<String> {
        self.issue(principal, digest)
    }

    /// Opens an MRTR request state; single use like a token.
    pub async fn open_state(&self, state: &str, principal: &str, digest: &str) -> Result<()> {
        self.redeem(state, principal, digest).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn tokens_bind_request_and_principal_and_are_single_use() {
        let c = Confirmations::random();
        let d = digest(&json!({"a": 1}));
        let t = c.issue("alice@x", &d).unwrap();
        assert!(
            c.redeem(&t, "bob@x", &d).await.is_err(),
            "foreign principal"
        );
        assert!(
            c.redeem(&t, "alice@x", &digest(&json!({"a": 2})))
                .await
                .is_err(),
            "other request"
        );
        let mut tampered = t.clone();
        tampered.push('x');
        assert!(
            c.redeem(&tampered, "alice@x", &d).await.is_err(),
            "tampered"
        );
        assert!(c.redeem(&t, "alice@x", &d).await.is_ok());
        let e = c.redeem(&t, "alice@x", &d).await.unwrap_err();
        assert!(e.message.contains("already used"));
        let other = Confirmations::random();
        assert!(
            other
                .redeem(&c.issue("alice@x", &d).unwrap(), "alice@x", &d)
                .await
                .is_err(),
            "other key"
        );
    }

    #[tokio::test]
    async fn concurrent_redemptions_spend_a_token_once() {
        let c = Arc::new(Confirmations::random());
        let d = digest(&json!({"a": 1}));
        let t = c.issue("alice@x", &d).unwrap();
        let tries = (0..16).map(|_| {
            let (c, t, d) = (c.clone(), t.clone(), d.clone());
            tokio::spawn(async move { c.redeem(&t, "alice@x", &d).await.is_ok() as usize })
        });
        let mut wins = 0;
        for h in tries {
            wins += h.await.unwrap();
        }
        assert_eq!(wins, 1);
    }

    #[tokio::test]
    async fn expired_tokens_are_refused() {
        let c = Confirmations::random_with_ttl(Duration::from_secs(1));
        let d = digest(&json!({"a": 1}));
        let t = c.issue("alice@x", &d).unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let e = c.redeem(&t, "alice@x", &d).await.unwrap_err();
        assert!(e.message.contains("expired"), "{}", e.message);
    }

    #[tokio::test]
    async fn a_used_token_stays_used_across_a_restart_with_the_same_key_and_state_dir() {
        let dir = tempfile::tempdir().unwrap();
        let key = vec![7u8; 32];
        let d = digest(&json!({"a": 1}));
        let token = {
            let store = Arc::new(
                crate::policy::state::EmbeddedStore::open(Some(dir.path().to_path_buf())).unwrap(),
            );
            let c = Confirmations::with_key(key.clone())
                .unwrap()
                .with_store(store);
            let t = c.issue("alice@x", &d).unwrap();
            c.redeem(&t, "alice@x", &d).await.unwrap();
            t
        };
        // "Restart": a new process state with the same signing key and state directory.
        let store = Arc::new(
            crate::policy::state::EmbeddedStore::open(Some(dir.path().to_path_buf())).unwrap(),
        );
        let c = Confirmations::with_key(key).unwrap().with_store(store);
        let e = c.redeem(&token, "alice@x", &d).await.unwrap_err();
        assert!(e.message.contains("already used"), "{}", e.message);
    }
}
