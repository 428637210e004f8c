//! Human confirmation of writes: sealed, single-use confirmation tokens and MRTR request states.
//!
//! Tokens are sealed with an HMAC key (rmcp's `RequestStateCodec`): they bind the principal and a
//! digest of the exact request, expire after [`CONFIRMATION_TTL`], and are accepted once (spent
//! nonces are remembered, bounded in number and time, for as long as a token could be valid).

use std::time::Duration;

use rmcp::model::{RequestStateCodec, SealOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// How long a confirmation token or confirmation request stays valid.
pub const CONFIRMATION_TTL: Duration = Duration::from_secs(10 * 60);

/// Most spent nonces remembered at once. A token is only valid for [`CONFIRMATION_TTL`], so this
/// bounds memory at a rate of writes no HR team reaches (≈ 166 confirmations a second).
pub const MAX_SPENT_NONCES: u64 = 100_000;

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
    spent: moka::sync::Cache<String, ()>,
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
            spent: moka::sync::Cache::builder()
                .max_capacity(MAX_SPENT_NONCES)
                .time_to_live(ttl + Duration::from_secs(60))
                .build(),
        }
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
    pub fn redeem(&self, token: &str, principal: &str, digest: &str) -> Result<()> {
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
        // Atomic check-and-set: of two concurrent redemptions exactly one inserts.
        let entry = self.spent.entry(body.n).or_insert(());
        if !entry.is_fresh() {
            return Err(refused("it was already used"));
        }
        Ok(())
    }

    /// Seals an MRTR request state (same binding as a token).
    pub fn seal_state(&self, principal: &str, digest: &str) -> Result<String> {
        self.issue(principal, digest)
    }

    /// Opens an MRTR request state; single use like a token.
    pub fn open_state(&self, state: &str, principal: &str, digest: &str) -> Result<()> {
        self.redeem(state, principal, digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_bind_request_and_principal_and_are_single_use() {
        let c = Confirmations::random();
        let d = digest(&json!({"a": 1}));
        let t = c.issue("alice@x", &d).unwrap();
        assert!(c.redeem(&t, "bob@x", &d).is_err(), "foreign principal");
        assert!(
            c.redeem(&t, "alice@x", &digest(&json!({"a": 2}))).is_err(),
            "other request"
        );
        let mut tampered = t.clone();
        tampered.push('x');
        assert!(c.redeem(&tampered, "alice@x", &d).is_err(), "tampered");
        assert!(c.redeem(&t, "alice@x", &d).is_ok());
        let e = c.redeem(&t, "alice@x", &d).unwrap_err();
        assert!(e.message.contains("already used"));
        let other = Confirmations::random();
        assert!(
            other
                .redeem(&c.issue("alice@x", &d).unwrap(), "alice@x", &d)
                .is_err(),
            "other key"
        );
    }

    #[test]
    fn concurrent_redemptions_spend_a_token_once() {
        let c = std::sync::Arc::new(Confirmations::random());
        let d = digest(&json!({"a": 1}));
        let t = c.issue("alice@x", &d).unwrap();
        let wins: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| s.spawn(|| c.redeem(&t, "alice@x", &d).is_ok() as usize))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(wins, 1);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let c = Confirmations::random_with_ttl(Duration::from_secs(1));
        let d = digest(&json!({"a": 1}));
        let t = c.issue("alice@x", &d).unwrap();
        std::thread::sleep(Duration::from_millis(2100));
        let e = c.redeem(&t, "alice@x", &d).unwrap_err();
        assert!(e.message.contains("expired"), "{}", e.message);
    }
}
