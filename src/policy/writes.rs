//! The write gate, human confirmation and idempotency for `create_time_off`.
//!
//! A language model may retry, misread a date or be talked into acting for someone else, and
//! Personio cannot undo an approval by API. So a write needs: writes enabled on this server, a
//! human "yes" (through the client's elicitation UI, or a second call carrying a sealed
//! confirmation token), and protection against booking twice (idempotency keys, plus the natural-
//! key lookup in `domain::time_off`).
//!
//! Confirmation tokens and MRTR request states are sealed with an HMAC key (rmcp's
//! `RequestStateCodec`): they bind the principal and a digest of the exact request, expire after
//! [`CONFIRMATION_TTL`], and are accepted once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rmcp::model::{RequestStateCodec, SealOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode, Result};

/// How long a confirmation token or confirmation request stays valid.
pub const CONFIRMATION_TTL: Duration = Duration::from_secs(10 * 60);
/// How long an idempotency key replays its first result.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// Whether the write tools exist and may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Listed, but every call answers WRITES_DISABLED with how to enable writes (the default).
    #[default]
    Disabled,
    /// Not even listed (`--read-only`).
    Hidden,
    /// Writes allowed, after confirmation (`--enable-writes`).
    Enabled,
}

/// The write settings of a server.
#[derive(Debug, Clone, Default)]
pub struct WritePolicy {
    pub mode: WriteMode,
    /// Skip human confirmation: for trusted automation only (`--no-confirm`).
    pub skip_confirmation: bool,
    /// HR callers may ask for `auto_approve` (`--allow-auto-approve`).
    pub allow_auto_approve: bool,
}

impl WritePolicy {
    /// WRITES_DISABLED unless writes are enabled.
    pub fn check_enabled(&self) -> Result<()> {
        match self.mode {
            WriteMode::Enabled => Ok(()),
            _ => Err(Error::new(ErrorCode::WritesDisabled, "writes are disabled on this server")
                .with_hint(
                    "An administrator can start the server with --enable-writes (or PERSONIO_MCP_ENABLE_WRITES=true). \
Until then, request the time off in Personio directly.",
                )),
        }
    }
}

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

/// Issues and checks confirmation tokens; remembers used ones and idempotent results.
pub struct Confirmations {
    codec: RequestStateCodec,
    ttl: Duration,
    used: Mutex<HashMap<String, Instant>>,
    idempotent: Mutex<HashMap<String, (Instant, String, Value)>>,
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
        "Call create_time_off again without confirmation_token to get a fresh preview and token, \
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
            used: Mutex::new(HashMap::new()),
            idempotent: Mutex::new(HashMap::new()),
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
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        let ttl = self.ttl;
        used.retain(|_, at| at.elapsed() < ttl);
        if used.insert(body.n, Instant::now()).is_some() {
            return Err(refused("it was already used"));
        }
        Ok(())
    }

    /// The earlier result for this idempotency key, if any. The same key with a different request
    /// is a CONFLICT.
    pub fn replay(&self, principal: &str, key: &str, digest: &str) -> Result<Option<Value>> {
        let mut map = self.idempotent.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (at, _, _)| at.elapsed() < IDEMPOTENCY_WINDOW);
        match map.get(&format!("{principal}|{key}")) {
            Some((_, d, result)) if d == digest => Ok(Some(result.clone())),
            Some(_) => Err(Error::new(
                ErrorCode::Conflict,
                "this idempotency_key was already used for a different request",
            )
            .with_hint("Use a new idempotency_key for a new request.")),
            None => Ok(None),
        }
    }

    /// Remembers the result of a completed write under its idempotency key.
    pub fn remember(&self, principal: &str, key: &str, digest: &str, result: Value) {
        let mut map = self.idempotent.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(
            format!("{principal}|{key}"),
            (Instant::now(), digest.to_string(), result),
        );
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
    fn expired_tokens_are_refused() {
        let c = Confirmations::random_with_ttl(Duration::from_secs(1));
        let d = digest(&json!({"a": 1}));
        let t = c.issue("alice@x", &d).unwrap();
        std::thread::sleep(Duration::from_millis(2100));
        let e = c.redeem(&t, "alice@x", &d).unwrap_err();
        assert!(e.message.contains("expired"), "{}", e.message);
    }

    #[test]
    fn idempotency_replays_and_refuses_reuse_for_other_requests() {
        let c = Confirmations::random();
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

    #[test]
    fn the_gate_explains_how_to_enable_writes() {
        let e = WritePolicy::default().check_enabled().unwrap_err();
        assert_eq!(e.code, ErrorCode::WritesDisabled);
        assert!(e.hint.unwrap().contains("--enable-writes"));
    }
}
