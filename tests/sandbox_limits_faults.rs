//! Sandbox rate limits, fault injection and request statistics over loopback HTTP.
//! No assertion depends on how long anything took: delays are observed through client timeouts and
//! request counts, never by measuring elapsed time.

// Test code: a failed unwrap is a failed assertion (helpers outside `#[test]` fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use sandbox_support::*;
use serde_json::json;

#[tokio::test]
async fn employees_listing_allows_a_burst_of_15_then_answers_429_with_headers() {
    let sb = start_with(config(20, false)).await;
    let api = Api::new(&sb, FULL).await;
    let mut ok = 0;
    let mut throttled = None;
    for _ in 0..200 {
        let r = api.get("/v1/company/employees?limit=1").await;
        match r.status {
            StatusCode::OK => {
                assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("300"));
                assert!(r.header("x-ratelimit-remaining").is_some());
                assert!(r.header("x-ratelimit-reset").is_some());
                ok += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                throttled = Some(r);
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let r = throttled.expect("the burst runs out");
    assert!(ok >= 15, "at least the burst of 15 passes ({ok})");
    assert_eq!(
        r.json,
        json!({"success": false, "error": {"code": 429, "message": "Too Many Requests"}})
    );
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
    let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset >= 1);
    assert!(
        r.header("retry-after").is_none(),
        "Personio sends no Retry-After"
    );
    // Other routes are not limited by the employees bucket.
    assert_eq!(
        api.get("/v1/company/time-off-types").await.status,
        StatusCode::OK
    );
    let stats = admin_get(&sb, "/__sandbox/stats").await;
    assert_eq!(
        stats.json["by_route"]["GET /v1/company/employees"]["by_status"]["429"],
        1
    );
}

#[tokio::test]
async fn auth_endpoints_are_limited_per_minute() {
    let sb = start_with(config(5, false)).await;
    let base = sb.base_url();
    let client = http();
    let mut v1_ok = 0;
    let mut v1_limited = false;
    for _ in 0..120 {
        let r = client
            .post(format!("{base}/v1/auth"))
            .json(&json!({"client_id": FULL, "client_secret": SECRET}))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.headers()["x-ratelimit-limit"], "60");
            v1_limited = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
        v1_ok += 1;
    }
    assert!(v1_limited && v1_ok >= 60, "{v1_ok}");
    let mut v2_ok = 0;
    let mut v2_limited = false;
    for _ in 0..300 {
        let r = client
            .post(format!("{base}/v2/auth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", FULL),
                ("client_secret", SECRET),
            ])
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.headers()["x-ratelimit-limit"], "150");
            let body: serde_json::Value = r.json().await.unwrap();
            assert!(body["errors"].is_array(), "v2 error body");
            v2_limited = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
        v2_ok += 1;
    }
    assert!(v2_limited && v2_ok >= 150, "{v2_ok}");
}

#[tokio::test]
async fn relaxed_limits_never_throttle() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    for _ in 0..60 {
        let r = api.get("/v1/company/employees?limit=1").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.header("x-ratelimit-limit").is_none());
    }
}

