//! Test-only admin routes under `/__sandbox`. They are **not** part of Personio's API, need no
//! authentication, and bypass statistics, faults and rate limits. Formats are documented in
//! docs/sandbox.md; errors are `{"error": "<message>"}` with 400/404/409.

mod employees;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{delete, get, post};
use http::StatusCode;
use serde_json::{Value, json};

use crate::sandbox::absences::CreatedBy;
use crate::sandbox::auth::{CREDENTIALS, LIMITED_ATTRIBUTES};
use crate::sandbox::clock;
use crate::sandbox::envelope::json_response;
use crate::sandbox::faults::FaultConfig;
use crate::sandbox::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/__sandbox", get(info))
        .route(
            "/__sandbox/faults",
            get(get_faults).put(put_faults).delete(delete_faults),
        )
        .route("/__sandbox/revoke-tokens", post(revoke_tokens))
        .route("/__sandbox/stats", get(get_stats).delete(delete_stats))
        .route("/__sandbox/time-offs", get(dump_absences))
        .route("/__sandbox/employees", post(employees::add))
        .route("/__sandbox/employees/{id}", post(employees::patch))
        .route(
            "/__sandbox/webhooks",
            get(webhooks::list).post(webhooks::register),
        )
        .route("/__sandbox/webhooks/{id}", delete(webhooks::remove))
}

pub(super) fn admin_error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(status, &json!({"error": message.into()}))
}

async fn info(State(state): State<Arc<AppState>>) -> Response {
    let company = state.company();
    json_response(
        StatusCode::OK,
        &json!({
            "base_url": state.base_url,
            "seed": state.seed,
            "employees": company.len(),
            "today": clock::plain_date(state.clock.today()),
            "relaxed_limits": state.relaxed_limits,
            "credentials": CREDENTIALS.iter().map(|c| json!({
                "client_id": c.client_id,
                "v1_scope": c.v1_scope,
                "v2_scopes": c.v2_scopes,
            })).collect::<Vec<_>>(),
            "limited_attributes": LIMITED_ATTRIBUTES,
            "time_off_types": company.time_off_types.iter().map(|t| json!({
                "id": t.id, "id_v2": t.id_v2.to_string(), "name": t.name, "unit": t.unit.as_str(),
                "approval_required": t.approval_required, "half_days_allowed": t.half_days_allowed,
            })).collect::<Vec<_>>(),
        }),
    )
}

async fn get_faults(State(state): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, &state.faults.get())
}

/// Parses a JSON **object** into `T` (serde would otherwise accept an array as a positional struct).
pub(super) fn from_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => serde_json::from_value(v).map_err(|e| e.to_string()),
        Ok(_) => Err("expected a JSON object".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

async fn put_faults(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    match from_object::<FaultConfig>(&body) {
        Ok(config) => {
            state.faults.set(config.clone());
            json_response(StatusCode::OK, &config)
        }
        Err(e) => admin_error(
            StatusCode::BAD_REQUEST,
            format!("invalid fault config: {e}"),
        ),
    }
}

async fn delete_faults(State(state): State<Arc<AppState>>) -> Response {
    state.faults.set(FaultConfig::default());
    json_response(StatusCode::OK, &FaultConfig::default())
}

async fn revoke_tokens(State(state): State<Arc<AppState>>) -> Response {
    let revoked = state.tokens.revoke_all();
    json_response(StatusCode::OK, &json!({"revoked": revoked}))
}

/// Request statistics plus the webhook delivery counters (`webhooks`).
fn stats(state: &AppState) -> Response {
    let mut body = serde_json::to_value(state.stats.snapshot()).unwrap_or_else(|_| json!({}));
    if let (Value::Object(map), Ok(webhooks)) =
        (&mut body, serde_json::to_value(state.webhooks.stats()))
    {
        map.insert("webhooks".into(), webhooks);
    }
    json_response(StatusCode::OK, &body)
}

async fn get_stats(State(state): State<Arc<AppState>>) -> Response {
    stats(&state)
}

async fn delete_stats(State(state): State<Arc<AppState>>) -> Response {
    state.stats.reset();
    state.webhooks.reset_stats();
    stats(&state)
}

/// Every stored absence, day and hour units, in a flat test-friendly format.
async fn dump_absences(State(state): State<Arc<AppState>>) -> Response {
    let absences = state.absences();
    let day: Vec<Value> = absences
        .day()
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "id_v2": a.id_v2.to_string(),
                "employee_id": a.employee_id,
                "time_off_type_id": a.type_id,
                "start_date": clock::plain_date(a.start),
                "end_date": clock::plain_date(a.end),
                "half_day_start": a.half_day_start,
                "half_day_end": a.half_day_end,
                "days_count": crate::sandbox::envelope::number(a.days(None)),
                "status": a.status.as_str(),
                "comment": a.comment,
                "created_by": match a.created_by {
                    CreatedBy::Api => json!("API"),
                    CreatedBy::Employee(id) => json!(id),
                },
                "created_at": clock::v1_timestamp(a.created_at),
                "updated_at": clock::v1_timestamp(a.updated_at),
            })
        })
        .collect();
    let hour: Vec<Value> = absences
        .hour()
        .iter()
        .map(|a| {
            json!({
                "id": a.id.to_string(),
                "employee_id": a.employee_id,
                "time_off_type_id": a.type_id,
                "start": a.start.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "end": a.end.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "minutes": a.minutes(),
                "status": a.status.as_str(),
                "comment": a.comment,
                "origin": a.origin.as_str(),
                "created_at": clock::v1_timestamp(a.created_at),
                "updated_at": clock::v1_timestamp(a.updated_at),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"day_count": day.len(), "hour_count": hour.len(), "day": day, "hour": hour}),
    )
}
