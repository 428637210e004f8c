//! The directory cache: single-flight loads, incremental refresh, terminations, search quality.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::time::Duration;

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::domain::directory::DirectoryConfig;
use personio_mcp::mcp::tools::search_employee;
use personio_mcp::personio::PersonioClient;
use personio_mcp::policy::access::Caller;
use serde_json::{Value, json};

const EMPLOYEES: &str = "GET /v1/company/employees";

fn app(sb: &personio_mcp::sandbox::SandboxHandle, refresh: Duration) -> App {
    let client = PersonioClient::new(unthrottled(config(sb, "sandbox-client"))).unwrap();
    App::new(client, Settings::default()).with_directory_config(DirectoryConfig {
        refresh_after: refresh,
        full_reload_after: Duration::from_secs(3600),
    })
}

async fn search(app: &App, q: Value) -> search_employee::SearchEmployeeResult {
    search_employee::run(
        app.guard_as(Caller::operator()),
        serde_json::from_value(q).unwrap(),
    )
    .await
    .unwrap()
}

async fn admin(sb: &personio_mcp::sandbox::SandboxHandle, path: &str, body: Value) -> Value {
    let r = http()
        .post(format!("{}{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_thousand_concurrent_cold_searches_load_the_directory_once() {
    let sb = sandbox(250).await;
    let app = app(&sb, Duration::from_secs(300));
    let searches = (0..1000).map(|i| {
        let app = app.clone();
        async move {
            let q = ["müller", "anna", "weiß", "jose"][i % 4];
            search_employee::run(
                app.guard_as(Caller::operator()),
                serde_json::from_value(json!({"query": q})).unwrap(),
            )
            .await
        }
    });
    let results = futures::future::join_all(searches).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(
        route_count(&sb, EMPLOYEES).await,
        3,
        "one load: ⌈250/100⌉ pages"
    );
    // Warm: no further upstream requests.
    reset_stats(&sb).await;
    search(&app, json!({"query": "müller"})).await;
    assert_eq!(
        stats(&sb).await["total"].as_u64().unwrap(),
        0,
        "a warm search asks Personio nothing"
    );
}

#[tokio::test]
async fn incremental_refresh_picks_up_changed_and_new_employees() {
    let sb = sandbox(250).await;
    let app = app(&sb, Duration::ZERO);
    let first = search(&app, json!({"query": "Jürgen Müller"})).await;
    let id = first.employees[0].id;
    admin(
        &sb,
        &format!("/__sandbox/employees/{id}"),
        json!({"last_name": "Zauberberg"}),
    )
    .await;
    admin(
        &sb,
        "/__sandbox/employees",
        json!({"first_name": "Quirin", "last_name": "Quellmalz"}),
    )
    .await;
    reset_stats(&sb).await;
    let changed = search(&app, json!({"query": "zauberberg"})).await;
    assert_eq!(changed.employees[0].id, id);
    assert_eq!(changed.employees[0].name, "Jürgen Zauberberg");
    assert_eq!(
        route_count(&sb, EMPLOYEES).await,
        1,
        "only the changes were fetched, not 3 pages"
    );
    let added = search(&app, json!({"query": "Quellmalz"})).await;
    assert_eq!(added.total, 1);
    assert_eq!(added.employees[0].name, "Quirin Quellmalz");
}

#[tokio::test]
async fn a_terminated_employee_drops_out_of_the_default_search() {
    let sb = sandbox(250).await;
    let app = app(&sb, Duration::ZERO);
    let before = search(&app, json!({"query": "Jürgen Müller"})).await;
    let id = before.employees[0].id;
    admin(
        &sb,
        &format!("/__sandbox/employees/{id}"),
        json!({"status": "inactive", "termination_date": "2026-01-31"}),
    )
    .await;
    let after = search(&app, json!({"query": "Jürgen Müller"})).await;
    assert!(after.employees.iter().all(|e| e.id != id));
    let with = search(
        &app,
        json!({"query": "Jürgen Müller", "include_inactive": true}),
    )
    .await;
    assert_eq!(with.employees[0].id, id);
    assert_eq!(
        with.employees[0].termination_date.as_deref(),
        Some("2026-01-31")
    );
}

#[tokio::test]
async fn typos_and_spellings_find_the_right_person_with_exact_matches_first() {
    let sb = sandbox(250).await;
    let app = app(&sb, Duration::from_secs(300));
    for q in [
        "Jurgen Mueler",
        "jürgen müler",
        "Juergen Mueller",
        "mueller jurgen",
    ] {
        let r = search(&app, json!({"query": q})).await;
        assert_eq!(r.employees[0].name, "Jürgen Müller", "{q}");
    }
    // Exact email first, then the exact name, before prefix and fuzzy matches.
    let r = search(&app, json!({"query": "Müller"})).await;
    let first_non_exact = r
        .employees
        .iter()
        .position(|e| !e.name.contains("Müller"))
        .unwrap_or(r.employees.len());
    assert!(
        r.employees[first_non_exact..]
            .iter()
            .all(|e| !e.name.contains("Müller")),
        "all Müllers come before other matches"
    );
}

/// The index answers exactly like scoring every employee, for many kinds of query.
#[tokio::test]
async fn the_search_index_ranks_exactly_like_a_full_scan() {
    let sb = sandbox_with(personio_mcp::sandbox::SandboxConfig {
        employees: 2000,
        relaxed_limits: true,
        ..Default::default()
    })
    .await;
    let app = app(&sb, Duration::from_secs(300));
    let snapshot = app.records().snapshot(None).await.unwrap();
    let mut queries: Vec<String> = Vec::new();
    for (i, e) in snapshot.all().enumerate().step_by(37) {
        let first = e.first_name.value().cloned().unwrap_or_default();
        let last = e.last_name.value().cloned().unwrap_or_default();
        let email = e.email.value().cloned().unwrap_or_default();
        queries.push(first.clone());
        queries.push(last.clone());
        queries.push(format!("{first} {last}"));
        queries.push(format!("{last} {first}"));
        queries.push(last.chars().take(3).collect());
        queries.push(email.clone());
        queries.push(email.chars().take(6).collect());
        // A typo: two neighbouring letters swapped, and one letter dropped.
        let chars: Vec<char> = last.chars().collect();
        if chars.len() > 4 {
            let mut swapped = chars.clone();
            swapped.swap(1, 2);
            queries.push(swapped.iter().collect());
            queries.push(
                chars
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != 2)
                    .map(|(_, c)| *c)
                    .collect(),
            );
        }
        if let Some(d) = e.department.value() {
            queries.push(d.name.clone());
            queries.push(format!("{} {}", first, d.name));
        }
        if i % 3 == 0 {
            queries.push(e.position.value().cloned().unwrap_or_default());
        }
    }
    queries.extend(
        [
            "muller",
            "Mueller",
            "weiss",
            "jose nunez",
            "a",
            "an",
            "ann",
            "zzzz",
            "ß",
            "",
            "  ",
            "Hans-Peter",
            "van den",
            "o'brien",
            "jürgen.mu",
        ]
        .map(String::from),
    );
    for q in &queries {
        let index: Vec<(u32, i64)> = snapshot
            .search(q, |_| true)
            .into_iter()
            .map(|(s, e)| (s, e.id))
            .collect();
        let scan: Vec<(u32, i64)> = snapshot
            .search_by_scan(q, |_| true)
            .into_iter()
            .map(|(s, e)| (s, e.id))
            .collect();
        assert_eq!(index, scan, "query {q:?}");
    }
    assert!(queries.len() > 500);
}
