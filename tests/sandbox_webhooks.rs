//! Webhooks (issue 20), sandbox side: a registration through `/__sandbox/webhooks`, then signed
//! "dataless" deliveries to a tiny axum receiver on loopback whenever sandbox data changes (admin
//! employee add/patch, absence create/delete in v1 and v2), retried with backoff on 5xx, given up on
//! 4xx or when attempts run out, and counted in `/__sandbox/stats`.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{Hmac, KeyInit, Mac};
use personio_mcp::sandbox::SandboxHandle;
use reqwest::{Method, StatusCode};
use sandbox_support::*;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

const SECRET_KEY: &str = "whsec-sandbox-test";
/// Guard against a hanging test only; no assertion depends on it.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
struct Delivery {
    headers: HeaderMap,
    body: Bytes,
}

impl Delivery {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("missing {name}"))
            .to_str()
            .unwrap()
            .to_string()
    }

    /// Recomputes the signature: hex HMAC-SHA256 over "{timestamp}.{body}".
    fn signature_is_valid(&self, secret: &str) -> bool {
        let ts = self.header("x-personio-timestamp");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(&self.body);
        let expected = hex::encode(mac.finalize().into_bytes());
        expected == self.header("x-personio-signature")
    }
}

struct Receiver {
    url: String,
    rx: mpsc::UnboundedReceiver<Delivery>,
}

#[derive(Clone)]
struct Script {
    tx: mpsc::UnboundedSender<Delivery>,
    /// Status codes to answer, in order; 200 once exhausted.
    answers: Arc<Mutex<VecDeque<u16>>>,
}

async fn hook(State(s): State<Script>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let _ = s.tx.send(Delivery { headers, body });
    let code = s.answers.lock().unwrap().pop_front().unwrap_or(200);
    AxumStatus::from_u16(code).unwrap()
}

/// A receiver on a loopback port answering `answers` in turn (then 200).
async fn receiver(answers: &[u16]) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let script = Script {
        tx,
        answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(script);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        url: format!("http://{addr}/hook"),
        rx,
    }
}

impl Receiver {
    async fn next(&mut self) -> Delivery {
        tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .expect("a delivery arrives")
            .unwrap()
    }
}

