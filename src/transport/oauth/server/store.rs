//! The built-in authorization server's short-lived state, in memory and bounded: registered
//! clients, logins in progress, authorization codes, refresh tokens.
//!
//! Everything here expires on its own (moka time-to-live) and every map has a ceiling, so a flood
//! of registrations or abandoned logins cannot exhaust memory. Secrets (codes, refresh tokens,
//! client secrets) are kept only as SHA-256 hashes: a memory dump does not hand out tokens.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use moka::future::Cache;
use sha2::{Digest, Sha256};

/// Most registered clients kept (oldest unused ones fall out first).
const MAX_CLIENTS: u64 = 10_000;
/// Most logins in progress / unredeemed codes.
const MAX_PENDING: u64 = 10_000;
/// Most live refresh tokens.
const MAX_REFRESH: u64 = 100_000;
/// How long a dynamically registered client is kept without use.
const CLIENT_IDLE: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a person has to log in upstream.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// Lifetime of an authorization code (RFC 6749 §4.1.2 recommends at most 10 minutes).
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// Lifetime of a refresh token (rotated on every use).
pub const REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// A registered OAuth client.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    /// SHA-256 of the client secret, for confidential clients.
    pub secret_hash: Option<[u8; 32]>,
    pub redirect_uris: Vec<String>,
    pub client_name: Option<String>,
}

/// Who logged in, as the upstream provider vouched.
#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub email: String,
    pub hr: bool,
}

/// An authorization request waiting for the person's upstream login.
#[derive(Debug, Clone)]
pub struct Pending {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub scope: String,
    pub resource: String,
    /// Our PKCE verifier and nonce towards the upstream provider.
    pub upstream_verifier: String,
    pub nonce: String,
}

/// An issued authorization code's grant.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub resource: String,
    pub person: Person,
    /// The refresh token family this code started (revoked when the code is replayed).
    pub family: String,
}

/// A live refresh token's grant.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub client_id: String,
    pub scope: String,
    pub resource: String,
    pub person: Person,
    pub family: String,
}

/// All state of the authorization server.
pub struct Store {
    pub clients: Cache<String, Arc<Client>>,
    /// By the `state` we sent upstream.
    pub pending: Cache<String, Arc<Pending>>,
    /// By hash of the code.
    pub codes: Cache<String, Arc<CodeGrant>>,
    /// Hashes of codes already redeemed → their family (replay detection, RFC 9700 §4.5.3).
    pub used_codes: Cache<String, String>,
    /// By hash of the refresh token.
    pub refresh: Cache<String, Arc<RefreshGrant>>,
    /// Hashes of rotated refresh tokens → family (reuse of one revokes the family).
    pub rotated: Cache<String, String>,
    /// Revoked families.
    pub revoked_families: Cache<String, ()>,
}

impl Store {
    pub fn new() -> Self {
        Store {
            clients: Cache::builder()
                .max_capacity(MAX_CLIENTS)
                .time_to_idle(CLIENT_IDLE)
                .build(),
            pending: expiring(PENDING_TTL, MAX_PENDING),
            codes: expiring(CODE_TTL, MAX_PENDING),
            used_codes: expiring(REFRESH_TTL, MAX_PENDING * 10),
            refresh: expiring(REFRESH_TTL, MAX_REFRESH),
            rotated: expiring(REFRESH_TTL, MAX_REFRESH),
            revoked_families: expiring(REFRESH_TTL, MAX_REFRESH),
        }
    }
}

/// A cache whose entries live `ttl` at most, `max` of them.
fn expiring<V: Clone + Send + Sync + 'static>(ttl: Duration, max: u64) -> Cache<String, V> {
    Cache::builder().max_capacity(max).time_to_live(ttl).build()
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// A fresh random token (256 bits, base64url).
pub fn random_token() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

/// The storage key of a secret.
pub fn hash(secret: &str) -> String {
    B64.encode(Sha256::digest(secret.as_bytes()))
}

/// SHA-256 of a secret, raw.
pub fn hash_bytes(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// PKCE S256 (RFC 7636 §4.6): does `verifier` hash to `challenge`? Verifiers must be 43–128
/// unreserved characters.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return false;
    }
    let computed = B64.encode(Sha256::digest(verifier.as_bytes()));
    subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), challenge.as_bytes()).into()
}

/// PKCE S256 challenge of `verifier` (for our own requests upstream).
pub fn pkce_challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_per_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(pkce_challenge(verifier), challenge);
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX",
            challenge
        ));
        assert!(!pkce_s256_matches("short", &pkce_challenge("short")));
    }
}
