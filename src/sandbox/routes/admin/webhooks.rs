//! `POST /__sandbox/webhooks` (register), `GET /__sandbox/webhooks` (list, without secrets) and
//! `DELETE /__sandbox/webhooks/{id}`.
//!
//! The body mirrors Personio's `POST /v2/webhooks` (`url`, `description`, `status`, `auth_type`,
//! `token`, `enabled_events`) plus what the sandbox needs to sign and to test retries: `secret`
//! (required) and optional `max_attempts` / `min_backoff_ms`. Unlike Personio, `http://` URLs are
//! accepted so that a receiver on loopback can be tested.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{admin_error, from_object};
use crate::sandbox::envelope::json_response;
use crate::sandbox::state::AppState;
use crate::sandbox::webhooks::{Registration, events};

const MAX_URL: usize = 2048;
const MAX_SECRET: usize = 512;
const MAX_TEXT: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWebhook {
    url: String,
    secret: String,
    enabled_events: Vec<String>,
    #[serde(default)]
    description: String,
    /// Only `ENABLED` registrations make sense here; `DISABLED` is refused rather than stored dead.
    status: Option<String>,
    /// `NONE` (default here) or `TOKEN` (then `token` is sent as `Authorization`).
    auth_type: Option<String>,
    token: Option<String>,
    max_attempts: Option<u32>,
    min_backoff_ms: Option<u64>,
}

fn validate(body: NewWebhook) -> Result<Registration, String> {
    if body.url.len() > MAX_URL {
        return Err("url is too long".into());
    }
    let url = url::Url::parse(&body.url).map_err(|e| format!("url: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("url must be http or https".into());
    }
    if body.secret.is_empty() || body.secret.len() > MAX_SECRET {
        return Err(format!("secret must have 1 to {MAX_SECRET} bytes"));
    }
    if body.description.len() > MAX_TEXT {
        return Err("description is too long".into());
    }
    if body.enabled_events.is_empty() {
        return Err("enabled_events must name at least one event".into());
    }
    if let Some(unknown) = body
        .enabled_events
        .iter()
        .find(|e| !events::ALL.contains(&e.as_str()))
    {
        return Err(format!("unknown event {unknown:?}"));
    }
    if body.status.as_deref().is_some_and(|s| s != "ENABLED") {
        return Err("status must be ENABLED".into());
    }
    let token = match body.auth_type.as_deref().unwrap_or("NONE") {
        "NONE" => None,
        "TOKEN" => match body.token {
            Some(t) if !t.is_empty() && t.len() <= MAX_SECRET => Some(SecretString::from(t)),
            _ => return Err("auth_type TOKEN needs a token".into()),
        },
        other => return Err(format!("unsupported auth_type {other:?}")),
    };
    let max_attempts = body.max_attempts.unwrap_or(6);
    if !(1..=14).contains(&max_attempts) {
        return Err("max_attempts must lie between 1 and 14".into());
    }
    let min_backoff_ms = body.min_backoff_ms.unwrap_or(200);
    if !(1..=60_000).contains(&min_backoff_ms) {
        return Err("min_backoff_ms must lie between 1 and 60000".into());
    }
    let mut enabled_events = body.enabled_events;
    enabled_events.sort();
    enabled_events.dedup();
    Ok(Registration {
        id: Uuid::new_v4(),
        url,
        description: body.description,
        secret: SecretString::from(body.secret),
        token,
        enabled_events,
        max_attempts,
        min_backoff: Duration::from_millis(min_backoff_ms),
    })
}

fn describe(r: &Registration) -> serde_json::Value {
    json!({
        "id": r.id.to_string(),
        "url": r.url.as_str(),
        "description": r.description,
        "status": "ENABLED",
        "auth_type": if r.token.is_some() { "TOKEN" } else { "NONE" },
        "enabled_events": r.enabled_events,
        "max_attempts": r.max_attempts,
        "min_backoff_ms": r.min_backoff.as_millis(),
    })
}

pub(super) async fn register(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let registration = match from_object::<NewWebhook>(&body).and_then(validate) {
        Ok(r) => r,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, format!("invalid webhook: {e}")),
    };
    match state.webhooks.register(registration) {
        Ok(r) => json_response(StatusCode::CREATED, &describe(&r)),
        Err(e) => admin_error(StatusCode::CONFLICT, e),
    }
}

pub(super) async fn list(State(state): State<Arc<AppState>>) -> Response {
    let hooks: Vec<_> = state.webhooks.list().iter().map(|r| describe(r)).collect();
    json_response(StatusCode::OK, &json!({"_data": hooks}))
}

pub(super) async fn remove(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = id.map(|Path(s)| s).unwrap_or_default();
    match Uuid::parse_str(id.trim()) {
        Ok(id) if state.webhooks.remove(id) => {
            json_response(StatusCode::OK, &json!({"deleted": id.to_string()}))
        }
        _ => admin_error(StatusCode::NOT_FOUND, "no such webhook"),
    }
}
