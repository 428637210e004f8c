//! The Personio client against the sandbox over real loopback HTTP, with injected faults.
//! Request counts come from the sandbox's own statistics (`/__sandbox/stats`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::*;
use futures::TryStreamExt;
use personio_mcp::ErrorCode;
use personio_mcp::personio::scope::{Capability, EndpointAccess, Readiness};
use personio_mcp::personio::{AbsenceQuery, EmployeeQuery, NewTimeOff, PersonioClient};
use serde_json::json;

const AUTH: &str = "POST /v1/auth";
const EMPLOYEES: &str = "GET /v1/company/employees";
const TYPES: &str = "GET /v1/company/time-off-types";
const TIME_OFFS: &str = "GET /v1/company/time-offs";
const CREATE: &str = "POST /v1/company/time-offs";

#[tokio::test]
async fn hundred_concurrent_calls_on_a_cold_client_authenticate_once() {
    let sb = sandbox_with(personio_mcp::sandbox::SandboxConfig {
        employees: 20,
        relaxed_limits: true,
        ..Default::default()
    })
    .await;
    let id = employee_id(&client(&sb, "sandbox-client"), 0).await;
    reset_stats(&sb).await;
    let cold = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let calls = (0..100).map(|_| {
        let c = cold.clone();
        async move { c.employee(id).await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(route_count(&sb, AUTH).await, 1, "single-flight auth");
    assert_eq!(
        route_count(&sb, "GET /v1/company/employees/{employee_id}").await,
        100
    );
}

/// Any valid employee id (the first one), looked up once per call to keep calls independent.
async fn employee_id(c: &PersonioClient, _i: usize) -> i64 {
    let page = c
        .all_employees(&EmployeeQuery {
            email: None,
            attributes: vec!["id".into()],
            updated_since: None,
        })
        .await
        .unwrap();
    page[0].id
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once_and_the_call_succeeds() {
    let sb = sandbox(10).await;
    let client = client(&sb, "sandbox-client");
    client.time_off_types().await.unwrap();
    assert_eq!(route_count(&sb, AUTH).await, 1);
    revoke_tokens(&sb).await;
    let types = client.balances(employee_id(&client, 0).await).await;
    assert!(types.is_ok(), "{types:?}");
    assert_eq!(
        route_count(&sb, AUTH).await,
        2,
        "exactly one re-authentication"
    );
}

#[tokio::test]
async fn wrong_credentials_are_auth_invalid_with_a_hint_and_no_secret() {
    let sb = sandbox(5).await;
    let mut cfg = config(&sb, "sandbox-client");
    cfg.client_secret = secrecy::SecretString::from("not-the-secret-xyz".to_string());
    let client = PersonioClient::new(cfg).unwrap();
    let e = client.time_off_types().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::AuthInvalid);
    assert!(e.hint.unwrap().contains("API credentials"));
    assert!(!e.message.contains("not-the-secret-xyz"));
    assert_eq!(
        route_count(&sb, AUTH).await,
        1,
        "a rejected credential is not retried"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_at_least_a_second_without_a_storm() {
    let sb = sandbox(10).await;
    let client = client(&sb, "sandbox-client");
    client.authenticate().await.unwrap();
    set_faults(
        &sb,
        json!({"rate_limit_every": 2, "path_prefix": "/v1/company/time-off-types"}),
    )
    .await;
    client.time_off_types().await.unwrap();
    // Second load (cache bypassed by a fresh client sharing nothing): request 2 is throttled.
    let second = common::client(&sb, "sandbox-client");
    let started = Instant::now();
    second.time_off_types().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited ≥ 1 s after the 429"
    );
    assert_eq!(
        route_count(&sb, TYPES).await,
        3,
        "one 429, one retry, nothing more"
    );

    // A permanent storm: bounded attempts, then RATE_LIMITED.
    set_faults(
        &sb,
        json!({"rate_limit_every": 1, "path_prefix": "/v1/company/time-off-types"}),
    )
    .await;
    reset_stats(&sb).await;
    let third = common::client(&sb, "sandbox-client");
    let e = third.time_off_types().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert_eq!(route_count(&sb, TYPES).await, 4, "first try + 3 retries");
}

#[tokio::test]
async fn a_500_is_retried_on_get_but_never_on_post() {
    let sb = sandbox(10).await;
    let client = client(&sb, "sandbox-client");
    let id = employee_id(&client, 0).await;
    let types = client.time_off_types().await.unwrap();
    let vacation = types
        .iter()
        .find(|t| t.unit == personio_mcp::personio::Unit::Days)
        .unwrap();
    set_faults(
        &sb,
        json!({"server_error_every": 2, "method": "GET", "path_prefix": "/v1/company/time-offs"}),
    )
    .await;
    reset_stats(&sb).await;
    let q = AbsenceQuery::default();
    let _first: Vec<_> = client.time_offs(&q).try_collect().await.unwrap();
    let before = route_count(&sb, TIME_OFFS).await;
    let _second: Vec<_> = client.time_offs(&q).try_collect().await.unwrap();
    assert!(
        route_count(&sb, TIME_OFFS).await > before,
        "GETs went through despite 500s"
    );

    set_faults(&sb, json!({"server_error_every": 1, "method": "POST"})).await;
    reset_stats(&sb).await;
    let e = client
        .create_time_off(&NewTimeOff {
            employee_id: id,
            time_off_type_id: vacation.id,
            start_date: NaiveDate::from_ymd_opt(2031, 3, 4).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2031, 3, 4).unwrap(),
            half_day_start: false,
            half_day_end: false,
            comment: None,
            skip_approval: false,
        })
        .await
        .unwrap_err();
    assert!(matches!(
        e.code,
        ErrorCode::UpstreamError | ErrorCode::UpstreamUnavailable
    ));
    assert_eq!(
        route_count(&sb, CREATE).await,
        1,
        "a POST is never retried blindly"
    );
}

#[tokio::test]
async fn timeouts_end_in_upstream_unavailable_and_a_timed_out_post_says_to_look_it_up() {
    let sb = sandbox(10).await;
    let mut cfg = config(&sb, "sandbox-client");
    // Generous against a loaded machine: the sandbox must commit the POST well within the timeout.
    cfg.request_timeout = Duration::from_secs(1);
    cfg.operation_deadline = Duration::from_secs(8);
    let client = PersonioClient::new(cfg).unwrap();
    let id = employee_id(&client, 0).await;
    let types = client.time_off_types().await.unwrap();
    let vacation = types
        .iter()
        .find(|t| t.unit == personio_mcp::personio::Unit::Days)
        .unwrap();

    set_faults(&sb, json!({"delay_every": 1, "delay_ms": 4000, "method": "GET", "path_prefix": "/v1/company/employees/"})).await;
    let e = client.employee(id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable);

    set_faults(
        &sb,
        json!({"delay_every": 1, "delay_ms": 4000, "method": "POST", "after_commit": true}),
    )
    .await;
    reset_stats(&sb).await;
    let e = client
        .create_time_off(&NewTimeOff {
            employee_id: id,
            time_off_type_id: vacation.id,
            start_date: NaiveDate::from_ymd_opt(2031, 5, 6).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2031, 5, 6).unwrap(),
            half_day_start: false,
            half_day_end: false,
            comment: None,
            skip_approval: false,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable);
    assert_eq!(
        route_count(&sb, CREATE).await,
        1,
        "the timed-out POST was not repeated"
    );
}

#[tokio::test]
async fn malformed_json_is_upstream_error_not_a_panic() {
    let sb = sandbox(10).await;
    let client = client(&sb, "sandbox-client");
    client.authenticate().await.unwrap();
    set_faults(
        &sb,
        json!({"malformed_json_every": 1, "path_prefix": "/v1/company/time-off-types"}),
    )
    .await;
    let e = client.time_off_types().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamError);
}

#[tokio::test]
async fn two_thousand_employees_page_to_the_end_with_one_request_per_page() {
    let sb = sandbox_with(personio_mcp::sandbox::SandboxConfig {
        employees: 2000,
        relaxed_limits: true,
        ..Default::default()
    })
    .await;
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    client.authenticate().await.unwrap();
    reset_stats(&sb).await;
    let all = client
        .all_employees(&EmployeeQuery {
            attributes: vec!["first_name".into(), "last_name".into()],
            ..EmployeeQuery::default()
        })
        .await
        .unwrap();
    let ids: HashSet<i64> = all.iter().map(|e| e.id).collect();
    assert_eq!(all.len(), 2000);
    assert_eq!(ids.len(), 2000);
    assert_eq!(route_count(&sb, EMPLOYEES).await, 20, "⌈2000/100⌉ requests");
}

#[tokio::test]
async fn time_off_pages_are_deduplicated_despite_page_index_offsets() {
    let sb = sandbox_with(personio_mcp::sandbox::SandboxConfig {
        employees: 400,
        relaxed_limits: true,
        ..Default::default()
    })
    .await;
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    client.authenticate().await.unwrap();
    let raw: serde_json::Value = http()
        .get(format!(
            "{}/v1/company/time-offs?limit=200&offset=0",
            sb.base_url()
        ))
        .bearer_auth(token(&sb).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total = raw["metadata"]["total_elements"].as_u64().unwrap() as usize;
    assert!(
        total > 400,
        "the seeded company has several pages of time-offs ({total})"
    );
    reset_stats(&sb).await;
    let all: Vec<_> = client
        .time_offs(&AbsenceQuery::default())
        .try_collect()
        .await
        .unwrap();
    let ids: HashSet<&str> = all.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(all.len(), total, "every time-off exactly once");
    assert_eq!(ids.len(), total);
    let pages = total.div_ceil(200) as u64;
    let requests = route_count(&sb, TIME_OFFS).await;
    assert!(
        requests == pages || requests == pages + 1,
        "{requests} requests for {pages} pages (one extra only when the last page is full)"
    );
}

async fn token(sb: &personio_mcp::sandbox::SandboxHandle) -> String {
    let v: serde_json::Value = http()
        .post(format!("{}/v1/auth", sb.base_url()))
        .json(&json!({"client_id": "sandbox-client", "client_secret": "sandbox-secret"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["data"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn scope_report_for_the_full_credential() {
    let sb = sandbox(10).await;
    let report = client(&sb, "sandbox-client").scope_report().await.unwrap();
    assert!(report.usable());
    assert!(
        report.missing_recommended.is_empty(),
        "{:?}",
        report.missing_recommended
    );
    for e in report.endpoints.iter().filter(|e| e.method == "GET") {
        assert_eq!(e.access, EndpointAccess::Works, "{}", e.name);
    }
    for c in &report.capabilities {
        let expected = match c.capability {
            // Writes are never probed by writing.
            Capability::CreateAbsences | Capability::DeleteAbsences => Readiness::Unknown,
            _ => Readiness::Full,
        };
        assert_eq!(c.readiness, expected, "{:?}: {}", c.capability, c.reason);
    }
}

#[tokio::test]
async fn scope_report_for_the_limited_credential_names_every_missing_attribute() {
    let sb = sandbox(10).await;
    let client = client(&sb, "sandbox-limited");
    let report = client.scope_report().await.unwrap();
    assert!(
        report.usable(),
        "the limited credential can still list employees"
    );
    let missing: HashSet<&str> = report
        .missing_recommended
        .iter()
        .map(|m| m.key.as_str())
        .collect();
    for key in [
        "supervisor", "office", "position", "team", "hire_date", "termination_date",
    ] {
        assert!(missing.contains(key), "{key} reported missing");
    }
    for key in ["first_name", "last_name", "email", "status", "department"] {
        assert!(!missing.contains(key), "{key} is readable");
    }
    let labels: Vec<&str> = report
        .missing_recommended
        .iter()
        .map(|m| m.label.as_str())
        .collect();
    assert!(labels.contains(&"Supervisor"));
    assert!(report.hint.contains("Readable employee attributes"));
    let absences = report
        .endpoints
        .iter()
        .find(|e| e.name == "list day absences")
        .unwrap();
    assert!(matches!(absences.access, EndpointAccess::Forbidden { .. }));
    // A 403 on an endpoint is PERMISSION_MISSING naming the permission.
    let e = client
        .time_offs(&AbsenceQuery::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionMissing);
    assert!(e.message.contains("read absences"));
    // Employees come back without the attributes the credential may not read: unreadable, not empty.
    let all = client
        .all_employees(&EmployeeQuery::default())
        .await
        .unwrap();
    assert!(
        all.iter()
            .all(|e| !e.supervisor.is_readable() && !e.position.is_readable())
    );
    assert!(all.iter().all(|e| e.first_name.is_readable()));
}

/// A stand-in for how real Personio answers a revoked token: 403 "Provided authorization is not
/// valid" (the sandbox answers 401). Forwards everything to the sandbox and rewrites only that.
async fn personio_like_proxy(sb: &personio_mcp::sandbox::SandboxHandle) -> String {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    let upstream = sb.base_url();
    let forward = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let upstream = upstream.clone();
        async move {
            let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
            let mut req = http().request(method, format!("{upstream}{path}"));
            for name in ["authorization", "content-type", "accept"] {
                if let Some(v) = headers.get(name) {
                    req = req.header(name, v);
                }
            }
            let r = req.body(body).send().await.unwrap();
            let status = match r.status() {
                StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
                s => s,
            };
            let text = r.text().await.unwrap();
            (status, [("content-type", "application/json")], text)
        }
    };
    let app = axum::Router::new().fallback(forward);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_403_from_a_token_revoked_seconds_after_issue_reauthenticates_once_and_succeeds() {
    let sb = sandbox(10).await;
    let mut cfg = config(&sb, "sandbox-client");
    cfg.base_url = personio_like_proxy(&sb).await;
    let client = PersonioClient::new(cfg).unwrap();
    let id = employee_id(&client, 0).await;
    assert_eq!(route_count(&sb, AUTH).await, 1);
    // The token is a few milliseconds old when it is revoked.
    revoke_tokens(&sb).await;
    let balances = client.balances(id).await;
    assert!(
        balances.is_ok(),
        "a revoked token is not a missing permission: {balances:?}"
    );
    assert_eq!(
        route_count(&sb, AUTH).await,
        2,
        "exactly one re-authentication"
    );
}

#[tokio::test]
async fn a_403_for_a_missing_permission_costs_one_reauthentication_not_one_per_call() {
    let sb = sandbox(10).await;
    let client = client(&sb, "sandbox-limited");
    client.authenticate().await.unwrap();
    for _ in 0..3 {
        let e = client
            .time_offs(&AbsenceQuery::default())
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionMissing);
        assert!(e.message.contains("read absences"));
    }
    assert_eq!(
        route_count(&sb, AUTH).await,
        2,
        "one token, then one fresh token to rule out revocation; later 403s with it are believed"
    );
}

async fn a_time_off(client: &PersonioClient, day: (i32, u32, u32)) -> String {
    let id = employee_id(client, 0).await;
    let types = client.time_off_types().await.unwrap();
    let vacation = types
        .iter()
        .find(|t| t.unit == personio_mcp::personio::Unit::Days)
        .unwrap();
    let date = NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
    client
        .create_time_off(&NewTimeOff {
            employee_id: id,
            time_off_type_id: vacation.id,
            start_date: date,
            end_date: date,
            half_day_start: false,
            half_day_end: false,
            comment: None,
            skip_approval: false,
        })
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn deleting_a_time_off_removes_it_and_a_second_delete_is_not_found() {
    let sb = sandbox(10).await;
    let client = client(&sb, "sandbox-client");
    let id: i64 = a_time_off(&client, (2031, 6, 3)).await.parse().unwrap();
    client.delete_time_off(id).await.unwrap();
    let e = client.time_off(id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "it is gone");
    let e = client.delete_time_off(id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(!personio_mcp::personio::is_outcome_unknown(&e));
    let e = client
        .delete_hour_absence("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = client.delete_hour_absence("1; DROP").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed, "never sent upstream");
}

#[tokio::test]
async fn a_delete_that_times_out_is_an_unknown_outcome_and_is_sent_once() {
    let sb = sandbox(10).await;
    let mut cfg = config(&sb, "sandbox-client");
    cfg.request_timeout = Duration::from_secs(1);
    cfg.operation_deadline = Duration::from_secs(8);
    let client = PersonioClient::new(cfg).unwrap();
    let id: i64 = a_time_off(&client, (2031, 6, 4)).await.parse().unwrap();
    set_faults(
        &sb,
        json!({"delay_every": 1, "delay_ms": 3000, "method": "DELETE", "after_commit": true}),
    )
    .await;
    reset_stats(&sb).await;
    let e = client.delete_time_off(id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable);
    assert!(
        personio_mcp::personio::is_outcome_unknown(&e),
        "the caller is told to look it up: {e:?}"
    );
    assert!(e.hint.unwrap_or_default().contains("Look the record up"));
    assert_eq!(
        route_count(&sb, "DELETE /v1/company/time-offs/{id}").await,
        1,
        "a DELETE is never repeated blindly"
    );
    clear_faults(&sb).await;
    assert_eq!(
        client.time_off(id).await.unwrap_err().code,
        ErrorCode::NotFound,
        "the deletion did happen, which is why a blind retry would have said NOT_FOUND"
    );
}
