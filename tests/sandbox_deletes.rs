//! Deleting absences (issue 17): `DELETE /v1/company/time-offs/{id}` (day types) and
//! `DELETE /v1/company/absence-periods/{id}` (hour types) answer like Personio, refuse twice-deleted
//! and unknown ids with 404, work with the fault injection a cancel tool must survive (a 500 or a
//! client time-out **after** the delete committed), and are counted in the statistics.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use sandbox_support::*;
use serde_json::{Value, json};

async fn new_employee(sb: &personio_mcp::sandbox::SandboxHandle) -> u64 {
    add_employee(sb, json!({"first_name": "Dora", "last_name": "Delete"})).await
}

async fn book_day(api: &Api, employee: u64) -> u64 {
    let r = api
        .post_json(
            "/v1/company/time-offs",
            &json!({"employee_id": employee, "time_off_type_id": PAID_VACATION,
                    "start_date": "2025-07-07", "end_date": "2025-07-08",
                    "half_day_start": false, "half_day_end": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["data"]["attributes"]["id"].as_u64().unwrap()
}

async fn book_hours(api: &Api, employee: u64) -> String {
    let r = api
        .post_json(
            "/v1/company/absence-periods",
            &json!({"employee_id": employee, "time_off_type_id": DOCTORS_APPOINTMENT,
                    "start_date": "2025-07-09", "end_date": "2025-07-09",
                    "start_time": "09:00", "end_time": "11:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json["data"][0]["attributes"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn stored(sb: &personio_mcp::sandbox::SandboxHandle) -> Value {
    admin_get(sb, "/__sandbox/time-offs").await.json
}

fn has_day(dump: &Value, id: u64) -> bool {
    dump["day"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id)
}

fn has_hour(dump: &Value, id: &str) -> bool {
    dump["hour"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id)
}

#[tokio::test]
async fn time_off_delete_answers_like_personio_then_404() {
    let sb = start(10).await;
    let api = Api::new(&sb, FULL).await;
    let emp = new_employee(&sb).await;
    let id = book_day(&api, emp).await;
    let path = format!("/v1/company/time-offs/{id}");

    let r = api.delete(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!({"success": true, "data": {"message": "The absence period was deleted."}})
    );
    // The captured client fixture carries the same `success` and message (its `metadata` comes from
    // hand-edited mock data, see SOURCE.md); a client reading either sees the same answer.
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/personio/fixtures/personio-py/time-off_delete.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(r.json["success"], fixture["success"]);
    assert_eq!(r.json["data"], fixture["data"]);
    assert!(!has_day(&stored(&sb).await, id));

    let not_found = json!({"success": false, "error": {"code": 404, "message": "The absence period was not found."}});
    let again = api.delete(&path).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.json, not_found);
    let unknown = api.delete("/v1/company/time-offs/999999999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json, not_found);
}

#[tokio::test]
async fn absence_period_delete_answers_like_personio_then_404() {
    let sb = start(10).await;
    let api = Api::new(&sb, FULL).await;
    let emp = new_employee(&sb).await;
    let id = book_hours(&api, emp).await;
    let path = format!("/v1/company/absence-periods/{id}");

    let r = api.delete(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!({"success": true, "data": {"message": "The absence period was deleted."}})
    );
    assert!(!has_hour(&stored(&sb).await, &id));
    let again = api.delete(&path).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        again.json["error"]["message"],
        "The absence period was not found."
    );
    let unknown = api
        .delete("/v1/company/absence-periods/7b0c2f5e-8d0a-4c5e-9f1e-3a2b1c0d9e8f")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let invalid = api.delete("/v1/company/absence-periods/42").await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        invalid.json["error"]["message"],
        "The absence period id is invalid."
    );
}

#[tokio::test]
async fn deletes_need_the_write_scope() {
    let sb = start(10).await;
    let api = Api::new(&sb, FULL).await;
    let limited = Api::new(&sb, LIMITED).await;
    let emp = new_employee(&sb).await;
    let day = book_day(&api, emp).await;
    let hour = book_hours(&api, emp).await;
    for path in [
        format!("/v1/company/time-offs/{day}"),
        format!("/v1/company/absence-periods/{hour}"),
    ] {
        let r = limited.delete(&path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    let dump = stored(&sb).await;
    assert!(has_day(&dump, day) && has_hour(&dump, &hour));
}

#[tokio::test]
async fn a_500_after_commit_still_deletes_and_the_retry_gets_404() {
    let sb = start(10).await;
    let api = Api::new(&sb, FULL).await;
    let emp = new_employee(&sb).await;
    let day = book_day(&api, emp).await;
    let hour = book_hours(&api, emp).await;
    let faults = json!({"server_error_every": 1, "after_commit": true, "method": "DELETE"});
    let r = admin_send(&sb, Method::PUT, "/__sandbox/faults", Some(&faults)).await;
    assert_eq!(r.status, StatusCode::OK);

    let r = api.delete(&format!("/v1/company/time-offs/{day}")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let r = api
        .delete(&format!("/v1/company/absence-periods/{hour}"))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let dump = stored(&sb).await;
    assert!(!has_day(&dump, day), "the delete committed before the 500");
    assert!(
        !has_hour(&dump, &hour),
        "the delete committed before the 500"
    );

    admin_send(&sb, Method::DELETE, "/__sandbox/faults", None).await;
    let retry = api.delete(&format!("/v1/company/time-offs/{day}")).await;
    assert_eq!(retry.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_delete_delayed_past_the_client_timeout_has_committed() {
    let sb = start(10).await;
    let api = Api::new(&sb, FULL).await;
    let emp = new_employee(&sb).await;
    let day = book_day(&api, emp).await;
    let faults = json!({"delay_every": 1, "delay_ms": 2000, "after_commit": true,
                        "method": "DELETE", "path_prefix": "/v1/company/time-offs"});
    admin_send(&sb, Method::PUT, "/__sandbox/faults", Some(&faults)).await;

    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = impatient
        .delete(format!("{}/v1/company/time-offs/{day}", sb.base_url()))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect_err("the client gives up during the delay");
    assert!(err.is_timeout(), "{err}");
    assert!(
        !has_day(&stored(&sb).await, day),
        "the delete is stored although the client never saw an answer"
    );
    // A cancel tool that looks the absence up before retrying learns it is gone.
    admin_send(&sb, Method::DELETE, "/__sandbox/faults", None).await;
    let lookup = api.get(&format!("/v1/company/time-offs/{day}")).await;
    assert_eq!(lookup.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stats_count_delete_requests_per_route_and_status() {
    let sb = start(10).await;
    let api = Api::new(&sb, FULL).await;
    let emp = new_employee(&sb).await;
    let day = book_day(&api, emp).await;
    let hour = book_hours(&api, emp).await;
    admin_send(&sb, Method::DELETE, "/__sandbox/stats", None).await;

    api.delete(&format!("/v1/company/time-offs/{day}")).await;
    api.delete(&format!("/v1/company/time-offs/{day}")).await;
    api.delete(&format!("/v1/company/absence-periods/{hour}"))
        .await;

    let stats = admin_get(&sb, "/__sandbox/stats").await.json;
    let days = &stats["by_route"]["DELETE /v1/company/time-offs/{id}"];
    assert_eq!(days["total"], 2);
    assert_eq!(days["by_status"], json!({"200": 1, "404": 1}));
    let hours = &stats["by_route"]["DELETE /v1/company/absence-periods/{id}"];
    assert_eq!(hours["total"], 1);
    assert_eq!(hours["by_status"], json!({"200": 1}));
    assert_eq!(stats["total"], 3);
}
