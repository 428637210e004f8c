//! Issue 9 fault suite: every read tool against a misbehaving Personio ends in a correct result or
//! the right typed error within its deadline, and the server recovers without a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::time::{Duration, Instant};

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::tools::{
    get_employee, get_pto_balance, list_absences, list_time_off_types, search_employee,
};
use personio_mcp::personio::PersonioClient;
use personio_mcp::policy::access::Caller;
use personio_mcp::sandbox::{SandboxConfig, SandboxHandle};
use personio_mcp::{Error, ErrorCode};
use serde_json::{Value, json};

const DEADLINE: Duration = Duration::from_secs(4);
const WHO: &str = "jurgen.muller@nordlicht.example";

fn app(sb: &SandboxHandle) -> App {
    let mut cfg = unthrottled(config(sb, "sandbox-client"));
    cfg.request_timeout = Duration::from_millis(800);
    cfg.operation_deadline = DEADLINE;
    let mut settings = Settings::default();
    settings.privacy.record_cap = 100_000;
    App::new(PersonioClient::new(cfg).unwrap(), settings)
}

fn a<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

/// Runs every read tool once; returns each outcome's error code (None = success).
async fn every_tool(app: &App) -> Vec<(&'static str, Option<ErrorCode>)> {
    let op = Caller::operator();
    let code = |r: Result<(), Error>| r.err().map(|e| e.code);
    let started = Instant::now();
    let out = vec![
        (
            "search_employee",
            code(
                search_employee::run(app.guard_as(op.clone()), a(json!({"query": "müller"})))
                    .await
                    .map(|_| ()),
            ),
        ),
        (
            "get_employee",
            code(
                get_employee::run(app.guard_as(op.clone()), a(json!({"employee": WHO})))
                    .await
                    .map(|_| ()),
            ),
        ),
        (
            "get_pto_balance",
            code(
                get_pto_balance::run(app.guard_as(op.clone()), a(json!({"employee": WHO})))
                    .await
                    .map(|_| ()),
            ),
        ),
        (
            "list_absences",
            code(
                list_absences::run(app.guard_as(op.clone()), a(json!({"employee": WHO})))
                    .await
                    .map(|_| ()),
            ),
        ),
        (
            "list_time_off_types",
            code(
                list_time_off_types::run(app.guard_as(Caller::operator()), a(json!({})))
                    .await
                    .map(|_| ()),
            ),
        ),
    ];
    // Five tools, each bounded by the operation deadline (per upstream operation; a tool makes a few).
    assert!(
        started.elapsed() < DEADLINE * 15,
        "calls ended within their deadlines ({:?})",
        started.elapsed()
    );
    out
}

async fn under_fault(fault: Value, expected: &[ErrorCode]) {
    let sb = sandbox_with(SandboxConfig {
        employees: 120,
        relaxed_limits: true,
        ..Default::default()
    })
    .await;
    let app = app(&sb);
    set_faults(&sb, fault.clone()).await;
    for (tool, code) in every_tool(&app).await {
        let code = code.unwrap_or_else(|| panic!("{tool} cannot succeed under {fault}"));
        assert!(
            expected.contains(&code),
            "{tool} under {fault}: {code:?}, expected one of {expected:?}"
        );
    }
    clear_faults(&sb).await;
    for (tool, code) in every_tool(&app).await {
        assert_eq!(code, None, "{tool} recovered after {fault}");
    }
}

#[tokio::test]
async fn a_429_storm_ends_in_rate_limited_and_recovers() {
    under_fault(
        json!({"rate_limit_every": 1, "path_prefix": "/v1/company"}),
        &[ErrorCode::RateLimited],
    )
    .await;
}

#[tokio::test]
async fn server_errors_end_in_upstream_error_and_recover() {
    under_fault(
        json!({"server_error_every": 1, "path_prefix": "/v1/company"}),
        &[ErrorCode::UpstreamError],
    )
    .await;
}

#[tokio::test]
async fn slow_responses_past_the_deadline_end_in_upstream_unavailable_and_recover() {
    under_fault(
        json!({"delay_every": 1, "delay_ms": 5000, "path_prefix": "/v1/company"}),
        &[ErrorCode::UpstreamUnavailable],
    )
    .await;
}

