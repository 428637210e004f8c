//! Sandbox authentication over loopback HTTP: v1 `/auth` in all three spellings, v2 OAuth token
//! endpoint, Bearer checks with Personio's 401/403 bodies, the echoed `Authorization` header, token
//! revocation and the limited credential's missing absence scope.

// Test code: a failed unwrap is a failed assertion (helpers outside `#[test]` fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use reqwest::{Method, StatusCode};
use sandbox_support::*;
use serde_json::json;

#[tokio::test]
async fn v1_auth_accepts_json_form_and_query_parameters() {
    let sb = start(5).await;
    let base = sb.base_url();
    let replies = [
        http()
            .post(format!("{base}/v1/auth"))
            .json(&json!({"client_id": FULL, "client_secret": SECRET})),
        http()
            .post(format!("{base}/v1/auth"))
            .form(&[("client_id", FULL), ("client_secret", SECRET)]),
        http()
            .post(format!("{base}/v1/auth"))
            .query(&[("client_id", FULL), ("client_secret", SECRET)]),
    ];
    let mut tokens = Vec::new();
    for req in replies {
        let r = Reply::from(req.send().await.unwrap()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["success"], true);
        let token = r.json["data"]["token"].as_str().unwrap().to_string();
        assert!(token.starts_with("papi-"), "{token}");
        assert_eq!(r.json["data"]["expires_in"], 86400);
        assert!(
            r.json["data"]["scope"]
                .as_str()
                .unwrap()
                .contains("employees:read")
        );
        tokens.push(token);
    }
    // Every token works (tokens are reusable and may be used in parallel).
    for t in tokens {
        let r = http()
            .get(format!("{base}/v1/company/time-off-types"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn v1_auth_rejects_bad_credentials_with_the_v1_envelope() {
    let sb = start(5).await;
    let base = sb.base_url();
    for (id, secret) in [(FULL, "wrong"), ("nobody", SECRET)] {
        let r = Reply::from(
            http()
                .post(format!("{base}/v1/auth"))
                .json(&json!({"client_id": id, "client_secret": secret}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json["success"], false);
        assert_eq!(r.json["error"]["code"], 401);
        assert!(r.json["error"]["message"].is_string());
    }
    let r = Reply::from(
        http()
            .post(format!("{base}/v1/auth"))
            .json(&json!({"client_id": FULL}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json["error"]["code"], 0);
    assert!(r.json["error"]["error_data"]["client_secret"].is_array());
    let r = Reply::from(
        http()
            .post(format!("{base}/v1/auth"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["success"], false);
}

#[tokio::test]
async fn company_routes_need_a_valid_bearer_token() {
    let sb = start(5).await;
    let base = sb.base_url();
    let url = format!("{base}/v1/company/employees");
    let r = Reply::from(http().get(&url).send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json,
        json!({"success": false, "error": {"code": 401, "message": "Authorization is not provided"}})
    );
    let r = Reply::from(
        http()
            .get(&url)
            .header("authorization", "Basic Zm9vOmJhcg==")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = Reply::from(
        http()
            .get(&url)
            .bearer_auth("papi-unknown")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json["error"]["message"],
        "Provided authorization is not valid"
    );
    assert!(r.header("authorization").is_none());
}

#[tokio::test]
async fn successful_company_responses_echo_the_same_token() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    for path in [
        "/v1/company/employees",
        "/v1/company/time-off-types",
        "/v1/company/time-offs?limit=1",
        "/v1/company/absence-periods?limit=1",
        "/v1/company/employees/attributes",
    ] {
        let r = api.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {}", api.token)),
            "{path}"
        );
    }
    // Not on errors.
    let r = api.get("/v1/company/employees/1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("authorization").is_none());
}

#[tokio::test]
async fn v2_token_endpoint_is_form_only_with_oauth_errors() {
    let sb = start(5).await;
    let url = format!("{}/v2/auth/token", sb.base_url());
    let ok = Reply::from(
        http()
            .post(&url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", FULL),
                ("client_secret", SECRET),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert!(
        ok.json["access_token"]
            .as_str()
            .unwrap()
            .starts_with("papi-")
    );
    assert_eq!(ok.json["expires_in"], 86400);
    assert_eq!(ok.json["token_type"], "Bearer");
    assert!(
        ok.json["scope"]
            .as_str()
            .unwrap()
            .contains("personio:absences:read")
    );

    let cases = [
        (
            http().post(&url).json(&json!({
                "grant_type": "client_credentials", "client_id": FULL, "client_secret": SECRET
            })),
            "invalid_request",
        ),
        (
            http().post(&url).form(&[("client_id", FULL)]),
            "invalid_request",
        ),
        (
            http().post(&url).form(&[
                ("grant_type", "password"),
                ("client_id", FULL),
                ("client_secret", SECRET),
            ]),
            "unsupported_grant_type",
        ),
        (
            http().post(&url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", FULL),
                ("client_secret", "nope"),
            ]),
            "invalid_client",
        ),
        (
            http().post(&url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", LIMITED),
                ("client_secret", SECRET),
                ("scope", "personio:absences:write"),
            ]),
            "invalid_scope",
        ),
    ];
    for (req, error) in cases {
        let r = Reply::from(req.send().await.unwrap()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{error}: {}", r.text);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        assert_eq!(r.json["error"], error, "{}", r.text);
        for key in [
            "error_description", "error_uri", "timestamp", "trace_id", "meta",
        ] {
            assert!(r.json.get(key).is_some(), "{key} in {}", r.text);
        }
    }
    let r = Reply::from(
        http()
            .post(&url)
            .form(&[("client_id", FULL)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let missing = r.json["meta"]["missing_parameters"].as_array().unwrap();
    assert!(missing.contains(&json!("grant_type")) && missing.contains(&json!("client_secret")));
}

#[tokio::test]
async fn v1_and_v2_tokens_both_work_on_v1_routes_and_scopes_are_honoured() {
    let sb = start(5).await;
    let base = sb.base_url();
    let v2 = |scope: Option<&'static str>| {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", FULL),
            ("client_secret", SECRET),
        ];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        let url = format!("{base}/v2/auth/token");
        async move {
            let r = Reply::from(http().post(url).form(&form).send().await.unwrap()).await;
            r.json["access_token"].as_str().unwrap().to_string()
        }
    };
    let v1_token = token(&base, FULL).await;
    let v2_full = v2(None).await;
    let v2_persons_only = v2(Some("personio:persons:read")).await;
    for t in [&v1_token, &v2_full, &v2_persons_only] {
        let r = http()
            .get(format!("{base}/v1/company/employees?limit=1"))
            .bearer_auth(t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    for (t, expected) in [
        (&v2_full, StatusCode::OK),
        (&v2_persons_only, StatusCode::FORBIDDEN),
    ] {
        let r = http()
            .get(format!("{base}/v1/company/time-offs?limit=1"))
            .bearer_auth(t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), expected);
    }
}

#[tokio::test]
async fn revoked_tokens_answer_401_until_the_client_authenticates_again() {
    let sb = start(5).await;
    let api = Api::new(&sb, FULL).await;
    let other = Api::new(&sb, LIMITED).await;
    assert_eq!(
        api.get("/v1/company/time-off-types").await.status,
        StatusCode::OK
    );
    let r = admin_send(&sb, Method::POST, "/__sandbox/revoke-tokens", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["revoked"], 2);
    for a in [&api, &other] {
        let r = a.get("/v1/company/time-off-types").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let fresh = Api::new(&sb, FULL).await;
    assert_eq!(
        fresh.get("/v1/company/time-off-types").await.status,
        StatusCode::OK
    );

    // v2 revocation of a single token.
    let r = http()
        .post(format!("{}/v2/auth/revoke", sb.base_url()))
        .form(&[("token", fresh.token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        fresh.get("/v1/company/time-off-types").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn limited_credential_has_no_absence_scope_and_cannot_write() {
    let sb = start(10).await;
    let api = Api::new(&sb, LIMITED).await;
    let forbidden = json!({"success": false, "error": {"code": 403, "message": "Provided authorization is not valid"}});
    let employees = api.get("/v1/company/employees").await;
    assert_eq!(employees.status, StatusCode::OK);
    let id = employee_id(&employees.json["data"][0]);
    assert_eq!(
        api.get("/v1/company/time-off-types").await.status,
        StatusCode::OK
    );
    for path in [
        "/v1/company/time-offs".to_string(),
        "/v1/company/time-offs/125600001".to_string(),
        "/v1/company/absence-periods".to_string(),
        format!("/v1/company/employees/{id}/absences/balance"),
    ] {
        let r = api.get(&path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.json, forbidden, "{path}");
    }
    let body = json!({
        "employee_id": id, "time_off_type_id": PAID_VACATION, "start_date": "2025-07-01",
        "end_date": "2025-07-01", "half_day_start": false, "half_day_end": false
    });
    for path in ["/v1/company/time-offs", "/v1/company/absence-periods"] {
        let r = api.post_json(path, &body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.json, forbidden);
    }
    let r = api.delete("/v1/company/time-offs/125600001").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing was written.
    let dump = admin_get(&sb, "/__sandbox/time-offs").await;
    assert!(
        dump.json["day"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["created_by"] != "API"
                || a["start_date"] != "2025-07-01"
                || a["employee_id"] != id)
    );
}
