//! Issue 7: confirmation paths, idempotency, validation messages, and no duplicates under faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::confirm::{Confirmation, Outcome};
use personio_mcp::mcp::tools::create_time_off::{self, CreateTimeOffResult};
use personio_mcp::personio::PersonioClient;
use personio_mcp::policy::access::Caller;
use personio_mcp::policy::confirmations::Confirmations;
use personio_mcp::policy::principal::{Principal, Role};
use personio_mcp::{Error, ErrorCode};
use serde_json::{Value, json};

const WHO: &str = "jurgen.muller@nordlicht.example";

fn app(sb: &personio_mcp::sandbox::SandboxHandle) -> App {
    let client = PersonioClient::new(unthrottled(config(sb, "sandbox-client"))).unwrap();
    App::new(client, Settings::with_writes(true))
}

fn args(v: Value) -> create_time_off::CreateTimeOffArgs {
    serde_json::from_value(v).unwrap()
}

fn alice() -> Principal {
    // #1 of every seeded company (docs/sandbox.md), like Jürgen Müller (#0).
    Principal {
        email: "anna-lena.weiss@nordlicht.example".into(),
        role: Role::Hr,
    }
}

async fn call(
    app: &App,
    a: Value,
    who: Option<&Principal>,
    c: Confirmation,
) -> Result<CreateTimeOffResult, Error> {
    let caller = match who {
        Some(p) => Caller::resolve(Some(p), &*app.records().snapshot(None).await?)?,
        None => Caller::operator(),
    };
    match create_time_off::run(&app.guard_as(caller.clone()), args(a), c, app).await? {
        Outcome::Done(r) => Ok(*r),
        Outcome::InputRequired(_) => panic!("unexpected input_required"),
    }
}

async fn day_count(sb: &personio_mcp::sandbox::SandboxHandle) -> u64 {
    stored_time_offs(sb).await["day_count"].as_u64().unwrap()
}

fn vacation(date: &str) -> Value {
    json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": date})
}

#[tokio::test]
async fn preview_then_token_writes_once_and_tokens_are_single_use_and_bound() {
    let sb = sandbox(50).await;
    let app = app(&sb);
    let before = day_count(&sb).await;
    let preview = call(
        &app,
        vacation("2031-06-03"),
        Some(&alice()),
        Confirmation::Token,
    )
    .await
    .unwrap();
    assert_eq!(preview.status, "confirmation_required");
    assert!(!preview.created);
    assert!(preview.summary.contains("Jürgen Müller") && preview.summary.contains("2031-06-03"));
    assert!(
        preview
            .go_on
            .next_step
            .unwrap()
            .contains("confirmation_token")
    );
    assert_eq!(day_count(&sb).await, before, "a preview writes nothing");
    let token = preview.go_on.confirmation_token.unwrap();

    // Another request, another caller, an altered token: all refused.
    let mut other = vacation("2031-06-04");
    other["confirmation_token"] = json!(token);
    let e = call(&app, other, Some(&alice()), Confirmation::Token)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    assert!(e.message.contains("confirmation token was refused"));
    let mut mine = vacation("2031-06-03");
    mine["confirmation_token"] = json!(token);
    let bob = Principal {
        email: WHO.into(),
        role: Role::Hr,
    };
    assert!(
        call(&app, mine.clone(), Some(&bob), Confirmation::Token)
            .await
            .is_err(),
        "foreign principal"
    );
    let mut tampered = mine.clone();
    tampered["confirmation_token"] = json!(format!("{token}A"));
    assert!(
        call(&app, tampered, Some(&alice()), Confirmation::Token)
            .await
            .is_err(),
        "tampered"
    );

    let done = call(&app, mine.clone(), Some(&alice()), Confirmation::Token)
        .await
        .unwrap();
    assert!(done.created);
    assert_eq!(done.status, "pending");
    assert_eq!(day_count(&sb).await, before + 1);
    // Reusing the token: the absence now exists, so the call answers with it, writing nothing.
    let again = call(&app, mine, Some(&alice()), Confirmation::Token)
        .await
        .unwrap();
    assert!(again.already_existed && !again.created);
    assert_eq!(day_count(&sb).await, before + 1);
}

