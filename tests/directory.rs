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
        "Jurgen Mueler", "jürgen müler", "Juergen Mueller", "mueller jurgen",
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
            "muller", "Mueller", "weiss", "jose nunez", "a", "an", "ann", "zzzz", "ß", "", "  ",
            "Hans-Peter", "van den", "o'brien", "jürgen.mu",
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
        // Top-k selection: every page equals the same slice of the full ranking, with the total.
        let even = |e: &personio_mcp::personio::Employee| e.id % 2 == 0;
        let full: Vec<(u32, i64)> = snapshot
            .search(q, even)
            .into_iter()
            .map(|(s, e)| (s, e.id))
            .collect();
        for (skip, take) in [(0, 1), (0, 10), (3, 7), (10, 50), (0, 5000)] {
            let page = snapshot.search_top(q, even, skip, take);
            let got: Vec<(u32, i64)> = page.hits.iter().map(|(s, e)| (*s, e.id)).collect();
            let want: Vec<(u32, i64)> = full.iter().skip(skip).take(take).copied().collect();
            assert_eq!(got, want, "query {q:?}, skip {skip}, take {take}");
            assert_eq!(page.total, full.len(), "query {q:?}");
        }
        // The search tool counts departments over every match while ranking only its page.
        let mut seen: Vec<i64> = Vec::new();
        let page = snapshot.search_top_each(q, even, 0, 3, |e| seen.push(e.id));
        seen.sort_unstable();
        let mut all: Vec<i64> = full.iter().map(|(_, id)| *id).collect();
        all.sort_unstable();
        assert_eq!(seen, all, "query {q:?}: every match is visited once");
        assert_eq!(page.total, full.len());
    }
    assert!(queries.len() > 500);
}

#[tokio::test]
async fn a_caller_that_stops_waiting_leaves_the_cold_load_running_for_the_next() {
    let sb = sandbox(450).await;
    let directory = personio_mcp::domain::directory::Directory::new(
        PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap(),
        DirectoryConfig::default(),
    );
    // Every listing page takes 150 ms, so the caller gives up in the middle of the load.
    set_faults(
        &sb,
        json!({"latency_ms": 150, "path_prefix": "/v1/company/employees", "method": "GET"}),
    )
    .await;
    let gave_up = tokio::time::timeout(Duration::from_millis(120), directory.snapshot(None)).await;
    assert!(gave_up.is_err(), "the first caller stopped waiting");
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let progress: personio_mcp::domain::directory::Progress = {
        let seen = seen.clone();
        std::sync::Arc::new(move |n| {
            seen.fetch_max(n, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let snapshot = directory.snapshot(Some(progress)).await.unwrap();
    assert_eq!(snapshot.len(), 450);
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::Relaxed),
        450,
        "the second caller heard the load's progress"
    );
    assert_eq!(
        route_count(&sb, EMPLOYEES).await,
        5,
        "one load of ⌈450/100⌉ pages, joined rather than restarted"
    );
}

#[tokio::test]
async fn a_cold_email_lookup_is_one_request_and_warms_the_directory_in_the_background() {
    let sb = sandbox(250).await;
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let email = {
        let all = client
            .all_employees(&personio_mcp::personio::EmployeeQuery::default())
            .await
            .unwrap();
        all[17].email.value().cloned().unwrap()
    };
    reset_stats(&sb).await;
    let directory =
        personio_mcp::domain::directory::Directory::new(client, DirectoryConfig::default());
    let found = directory.lookup_email(&email).await.unwrap().unwrap();
    assert_eq!(found.email.value(), Some(&email));
    let mut waited = 0;
    while directory.cached().await.is_none() {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
        assert!(waited < 500, "the background load finished");
    }
    assert_eq!(
        route_count(&sb, EMPLOYEES).await,
        1 + 3,
        "one filtered request, then the ⌈250/100⌉ pages of the background load"
    );
    reset_stats(&sb).await;
    let again = directory.lookup_email(&email.to_uppercase()).await.unwrap();
    assert_eq!(again.map(|e| e.id), Some(found.id));
    assert_eq!(route_count(&sb, EMPLOYEES).await, 0, "warm: from memory");
}
