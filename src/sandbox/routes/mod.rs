//! The sandbox's HTTP surface, one module per Personio resource.
//!
//! Every Personio route (`/v1/...`, `/v2/...`) passes through [`gateway`]: request statistics, fault
//! injection and rate limits, in that order. `/v1/company/*` routes are additionally wrapped by the
//! Bearer check ([`bearer::require_bearer`]). Admin routes (`/__sandbox/...`) bypass all of it.
//!
//! v2 resource routes (`v2_persons`, `v2_absences`, `v2_absence_create`) sit behind the v2 Bearer
//! check, which answers with v2 error bodies; `v1_shared` and `v2_shared` hold what each API
//! generation's routes have in common.

mod admin;
mod bearer;
mod v1_absence_periods;
mod v1_auth;
mod v1_balance;
mod v1_employees;
mod v1_shared;
mod v1_time_offs;
mod v2_absence_create;
mod v2_absences;
mod v2_auth;
mod v2_persons;
mod v2_shared;

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header};

use super::absences::{DayAbsence, HourAbsence};
use super::envelope;
use super::faults::FaultPlan;
use super::limits::{self, Bucket, Decision};
use super::state::AppState;

/// Builds the complete router of one sandbox.
pub fn router(state: Arc<AppState>) -> Router {
    let company = Router::new()
        .route("/v1/company/employees", get(v1_employees::list))
        .route(
            "/v1/company/employees/attributes",
            get(v1_employees::attributes),
        )
        .route(
            "/v1/company/employees/custom-attributes",
            get(v1_employees::attributes),
        )
        .route(
            "/v1/company/employees/{employee_id}",
            get(v1_employees::get_one),
        )
        .route(
            "/v1/company/employees/{employee_id}/absences/balance",
            get(v1_balance::balance),
        )
        .route("/v1/company/time-off-types", get(v1_time_offs::types))
        .route(
            "/v1/company/time-offs",
            get(v1_time_offs::list).post(v1_time_offs::create),
        )
        .route(
            "/v1/company/time-offs/{id}",
            get(v1_time_offs::get_one).delete(v1_shared::delete::<DayAbsence>),
        )
        .route(
            "/v1/company/absence-periods",
            get(v1_absence_periods::list).post(v1_absence_periods::create),
        )
        .route(
            "/v1/company/absence-periods/{id}",
            delete(v1_shared::delete::<HourAbsence>),
        )
        .route_layer(from_fn_with_state(state.clone(), bearer::require_bearer));

    let v2 = Router::new()
        .route("/v2/persons", get(v2_persons::list))
        .route("/v2/persons/{id}", get(v2_persons::get_one))
        .route("/v2/persons/{id}/employments", get(v2_persons::employments))
        .route(
            "/v2/persons/{id}/employments/{employment_id}",
            get(v2_persons::employment_one),
        )
        .route("/v2/absence-types", get(v2_absences::types))
        .route("/v2/absence-types/{id}", get(v2_absences::type_one))
        .route(
            "/v2/absence-periods",
            get(v2_absences::list).post(v2_absence_create::create),
        )
        .route(
            "/v2/absence-periods/{id}",
            get(v2_absences::get_one).delete(v2_absences::delete),
        )
        .route(
            "/v2/absence-periods/{id}/breakdowns",
            get(v2_absences::breakdowns),
        )
        .route_layer(from_fn_with_state(state.clone(), bearer::require_bearer_v2));

    let personio = company
        .merge(v2)
        .route("/v1/auth", post(v1_auth::auth))
        .route("/v2/auth/token", post(v2_auth::token))
        .route("/v2/auth/revoke", post(v2_auth::revoke))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), gateway));

    personio.merge(admin::router()).with_state(state)
}

/// Unknown paths: a v2 problem body under `/v2`, the v1 envelope elsewhere.
async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/v2") {
        v2_shared::error(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("The endpoint with {} was not found.", uri.path()),
            "apinot_found",
            serde_json::json!({"path": uri.path()}),
        )
    } else {
        envelope::v1_error(StatusCode::NOT_FOUND, 404, "Not Found")
    }
}