async fn put_faults(sb: &personio_mcp::sandbox::SandboxHandle, faults: serde_json::Value) {
    let r = admin_send(sb, Method::PUT, "/__sandbox/faults", Some(&faults)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn fault_config_round_trips_and_rejects_typos() {
    let sb = start(5).await;
    let r = admin_get(&sb, "/__sandbox/faults").await;
    assert_eq!(r.json["server_error_every"], serde_json::Value::Null);
    let config = json!({"server_error_every": 3, "method": "GET", "path_prefix": "/v1/company", "latency_ms": 0});
    put_faults(&sb, config.clone()).await;
    let r = admin_get(&sb, "/__sandbox/faults").await;
    assert_eq!(r.json["server_error_every"], 3);
    assert_eq!(r.json["method"], "GET");
    let r = admin_send(
        &sb,
        Method::PUT,
        "/__sandbox/faults",
        Some(&json!({"server_eror_every": 1})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("server_eror_every")
    );
    let r = admin_send(&sb, Method::DELETE, "/__sandbox/faults", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        admin_get(&sb, "/__sandbox/faults").await.json["server_error_every"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn every_nth_429_and_500_respect_their_scope() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    put_faults(&sb, json!({"server_error_every": 2, "method": "GET", "path_prefix": "/v1/company/time-off-types"})).await;
    let statuses: Vec<StatusCode> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(api.get("/v1/company/time-off-types").await.status);
        }
        v
    };
    assert_eq!(
        statuses,
        vec![
            StatusCode::OK,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::OK,
            StatusCode::INTERNAL_SERVER_ERROR
        ]
    );
    let r = api.get("/v1/company/employees?limit=1").await;
    assert_eq!(r.status, StatusCode::OK, "other paths are out of scope");

    put_faults(&sb, json!({"rate_limit_every": 1, "method": "POST"})).await;
    let r = api.get("/v1/company/time-off-types").await;
    assert_eq!(r.status, StatusCode::OK, "GETs are out of scope");
    let emp = add_employee(&sb, json!({"first_name": "Fritz", "last_name": "Fehler"})).await;
    let r = api
        .post_json(
            "/v1/company/time-offs",
            &json!({"employee_id": emp, "time_off_type_id": PAID_VACATION, "start_date": "2025-07-01",
                    "end_date": "2025-07-01", "half_day_start": false, "half_day_end": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json["error"]["code"], 429);
    let dump = admin_get(&sb, "/__sandbox/time-offs").await;
    assert!(
        !dump.json["day"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["employee_id"] == emp),
        "a 429 never commits"
    );
    let r = Reply::from(
        http()
            .post(format!("{}/v1/auth", sb.base_url()))
            .json(&json!({"client_id": FULL, "client_secret": SECRET}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "unscoped by path: /v1/auth too"
    );
}

#[tokio::test]
async fn a_500_before_commit_stores_nothing_and_after_commit_stores_the_write() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    let emp = add_employee(&sb, json!({"first_name": "Clara", "last_name": "Commit"})).await;
    let body = |day: &str| {
        json!({"employee_id": emp, "time_off_type_id": PAID_VACATION, "start_date": day,
               "end_date": day, "half_day_start": false, "half_day_end": false})
    };
    let stored = |sb: &personio_mcp::sandbox::SandboxHandle| {
        let base = sb.base_url();
        async move {
            let r = Reply::from(
                http()
                    .get(format!("{base}/__sandbox/time-offs"))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            r.json["day"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["employee_id"] == emp)
                .map(|a| a["start_date"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    put_faults(
        &sb,
        json!({"server_error_every": 1, "method": "POST", "path_prefix": "/v1/company/time-offs"}),
    )
    .await;
    let r = api
        .post_json("/v1/company/time-offs", &body("2025-07-01"))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.json["success"], false);
    assert!(stored(&sb).await.is_empty());

    put_faults(
        &sb,
        json!({"server_error_every": 1, "method": "POST", "path_prefix": "/v1/company/time-offs", "after_commit": true}),
    )
    .await;
    let r = api
        .post_json("/v1/company/time-offs", &body("2025-07-02"))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(stored(&sb).await, vec!["2025-07-02"]);
    // A blind retry now collides with the committed write.
    put_faults(&sb, json!({})).await;
    let r = api
        .post_json("/v1/company/time-offs", &body("2025-07-02"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn delays_provoke_client_timeouts_and_after_commit_delays_still_commit() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    let emp = add_employee(&sb, json!({"first_name": "Tim", "last_name": "Timeout"})).await;
    let impatient = http();
    let short = Duration::from_millis(200);

    put_faults(&sb, json!({"delay_every": 1, "delay_ms": 3000, "method": "GET", "path_prefix": "/v1/company/employees/"})).await;
    let e = impatient
        .get(format!("{}/v1/company/employees/{emp}", sb.base_url()))
        .bearer_auth(&api.token)
        .timeout(short)
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout());
    assert_eq!(
        api.get("/v1/company/time-off-types").await.status,
        StatusCode::OK,
        "out of scope"
    );

    put_faults(
        &sb,
        json!({"delay_every": 1, "delay_ms": 3000, "method": "POST", "after_commit": true}),
    )
    .await;
    let e = impatient
        .post(format!("{}/v1/company/time-offs", sb.base_url()))
        .bearer_auth(&api.token)
        .json(&json!({"employee_id": emp, "time_off_type_id": PAID_VACATION, "start_date": "2025-09-01",
                      "end_date": "2025-09-02", "half_day_start": false, "half_day_end": false}))
        .timeout(short)
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout());
    // The write was committed before the delay; the request was counted on arrival. (Polled, so a
    // slow machine cannot turn this into a timing assertion.)
    let mut committed = 0;
    for _ in 0..100 {
        let dump = admin_get(&sb, "/__sandbox/time-offs").await;
        committed = dump.json["day"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["employee_id"] == emp)
            .count();
        if committed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(committed, 1);
    let stats = admin_get(&sb, "/__sandbox/stats").await;
    assert_eq!(
        stats.json["by_route"]["POST /v1/company/time-offs"]["total"],
        1
    );

    put_faults(
        &sb,
        json!({"latency_ms": 3000, "path_prefix": "/v1/company/time-off-types"}),
    )
    .await;
    let e = impatient
        .get(format!("{}/v1/company/time-off-types", sb.base_url()))
        .bearer_auth(&api.token)
        .timeout(short)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.is_timeout(),
        "added latency applies to every matching request"
    );
}

#[tokio::test]
async fn malformed_json_fault_truncates_the_body() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    put_faults(
        &sb,
        json!({"malformed_json_every": 2, "path_prefix": "/v1/company/time-off-types"}),
    )
    .await;
    let good = api.get("/v1/company/time-off-types").await;
    let bad = api.get("/v1/company/time-off-types").await;
    assert_eq!(good.status, StatusCode::OK);
    assert!(good.json.is_object());
    assert_eq!(bad.status, StatusCode::OK);
    assert!(serde_json::from_str::<serde_json::Value>(&bad.text).is_err());
    assert!(good.text.starts_with(&bad.text) && bad.text.len() < good.text.len());
}

#[tokio::test]
async fn faults_can_be_set_at_start() {
    let mut cfg = config(5, true);
    cfg.faults =
        serde_json::from_value(json!({"server_error_every": 1, "path_prefix": "/v2"})).unwrap();
    let sb = start_with(cfg).await;
    let r = http()
        .post(format!("{}/v2/auth/token", sb.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", FULL),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // v1 is out of scope.
    Api::new(&sb, FULL).await;
}

#[tokio::test]
async fn stats_count_routes_and_statuses_and_reset() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    for _ in 0..3 {
        api.get("/v1/company/employees").await;
    }
    api.get("/v1/company/employees/1").await;
    api.get("/v1/company/employees/2").await;
    http()
        .get(format!("{}/v1/company/nothing-here", sb.base_url()))
        .send()
        .await
        .unwrap();
    admin_get(&sb, "/__sandbox/faults").await;
    let s = admin_get(&sb, "/__sandbox/stats").await.json;
    assert_eq!(s["total"], 7, "{s}");
    assert_eq!(s["by_route"]["POST /v1/auth"]["by_status"]["200"], 1);
    assert_eq!(s["by_route"]["GET /v1/company/employees"]["total"], 3);
    assert_eq!(
        s["by_route"]["GET /v1/company/employees"]["by_status"]["200"],
        3
    );
    assert_eq!(
        s["by_route"]["GET /v1/company/employees/{employee_id}"]["by_status"]["404"],
        2
    );
    assert_eq!(s["by_route"]["GET <unmatched>"]["total"], 1);
    assert_eq!(s["by_status"]["200"], 4);
    assert_eq!(s["by_status"]["404"], 3);
    assert!(
        s["by_route"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.contains("__sandbox"))
    );
    let r = admin_send(&sb, Method::DELETE, "/__sandbox/stats", None).await;
    assert_eq!(r.json["total"], 0);
    assert_eq!(admin_get(&sb, "/__sandbox/stats").await.json["total"], 0);
}
