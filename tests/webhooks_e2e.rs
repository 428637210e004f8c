//! Issue 20: Personio webhooks end to end. The sandbox registers the server's webhook URL, a
//! change in the sandbox is delivered signed, and the server's directory follows it by reading
//! the one person again — without a listing request (sandbox statistics). Unsigned, badly signed,
//! stale and oversized deliveries are refused and counted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;
mod http_support;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hmac::{Hmac, KeyInit, Mac};
use http_support::{Running, guarded};
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::PersonioServer;
use personio_mcp::personio::{ApiMode, PersonioClient};
use personio_mcp::transport::http::{HttpConfig, HttpServer};
use personio_mcp::transport::webhooks::{self, Receiver};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "whsec-test-0123456789";

struct Server {
    app: App,
    receiver: Arc<Receiver>,
    running: Running,
}

async fn server(sb: &personio_mcp::sandbox::SandboxHandle, mode: ApiMode) -> Server {
    let mut cfg = unthrottled(config(sb, "sandbox-client"));
    cfg.api = mode;
    let mut settings = Settings::with_writes(false);
    // Kept far longer than any test runs: only a webhook can make a listing fresh again.
    settings.absence_cache = Duration::from_secs(300);
    let app = App::new(PersonioClient::new(cfg).unwrap(), settings)
        .with_directory_config(webhooks::push_directory_config());
    let receiver = Receiver::start(SecretString::from(SECRET.to_string()), app.clone());
    let prototype = PersonioServer::new(app.clone());
    let bound = HttpServer::new(HttpConfig::new("127.0.0.1:0".parse().unwrap()), move || {
        prototype.clone()
    })
    .with_routes(webhooks::router(receiver.clone()))
    .bind()
    .await
    .unwrap();
    Server {
        app,
        receiver,
        running: Running::run(bound),
    }
}

