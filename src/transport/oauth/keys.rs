//! Verification keys: the identity provider's JWKS, cached, or the built-in server's own keys.
//!
//! Keys are looked up by the token's `kid`. An unknown `kid` usually means the provider rotated
//! its keys, so the JWKS is fetched again — but at most once a minute, because anyone can send
//! tokens with made-up `kid`s and must not be able to make us hammer the provider.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::Mutex;

use super::OAuthError;
use super::discovery::get_json;

/// The only signature algorithms accepted: asymmetric, widely deployed. `none` and HMAC are
/// refused (HMAC would let anyone holding the public key forge tokens if keys were confused).
pub const ALLOWED_ALGORITHMS: [Algorithm; 3] =
    [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];
/// Shortest interval between two JWKS fetches triggered by unknown `kid`s.
const REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// How long fetched keys are trusted without a refetch (removed keys stop working after this).
const KEY_TTL: Duration = Duration::from_secs(3600);
/// Most keys taken from one JWKS.
const MAX_KEYS: usize = 32;

/// A JWKS document, its keys not yet parsed.
#[derive(serde::Deserialize)]
struct RawJwkSet {
    #[serde(default)]
    keys: Vec<serde_json::Value>,
}

/// One verification key and the one algorithm it may be used with.
pub struct VerifyKey {
    pub alg: Algorithm,
    pub key: DecodingKey,
}

/// Where verification keys come from.
pub enum KeySource {
    /// The identity provider's JWKS.
    Remote(RemoteKeys),
    /// The built-in authorization server's keys, by `kid`.
    Local(HashMap<String, Arc<VerifyKey>>),
}

impl KeySource {
    /// The key for `kid` (`""` stands for a token without `kid`).
    pub async fn find(&self, kid: &str) -> Option<Arc<VerifyKey>> {
        match self {
            KeySource::Remote(r) => r.find(kid).await,
            KeySource::Local(m) => m.get(kid).cloned(),
        }
    }

