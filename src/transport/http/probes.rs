//! The probes: `/healthz` (liveness) and `/readyz` (readiness, cached so that probes do not spend
//! the upstream rate budget).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use moka::future::Cache;
use tokio_util::sync::CancellationToken;

use super::config::ReadinessCheck;

/// How long a `/readyz` verdict is reused (probes must not spend the Personio rate budget).
const READY_CACHE: Duration = Duration::from_secs(5);
/// A readiness check that takes longer than this counts as a failure.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the probes share: the readiness check, its cached verdict, and the drain flag.
pub(super) struct Probes {
    check: Option<ReadinessCheck>,
    /// One entry (key `()`): the last verdict, for [`READY_CACHE`]. moka's `get_with` makes
    /// concurrent probes wait for one check instead of each starting their own.
    verdict: Cache<(), Result<(), String>>,
    draining: CancellationToken,
}

impl Probes {
    pub(super) fn new(check: Option<ReadinessCheck>, draining: CancellationToken) -> Probes {
        Probes {
            check,
            verdict: Cache::builder()
                .max_capacity(1)
                .time_to_live(READY_CACHE)
                .build(),
            draining,
        }
    }
}

/// Liveness: the process serves HTTP. No data, no upstream call.
pub(super) async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// Readiness: upstream reachable and the credential valid (verdict cached for a few seconds,
/// single-flight), and not shutting down.
pub(super) async fn readyz(State(p): State<Arc<Probes>>) -> Response {
    if p.draining.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "shutting_down"})),
        )
            .into_response();
    }
    let verdict = match &p.check {
        None => Ok(()),
        Some(check) => {
            p.verdict
                .get_with((), async {
                    let v = match tokio::time::timeout(READY_TIMEOUT, check()).await {
                        Ok(v) => v,
                        Err(_) => Err("UPSTREAM_UNAVAILABLE".to_string()),
                    };
                    if let Err(reason) = &v {
                        tracing::warn!(%reason, "readiness check failed");
                    }
                    v
                })
                .await
        }
    };
    match verdict {
        Ok(()) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "reason": reason})),
        )
            .into_response(),
    }
}
