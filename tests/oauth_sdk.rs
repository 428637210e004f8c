//! The official MCP Python SDK's OAuth client (`OAuthClientProvider`, tests/oauth/sdk_client.py)
//! against the OAuth module, in both set-ups: the provider as authorization server (direct) and
//! the built-in authorization server in front of it. The SDK starts from a bare 401, discovers the
//! protected resource and authorization server metadata, registers dynamically, authorizes with
//! PKCE and `resource`, exchanges the code, and later refreshes — exactly what a remote connector
//! does — and the test server's `/mcp` answers with the identity the token proves.
//!
//! Needs `.venv` from scripts/setup-e2e.sh and tests/oauth/node_modules from
//! scripts/setup-oauth.sh (scripts/test.sh runs both).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

#[path = "oauth/support.rs"]
mod support;

use std::path::PathBuf;

use personio_mcp::transport::oauth::UpstreamConfig;
use serde_json::Value;
use support::*;

async fn sdk_flow(public_url: &str, issuer: &str, user: &str) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/setup-e2e.sh",
        python.display()
    );
    let out = tokio::process::Command::new(&python)
        .arg(root.join("tests/oauth/sdk_client.py"))
        .args(["--url", public_url, "--issuer", issuer, "--user", user])
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "the SDK flow failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON line")
}

fn assert_flow(r: &Value, email: &str, hr: bool) {
    for step in ["first", "second"] {
        assert_eq!(r[step]["status"], 200, "{step}: {r}");
        assert_eq!(r[step]["body"]["email"], email, "{step}: {r}");
        assert_eq!(r[step]["body"]["hr"], hr, "{step}: {r}");
    }
    assert_eq!(r["logins"], 1, "one login, then a refresh: {r}");
    assert_eq!(r["refreshed"], true, "{r}");
    assert_eq!(r["registered"], true, "{r}");
}

#[tokio::test]
async fn the_sdk_logs_in_and_refreshes_with_the_provider_as_authorization_server() {
    let p = provider();
    let s = serve(&p.issuer, |_| {}).await.unwrap();
    assert_flow(
        &sdk_flow(&s.public_url, &p.issuer, "hr").await,
        "hr@example.com",
        true,
    );
    assert_flow(
        &sdk_flow(&s.public_url, &p.issuer, "employee").await,
        "employee@example.com",
        false,
    );
}

#[tokio::test]
async fn the_sdk_logs_in_and_refreshes_through_the_built_in_authorization_server() {
    let p = provider();
    let dir = tempfile::tempdir().unwrap();
    let key_dir = dir.path().to_path_buf();
    let s = serve(&p.issuer, move |c| {
        c.issuer = c.public_url.clone();
        c.upstream = Some(UpstreamConfig {
            issuer: p.issuer.parse().unwrap(),
            client_id: "personio-mcp-upstream".into(),
            client_secret: Some("upstream-secret".to_string().into()),
            signing_key_file: None,
            key_dir: Some(key_dir),
        });
    })
    .await
    .unwrap();
    assert_flow(
        &sdk_flow(&s.public_url, &p.issuer, "hr").await,
        "hr@example.com",
        true,
    );
    assert_flow(
        &sdk_flow(&s.public_url, &p.issuer, "employee").await,
        "employee@example.com",
        false,
    );
}
