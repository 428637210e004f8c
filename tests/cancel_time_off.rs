//! Issue 17: cancel_time_off — own absences, someone else's, HR, already deleted, dry run — through
//! the shared write flow against the sandbox over loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::confirm::{Confirmation, Outcome};
use personio_mcp::mcp::tools::{cancel_time_off, create_time_off};
use personio_mcp::personio::{EmployeeStatus, PersonioClient};
use personio_mcp::policy::access::Caller;
use personio_mcp::policy::principal::{Principal, Role};
use personio_mcp::{Error, ErrorCode};
use serde_json::{Value, json};

fn app(sb: &personio_mcp::sandbox::SandboxHandle) -> App {
    let client = PersonioClient::new(unthrottled(config(sb, "sandbox-client"))).unwrap();
    App::new(client, Settings::with_writes(true))
}

async fn as_role(app: &App, email: &str, role: Role) -> Caller {
    let snapshot = app.records().snapshot(None).await.unwrap();
    Caller::resolve(
        Some(&Principal {
            email: email.into(),
            role,
        }),
        &snapshot,
    )
    .unwrap()
}

async fn book(app: &App, who: &Caller, employee: i64, date: &str) -> String {
    let args = serde_json::from_value(json!({"employee": employee.to_string(), "time_off_type": "Paid vacation", "start_date": date})).unwrap();
    match create_time_off::run(&app.guard_as(who.clone()), args, Confirmation::Skip, app)
        .await
        .unwrap()
    {
        Outcome::Done(r) => r.absence.unwrap().id,
        Outcome::InputRequired(_) => panic!("no input with confirmation skipped"),
    }
}

async fn cancel(
    app: &App,
    who: &Caller,
    a: Value,
) -> Result<cancel_time_off::CancelTimeOffResult, Error> {
    let args = serde_json::from_value(a).unwrap();
    match cancel_time_off::run(&app.guard_as(who.clone()), args, Confirmation::Skip, app).await? {
        Outcome::Done(r) => Ok(*r),
        Outcome::InputRequired(_) => panic!("no input with confirmation skipped"),
    }
}

#[tokio::test]
async fn own_others_hr_dry_run_and_already_deleted() {
    let sb = sandbox(250).await;
    let app = app(&sb);
    let snapshot = app.records().snapshot(None).await.unwrap();
    let mut active = snapshot.all().filter(|e| {
        e.status.value() == Some(&EmployeeStatus::Active)
            && e.email.value().is_some()
            && e.supervisor.value().is_some()
    });
    let me_rec = active.next().unwrap().clone();
    let peer_rec = active
        .find(|e| e.supervisor.value().map(|s| s.id) != Some(me_rec.id) && e.id != me_rec.id)
        .unwrap()
        .clone();
    let me = as_role(&app, me_rec.email.value().unwrap(), Role::Employee).await;
    let hr = Caller::operator();

    // Own absence: a dry run changes nothing, then the cancellation deletes it once.
    let mine = book(&app, &me, me_rec.id, "2031-05-06").await;
    let preview = cancel(&app, &me, json!({"absence_id": mine, "dry_run": true}))
        .await
        .unwrap();
    assert_eq!(preview.status, "preview");
    assert!(!preview.cancelled);
    let done = cancel(&app, &me, json!({"absence_id": mine.clone()}))
        .await
        .unwrap();
    assert!(done.cancelled && done.status == "cancelled");
    assert_eq!(done.employee.id, me_rec.id);
    // Already gone: NOT_FOUND, nothing else happens.
    let again = cancel(&app, &me, json!({"absence_id": mine}))
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::NotFound);

    // Someone else's: the employee cannot even learn that it exists.
    let theirs = book(&app, &hr, peer_rec.id, "2031-05-13").await;
    let refused = cancel(&app, &me, json!({"absence_id": theirs}))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotFound);
    // HR cancels anyone's.
    let by_hr = cancel(&app, &hr, json!({"absence_id": theirs}))
        .await
        .unwrap();
    assert!(by_hr.cancelled);

    // Ids that are neither numbers nor UUIDs are refused before Personio is asked.
    let bad = cancel(&app, &hr, json!({"absence_id": "../../etc"}))
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::ValidationFailed);
}

#[tokio::test]
async fn a_manager_may_not_cancel_a_reports_absence() {
    let sb = sandbox(250).await;
    let app = app(&sb);
    let snapshot = app.records().snapshot(None).await.unwrap();
    let report = snapshot
        .all()
        .find(|e| {
            e.status.value() == Some(&EmployeeStatus::Active)
                && e.supervisor.value().is_some_and(|s| {
                    snapshot.by_id(s.id).is_some_and(|b| {
                        b.email.value().is_some()
                            && b.status.value() == Some(&EmployeeStatus::Active)
                    })
                })
        })
        .unwrap()
        .clone();
    let boss_id = report.supervisor.value().unwrap().id;
    let boss_email = snapshot
        .by_id(boss_id)
        .unwrap()
        .email
        .value()
        .unwrap()
        .clone();
    let boss = as_role(&app, &boss_email, Role::Manager).await;
    let absence = book(&app, &Caller::operator(), report.id, "2031-05-20").await;
    let e = cancel(&app, &boss, json!({"absence_id": absence}))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert!(!e.message.contains(&report.full_name()));
}
