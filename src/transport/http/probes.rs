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

/// Why the server is degraded but still ready (e.g. the shared state is down: reads go on,
/// writes are refused). Cheap and synchronous: it reads a verdict kept current elsewhere.
/// Degraded is still 200, so a load balancer keeps sending reads to every replica.
pub type DegradedCheck = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// What the probes share: the readiness check, its cached verdict, and the drain flag.
pub(super) struct Probes {
    check: Option<ReadinessCheck>,
    degraded: Option<DegradedCheck>,
    /// One entry (key `()`): the last verdict, for [`READY_CACHE`]. moka's `get_with` makes
    /// concurrent probes wait for one check instead of each starting their own.
    verdict: Cache<(), Result<(), String>>,
    draining: CancellationToken,
}

impl Probes {
    pub(super) fn new(
        check: Option<ReadinessCheck>,
        degraded: Option<DegradedCheck>,
        draining: CancellationToken,
    ) -> Probes {
        Probes {
            check,
            degraded,
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
    let degraded = p.degraded.as_ref().and_then(|d| d());
    match (verdict, degraded) {
        (Ok(()), Some(reason)) => {
            axum::Json(serde_json::json!({"status": "degraded", "reason": reason})).into_response()
        }
        (Ok(()), None) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        (Err(reason), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "reason": reason})),
        )
            .into_response(),
    }
}
