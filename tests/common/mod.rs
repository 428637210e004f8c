//! Helpers shared by the integration tests: an in-process sandbox on a loopback port and a client
//! configured for it, plus access to the sandbox's test-only admin routes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion
#![allow(dead_code)]

pub mod stdio;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use personio_mcp::personio::config::{LimitsConfig, RetryConfig};
use personio_mcp::personio::{ClientConfig, PersonioClient};
use personio_mcp::sandbox::{SandboxConfig, SandboxHandle};
use secrecy::SecretString;
use serde_json::Value;

pub async fn sandbox(employees: usize) -> SandboxHandle {
    sandbox_with(SandboxConfig {
        employees,
        ..SandboxConfig::default()
    })
    .await
}

pub async fn sandbox_with(config: SandboxConfig) -> SandboxHandle {
    SandboxHandle::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
        .await
        .expect("sandbox starts")
}

/// Client settings for tests: real retry semantics, short delays so tests stay quick.
pub fn config(sb: &SandboxHandle, client_id: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        sb.base_url(),
        client_id,
        SecretString::from("sandbox-secret".to_string()),
    );
    cfg.retry = RetryConfig {
        max_retries: 3,
        min_delay: Duration::from_millis(20),
        throttle_min_delay: Duration::from_secs(1),
        max_delay: Duration::from_millis(200),
    };
    cfg.request_timeout = Duration::from_secs(5);
    cfg.operation_deadline = Duration::from_secs(20);
    cfg
}

/// No client-side throttling (for tests that fire many requests at once).
pub fn unthrottled(mut cfg: ClientConfig) -> ClientConfig {
    cfg.limits = LimitsConfig::relaxed();
    cfg
}

pub fn client(sb: &SandboxHandle, client_id: &str) -> PersonioClient {
    PersonioClient::new(config(sb, client_id)).expect("client builds")
}

/// A plain HTTP client for admin routes and raw requests (loopback, no TLS needed; reqwest still
/// wants a process-wide rustls provider because the crate is built without a default one).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn set_faults(sb: &SandboxHandle, faults: Value) {
    let r = http()
        .put(format!("{}/__sandbox/faults", sb.base_url()))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "setting faults failed: {}",
        r.status()
    );
}

pub async fn clear_faults(sb: &SandboxHandle) {
    http()
        .delete(format!("{}/__sandbox/faults", sb.base_url()))
        .send()
        .await
        .unwrap();
}

pub async fn reset_stats(sb: &SandboxHandle) {
    http()
        .delete(format!("{}/__sandbox/stats", sb.base_url()))
        .send()
        .await
        .unwrap();
}

pub async fn stats(sb: &SandboxHandle) -> Value {
    http()
        .get(format!("{}/__sandbox/stats", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Requests seen for one route (`"GET /v1/company/employees"`), all statuses.
pub async fn route_count(sb: &SandboxHandle, route: &str) -> u64 {
    stats(sb).await["by_route"][route]["total"]
        .as_u64()
        .unwrap_or(0)
}

pub async fn revoke_tokens(sb: &SandboxHandle) {
    let r = http()
        .post(format!("{}/__sandbox/revoke-tokens", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

pub async fn stored_time_offs(sb: &SandboxHandle) -> Value {
    http()
        .get(format!("{}/__sandbox/time-offs", sb.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Requests to Personio's absence listings (`GET` of time-offs or absence-periods, either API
/// generation), all statuses.
pub async fn absence_listing_requests(sb: &SandboxHandle) -> u64 {
    stats(sb).await["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| {
            route.starts_with("GET ")
                && (route.contains("time-offs") || route.contains("absence-periods"))
        })
        .map(|(_, v)| v["total"].as_u64().unwrap_or(0))
        .sum()
}

/// Books one whole day of time off directly in Personio (approved), as another integration or
/// a person in Personio's own interface would: nothing of the server under test is involved.
pub async fn book_elsewhere(
    sb: &SandboxHandle,
    employee_id: i64,
    time_off_type_id: i64,
    day: chrono::NaiveDate,
) {
    client(sb, "sandbox-client")
        .create_time_off(&personio_mcp::personio::NewTimeOff {
            employee_id,
            time_off_type_id,
            start_date: day,
            end_date: day,
            half_day_start: false,
            half_day_end: false,
            comment: None,
            skip_approval: true,
        })
        .await
        .unwrap();
}