#[tokio::test]
async fn a_reused_token_is_refused_even_when_the_first_write_was_undone() {
    let sb = sandbox(50).await;
    let app = app(&sb);
    let preview = call(&app, vacation("2031-06-10"), None, Confirmation::Token)
        .await
        .unwrap();
    let mut confirmed = vacation("2031-06-10");
    confirmed["confirmation_token"] = json!(preview.go_on.confirmation_token.unwrap());
    let done = call(&app, confirmed.clone(), None, Confirmation::Token)
        .await
        .unwrap();
    let id: i64 = done.absence.unwrap().id.parse().unwrap();
    app.records().client().delete_time_off(id).await.unwrap();
    let e = call(&app, confirmed, None, Confirmation::Token)
        .await
        .unwrap_err();
    assert!(e.message.contains("already used"), "{}", e.message);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let sb = sandbox(50).await;
    let app = app(&sb).with_confirmations(Confirmations::random_with_ttl(Duration::from_secs(1)));
    let preview = call(&app, vacation("2031-06-17"), None, Confirmation::Token)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut confirmed = vacation("2031-06-17");
    confirmed["confirmation_token"] = json!(preview.go_on.confirmation_token.unwrap());
    let e = call(&app, confirmed, None, Confirmation::Token)
        .await
        .unwrap_err();
    assert!(e.message.contains("expired"), "{}", e.message);
}

