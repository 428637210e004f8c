//! A cancel whose DELETE times out (Personio deleted it, the answer never arrived) is looked up
//! before anything is sent again (issue 17): end to end through cancel_time_off against the
//! sandbox's fault injection (the DELETE is committed, then answered too late for the client).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::time::Duration;

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::confirm::{Confirmation, Outcome};
use personio_mcp::mcp::tools::{cancel_time_off, create_time_off};
use personio_mcp::personio::PersonioClient;
use personio_mcp::policy::access::Caller;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_delete_is_looked_up_and_not_sent_again() {
    let sb = sandbox(40).await;
    let mut cfg = unthrottled(config(&sb, "sandbox-client"));
    cfg.request_timeout = Duration::from_millis(700);
    cfg.operation_deadline = Duration::from_secs(10);
    let client = PersonioClient::new(cfg).unwrap();
    let app = App::new(client.clone(), Settings::with_writes(true));
    let g = app.guard_as(Caller::operator());
    let employee = app
        .records()
        .snapshot(None)
        .await
        .unwrap()
        .all()
        .next()
        .unwrap()
        .id;

    let args = json!({"employee": employee.to_string(), "time_off_type": "Paid vacation", "start_date": "2031-10-06"});
    let Outcome::Done(created) = create_time_off::run(
        &g,
        serde_json::from_value(args).unwrap(),
        Confirmation::Skip,
        &app,
    )
    .await
    .unwrap() else {
        panic!("no input with confirmation skipped")
    };
    let id = created.absence.unwrap().id;
    let before = stored_time_offs(&sb).await["day_count"].as_u64().unwrap();

    // Every DELETE is committed, then answered after 1.5 s: past the client's 0.7 s timeout.
    set_faults(
        &sb,
        json!({"delay_every": 1, "delay_ms": 1500, "method": "DELETE", "after_commit": true}),
    )
    .await;
    reset_stats(&sb).await;
    let route = "DELETE /v1/company/time-offs/{id}";
    let r = cancel_time_off::run(
        &g,
        serde_json::from_value(json!({"absence_id": id})).unwrap(),
        Confirmation::Skip,
        &app,
    )
    .await
    .unwrap();
    let Outcome::Done(r) = r else {
        panic!("no input with confirmation skipped")
    };
    clear_faults(&sb).await;

    assert!(r.cancelled, "the absence is gone, so the cancel succeeded");
    assert_eq!(
        stored_time_offs(&sb).await["day_count"].as_u64().unwrap(),
        before - 1
    );
    let stats = stats(&sb).await;
    assert_eq!(
        stats["by_route"][route]["total"].as_u64().unwrap_or(0),
        1,
        "one DELETE, never a blind second one: {stats}"
    );
    // The look-up by id after the timeout found it gone (404), so nothing was sent again.
    assert_eq!(
        stats["by_route"]["GET /v1/company/time-offs/{id}"]["by_status"]["404"].as_u64(),
        Some(1),
        "looked up after the timeout: {stats}"
    );
}
