//! Issue 20: the same tool calls give the same answers whether Personio API v1 or v2 serves them.
//!
//! Each mode gets its own sandbox from the same seed (so the same company and absences) and runs
//! one script of tool calls in-process; the outputs are compared after normalising what v2 cannot
//! give the same way (see `normalise`). The upstream requests each call made (sandbox statistics)
//! are printed: `cargo test --test api_modes -- --nocapture` is the command behind BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::collections::BTreeMap;

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::confirm::{Confirmation, Outcome};
use personio_mcp::mcp::tools::{
    cancel_time_off, create_time_off, get_employee, get_pto_balance, list_absences,
    list_time_off_types, search_employee,
};
use personio_mcp::personio::{Api, ApiMode, Endpoint, PersonioClient};
use personio_mcp::policy::access::Caller;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn args<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("arguments match the tool's schema")
}

fn app(sb: &personio_mcp::sandbox::SandboxHandle, mode: ApiMode) -> App {
    let mut cfg = unthrottled(config(sb, "sandbox-client"));
    cfg.api = mode;
    App::new(
        PersonioClient::new(cfg).unwrap(),
        Settings::with_writes(true),
    )
}

fn to_json<T: serde::Serialize>(r: Result<T, personio_mcp::Error>) -> Value {
    match r {
        Ok(v) => serde_json::to_value(v).unwrap(),
        Err(e) => json!({"error": e.code, "message": e.message}),
    }
}

fn done<T>(o: Result<Outcome<T>, personio_mcp::Error>) -> Result<T, personio_mcp::Error> {
    match o? {
        Outcome::Done(r) => Ok(*r),
        Outcome::InputRequired(_) => panic!("no input with confirmation skipped"),
    }
}