#[tokio::test]
async fn mrtr_asks_for_input_then_writes_on_accept_and_not_on_decline() {
    let sb = sandbox(50).await;
    let app = app(&sb);
    let first = create_time_off::run(
        &app.guard_as(Caller::operator()),
        args(vacation("2031-07-01")),
        Confirmation::Mrtr {
            request_state: None,
            responses: None,
        },
        &app,
    )
    .await
    .unwrap();
    let Outcome::InputRequired(input) = first else {
        panic!("input_required expected")
    };
    let wire = serde_json::to_value(&input).unwrap();
    assert_eq!(wire["resultType"], "input_required");
    let message = wire["inputRequests"]["confirm"]["params"]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("Jürgen Müller"));
    let state = wire["requestState"].as_str().unwrap().to_string();

    let decline: rmcp::model::InputResponses =
        serde_json::from_value(json!({"confirm": {"action": "decline"}})).unwrap();
    let before = day_count(&sb).await;
    let r = call(
        &app,
        vacation("2031-07-01"),
        None,
        Confirmation::Mrtr {
            request_state: Some(state),
            responses: Some(decline),
        },
    )
    .await
    .unwrap();
    assert_eq!(r.status, "declined");
    assert_eq!(day_count(&sb).await, before);

    let Outcome::InputRequired(input) = create_time_off::run(
        &app.guard_as(Caller::operator()),
        args(vacation("2031-07-01")),
        Confirmation::Mrtr {
            request_state: None,
            responses: None,
        },
        &app,
    )
    .await
    .unwrap() else {
        panic!()
    };
    let state = serde_json::to_value(&input).unwrap()["requestState"]
        .as_str()
        .unwrap()
        .to_string();
    let accept: rmcp::model::InputResponses = serde_json::from_value(
        json!({"confirm": {"action": "accept", "content": {"confirm": true}}}),
    )
    .unwrap();
    // A state for another request is refused.
    let e = call(
        &app,
        vacation("2031-07-02"),
        None,
        Confirmation::Mrtr {
            request_state: Some(state.clone()),
            responses: Some(accept.clone()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    let r = call(
        &app,
        vacation("2031-07-01"),
        None,
        Confirmation::Mrtr {
            request_state: Some(state),
            responses: Some(accept),
        },
    )
    .await
    .unwrap();
    assert!(r.created);
    assert_eq!(day_count(&sb).await, before + 1);
}

#[tokio::test]
async fn idempotency_keys_replay_and_refuse_other_requests() {
    let sb = sandbox(50).await;
    let app = app(&sb);
    let mut a = vacation("2031-08-05");
    a["idempotency_key"] = json!("req-42");
    let first = call(&app, a.clone(), None, Confirmation::Skip)
        .await
        .unwrap();
    assert!(first.created);
    let replay = call(&app, a.clone(), None, Confirmation::Skip)
        .await
        .unwrap();
    assert!(replay.created, "the original result is replayed");
    assert_eq!(replay.absence.unwrap().id, first.absence.unwrap().id);
    let mut b = vacation("2031-08-12");
    b["idempotency_key"] = json!("req-42");
    let e = call(&app, b, None, Confirmation::Skip).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
}

#[tokio::test]
async fn validation_messages_a_model_receives() {
    let sb = sandbox(50).await;
    let app = app(&sb);
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": "2031-02-29"}),
            "start_date must be a real calendar date",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": "2031-06-05", "end_date": "2031-06-03"}),
            "end_date 2031-06-03 is before start_date 2031-06-05",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": "2031-06-07", "end_date": "2031-06-08"}),
            "contain no working day",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": "2031-06-03", "half_day_start": true, "half_day_end": true}),
            "Both half day start and half day end are true for a single-day period",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": "2031-06-03", "start_time": "09:00", "end_time": "10:00"}),
            "start_time and end_time are only for hour-based types",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Doctor's appointment", "start_date": "2031-06-03"}),
            "start_time and end_time (HH:MM) are required",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Doctor's appointment", "start_date": "2031-06-03", "end_date": "2031-06-04", "start_time": "09:00", "end_time": "10:00"}),
            "must start and end on the same day",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Doctor's appointment", "start_date": "2031-06-03", "start_time": "11:00", "end_time": "10:00"}),
            "end_time must be after start_time",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Doctor's appointment", "start_date": "2031-06-03", "start_time": "9h", "end_time": "10:00"}),
            "start_time must be a time written HH:MM",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Doctor's appointment", "start_date": "2031-06-03", "half_day_start": true, "start_time": "09:00", "end_time": "10:00"}),
            "half-day flags are only for day-based types",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": "2020-06-03"}),
            "is in the past",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Holidays on Mars", "start_date": "2031-06-03"}),
            "no time-off type matches that name",
        ),
        (
            json!({"employee": "Nobody Atall", "time_off_type": "Paid vacation", "start_date": "2031-06-03"}),
            "no employee matches that name",
        ),
        (
            json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": "2031-06-03", "auto_approve": true}),
            "auto_approve is only for HR callers",
        ),
    ];
    for (a, expected) in cases {
        let e = call(&app, a.clone(), None, Confirmation::Skip)
            .await
            .unwrap_err();
        assert!(
            e.message.contains(expected),
            "{a}: got {} ({})",
            e.message,
            e.code
        );
        assert!(
            e.code != ErrorCode::UpstreamError,
            "{a}: validated before Personio"
        );
    }
    // A negative balance is a warning, not a refusal (entitlement set to 0 through the sandbox's admin route).
    let r = http()
        .post(format!("{}/__sandbox/employees/1000685", sb.base_url()))
        .json(&json!({"vacation_entitlement": 0}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let today = app.today();
    let candidates = (1..40)
        .map(|d| today + chrono::Duration::days(d))
        .filter(|d| chrono::Datelike::year(d) == chrono::Datelike::year(&today))
        .filter(|d| {
            !matches!(
                chrono::Datelike::weekday(d),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            )
        });
    for day in candidates {
        match call(&app, json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": day.to_string(), "dry_run": true}), None, Confirmation::Skip).await {
            Ok(preview) => {
                assert!(preview.warnings.iter().any(|w| w.contains("exceeds the available balance")), "{:?}", preview.warnings);
                break;
            }
            // An existing absence on that day: try the next one.
            Err(e) => assert_eq!(e.code, ErrorCode::Conflict, "only an existing absence may stand in the way"),
        }
    }
    // A request for another year is not judged against this year's balance.
    let next_year = call(&app, json!({"employee": WHO, "time_off_type": "Paid vacation", "start_date": "2031-09-02", "dry_run": true}), None, Confirmation::Skip).await.unwrap();
    assert!(
        next_year
            .warnings
            .iter()
            .any(|w| w.contains("not known yet")),
        "{:?}",
        next_year.warnings
    );
}

/// 1,000 create attempts (200 distinct requests, each tried 5 times concurrently-ish) against a
/// sandbox that answers POSTs with 500s after committing and delays past the client timeout after
/// committing. Afterwards each request exists exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_faulty_attempts_leave_zero_duplicates() {
    let sb = sandbox_with(personio_mcp::sandbox::SandboxConfig {
        employees: 60,
        relaxed_limits: true,
        ..Default::default()
    })
    .await;
    let mut cfg = unthrottled(config(&sb, "sandbox-client"));
    cfg.request_timeout = Duration::from_millis(700);
    cfg.operation_deadline = Duration::from_secs(10);
    let client = PersonioClient::new(cfg).unwrap();
    let app = App::new(client.clone(), Settings::with_writes(true));
    let employees = client.all_employees(&Default::default()).await.unwrap();
    let active: Vec<i64> = employees
        .iter()
        .filter(|e| e.status.value().is_some_and(|s| s.as_str() == "active"))
        .map(|e| e.id)
        .take(40)
        .collect();
    // Every 3rd POST answers 500 after committing; every 4th is delayed past the client timeout
    // after committing.
    set_faults(&sb, json!({"server_error_every": 3, "delay_every": 4, "delay_ms": 1500, "method": "POST", "after_commit": true})).await;
    // Five Mondays in 2032 per employee → 200 distinct requests.
    let dates = [
        "2032-02-02", "2032-02-09", "2032-02-16", "2032-02-23", "2032-03-01",
    ];
    let mut requests = Vec::new();
    for id in &active {
        for d in dates {
            requests.push(json!({"employee": id.to_string(), "time_off_type": "Paid vacation", "start_date": d}));
        }
    }
    assert_eq!(requests.len(), 200);
    // Each request is attempted five times, all at once (a client retrying the same call).
    let calls: Vec<_> = requests
        .iter()
        .flat_map(|r| std::iter::repeat_n(r.clone(), 5))
        .map(|r| {
            let app = app.clone();
            async move { call(&app, r, None, Confirmation::Skip).await }
        })
        .collect();
    let attempts = calls.len();
    let results = futures::future::join_all(calls).await;
    let posts = route_count(&sb, "POST /v1/company/time-offs").await;
    assert!(
        posts >= 200,
        "the faults were exercised by real POSTs ({posts})"
    );
    let failed = results.iter().filter(|r| r.is_err()).count();
    eprintln!(
        "{attempts} attempts, {posts} POSTs seen by the sandbox, {failed} attempts ended in an error"
    );
    assert_eq!(attempts, 1000);
    clear_faults(&sb).await;
    // A final clean pass makes sure every request exists; it must find them, not create them twice.
    for r in &requests {
        call(&app, r.clone(), None, Confirmation::Skip)
            .await
            .unwrap();
    }
    let stored = stored_time_offs(&sb).await;
    let mut per_request: HashMap<(i64, String), usize> = HashMap::new();
    for a in stored["day"].as_array().unwrap() {
        let date = a["start_date"].as_str().unwrap().to_string();
        if date.starts_with("2032") {
            *per_request
                .entry((a["employee_id"].as_i64().unwrap(), date))
                .or_default() += 1;
        }
    }
    assert_eq!(per_request.len(), 200, "every request exists");
    let duplicates: Vec<_> = per_request.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "duplicates: {duplicates:?}");
}