#[tokio::test]
async fn malformed_json_ends_in_upstream_error_and_recovers() {
    under_fault(
        json!({"malformed_json_every": 1, "path_prefix": "/v1/company"}),
        &[ErrorCode::UpstreamError],
    )
    .await;
}

#[tokio::test]
async fn a_token_revoked_mid_session_is_replaced_transparently() {
    let sb = sandbox(120).await;
    let app = app(&sb);
    assert!(every_tool(&app).await.iter().all(|(_, c)| c.is_none()));
    revoke_tokens(&sb).await;
    for (tool, code) in every_tool(&app).await {
        assert_eq!(code, None, "{tool} after revocation");
    }
}

#[tokio::test]
async fn a_sandbox_restart_mid_session_is_survived() {
    let sb = sandbox(120).await;
    let addr = sb.local_addr();
    let app = app(&sb);
    assert!(every_tool(&app).await.iter().all(|(_, c)| c.is_none()));
    sb.shutdown().await;
    // Personio gone: uncached calls fail with UPSTREAM_UNAVAILABLE, cached ones still answer.
    let down = every_tool(&app).await;
    let (_, balance) = down.iter().find(|(t, _)| *t == "get_pto_balance").unwrap();
    assert_eq!(*balance, Some(ErrorCode::UpstreamUnavailable));
    let (_, search) = down.iter().find(|(t, _)| *t == "search_employee").unwrap();
    assert_eq!(*search, None, "the cached directory still answers");
    // Personio back on the same address, with no memory of our token.
    let again = sandbox_with_addr(addr, 120).await;
    for (tool, code) in every_tool(&app).await {
        assert_eq!(code, None, "{tool} after the restart");
    }
    again.shutdown().await;
}

async fn sandbox_with_addr(addr: std::net::SocketAddr, employees: usize) -> SandboxHandle {
    let mut last = None;
    for _ in 0..50 {
        match SandboxHandle::start(
            addr,
            SandboxConfig {
                employees,
                ..Default::default()
            },
        )
        .await
        {
            Ok(s) => return s,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not restart the sandbox on {addr}: {last:?}");
}

/// Issue 16: pacing from Personio's documented limits draws no 429 from a Personio that enforces
/// them (the sandbox with real limits), under a burst of listings, lookups and absence reads.
#[tokio::test]
async fn a_burst_at_personio_real_limits_draws_no_429() {
    let sb = sandbox_with(SandboxConfig {
        employees: 300,
        relaxed_limits: false,
        ..Default::default()
    })
    .await;
    // Personio's limits as the client knows them (the default), not the tests' relaxed ones.
    let client = PersonioClient::new(config(&sb, "sandbox-client")).unwrap();
    let some = client
        .all_employees(&personio_mcp::personio::EmployeeQuery::default())
        .await
        .unwrap();
    let ids: Vec<i64> = some.iter().take(60).map(|e| e.id).collect();
    // 8 directory listings (24 listing pages, beyond the burst of 15), 60 lookups and 100
    // absence reads, all at once.
    let listings = (0..8).map(|_| {
        let c = client.clone();
        async move {
            c.all_employees(&personio_mcp::personio::EmployeeQuery::default())
                .await
                .map(|v| v.len())
        }
    });
    let lookups = ids.iter().map(|id| {
        let c = client.clone();
        let id = *id;
        async move { c.employee(id).await.map(|_| 1) }
    });
    let reads = (0..100).map(|i| {
        let c = client.clone();
        let id = ids[i % ids.len()];
        async move {
            c.all_absences(&personio_mcp::personio::AbsenceQuery {
                employees: vec![id],
                ..Default::default()
            })
            .await
            .map(|v| v.len())
        }
    });
    let (listed, looked, read) = tokio::join!(
        futures::future::join_all(listings),
        futures::future::join_all(lookups),
        futures::future::join_all(reads)
    );
    assert!(listed.iter().all(|r| r.as_ref().is_ok_and(|n| *n == 300)));
    assert!(looked.iter().all(Result::is_ok));
    assert!(read.iter().all(Result::is_ok));
    let stats = stats(&sb).await;
    assert_eq!(
        stats["by_status"]["429"].as_u64().unwrap_or(0),
        0,
        "no request was throttled: {stats}"
    );
}
