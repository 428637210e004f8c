//! Issue 16: absence listings kept for a few seconds. A repeated listing asks Personio nothing; a
//! write through the server (a create, a cancel, a failed write) drops the person's kept
//! listings; the checks before a write never read them; with no life configured every read asks
//! Personio; a change made outside shows once the life is over. Both API generations (v1: two
//! listings per read, v2: one), against the sandbox over loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::time::Duration;

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::confirm::{Confirmation, Outcome};
use personio_mcp::mcp::tools::{cancel_time_off, create_time_off, list_absences};
use personio_mcp::personio::{ApiMode, PersonioClient};
use personio_mcp::policy::access::Caller;
use personio_mcp::sandbox::SandboxHandle;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Employee #0 of every seeded company (docs/sandbox.md).
const WHO: &str = "jurgen.muller@nordlicht.example";

fn args<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("arguments match the tool's schema")
}

fn app(sb: &SandboxHandle, mode: ApiMode, life: Duration) -> App {
    let mut cfg = unthrottled(config(sb, "sandbox-client"));
    cfg.api = mode;
    let mut settings = Settings::with_writes(true);
    settings.absence_cache = life;
    App::new(PersonioClient::new(cfg).unwrap(), settings)
}

async fn list(app: &App) -> list_absences::ListAbsencesResult {
    list_window(app, "2031-01-01", "2031-12-31").await
}

async fn list_window(app: &App, from: &str, to: &str) -> list_absences::ListAbsencesResult {
    list_absences::run(
        app.guard_as(Caller::operator()),
        args(json!({"employee": WHO, "from": from, "to": to, "limit": 200})),
    )
    .await
    .unwrap()
}

/// Books a day of paid vacation for WHO directly in Personio, as another integration would.
async fn book_for_who(sb: &SandboxHandle, app: &App, date: &str) {
    let snapshot = app.records().snapshot(None).await.unwrap();
    let who = snapshot.with_email(WHO)[0].id;
    let types = app.records().types().await.unwrap();
    let vacation = types.iter().find(|t| t.name == "Paid vacation").unwrap();
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    book_elsewhere(sb, who, vacation.id, day).await;
}

fn starts(r: &list_absences::ListAbsencesResult) -> Vec<String> {
    r.absences.iter().map(|a| a.start_date.clone()).collect()
}

