//! Every tool, in-process, against the sandbox over loopback HTTP, with both sandbox credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::collections::HashSet;

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::tools::{
    create_time_off, get_employee, get_pto_balance, list_absences, list_time_off_types,
    search_employee,
};
use personio_mcp::personio::{EmployeeQuery, EmployeeStatus, PersonioClient};
use personio_mcp::policy::access::Caller;
use personio_mcp::{Error, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn args<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("arguments match the tool's schema")
}

fn app(sb: &personio_mcp::sandbox::SandboxHandle, credential: &str, writes: bool) -> App {
    let client = PersonioClient::new(unthrottled(config(sb, credential))).unwrap();
    App::new(client, Settings::with_writes(writes))
}

/// A write with confirmation skipped (the confirmation paths have their own tests).
async fn create(
    app: &App,
    a: create_time_off::CreateTimeOffArgs,
) -> Result<create_time_off::CreateTimeOffResult, Error> {
    match create_time_off::run(
        &app.guard_as(Caller::operator()),
        a,
        personio_mcp::mcp::confirm::Confirmation::Skip,
        app,
    )
    .await?
    {
        personio_mcp::mcp::confirm::Outcome::Done(r) => Ok(*r),
        personio_mcp::mcp::confirm::Outcome::InputRequired(_) => {
            panic!("no input can be required when confirmation is skipped")
        }
    }
}

async fn search(app: &App, a: Value) -> Result<search_employee::SearchEmployeeResult, Error> {
    search_employee::run(app.guard_as(Caller::operator()), args(a)).await
}

#[tokio::test]
async fn search_folds_umlauts_accents_and_case() {
    let sb = sandbox(250).await;
    let app = app(&sb, "sandbox-client", false);
    let mut tops = Vec::new();
    for q in ["muller", "Müller", "Mueller", "MÜLLER"] {
        let r = search(&app, json!({"query": q})).await.unwrap();
        assert!(r.total >= 1, "{q}");
        assert!(
            r.employees[0].name.contains("Müller"),
            "{q}: {}",
            r.employees[0].name
        );
        tops.push(
            r.employees
                .iter()
                .take_while(|e| e.name.contains("Müller"))
                .map(|e| e.id)
                .collect::<Vec<_>>(),
        );
    }
    assert!(
        tops.windows(2).all(|w| w[0] == w[1]),
        "every spelling finds the same Müllers"
    );
    // Accents: "jose nunez" finds José Núñez-style names when present; at least the fold is symmetric.
    let r = search(&app, json!({"query": "jürgen müller"}))
        .await
        .unwrap();
    assert_eq!(
        r.employees[0].name, "Jürgen Müller",
        "exact full name ranks first"
    );
    let r2 = search(&app, json!({"query": "Jurgen Mueller"}))
        .await
        .unwrap();
    assert_eq!(r2.employees[0].id, r.employees[0].id);
    assert!(r.scope.omitted_attributes.is_empty());
}

#[tokio::test]
async fn exact_email_takes_the_fast_path_without_a_directory_load() {
    let sb = sandbox(250).await;
    let app = app(&sb, "sandbox-client", false);
    let r = search(&app, json!({"query": "jurgen.muller@nordlicht.example"}))
        .await
        .unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(r.employees[0].name, "Jürgen Müller");
    assert_eq!(
        route_count(&sb, "GET /v1/company/employees").await,
        1,
        "one filtered request, no paging"
    );
}