fn too_many_requests(v2: bool) -> Response {
    if v2 {
        envelope::v2_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "The rate limit was exceeded. Retry after at least one second.",
            "common.too_many_requests",
        )
    } else {
        envelope::v1_too_many_requests()
    }
}

fn server_error(v2: bool) -> Response {
    if v2 {
        envelope::v2_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "Something went wrong.",
            "common.internal_server_error",
        )
    } else {
        envelope::v1_server_error()
    }
}

/// `x-ratelimit-limit/remaining/reset` on every limited route; v2 resources add the gateway-style
/// headers Personio was observed sending (`replenish-rate` per second, `burst-capacity`,
/// `requested-tokens`; REFERENCE.md §6).
fn add_rate_limit_headers(response: &mut Response, d: &Decision, v2: bool) {
    let h = response.headers_mut();
    let mut headers = vec![
        ("x-ratelimit-limit", u64::from(d.limit_per_minute)),
        ("x-ratelimit-remaining", u64::from(d.remaining)),
        ("x-ratelimit-reset", d.reset_secs),
    ];
    if v2 {
        headers.extend([
            (
                "x-ratelimit-replenish-rate",
                u64::from(d.limit_per_minute / 60),
            ),
            ("x-ratelimit-burst-capacity", u64::from(d.burst)),
            ("x-ratelimit-requested-tokens", 1),
        ]);
    }
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
            h.insert(HeaderName::from_static(name), v);
        }
    }
}

/// Cuts a response body in half (keeping the status), so it is no longer valid JSON.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            let cut = bytes.slice(..bytes.len() / 2);
            Response::from_parts(parts, axum::body::Body::from(cut))
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Statistics, faults and rate limits for every Personio route.
async fn gateway(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_owned(), |m| m.as_str().to_owned());
    let path = req.uri().path().to_owned();
    let mut tally = Tally {
        state: state.clone(),
        key: format!("{method} {route}"),
        done: false,
    };
    state.stats.arrive(&tally.key);
    let plan = state.faults.plan(method.as_str(), &path);
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    let response = handle(&state, &method, &route, &path, &plan, req, next).await;
    tally.finish(response.status().as_u16());
    response
}

/// Records the status of a request when it completes, or 499 if the server drops it unfinished
/// (the client went away during a delay).
struct Tally {
    state: Arc<AppState>,
    key: String,
    done: bool,
}

impl Tally {
    fn finish(&mut self, status: u16) {
        self.done = true;
        self.state.stats.complete(&self.key, status);
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if !self.done {
            self.state.stats.complete(&self.key, 499);
        }
    }
}

async fn handle(
    state: &AppState,
    method: &Method,
    route: &str,
    path: &str,
    plan: &FaultPlan,
    req: Request,
    next: Next,
) -> Response {
    let v2 = path.starts_with("/v2");
    if plan.rate_limit {
        return too_many_requests(v2);
    }
    if path.starts_with("/v1")
        && let Some(d) = state.limits.check(Bucket::V1Global).filter(|d| !d.allowed)
    {
        let mut r = too_many_requests(v2);
        add_rate_limit_headers(&mut r, &d, v2);
        return r;
    }
    let decision = limits::bucket_for(method, route).and_then(|b| state.limits.check(b));
    if let Some(d) = decision.filter(|d| !d.allowed) {
        let mut r = too_many_requests(v2);
        add_rate_limit_headers(&mut r, &d, v2);
        return r;
    }
    if !plan.after_commit {
        if plan.server_error {
            return server_error(v2);
        }
        if let Some(delay) = plan.delay {
            tokio::time::sleep(delay).await;
        }
    }
    let mut response = next.run(req).await;
    if plan.after_commit {
        if let Some(delay) = plan.delay {
            tokio::time::sleep(delay).await;
        }
        if plan.server_error {
            return server_error(v2);
        }
    }
    if plan.malformed {
        response = truncate(response).await;
    }
    if let Some(d) = decision {
        add_rate_limit_headers(&mut response, &d, v2);
    }
    response
}
