//! One event delivered to one registration: signed, sent, retried with exponential backoff.
//!
//! Signature (the sandbox's scheme; Personio documents HMAC-SHA256 over timestamp and body but the
//! header names are not public, see docs/sandbox.md): `X-Personio-Timestamp` carries the Unix time
//! in seconds of the attempt, `X-Personio-Signature` the lowercase hex HMAC-SHA256, keyed with the
//! registration's secret, of `"{timestamp}.{raw body}"`. Each attempt is signed afresh, so a
//! receiver's replay window holds for retries too. The timestamp is real time (not the sandbox's
//! shifted clock): it is transport data, checked against the receiver's own clock.

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use tokio::sync::Semaphore;

use super::{Counters, Registration};

/// Personio's acknowledgement window: an answer slower than this counts as a failure.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest pause between two attempts (Personio spreads retries over days; the sandbox compresses
/// that into seconds so tests stay quick).
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
pub const SIGNATURE_HEADER: &str = "x-personio-signature";
pub const TIMESTAMP_HEADER: &str = "x-personio-timestamp";
pub const WEBHOOK_ID_HEADER: &str = "x-personio-webhook-id";

/// Hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty string would never verify.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The HTTP client of deliveries (rustls with the webpki roots, so `https` targets work too).
pub fn build_client() -> Result<reqwest::Client, String> {
    let provider = rustls::crypto::ring::default_provider();
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider.into())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(ACK_TIMEOUT)
        .user_agent("personio-sandbox-webhooks")
        .build()
        .map_err(|e| e.to_string())
}

/// Why an attempt failed, and whether Personio would try again.
#[derive(Debug)]
struct Failed {
    retry: bool,
}

pub struct Job {
    pub client: reqwest::Client,
    pub hook: Arc<Registration>,
    pub body: Bytes,
    pub event_name: &'static str,
}

impl Job {
    /// Delivers with retries; `true` once a 2xx arrived.
    pub(super) async fn run(&self, counters: &Counters, permits: &Semaphore) -> bool {
        let retries = usize::try_from(self.hook.max_attempts.saturating_sub(1)).unwrap_or(0);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.hook.min_backoff)
            .with_max_delay(MAX_BACKOFF)
            .with_max_times(retries);
        let attempt = || self.attempt(counters, permits);
        attempt
            .retry(backoff)
            .when(|f: &Failed| f.retry)
            .await
            .is_ok()
    }

    async fn attempt(&self, counters: &Counters, permits: &Semaphore) -> Result<(), Failed> {
        // A closed semaphore never happens (it is never closed); treat it as a failed attempt.
        let Ok(_permit) = permits.acquire().await else {
            return Err(Failed { retry: false });
        };
        Counters::bump(&counters.attempts);
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign(
            self.hook.secret.expose_secret().as_bytes(),
            timestamp,
            &self.body,
        );
        let mut request = self
            .client
            .post(self.hook.url.clone())
            .timeout(ACK_TIMEOUT)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(WEBHOOK_ID_HEADER, self.hook.id.to_string())
            .body(self.body.clone());
        if let Some(token) = &self.hook.token {
            request = request.header(http::header::AUTHORIZATION, token.expose_secret());
        }
        let outcome = match request.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            // Personio retries 5xx except 501; anything else is final.
            Ok(r) => Err(Failed {
                retry: r.status().is_server_error()
                    && r.status() != http::StatusCode::NOT_IMPLEMENTED,
            }),
            Err(_) => Err(Failed { retry: true }),
        };
        if let Err(f) = &outcome {
            Counters::bump(&counters.failed_attempts);
            tracing::debug!(
                webhook = %self.hook.id,
                event = self.event_name,
                retry = f.retry,
                "sandbox: webhook delivery attempt failed"
            );
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // Independently computed: Python `hmac.new(b"secret", b"1700000000.{}", hashlib.sha256)`.
        assert_eq!(
            sign(b"secret", 1_700_000_000, b"{}"),
            "b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(sign(b"secret", 1, b"{}"), sign(b"secret", 2, b"{}"));
        assert_ne!(sign(b"secret", 1, b"{}"), sign(b"other", 1, b"{}"));
        assert_eq!(sign(b"secret", 1, b"{}").len(), 64);
    }
}