/// The script: every tool, reads first, then a day and an hour absence booked, listed and
/// cancelled. Returns each call's output and the Personio requests it made.
async fn script(mode: ApiMode) -> (BTreeMap<String, Value>, BTreeMap<String, u64>) {
    let sb = sandbox(60).await;
    let app = app(&sb, mode);
    let op = || app.guard_as(Caller::operator());
    let year = app.today().format("%Y").to_string();
    let mut out = BTreeMap::new();
    let mut requests: BTreeMap<String, u64> = BTreeMap::new();
    // Token requests are per process, not per call: take them out of the per-call counts.
    app.records().client().authenticate().await.unwrap();
    let _ = app.records().client().api_choices().await;
    // Warm the directory the way a server's first search would (counted on its own), then
    // count each call alone.
    reset_stats(&sb).await;
    let snapshot = app.records().snapshot(None).await.unwrap();
    requests.insert(
        "(directory load, 60 employees)".to_string(),
        counted(&sb).await,
    );
    let someone = snapshot
        .all()
        .find(|e| e.email.value().is_some() && e.supervisor.value().is_some())
        .unwrap()
        .clone();
    let who = someone.id.to_string();
    let email = someone.email.value().unwrap().clone();
    let surname = someone.last_name.value().unwrap().clone();

    macro_rules! call {
        ($name:expr, $fut:expr) => {{
            reset_stats(&sb).await;
            let v = to_json($fut.await);
            if std::env::var_os("API_MODES_ROUTES").is_some() {
                println!("{}:", $name);
            }
            requests.insert($name.to_string(), counted(&sb).await);
            out.insert($name.to_string(), v.clone());
            v
        }};
    }

    call!(
        "list_time_off_types",
        list_time_off_types::run(op(), args(json!({})))
    );
    call!(
        "search_employee",
        search_employee::run(op(), args(json!({"query": surname})))
    );
    call!(
        "get_employee",
        get_employee::run(op(), args(json!({"employee": email})))
    );
    call!(
        "get_pto_balance",
        get_pto_balance::run(op(), args(json!({"employee": who})))
    );
    call!(
        "list_absences (year, everyone)",
        list_absences::run(
            op(),
            args(
                json!({"from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200})
            )
        )
    );
    call!(
        "list_absences (year, one employee)",
        list_absences::run(
            op(),
            args(
                json!({"employee": who, "from": format!("{year}-01-01"), "to": format!("{year}-12-31")})
            )
        )
    );
    // Days v1 can find again (it searches hour absences from a month back to 11 months ahead):
    // the first Tuesday after a fortnight with Tuesday to Thursday free. Same seed, same day.
    let (tue, wed, thu) = free_days(&app, &who).await;
    let day = call!("create_time_off (days)", async {
        done(create_time_off::run(&op(), args(json!({"employee": who, "time_off_type": "Paid vacation", "start_date": tue, "end_date": wed, "half_day_end": true})), Confirmation::Skip, &app).await)
    });
    let types = to_json(list_time_off_types::run(op(), args(json!({}))).await);
    let hourly = types["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["unit"] == "hours")
        .unwrap()["id"]
        .to_string();
    let hour = call!("create_time_off (hours)", async {
        done(create_time_off::run(&op(), args(json!({"employee": who, "time_off_type": hourly, "start_date": thu, "start_time": "09:00", "end_time": "10:30"})), Confirmation::Skip, &app).await)
    });
    call!(
        "list_absences (booked)",
        list_absences::run(op(), args(json!({"employee": who, "from": tue, "to": thu})))
    );
    for (name, created) in [
        ("cancel_time_off (days)", &day),
        ("cancel_time_off (hours)", &hour),
    ] {
        let id = created["absence"]["id"].as_str().unwrap().to_string();
        call!(name, async {
            done(
                cancel_time_off::run(
                    &op(),
                    args(json!({"absence_id": id})),
                    Confirmation::Skip,
                    &app,
                )
                .await,
            )
        });
    }
    call!(
        "list_absences (after cancel)",
        list_absences::run(op(), args(json!({"employee": who, "from": tue, "to": thu})))
    );
    (out, requests)
}

/// Requests Personio answered, without throttled ones (429: the sandbox's per-second buckets;
/// they are retried, and cost no quota).
async fn counted(sb: &personio_mcp::sandbox::SandboxHandle) -> u64 {
    let s = stats(sb).await;
    let total = s["total"].as_u64().unwrap();
    if std::env::var_os("API_MODES_ROUTES").is_some() {
        // The routes behind a count, for BENCHMARKS.md.
        let routes: Vec<String> = s["by_route"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(r, v)| format!("{r} ×{} {}", v["total"], v["by_status"]))
            .collect();
        println!("  routes: {}", routes.join(", "));
    }
    total - s["by_status"]["429"].as_u64().unwrap_or(0)
}

async fn free_days(app: &App, who: &str) -> (String, String, String) {
    use chrono::{Datelike, Duration, NaiveDate, Weekday};
    let from = app.today() + Duration::days(14);
    let to = from + Duration::days(120);
    let booked = list_absences::run(
        app.guard_as(Caller::operator()),
        args(
            json!({"employee": who, "from": from.to_string(), "to": to.to_string(), "limit": 200}),
        ),
    )
    .await
    .unwrap();
    let free = |day: NaiveDate| {
        booked.absences.iter().all(|a| {
            let s = NaiveDate::parse_from_str(&a.start_date, "%Y-%m-%d").unwrap();
            let e = NaiveDate::parse_from_str(&a.end_date, "%Y-%m-%d").unwrap();
            day < s || day > e
        })
    };
    let mut d = from;
    while d < to {
        if d.weekday() == Weekday::Tue && (0..3).all(|k| free(d + Duration::days(k))) {
            let f = |k| (d + Duration::days(k)).to_string();
            return (f(0), f(1), f(2));
        }
        d += Duration::days(1);
    }
    panic!("no free Tuesday to Thursday in 120 days");
}

/// What may differ between the modes, by design (issue 20, docs/v2-and-webhooks.md):
/// - absence ids: v2 names every absence by UUID, v1 names day absences by integer;
/// - `amount` of listed day absences: v2 periods carry none (a breakdown request per period
///   would give it; a listing makes one request per page instead);
/// - in `v2` mode, employees' department, team and office: v2 employments name org units by id
///   only, so they read as not readable (and the per-department counts with them).
fn normalise(v: &mut Value, employees_v2: bool) {
    match v {
        Value::Object(m) => {
            let is_absence = m.contains_key("half_day_start") && m.contains_key("unit");
            if is_absence {
                m.remove("id");
                if m.get("unit") == Some(&json!("days")) {
                    m.remove("amount");
                }
            }
            if employees_v2 {
                for k in [
                    "department",
                    "office",
                    "team",
                    "subcompany",
                    "cost_centers",
                    "withheld_sensitive_attributes",
                    "by_department",
                    "omitted",
                    "hint",
                    "note",
                ] {
                    m.remove(k);
                }
            }
            m.remove("absence_id");
            m.remove("summary");
            for (_, x) in m.iter_mut() {
                normalise(x, employees_v2);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| normalise(x, employees_v2)),
        _ => {}
    }
}

/// Where two values first differ, with both sides there (short, unlike a full dump).
fn first_diff(a: &Value, b: &Value, path: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_diff(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    format!("{path}.{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_diff(p, q, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => {
            let show = |v: &Value| v.to_string().chars().take(400).collect::<String>();
            Some(format!("{path}: {} vs {}", show(a), show(b)))
        }
    }
}

fn compare(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>, employees_v2: bool) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, va) in a {
        let (mut x, mut y) = (va.clone(), b[name].clone());
        assert!(x.get("error").is_none(), "{name} failed: {x}");
        normalise(&mut x, employees_v2);
        normalise(&mut y, employees_v2);
        if let Some(d) = first_diff(&x, &y, String::new()) {
            panic!("{name} differs between the modes at {d}");
        }
    }
}

fn print_requests(title: &str, modes: &[(&str, &BTreeMap<String, u64>)]) {
    println!(
        "\n{title}\n| tool call | {} |",
        modes.iter().map(|m| m.0).collect::<Vec<_>>().join(" | ")
    );
    for name in modes[0].1.keys() {
        let counts: Vec<String> = modes.iter().map(|m| m.1[name].to_string()).collect();
        println!("| {name} | {} |", counts.join(" | "));
    }
}

#[tokio::test]
async fn every_tool_answers_alike_in_v1_auto_and_v2() {
    let (v1, r1) = script(ApiMode::V1).await;
    let (auto, ra) = script(ApiMode::Auto).await;
    let (v2, r2) = script(ApiMode::V2).await;
    // Things v2 did: the booked absences are named by UUID in auto and v2.
    for out in [&auto, &v2] {
        let id = out["create_time_off (days)"]["absence"]["id"]
            .as_str()
            .unwrap();
        assert_eq!(id.len(), 36, "a v2 id: {id}");
    }
    let v1_id = v1["create_time_off (days)"]["absence"]["id"]
        .as_str()
        .unwrap();
    assert!(v1_id.parse::<i64>().is_ok(), "a v1 id: {v1_id}");
    compare(&v1, &auto, false);
    compare(&v1, &v2, true);
    print_requests(
        "Personio requests per tool call (warm directory, token held)",
        &[("v1", &r1), ("auto", &ra), ("v2", &r2)],
    );
    // One employee's absences: one listing in v2 instead of two (days + hours) in v1.
    let one = "list_absences (year, one employee)";
    assert_eq!(
        (r1[one], ra[one], r2[one]),
        (2, 1, 1),
        "v2 lists both units at once"
    );
}

#[tokio::test]
async fn auto_follows_the_scopes_and_v1_never_asks_for_a_v2_token() {
    let sb = sandbox(5).await;
    let full = app(&sb, ApiMode::Auto);
    let choices = full.records().client().api_choices().await;
    let of = |e: Endpoint| choices.iter().find(|c| c.endpoint == e).unwrap().api;
    assert_eq!(of(Endpoint::AbsenceReads), Api::V2);
    assert_eq!(of(Endpoint::AbsenceWrites), Api::V2);
    assert_eq!(of(Endpoint::Balances), Api::V1);
    assert_eq!(of(Endpoint::Employees), Api::V1);

    // The limited credential holds only personio:persons:read: absences stay v1 (and are refused
    // there, as before), nothing is routed to a v2 endpoint it may not call.
    let mut cfg = unthrottled(config(&sb, "sandbox-limited"));
    cfg.api = ApiMode::Auto;
    let limited = PersonioClient::new(cfg).unwrap();
    let choice = limited.api_choice(Endpoint::AbsenceReads).await;
    assert_eq!(choice.api, Api::V1);
    assert!(
        choice.reason.contains("personio:absences:read"),
        "{choice:?}"
    );

    reset_stats(&sb).await;
    let v1 = app(&sb, ApiMode::V1);
    let _ = v1.records().client().api_choices().await;
    v1.records().snapshot(None).await.unwrap();
    assert_eq!(route_count(&sb, "POST /v2/auth/token").await, 0);
}

#[tokio::test]
async fn the_scope_report_probes_v2_and_names_missing_v2_scopes() {
    use personio_mcp::personio::scope::EndpointAccess;
    let sb = sandbox(5).await;
    let mut cfg = unthrottled(config(&sb, "sandbox-limited"));
    cfg.api = ApiMode::V2;
    let report = PersonioClient::new(cfg)
        .unwrap()
        .scope_report()
        .await
        .unwrap();
    let endpoint = |n: &str| report.endpoints.iter().find(|e| e.name == n).unwrap();
    assert_eq!(endpoint("list employees").path, "/v2/persons");
    assert_eq!(endpoint("list employees").access, EndpointAccess::Works);
    let absences = endpoint("list day absences");
    assert_eq!(absences.path, "/v2/absence-periods");
    match &absences.access {
        EndpointAccess::Forbidden { missing_permission } => {
            assert!(
                missing_permission.contains("personio:absences:read"),
                "{missing_permission}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let scopes = report.v2_scopes.as_ref().unwrap();
    assert_eq!(scopes.granted, vec!["personio:persons:read".to_string()]);
    assert!(
        scopes
            .missing
            .contains(&"personio:absences:read".to_string())
    );
    // Org units v2 does not name show up as missing, with the way out.
    let dept = report
        .missing_recommended
        .iter()
        .find(|m| m.key == "department")
        .expect("department reported missing in v2");
    assert!(dept.used_by.contains("by id only"), "{}", dept.used_by);

    // v1: no v2 token is asked for, and the report says so by leaving the scopes out.
    let v1 = PersonioClient::new(unthrottled(config(&sb, "sandbox-limited"))).unwrap();
    assert!(v1.scope_report().await.unwrap().v2_scopes.is_none());
}
