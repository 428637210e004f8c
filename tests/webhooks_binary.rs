//! Issue 20, as a user runs it: `serve --http` with PERSONIO_WEBHOOK_SECRET mounts
//! `POST /webhooks/personio` (signed deliveries accepted without an MCP token, others refused and
//! logged with running totals, never with the secret), and `--webhook-secret` on the command line
//! is refused like every secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns too

mod http_support;

use hmac::{Hmac, KeyInit, Mac};
use http_support::{ServerProcess, guarded};
use sha2::Sha256;

use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");
const SECRET: &str = "binary-webhook-secret-0123456789";

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env("RUST_LOG", "info").kill_on_drop(true);
    for (k, _) in std::env::vars() {
        if k.starts_with("PERSONIO_") {
            c.env_remove(k);
        }
    }
    c
}

#[tokio::test]
async fn the_secret_is_refused_as_a_flag() {
    let out = guarded(
        "serve --webhook-secret",
        command(&["serve", "--sandbox", "--webhook-secret", SECRET]).output(),
    )
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--webhook-secret must not be given on the command line"),
        "{stderr}"
    );
}

#[tokio::test]
async fn serve_http_receives_signed_deliveries_and_refuses_the_rest() {
    let state = tempfile::tempdir().unwrap();
    let mut c = command(&["serve", "--http", "127.0.0.1:0", "--sandbox", "--state-dir"]);
    c.arg(state.path()).env("PERSONIO_WEBHOOK_SECRET", SECRET);
    let ServerProcess {
        mut child,
        url: base,
        stderr,
        ..
    } = ServerProcess::spawn(c).await;
    let url = format!("{base}/webhooks/personio");

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let body = r#"{"company_id":"1","event_name":"person.updated","payload":{"id":"1"},"meta":{"event_id":"x"}}"#;
    let unsigned = http.post(&url).body(body).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let ts = chrono::Utc::now().timestamp().to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let signed = http
        .post(&url)
        .header("X-Personio-Timestamp", &ts)
        .header("X-Personio-Signature", &sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        signed.status(),
        202,
        "no MCP token needed for a signed delivery"
    );
    // The MCP endpoint itself is unchanged by the webhook route.
    let mcp = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(mcp.status(), 200);

    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    guarded("exit", child.wait()).await.unwrap();
    let log = guarded("stderr", stderr).await.unwrap();
    assert!(log.contains("Personio webhooks on"), "{log}");
    assert!(
        log.contains("webhook delivery refused") && log.contains("refused_total=1"),
        "{log}"
    );
    assert!(!log.contains(SECRET), "the secret never reaches the log");
}
