//! Hostile input never crashes the sandbox: every route answers malformed, extreme or nonsensical
//! requests with a 4xx (a panicking handler would drop the connection instead), and Personio routes
//! answer with JSON bodies.

// Test code: a failed unwrap is a failed assertion (helpers outside `#[test]` fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use reqwest::{Method, StatusCode};
use sandbox_support::*;
use serde_json::json;

#[tokio::test]
async fn hostile_requests_get_client_errors_not_crashes() {
    let sb = start(30).await;
    let api = Api::new(&sb, FULL).await;
    let base = sb.base_url();
    let client = http();
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let huge_date = json!({"employee_id": 1, "time_off_type_id": 155627, "start_date": "0001-01-01",
        "end_date": "9999-12-31", "half_day_start": false, "half_day_end": false});
    let max_date = json!({"employee_id": 1, "time_off_type_id": 155627, "start_date": "+262142-12-31",
        "end_date": "+262142-12-31", "half_day_start": false, "half_day_end": false});

    let get_paths = [
        "/v1/company/employees?limit=99999999999999999999999",
        "/v1/company/employees?offset=9223372036854775807&limit=100",
        "/v1/company/employees?offset=-5",
        "/v1/company/employees?updated_since=+262142-12-31T23:59:59",
        "/v1/company/employees?updated_since=%FF%FE",
        "/v1/company/employees?attributes[]=&attributes[]=%00",
        "/v1/company/employees/%FF",
        "/v1/company/employees/-1",
        "/v1/company/employees/18446744073709551616/absences/balance",
        "/v1/company/time-offs?offset=9223372036854775807",
        "/v1/company/time-offs?limit=-1",
        "/v1/company/time-offs?employees[]=abc",
        "/v1/company/time-offs?updated_to=+262142-12-31T23:59:59Z",
        "/v1/company/time-offs?updated_to=9999-12-31",
        "/v1/company/time-offs?start_date=0000-00-00",
        "/v1/company/time-offs/%FF",
        "/v1/company/time-offs/99999999999999999999999",
        "/v1/company/absence-periods?absence_types[]=not-a-uuid",
        "/v1/company/absence-periods?absence_periods[]=nope",
        "/v1/company/absence-periods?offset=9223372036854775807&limit=200",
        "/v1/company/time-off-types?offset=9223372036854775807",
    ];
    for path in get_paths {
        let r = api.get(path).await;
        assert!(
            r.status.is_success() || r.status.is_client_error(),
            "{path}: {}",
            r.status
        );
        assert!(
            r.json.is_object(),
            "{path}: JSON body expected, got {:?}",
            r.text
        );
    }

    let bodies: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "/v1/company/time-offs",
            "application/json",
            deep.clone().into_bytes(),
        ),
        (
            "/v1/company/time-offs",
            "application/json",
            b"[1,2,3]".to_vec(),
        ),
        (
            "/v1/company/time-offs",
            "application/json",
            vec![0xff, 0xfe, 0x00],
        ),
        ("/v1/company/time-offs", "text/plain", b"hello".to_vec()),
        (
            "/v1/company/time-offs",
            "application/x-www-form-urlencoded",
            b"%%%&&&==".to_vec(),
        ),
        (
            "/v1/company/time-offs",
            "application/json",
            huge_date.to_string().into_bytes(),
        ),
        (
            "/v1/company/time-offs",
            "application/json",
            max_date.to_string().into_bytes(),
        ),
        (
            "/v1/company/absence-periods",
            "application/json",
            huge_date.to_string().into_bytes(),
        ),
        (
            "/v1/company/absence-periods",
            "application/json",
            max_date.to_string().into_bytes(),
        ),
        (
            "/v1/company/absence-periods",
            "multipart/form-data; boundary=x",
            b"--x--".to_vec(),
        ),
        ("/v1/auth", "application/json", deep.clone().into_bytes()),
        (
            "/v1/auth",
            "application/json",
            b"{\"client_id\": [1], \"client_secret\": {}}".to_vec(),
        ),
    ];
    for (path, content_type, body) in bodies {
        let r = Reply::from(
            client
                .post(format!("{base}{path}"))
                .bearer_auth(&api.token)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            r.status.is_client_error(),
            "{path} {content_type}: {} {}",
            r.status,
            r.text
        );
        assert!(r.json.is_object(), "{path}: {:?}", r.text);
    }

    for (path, body) in [
        ("/v2/auth/token", vec![0xffu8, 0x00]),
        ("/v2/auth/revoke", b"token".to_vec()),
    ] {
        let r = client
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_client_error() || r.status().is_success(),
            "{path}"
        );
    }

    for (method, path, body) in [
        (Method::PUT, "/__sandbox/faults", Some(json!([1]))),
        (
            Method::POST,
            "/__sandbox/employees",
            Some(json!({"first_name": 1})),
        ),
        (Method::POST, "/__sandbox/employees/%FF", Some(json!({}))),
        (
            Method::POST,
            "/__sandbox/employees/1",
            Some(json!({"hire_date": "never"})),
        ),
        (
            Method::POST,
            "/__sandbox/employees",
            Some(json!({"first_name": "A", "last_name": "B", "weekly_working_hours": "lots"})),
        ),
    ] {
        let r = admin_send(&sb, method, path, body.as_ref()).await;
        assert!(
            r.status.is_client_error(),
            "{path}: {} {}",
            r.status,
            r.text
        );
    }

    // Still alive and consistent.
    assert_eq!(
        api.get("/v1/company/employees").await.status,
        StatusCode::OK
    );
    let stats = admin_get(&sb, "/__sandbox/stats").await.json;
    assert!(
        stats["by_status"]
            .as_object()
            .unwrap()
            .keys()
            .all(|s| !s.starts_with('5')),
        "{stats}"
    );
}