/// A retry with the same idempotency key after the request's start date has passed answers with
/// the stored result: the replay comes before the checks (issue 12), so it does not fail "start
/// date in the past" for a request that was already booked.
#[tokio::test]
async fn an_idempotent_retry_after_the_start_date_replays_instead_of_failing() {
    let sb = sandbox(50).await;
    let today = chrono::NaiveDate::from_ymd_opt(2031, 8, 4).unwrap();
    let app = app(&sb).with_today(today);
    let before = day_count(&sb).await;
    let mut a = vacation("2031-08-05");
    a["idempotency_key"] = json!("retry-next-week");
    let first = call(&app, a.clone(), None, Confirmation::Skip)
        .await
        .unwrap();
    assert!(first.created);

    // A week later (same process state: the clone shares the idempotency store).
    let later = app.clone().with_today(today + chrono::Days::new(7));
    let mut without_key = a.clone();
    without_key
        .as_object_mut()
        .unwrap()
        .remove("idempotency_key");
    let e = call(&later, without_key, None, Confirmation::Skip)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::ValidationFailed,
        "without the key the request is checked again, and its date has passed: {e:?}"
    );
    let replay = call(&later, a, None, Confirmation::Skip).await.unwrap();
    assert!(replay.created, "the original result is replayed");
    assert_eq!(replay.absence.unwrap().id, first.absence.unwrap().id);
    assert_eq!(day_count(&sb).await, before + 1, "booked once");
}