#[tokio::test]
async fn a_name_matching_several_people_is_ambiguous_with_candidates() {
    let sb = sandbox(250).await;
    let app = app(&sb, "sandbox-client", false);
    let e = get_pto_balance::run(
        app.guard_as(Caller::operator()),
        args(json!({"employee": "Jürgen"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Ambiguous);
    let candidates = e.details.unwrap()["candidates"].as_array().unwrap().clone();
    assert!(candidates.len() >= 2);
    assert!(
        candidates
            .iter()
            .all(|c| c["id"].is_i64() && c["name"].as_str().unwrap().contains("Jürgen"))
    );
    let e = get_employee::run(
        app.guard_as(Caller::operator()),
        args(json!({"employee": "Zzyzx Nobody"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn inactive_employees_are_hidden_unless_asked_for() {
    let sb = sandbox(250).await;
    let app = app(&sb, "sandbox-client", false);
    let all = app
        .records()
        .client()
        .all_employees(&EmployeeQuery::default())
        .await
        .unwrap();
    let gone = all
        .iter()
        .find(|e| e.status.value() == Some(&EmployeeStatus::Inactive))
        .expect("the seeded company has former employees");
    let email = gone.email.value().unwrap().clone();
    let name = gone.full_name();
    let r = search(&app, json!({"query": name})).await.unwrap();
    assert!(
        r.employees.iter().all(|e| e.id != gone.id),
        "inactive hidden by default"
    );
    let r = search(&app, json!({"query": name, "include_inactive": true}))
        .await
        .unwrap();
    let found = r
        .employees
        .iter()
        .find(|e| e.id == gone.id)
        .expect("found with include_inactive");
    assert_eq!(found.status.as_deref(), Some("inactive"));
    assert!(found.termination_date.is_some());
    let r = search(&app, json!({"query": email})).await.unwrap();
    assert_eq!(r.total, 0, "the email fast path applies the same filter");
}

#[tokio::test]
async fn search_pages_with_a_cursor_bound_to_the_query() {
    let sb = sandbox(250).await;
    let app = app(&sb, "sandbox-client", false);
    let first = search(
        &app,
        json!({"query": "", "department": "Engineering", "limit": 5}),
    )
    .await
    .unwrap();
    assert!(first.total > 5);
    let cursor = first.next_cursor.clone().unwrap();
    let second = search(
        &app,
        json!({"query": "", "department": "Engineering", "limit": 5, "cursor": cursor}),
    )
    .await
    .unwrap();
    let a: HashSet<i64> = first.employees.iter().map(|e| e.id).collect();
    assert!(second.employees.iter().all(|e| !a.contains(&e.id)));
    assert!(
        second
            .employees
            .iter()
            .all(|e| e.department.as_deref() == Some("Engineering"))
    );
    let e = search(&app, json!({"query": "x", "cursor": first.next_cursor}))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    let e = search(&app, json!({"query": "x", "limit": 500}))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
}

#[tokio::test]
async fn limited_credential_reports_omitted_attributes_and_missing_permissions() {
    let sb = sandbox(50).await;
    let app = app(&sb, "sandbox-limited", false);
    let r = search(&app, json!({"query": "a"})).await.unwrap();
    let keys: Vec<&str> = r
        .scope
        .omitted_attributes
        .iter()
        .map(|m| m.key.as_str())
        .collect();
    for k in ["supervisor", "office", "position", "team"] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    assert!(
        r.scope
            .hint
            .unwrap()
            .contains("Readable employee attributes")
    );
    assert!(
        r.employees
            .iter()
            .all(|e| e.position.is_none() && e.supervisor.is_none())
    );
    let e = list_absences::run(app.guard_as(Caller::operator()), args(json!({})))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionMissing);
    let someone = r.employees[0].id.to_string();
    let e = get_pto_balance::run(
        app.guard_as(Caller::operator()),
        args(json!({"employee": someone})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionMissing);
}

#[tokio::test]
async fn get_employee_returns_labels_and_withholds_sensitive_attributes() {
    let sb = sandbox(50).await;
    let hidden = app(&sb, "sandbox-client", false);
    let r = get_employee::run(
        hidden.guard_as(Caller::operator()),
        args(json!({"employee": "jurgen.muller@nordlicht.example"})),
    )
    .await
    .unwrap();
    assert!(
        r.custom_attributes.is_empty(),
        "custom attributes are hidden unless allow-listed"
    );
    // Allow-list one custom attribute, and (wrongly) try to expose a sensitive one the same way.
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let mut settings = Settings::with_writes(false);
    settings.fields.exposed_custom = vec!["Language Skills".into(), "IBAN".into()];
    let app = App::new(client, settings);
    let r = get_employee::run(
        app.guard_as(Caller::operator()),
        args(json!({"employee": "jurgen.muller@nordlicht.example"})),
    )
    .await
    .unwrap();
    assert_eq!(r.employee.name, "Jürgen Müller");
    let labels: Vec<&str> = r.custom_attributes.keys().map(String::as_str).collect();
    assert!(labels.contains(&"Language Skills"), "{labels:?}");
    assert!(
        r.custom_attributes["Language Skills"].value.is_array(),
        "tags split into a list"
    );
    for forbidden in [
        "IBAN", "Birthday", "Home address", "Nationality", "Marital status",
    ] {
        assert!(!labels.contains(&forbidden), "{forbidden} must be withheld");
    }
    assert!(r.withheld_sensitive_attributes >= 5);
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains("salary") && !text.contains("DE89") && !text.contains("iban"),
        "{text}"
    );
}

#[tokio::test]
async fn time_off_types_list_both_units() {
    let sb = sandbox(10).await;
    let app = app(&sb, "sandbox-client", false);
    let r = list_time_off_types::run(app.guard_as(Caller::operator()), args(json!({})))
        .await
        .unwrap();
    let units: HashSet<&str> = r.types.iter().map(|t| t.unit.as_str()).collect();
    assert!(units.contains("days") && units.contains("hours"));
}

#[tokio::test]
async fn list_absences_pages_across_the_whole_result() {
    let sb = sandbox(250).await;
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let mut settings = Settings::with_writes(false);
    settings.privacy.record_cap = 100_000; // this test pages through the whole company
    let app = App::new(client, settings);
    let year = app.today().format("%Y").to_string();
    let base = json!({"from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 40});
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut total;
    let mut pages = 0;
    loop {
        let mut a = base.clone();
        if let Some(c) = &cursor {
            a["cursor"] = json!(c);
        }
        let r = list_absences::run(app.guard_as(Caller::operator()), args(a))
            .await
            .unwrap();
        total = Some(r.total);
        pages += 1;
        for x in &r.absences {
            assert!(seen.insert(x.id.clone()), "absence {} twice", x.id);
        }
        match r.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert!(pages > 2, "several pages ({pages})");
    assert_eq!(Some(seen.len()), total);
    let units: HashSet<String> = {
        let r = list_absences::run(app.guard_as(Caller::operator()), args(json!({"from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200}))).await.unwrap();
        r.absences.iter().map(|a| a.unit.clone()).collect()
    };
    assert!(units.contains("days"), "{units:?}");
    let e = list_absences::run(
        app.guard_as(Caller::operator()),
        args(json!({"from": "2025-02-29"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    assert!(e.message.contains("from"));
    let e = list_absences::run(
        app.guard_as(Caller::operator()),
        args(json!({"from": "2026-12-31", "to": "2026-01-01"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    let e = list_absences::run(
        app.guard_as(Caller::operator()),
        args(json!({"from": "2020-01-01", "to": "2026-01-01"})),
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("366"));
}

#[tokio::test]
async fn writes_are_refused_when_disabled() {
    let sb = sandbox(10).await;
    let app = app(&sb, "sandbox-client", false);
    let e = create(
        &app,
        args(
            json!({"employee": "1", "time_off_type": "Paid vacation", "start_date": "2031-03-04"}),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::WritesDisabled);
    assert!(e.hint.unwrap().contains("--enable-writes"));
}

#[tokio::test]
async fn creating_day_and_hour_absences_safely() {
    let sb = sandbox(50).await;
    let app = app(&sb, "sandbox-client", true);
    let who = "jurgen.muller@nordlicht.example";
    let balance = |app: App| async move {
        let r = get_pto_balance::run(
            app.guard_as(Caller::operator()),
            args(json!({"employee": who, "time_off_type": "Paid vacation"})),
        )
        .await
        .unwrap();
        (
            r.balances[0].balance,
            r.balances[0].available_balance.unwrap(),
        )
    };
    // Balances cover the current year: book two free working days later this year when there are
    // any (late December there may be none; then the dates move to 2031 and only the rest is checked).
    let (d1, d2, this_year) = free_weekday_pair(&app, who).await;

    // Dry run: nothing stored.
    let before = stored_time_offs(&sb).await["day_count"].as_u64().unwrap();
    let preview = create(&app, args(json!({"employee": who, "time_off_type": "Paid vacation", "start_date": d1, "end_date": d2, "dry_run": true}))).await.unwrap();
    assert!(!preview.created && preview.dry_run);
    assert_eq!(preview.amount, 2.0);
    assert_eq!(
        stored_time_offs(&sb).await["day_count"].as_u64().unwrap(),
        before
    );

    // Two full days, pending approval.
    let (b0, avail0) = balance(app.clone()).await;
    let made = create(&app, args(json!({"employee": who, "time_off_type": "Paid vacation", "start_date": d1, "end_date": d2, "comment": "family"}))).await.unwrap();
    assert!(made.created);
    assert_eq!(made.status, "pending", "never auto-approved");
    assert_eq!(made.absence.as_ref().unwrap().start_date, d1);
    let (b1, avail1) = balance(app.clone()).await;
    assert_eq!(b1, b0, "a future absence is not taken yet");
    if this_year {
        assert_eq!(avail1, avail0 - 2.0, "but it is planned");
    }

    // The same request again returns the existing one.
    let again = create(&app, args(json!({"employee": who, "time_off_type": "Paid vacation", "start_date": d1, "end_date": d2}))).await.unwrap();
    assert!(!again.created && again.already_existed);
    assert_eq!(again.absence.unwrap().id, made.absence.unwrap().id);
    assert_eq!(
        stored_time_offs(&sb).await["day_count"].as_u64().unwrap(),
        before + 1
    );

    // Overlap with another type is refused before Personio is asked.
    let e = create(
        &app,
        args(json!({"employee": who, "time_off_type": "Unpaid leave", "start_date": d2})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);

    // A single half day (morning off).
    let half = create(&app, args(json!({"employee": who, "time_off_type": "Paid vacation", "start_date": "2031-03-11", "half_day_end": true}))).await.unwrap();
    assert_eq!(half.amount, 0.5);
    assert!(half.absence.unwrap().half_day_end);
    // Personio's single-day rule.
    let e = create(&app, args(json!({"employee": who, "time_off_type": "Paid vacation", "start_date": "2031-03-12", "half_day_start": true, "half_day_end": true}))).await.unwrap_err();
    assert!(
        e.message
            .contains("Both half day start and half day end are true")
    );

    // An hour-based absence.
    let types = list_time_off_types::run(app.guard_as(Caller::operator()), args(json!({})))
        .await
        .unwrap();
    let hourly = types.types.iter().find(|t| t.unit == "hours").unwrap();
    let doc = create(&app, args(json!({"employee": who, "time_off_type": hourly.id.to_string(), "start_date": "2031-03-13", "start_time": "09:00", "end_time": "10:30"}))).await.unwrap();
    assert!(doc.created);
    assert_eq!((doc.amount, doc.unit.as_str()), (1.5, "hours"));
    let a = doc.absence.unwrap();
    assert_eq!(
        (a.start_time.as_deref(), a.end_time.as_deref()),
        (Some("09:00"), Some("10:30"))
    );
    assert!(stored_time_offs(&sb).await["hour_count"].as_u64().unwrap() >= 1);
    let e = create(&app, args(json!({"employee": who, "time_off_type": hourly.id.to_string(), "start_date": "2031-03-13", "start_time": "10:00", "end_time": "11:00"}))).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict, "overlapping hours");
    let e = create(&app, args(json!({"employee": who, "time_off_type": "Paid vacation", "start_date": "2031-03-14", "start_time": "09:00", "end_time": "10:00"}))).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
}

/// Two consecutive free working days (Tue–Wed) after today in the current year for `who`, or a
/// fixed pair in 2031 when the year has none left. The flag says which.
async fn free_weekday_pair(app: &App, who: &str) -> (String, String, bool) {
    use chrono::{Datelike, Duration, Weekday};
    let today = app.today();
    let end = chrono::NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap();
    let booked = list_absences::run(app.guard_as(Caller::operator()), args(json!({"employee": who, "from": today.to_string(), "to": end.to_string(), "limit": 200})))
    .await
    .unwrap();
    let mut d = today + Duration::days(1);
    while d + Duration::days(1) <= end {
        let next = d + Duration::days(1);
        let free = |day: chrono::NaiveDate| {
            booked.absences.iter().all(|a| {
                let s = chrono::NaiveDate::parse_from_str(&a.start_date, "%Y-%m-%d").unwrap();
                let e = chrono::NaiveDate::parse_from_str(&a.end_date, "%Y-%m-%d").unwrap();
                day < s || day > e
            })
        };
        if d.weekday() == Weekday::Tue && free(d) && free(next) {
            return (d.to_string(), next.to_string(), true);
        }
        d = next;
    }
    ("2031-03-04".into(), "2031-03-05".into(), false)
}