    /// How many usable keys the last JWKS fetch had, or how many local keys there are (doctor).
    pub fn len(&self) -> usize {
        match self {
            KeySource::Remote(r) => r.usable.load(std::sync::atomic::Ordering::Relaxed),
            KeySource::Local(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The provider's keys, cached by `kid`.
pub struct RemoteKeys {
    http: reqwest::Client,
    jwks_uri: String,
    cache: moka::future::Cache<String, Arc<VerifyKey>>,
    /// When the JWKS was last fetched; also serialises fetches.
    last_fetch: Mutex<Option<Instant>>,
    /// Usable keys in the last successful fetch.
    usable: std::sync::atomic::AtomicUsize,
    /// Shortest interval between fetches ([`REFRESH_INTERVAL`]; shorter only in tests).
    refresh_interval: Duration,
}

impl RemoteKeys {
    /// Fetches the JWKS once: a provider whose keys cannot be read is a start-up error.
    pub async fn load(http: reqwest::Client, jwks_uri: String) -> Result<Self, OAuthError> {
        Self::load_with_interval(http, jwks_uri, REFRESH_INTERVAL).await
    }

    pub(crate) async fn load_with_interval(
        http: reqwest::Client,
        jwks_uri: String,
        refresh_interval: Duration,
    ) -> Result<Self, OAuthError> {
        let keys = RemoteKeys {
            refresh_interval,
            usable: std::sync::atomic::AtomicUsize::new(0),
            http,
            jwks_uri,
            cache: moka::future::Cache::builder()
                .max_capacity(MAX_KEYS as u64 * 2)
                .time_to_live(KEY_TTL)
                .build(),
            last_fetch: Mutex::new(None),
        };
        let mut last = keys.last_fetch.lock().await;
        let n = keys.fetch().await?;
        *last = Some(Instant::now());
        drop(last);
        if n == 0 {
            return Err(OAuthError::unreachable(format!(
                "{}: no usable key (RS256, ES256 or EdDSA signing keys)",
                keys.jwks_uri
            )));
        }
        Ok(keys)
    }

    pub async fn find(&self, kid: &str) -> Option<Arc<VerifyKey>> {
        if let Some(k) = self.cache.get(kid).await {
            return Some(k);
        }
        let mut last = self.last_fetch.lock().await;
        // Another request may have refreshed while this one waited for the lock.
        if let Some(k) = self.cache.get(kid).await {
            return Some(k);
        }
        if last.is_some_and(|t| t.elapsed() < self.refresh_interval) {
            return None;
        }
        *last = Some(Instant::now());
        if let Err(e) = self.fetch().await {
            tracing::warn!(error = %e, "OAuth: refreshing the identity provider's keys failed");
        }
        self.cache.get(kid).await
    }

    /// Fetches the JWKS and caches its usable keys; returns how many there were.
    async fn fetch(&self) -> Result<usize, OAuthError> {
        // Keys are parsed one by one: one exotic key (an encryption key, an unknown curve) must
        // not make the whole set unreadable.
        let set: RawJwkSet = get_json(&self.http, &self.jwks_uri).await?;
        let mut n = 0;
        for raw in set.keys.into_iter().take(MAX_KEYS) {
            let Ok(jwk) = serde_json::from_value::<Jwk>(raw) else {
                continue;
            };
            if let Some(key) = verify_key(&jwk) {
                let kid = jwk.common.key_id.clone().unwrap_or_default();
                self.cache.insert(kid, Arc::new(key)).await;
                n += 1;
            }
        }
        self.usable.store(n, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!(keys = n, "OAuth: identity provider keys loaded");
        Ok(n)
    }
}

/// A verification key from a JWK, when it is a signing key of an allowed kind. The algorithm
/// comes from the key itself (its `alg`, else its type), never from the token.
pub fn verify_key(jwk: &Jwk) -> Option<VerifyKey> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return None,
    };
    if let Some(declared) = jwk.common.key_algorithm {
        let declared: Algorithm = declared.to_string().parse().ok()?;
        if declared != by_type {
            return None;
        }
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerifyKey { alg: by_type, key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A JWKS endpoint whose key set the test changes, counting fetches.
    async fn jwks_server(
        kids: Arc<std::sync::Mutex<Vec<&'static str>>>,
        hits: Arc<AtomicUsize>,
    ) -> String {
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let kids = kids.lock().unwrap().clone();
                hits.fetch_add(1, Ordering::SeqCst);
                let keys: Vec<_> = kids
                    .iter()
                    .map(|k| {
                        serde_json::json!({"kty": "OKP", "crv": "Ed25519", "kid": k,
                        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
                    })
                    .collect();
                std::future::ready(axum::Json(serde_json::json!({"keys": keys})))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    #[tokio::test]
    async fn unknown_kids_refetch_at_most_once_per_interval() {
        let kids = Arc::new(std::sync::Mutex::new(vec!["a"]));
        let hits = Arc::new(AtomicUsize::new(0));
        let url = jwks_server(kids.clone(), hits.clone()).await;
        let http = crate::transport::oauth::discovery::http_client().unwrap();

        let slow = RemoteKeys::load(http.clone(), url.clone()).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        assert!(slow.find("a").await.is_some());
        kids.lock().unwrap().push("b");
        for _ in 0..5 {
            assert!(slow.find("made-up").await.is_none());
        }
        assert!(
            slow.find("b").await.is_none(),
            "no refetch within the interval, even for a real rotation"
        );
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "made-up kids cannot make us hammer the provider"
        );

        let eager = RemoteKeys::load_with_interval(http, url, Duration::ZERO)
            .await
            .unwrap();
        let before = hits.load(Ordering::SeqCst);
        assert_eq!(eager.find("a").await.map(|k| k.alg), Some(Algorithm::EdDSA));
        assert_eq!(
            hits.load(Ordering::SeqCst),
            before,
            "known kids are served from the cache"
        );
        kids.lock().unwrap().push("c");
        assert!(
            eager.find("c").await.is_some(),
            "a rotated key is picked up by the refetch"
        );
        assert_eq!(hits.load(Ordering::SeqCst), before + 1);
    }

    fn jwk(v: serde_json::Value) -> Jwk {
        serde_json::from_value(v).unwrap_or_else(|e| unreachable!("test JWK: {e}"))
    }

    #[test]
    fn hmac_and_encryption_keys_are_never_verification_keys() {
        assert!(
            verify_key(&jwk(
                serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h"})
            ))
            .is_none()
        );
        let ed = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        assert!(matches!(
            verify_key(&jwk(ed.clone())),
            Some(VerifyKey {
                alg: Algorithm::EdDSA,
                ..
            })
        ));
        let mut enc = ed.clone();
        enc["use"] = "enc".into();
        assert!(verify_key(&jwk(enc)).is_none());
        let mut mismatched = ed;
        mismatched["alg"] = "RS256".into();
        assert!(verify_key(&jwk(mismatched)).is_none());
    }
}