async fn try_create(
    app: &App,
    date: &str,
) -> Result<create_time_off::CreateTimeOffResult, personio_mcp::Error> {
    let a = args(json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": date}));
    match create_time_off::run(
        &app.guard_as(Caller::operator()),
        a,
        Confirmation::Skip,
        app,
    )
    .await?
    {
        Outcome::Done(r) => Ok(*r),
        Outcome::InputRequired(_) => panic!("confirmation is skipped"),
    }
}

async fn create(app: &App, date: &str) -> create_time_off::CreateTimeOffResult {
    try_create(app, date).await.unwrap()
}

async fn cancel(app: &App, id: &str) {
    let a = args(json!({"absence_id": id}));
    match cancel_time_off::run(
        &app.guard_as(Caller::operator()),
        a,
        Confirmation::Skip,
        app,
    )
    .await
    .unwrap()
    {
        Outcome::Done(_) => {}
        Outcome::InputRequired(_) => panic!("confirmation is skipped"),
    }
}

async fn kept_until_written(mode: ApiMode) {
    let sb = sandbox(30).await;
    let app = app(&sb, mode, Duration::from_secs(300));
    let before = list(&app).await;
    reset_stats(&sb).await;

    // The same listing again: nothing asked of Personio.
    let again = list(&app).await;
    assert_eq!(starts(&again), starts(&before));
    assert_eq!(
        absence_listing_requests(&sb).await,
        0,
        "{}",
        stats(&sb).await
    );

    // A write through the server: its checks ask Personio (never the kept listing), and the next
    // listing is fetched anew and shows it.
    let made = create(&app, "2031-06-03").await;
    assert!(made.created, "{made:?}");
    assert!(
        absence_listing_requests(&sb).await >= 1,
        "the write's overlap check asked Personio"
    );
    reset_stats(&sb).await;
    let after = list(&app).await;
    assert!(
        absence_listing_requests(&sb).await >= 1,
        "fetched anew after the write"
    );
    assert!(
        starts(&after).contains(&"2031-06-03".to_string()),
        "{:?}",
        starts(&after)
    );
    assert_eq!(after.total, before.total + 1);

    // The same day once more: the duplicate check sees the write (from Personio), nothing new.
    let twice = create(&app, "2031-06-03").await;
    assert!(!twice.created, "{twice:?}");
    assert_eq!(list(&app).await.total, after.total);

    // A cancel drops the kept listing too.
    let id = made.absence.unwrap().id;
    cancel(&app, &id).await;
    let gone = list(&app).await;
    assert_eq!(gone.total, before.total, "{:?}", starts(&gone));
}

#[tokio::test]
async fn a_repeated_listing_asks_personio_nothing_until_a_write_v1() {
    kept_until_written(ApiMode::V1).await;
}

#[tokio::test]
async fn a_repeated_listing_asks_personio_nothing_until_a_write_v2() {
    kept_until_written(ApiMode::V2).await;
}

#[tokio::test]
async fn without_a_life_every_listing_asks_personio() {
    let sb = sandbox(30).await;
    let app = app(&sb, ApiMode::V1, Duration::ZERO);
    list(&app).await;
    reset_stats(&sb).await;
    list(&app).await;
    list(&app).await;
    assert_eq!(
        absence_listing_requests(&sb).await,
        4,
        "two listings (days, hours) per read"
    );
}

/// The checks before a write ask Personio, never a kept listing: a listing of exactly the day
/// to book is kept, the day is booked elsewhere, and the create through the server still finds it.
#[tokio::test]
async fn the_checks_before_a_write_never_read_a_kept_listing() {
    let sb = sandbox(30).await;
    let app = app(&sb, ApiMode::V1, Duration::from_secs(300));
    assert_eq!(list_window(&app, "2031-06-10", "2031-06-10").await.total, 0);
    book_for_who(&sb, &app, "2031-06-10").await;
    assert_eq!(
        list_window(&app, "2031-06-10", "2031-06-10").await.total,
        0,
        "kept: the booking made elsewhere is not seen yet"
    );
    let stored = stored_time_offs(&sb).await["day_count"].clone();
    let r = create(&app, "2031-06-10").await;
    assert!(!r.created && r.already_existed, "{r:?}");
    assert_eq!(
        stored_time_offs(&sb).await["day_count"],
        stored,
        "nothing written twice"
    );
}

/// A write that fails drops the kept listing as well: Personio may have stored it anyway.
#[tokio::test]
async fn a_failed_write_drops_the_kept_listing() {
    let sb = sandbox(30).await;
    let app = app(&sb, ApiMode::V1, Duration::from_secs(300));
    let before = list(&app).await;
    set_faults(
        &sb,
        json!({"server_error_every": 1, "method": "POST", "after_commit": true}),
    )
    .await;
    // Whatever the server concludes from the 500s, the absence is stored.
    let _ = try_create(&app, "2031-06-17").await;
    clear_faults(&sb).await;
    let after = list(&app).await;
    assert_eq!(after.total, before.total + 1, "{:?}", starts(&after));
}

/// A change made in Personio by someone else (no webhook configured) shows once the life is over.
#[tokio::test]
async fn a_change_made_outside_shows_once_the_life_is_over() {
    let sb = sandbox(30).await;
    let life = Duration::from_secs(2);
    let app = app(&sb, ApiMode::V1, life);
    let kept_at = std::time::Instant::now();
    let before = list(&app).await;
    book_for_who(&sb, &app, "2031-09-09").await;
    let stale = list(&app).await;
    // Only while the listing is surely still alive (a slow machine may take longer than its life).
    if kept_at.elapsed() < life {
        assert_eq!(stale.total, before.total, "kept for its life: not seen yet");
    }
    tokio::time::sleep(life + Duration::from_millis(200)).await;
    let after = list(&app).await;
    assert_eq!(after.total, before.total + 1, "{:?}", starts(&after));
}