async fn register(sb: &SandboxHandle, body: Value) -> Value {
    let r = admin_send(sb, Method::POST, "/__sandbox/webhooks", Some(&body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json
}

async fn webhook_stats(sb: &SandboxHandle) -> Value {
    admin_get(sb, "/__sandbox/stats").await.json["webhooks"].clone()
}

/// Polls the stats until `done` holds (deliveries finish in the background).
async fn stats_until(sb: &SandboxHandle, done: impl Fn(&Value) -> bool) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let s = webhook_stats(sb).await;
            if done(&s) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("deliveries finish")
}

#[tokio::test]
async fn data_changes_arrive_as_signed_dataless_events() {
    let sb = start(5).await;
    let mut rx = receiver(&[]).await;
    let hook = register(
        &sb,
        json!({"url": rx.url, "secret": SECRET_KEY, "description": "test",
               "enabled_events": ["person.created", "person.updated", "employment.created",
                                  "employment.updated", "absence-period.created",
                                  "absence-period.deleted"]}),
    )
    .await;
    assert!(hook.get("secret").is_none(), "the secret is never echoed");

    let emp = add_employee(&sb, json!({"first_name": "Wanda", "last_name": "Webhook"})).await;
    // The two events of an admin add travel in parallel: take both, in whichever order.
    let pair = [rx.next().await, rx.next().await];
    let by_name = |name: &str| {
        pair.iter()
            .find(|d| d.json()["event_name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    let created = by_name("person.created");
    assert!(created.signature_is_valid(SECRET_KEY));
    assert!(!created.signature_is_valid("another secret"));
    assert_eq!(
        created.header("x-personio-webhook-id"),
        hook["id"].as_str().unwrap()
    );
    assert_eq!(created.header("content-type"), "application/json");
    let body = created.json();
    assert_eq!(
        body["payload"],
        json!({"id": emp.to_string()}),
        "dataless: ids only"
    );
    assert!(body["company_id"].is_string() && body["occurred_at"].is_string());
    // The sandbox's "today" is a Berlin date; the instant may fall on the day before in UTC (from
    // 23:00 or 22:00 UTC on), so the date is compared in the account's zone.
    let occurred = chrono::DateTime::parse_from_rfc3339(body["occurred_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    assert_eq!(occurred.to_string(), "2025-06-16", "sandbox clock");
    let employment = by_name("employment.created").json();
    assert_eq!(employment["payload"]["person"]["id"], emp.to_string());

    let patch = |body: Value| {
        let sb = &sb;
        async move {
            let r = admin_send(
                sb,
                Method::POST,
                &format!("/__sandbox/employees/{emp}"),
                Some(&body),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    };
    patch(json!({"position": "Tester"})).await;
    let d = rx.next().await;
    assert_eq!(d.json()["event_name"], "employment.updated");
    patch(json!({"first_name": "Wenke"})).await;
    let d = rx.next().await;
    assert_eq!(d.json()["event_name"], "person.updated");
    assert!(d.signature_is_valid(SECRET_KEY));

    let v1 = Api::new(&sb, FULL).await;
    let r = v1
        .post_json(
            "/v1/company/time-offs",
            &json!({"employee_id": emp, "time_off_type_id": PAID_VACATION,
                    "start_date": "2025-07-07", "end_date": "2025-07-07",
                    "half_day_start": false, "half_day_end": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id_v2 = r.json["data"]["attributes"]["id_v2"]
        .as_str()
        .unwrap()
        .to_string();
    let d = rx.next().await.json();
    assert_eq!(d["event_name"], "absence-period.created");
    assert_eq!(
        d["payload"],
        json!({"id": id_v2, "person": {"id": emp.to_string()}})
    );

    let v2 = Api::v2(&sb, FULL).await;
    let r = v2.delete(&format!("/v2/absence-periods/{id_v2}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let d = rx.next().await.json();
    assert_eq!(d["event_name"], "absence-period.deleted");
    assert_eq!(d["payload"]["id"], id_v2.as_str());

    let s = stats_until(&sb, |s| s["delivered"] == 6).await;
    assert_eq!(s["deliveries"], 6);
    assert_eq!(s["failed_attempts"], 0);
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_event_until_acknowledged() {
    let sb = start(5).await;
    let mut rx = receiver(&[500, 503]).await;
    register(
        &sb,
        json!({"url": rx.url, "secret": SECRET_KEY, "enabled_events": ["person.created"],
               "min_backoff_ms": 10}),
    )
    .await;
    add_employee(&sb, json!({"first_name": "Rolf", "last_name": "Retry"})).await;
    let first = rx.next().await;
    let second = rx.next().await;
    let third = rx.next().await;
    for d in [&first, &second, &third] {
        assert!(d.signature_is_valid(SECRET_KEY), "every attempt is signed");
        assert_eq!(d.body, first.body, "the same event is retried");
    }
    let s = stats_until(&sb, |s| s["delivered"] == 1).await;
    assert_eq!(s["attempts"], 3);
    assert_eq!(s["failed_attempts"], 2);
    assert_eq!(s["abandoned"], 0);
}

#[tokio::test]
async fn retries_are_bounded_and_client_errors_are_not_retried() {
    let sb = start(5).await;
    let mut down = receiver(&[500, 500, 500, 500, 500]).await;
    register(
        &sb,
        json!({"url": down.url, "secret": SECRET_KEY, "enabled_events": ["person.created"],
               "max_attempts": 3, "min_backoff_ms": 5}),
    )
    .await;
    add_employee(&sb, json!({"first_name": "Greta", "last_name": "Gone"})).await;
    for _ in 0..3 {
        down.next().await;
    }
    let s = stats_until(&sb, |s| s["abandoned"] == 1).await;
    assert_eq!(s["attempts"], 3, "max_attempts bounds the requests");
    assert_eq!(s["delivered"], 0);
    assert!(down.rx.try_recv().is_err(), "no fourth attempt");

    let sb = start(5).await;
    let mut refusing = receiver(&[400]).await;
    register(
        &sb,
        json!({"url": refusing.url, "secret": SECRET_KEY, "enabled_events": ["person.created"],
               "min_backoff_ms": 5}),
    )
    .await;
    add_employee(&sb, json!({"first_name": "Nora", "last_name": "Nein"})).await;
    refusing.next().await;
    let s = stats_until(&sb, |s| s["abandoned"] == 1).await;
    assert_eq!(s["attempts"], 1, "a 4xx is final, as at Personio");
}

#[tokio::test]
async fn token_auth_and_registration_management() {
    let sb = start(5).await;
    let mut rx = receiver(&[]).await;
    let hook = register(
        &sb,
        json!({"url": rx.url, "secret": SECRET_KEY, "enabled_events": ["person.created"],
               "auth_type": "TOKEN", "token": "Bearer hook-token"}),
    )
    .await;
    assert_eq!(hook["auth_type"], "TOKEN");
    assert!(hook.get("token").is_none());
    add_employee(&sb, json!({"first_name": "Toni", "last_name": "Token"})).await;
    assert_eq!(rx.next().await.header("authorization"), "Bearer hook-token");

    let listed = admin_get(&sb, "/__sandbox/webhooks").await.json;
    assert_eq!(listed["_data"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(SECRET_KEY));
    assert!(!listed.to_string().contains("hook-token"));

    for bad in [
        json!({"url": "ftp://example.org", "secret": "s", "enabled_events": ["person.created"]}),
        json!({"url": rx.url, "secret": "", "enabled_events": ["person.created"]}),
        json!({"url": rx.url, "secret": "s", "enabled_events": ["person.exploded"]}),
        json!({"url": rx.url, "secret": "s", "enabled_events": []}),
        json!({"url": rx.url, "secret": "s", "enabled_events": ["person.created"], "max_attempts": 99}),
        json!({"url": rx.url, "secret": "s", "enabled_events": ["person.created"], "surprise": 1}),
    ] {
        let r = admin_send(&sb, Method::POST, "/__sandbox/webhooks", Some(&bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    let path = format!("/__sandbox/webhooks/{}", hook["id"].as_str().unwrap());
    assert_eq!(
        admin_send(&sb, Method::DELETE, &path, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        admin_send(&sb, Method::DELETE, &path, None).await.status,
        StatusCode::NOT_FOUND
    );
    add_employee(&sb, json!({"first_name": "Stella", "last_name": "Still"})).await;
    assert_eq!(
        webhook_stats(&sb).await["deliveries"],
        1,
        "no delivery after removal"
    );
}