async fn register(sb: &personio_mcp::sandbox::SandboxHandle, url: &str) {
    let r = http()
        .post(format!("{}/__sandbox/webhooks", sb.base_url()))
        .json(&json!({
            "url": url,
            "secret": SECRET,
            "enabled_events": ["person.created", "person.updated", "employment.created",
                "employment.updated", "absence-period.created", "absence-period.deleted"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn patch(sb: &personio_mcp::sandbox::SandboxHandle, id: i64, body: Value) {
    let r = http()
        .post(format!("{}/__sandbox/employees/{id}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// Waits (bounded, not timed: the guard only ends a hang) until `done` holds.
async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    guarded(what, async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

async fn webhook_stat(sb: &personio_mcp::sandbox::SandboxHandle, key: &str) -> u64 {
    stats(sb).await["webhooks"][key].as_u64().unwrap_or(0)
}

async fn follows_changes_without_listing(mode: ApiMode) {
    let sb = sandbox(30).await;
    let s = server(&sb, mode).await;
    let snapshot = s.app.records().snapshot(None).await.unwrap();
    let someone = snapshot
        .all()
        .find(|e| e.position.value().is_some())
        .unwrap()
        .clone();
    register(&sb, &format!("{}{}", s.running.base, webhooks::PATH)).await;
    reset_stats(&sb).await;

    patch(
        &sb,
        someone.id,
        json!({"position": "Chief Webhook Officer", "first_name": "Webhooked"}),
    )
    .await;
    until("the directory to follow the change", || async {
        s.app
            .records()
            .cached()
            .await
            .and_then(|snap| snap.by_id(someone.id).cloned())
            .is_some_and(|e| {
                e.position.value().map(String::as_str) == Some("Chief Webhook Officer")
                    && e.first_name.value().map(String::as_str) == Some("Webhooked")
            })
    })
    .await;
    until("both deliveries to be processed", || async {
        s.receiver.counters().processed >= 2
    })
    .await;
    let counts = stats(&sb).await;
    let listing = |route: &str| counts["by_route"][route]["total"].as_u64().unwrap_or(0);
    assert_eq!(
        listing("GET /v1/company/employees"),
        0,
        "no listing: {counts}"
    );
    assert_eq!(listing("GET /v2/persons"), 0, "no listing: {counts}");
    let by_id =
        listing("GET /v1/company/employees/{employee_id}") + listing("GET /v2/persons/{id}");
    assert!(by_id >= 1, "the person was read by id: {counts}");
    // The search index follows too: the new name finds them.
    let snap = s.app.records().cached().await.unwrap();
    assert_eq!(
        snap.by_id(someone.id).unwrap().first_name.value().unwrap(),
        "Webhooked"
    );
    // Every delivery was acknowledged at the first attempt, nothing was refused.
    assert_eq!(webhook_stat(&sb, "failed_attempts").await, 0);
    assert!(webhook_stat(&sb, "delivered").await >= 2);
    assert_eq!(s.receiver.counters().refused, 0);

    // A person added in Personio joins the warm directory the same way.
    let r: Value = http()
        .post(format!("{}/__sandbox/employees", sb.base_url()))
        .json(&json!({"first_name": "Neue", "last_name": "Kollegin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_id = r["id"].as_i64().unwrap();
    until("the new person to appear", || async {
        s.app
            .records()
            .cached()
            .await
            .is_some_and(|snap| snap.by_id(new_id).is_some())
    })
    .await;
    let counts = stats(&sb).await;
    assert_eq!(
        counts["by_route"]["GET /v1/company/employees"]["total"]
            .as_u64()
            .unwrap_or(0),
        0
    );
}

#[tokio::test]
async fn a_change_in_personio_reaches_the_directory_without_a_listing_v1() {
    follows_changes_without_listing(ApiMode::V1).await;
}

#[tokio::test]
async fn a_change_in_personio_reaches_the_directory_without_a_listing_v2() {
    follows_changes_without_listing(ApiMode::V2).await;
}

/// Issue 16: an absence another integration books in Personio reaches a listing the server keeps
/// (for far longer than this test) through the webhook: the delivery drops the person's kept
/// listings, and the next listing asks Personio again.
async fn an_absence_webhook_drops_the_kept_listing(mode: ApiMode) {
    let sb = sandbox(30).await;
    let s = server(&sb, mode).await;
    let snapshot = s.app.records().snapshot(None).await.unwrap();
    let who = snapshot.all().next().unwrap().id;
    let listing = || async {
        personio_mcp::mcp::tools::list_absences::run(
            s.app.guard_as(personio_mcp::policy::access::Caller::operator()),
            serde_json::from_value(json!({"employee": who.to_string(), "from": "2031-01-01", "to": "2031-12-31", "limit": 200})).unwrap(),
        )
        .await
        .unwrap()
        .total
    };
    let before = listing().await;
    reset_stats(&sb).await;
    assert_eq!(listing().await, before, "kept");
    assert_eq!(
        absence_listing_requests(&sb).await,
        0,
        "the repeat was served kept"
    );
    register(&sb, &format!("{}{}", s.running.base, webhooks::PATH)).await;
    let types = s.app.records().types().await.unwrap();
    let vacation = types.iter().find(|t| t.name == "Paid vacation").unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2031, 9, 9).unwrap();
    let processed = s.receiver.counters().processed;
    // Another integration books directly in Personio.
    book_elsewhere(&sb, who, vacation.id, day).await;
    until("the absence delivery to be processed", || async {
        s.receiver.counters().processed > processed
    })
    .await;
    assert_eq!(
        listing().await,
        before + 1,
        "the webhook dropped the kept listing"
    );
}

#[tokio::test]
async fn an_absence_booked_elsewhere_reaches_a_kept_listing_by_webhook_v1() {
    an_absence_webhook_drops_the_kept_listing(ApiMode::V1).await;
}

#[tokio::test]
async fn an_absence_booked_elsewhere_reaches_a_kept_listing_by_webhook_v2() {
    an_absence_webhook_drops_the_kept_listing(ApiMode::V2).await;
}

fn sign(ts: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn unsigned_badly_signed_stale_and_oversized_deliveries_are_refused_and_counted() {
    let sb = sandbox(5).await;
    let s = server(&sb, ApiMode::V1).await;
    let url = format!("{}{}", s.running.base, webhooks::PATH);
    let body = br#"{"company_id":"1","event_name":"person.updated","payload":{"id":"1"},"meta":{"event_id":"e"}}"#;
    let now = chrono::Utc::now().timestamp().to_string();
    let post = |ts: Option<String>, sig: Option<String>, body: Vec<u8>| {
        let mut r = http().post(&url).header("content-type", "application/json");
        if let Some(ts) = ts {
            r = r.header("X-Personio-Timestamp", ts);
        }
        if let Some(sig) = sig {
            r = r.header("X-Personio-Signature", sig);
        }
        async move { r.body(body).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(None, None, body.to_vec()).await, 401, "unsigned");
    assert_eq!(
        post(Some(now.clone()), None, body.to_vec()).await,
        401,
        "no signature"
    );
    let wrong = sign(&now, b"another body");
    assert_eq!(
        post(Some(now.clone()), Some(wrong), body.to_vec()).await,
        401,
        "bad signature"
    );
    let old = (chrono::Utc::now().timestamp() - 3600).to_string();
    let stale = sign(&old, body);
    assert_eq!(
        post(Some(old), Some(stale), body.to_vec()).await,
        401,
        "stale"
    );
    let big = vec![b' '; 200 * 1024];
    let big_sig = sign(&now, &big);
    assert_eq!(
        post(Some(now.clone()), Some(big_sig), big).await,
        413,
        "oversized"
    );
    let c = s.receiver.counters();
    assert_eq!(
        (
            c.refused_unsigned, c.refused_bad_signature, c.refused_stale, c.refused_too_large,
            c.refused
        ),
        (2, 1, 1, 1, 5)
    );
    assert_eq!(c.accepted, 0);
    // A good one is acknowledged (202) and counted; no MCP token is needed for this route.
    let good = sign(&now, body);
    assert_eq!(
        post(Some(now.clone()), Some(good), body.to_vec()).await,
        202
    );
    assert_eq!(s.receiver.counters().accepted, 1);
}
