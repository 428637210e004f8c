//! Issue 18 item 2: the built-in authorization server in front of a real OpenID Provider
//! (oidc-provider from npm as the "company IdP" without dynamic registration for us: this server
//! uses its static client `personio-mcp-upstream`).
//!
//! Each test drives the whole chain over loopback HTTP: MCP-client registration here, PKCE
//! authorization here, the person's scripted login at the provider, the callback here, the token
//! endpoint here, and finally `/mcp` accepting or refusing the token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

#[path = "oauth/support.rs"]
mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use personio_mcp::transport::oauth::UpstreamConfig;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::*;

const REDIRECT: &str = "http://127.0.0.1:1/callback";

async fn builtin_server(key_dir: &std::path::Path) -> TestServer {
    let p = provider();
    let dir = key_dir.to_path_buf();
    serve(&p.issuer, move |c| {
        c.issuer = c.public_url.clone();
        c.upstream = Some(UpstreamConfig {
            issuer: p.issuer.parse().unwrap(),
            client_id: "personio-mcp-upstream".into(),
            client_secret: Some("upstream-secret".to_string().into()),
            signing_key_file: None,
            key_dir: Some(dir),
        });
    })
    .await
    .unwrap()
}

async fn register(s: &TestServer, redirect_uris: Value) -> reqwest::Response {
    http()
        .post(format!("{}/oauth/register", s.public_url))
        .json(
            &json!({"redirect_uris": redirect_uris, "token_endpoint_auth_method": "none",
                       "client_name": "test client"}),
        )
        .send()
        .await
        .unwrap()
}

async fn client_id(s: &TestServer) -> String {
    let resp = register(s, json!([REDIRECT])).await;
    assert_eq!(resp.status(), 201);
    resp.json::<Value>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string()
}

struct Authorized {
    code: String,
    verifier: String,
}

fn authorize_url(
    s: &TestServer,
    client_id: &str,
    challenge: Option<&str>,
    redirect: &str,
    sub: &str,
) -> String {
    let mut params = vec![
        ("response_type", "code".to_string()),
        ("client_id", client_id.to_string()),
        ("redirect_uri", redirect.to_string()),
        ("state", "st4te".to_string()),
        ("scope", "openid email".to_string()),
        ("resource", format!("{}/mcp", s.public_url)),
        ("login_hint", sub.to_string()),
    ];
    if let Some(c) = challenge {
        params.push(("code_challenge", c.to_string()));
        params.push(("code_challenge_method", "S256".to_string()));
    }
    reqwest::Url::parse_with_params(&format!("{}/oauth/authorize", s.public_url), &params)
        .unwrap()
        .to_string()
}

/// Authorization up to the code: our server → the provider's scripted login → back here → client.
async fn authorize(s: &TestServer, client_id: &str, sub: &str) -> Authorized {
    let verifier = B64.encode(rand_bytes());
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    let cb = follow_login(
        &http(),
        &authorize_url(s, client_id, Some(&challenge), REDIRECT, sub),
        REDIRECT,
    )
    .await;
    assert_eq!(query_param(&cb, "state").as_deref(), Some("st4te"));
    assert_eq!(
        query_param(&cb, "iss").as_deref(),
        Some(s.public_url.as_str()),
        "RFC 9207 iss"
    );
    let code = query_param(&cb, "code").unwrap_or_else(|| panic!("no code: {cb}"));
    Authorized { code, verifier }
}

async fn token(s: &TestServer, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = http()
        .post(format!("{}/oauth/token", s.public_url))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn redeem(s: &TestServer, client_id: &str, a: &Authorized) -> (u16, Value) {
    token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &a.code),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &a.verifier),
        ],
    )
    .await
}

async fn refresh(s: &TestServer, client_id: &str, rt: &str) -> (u16, Value) {
    token(
        s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", client_id),
        ],
    )
    .await
}

#[tokio::test]
async fn metadata_points_clients_at_this_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = builtin_server(dir.path()).await;
    let http = http();
    let prm: Value = http
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            s.public_url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prm["authorization_servers"], json!([s.public_url]));
    let asm: Value = http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            s.public_url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(asm["issuer"], s.public_url);
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        asm["registration_endpoint"],
        format!("{}/oauth/register", s.public_url)
    );
    assert_eq!(asm["client_id_metadata_document_supported"], true);
    let jwks: Value = http
        .get(asm["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert!(jwks["keys"][0].get("d").is_none());
}

#[tokio::test]
async fn login_through_the_upstream_provider_yields_audience_bound_tokens_that_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let s = builtin_server(dir.path()).await;
    let id = client_id(&s).await;
    let a = authorize(&s, &id, "hr").await;
    let (status, body) = redeem(&s, &id, &a).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    let (st, _, who) = call(&s, Some(access)).await;
    assert_eq!(st, 200, "{who}");
    assert_eq!(who["email"], "hr@example.com");
    assert_eq!(who["hr"], true);

    // Rotation: the new refresh token works, the old one is spent, and presenting it again
    // revokes the family (the newest refresh token and its access token die with it).
    let rt1 = body["refresh_token"].as_str().unwrap().to_string();
    let (st, b2) = refresh(&s, &id, &rt1).await;
    assert_eq!(st, 200, "{b2}");
    let rt2 = b2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2);
    let access2 = b2["access_token"].as_str().unwrap().to_string();
    assert_eq!(call(&s, Some(&access2)).await.0, 200);
    let (st, err) = refresh(&s, &id, &rt1).await;
    assert_eq!((st, err["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(refresh(&s, &id, &rt2).await.0, 400, "the family is revoked");
    assert_eq!(
        call(&s, Some(&access2)).await.0,
        401,
        "so are its access tokens"
    );

    // An employee gets an employee token.
    let a = authorize(&s, &id, "employee").await;
    let (_, body) = redeem(&s, &id, &a).await;
    let (_, _, who) = call(&s, Some(body["access_token"].as_str().unwrap())).await;
    assert_eq!(who["email"], "employee@example.com");
    assert_eq!(who["hr"], false);
}

#[tokio::test]
async fn a_reused_authorization_code_is_refused_and_revokes_its_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let s = builtin_server(dir.path()).await;
    let id = client_id(&s).await;
    let a = authorize(&s, &id, "employee").await;
    let (status, first) = redeem(&s, &id, &a).await;
    assert_eq!(status, 200);
    let (status, again) = redeem(&s, &id, &a).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        call(&s, Some(first["access_token"].as_str().unwrap()))
            .await
            .0,
        401
    );
    assert_eq!(
        refresh(&s, &id, first["refresh_token"].as_str().unwrap())
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn pkce_is_required_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let s = builtin_server(dir.path()).await;
    let id = client_id(&s).await;
    // No code_challenge: the error goes back to the (registered) redirect URI.
    let resp = http()
        .get(authorize_url(&s, &id, None, REDIRECT, "hr"))
        .send()
        .await
        .unwrap();
    let loc = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("invalid_request")
    );

    let mut a = authorize(&s, &id, "hr").await;
    a.verifier = B64.encode(rand_bytes());
    let (status, body) = redeem(&s, &id, &a).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn redirect_uris_must_match_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let s = builtin_server(dir.path()).await;
    let id = client_id(&s).await;
    // At the authorization endpoint: refused here, never redirected to the unregistered URI.
    for other in [
        "http://127.0.0.1:1/callback/",
        "http://127.0.0.1:2/callback",
        "https://evil.example/cb",
    ] {
        let resp = http()
            .get(authorize_url(
                &s,
                &id,
                Some("x".repeat(43).as_str()),
                other,
                "hr",
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{other}");
        assert!(resp.headers().get("location").is_none(), "{other}");
    }
    // At the token endpoint: the code is bound to the redirect URI it was issued for.
    let a = authorize(&s, &id, "hr").await;
    let (status, body) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &a.code),
            ("client_id", &id),
            ("redirect_uri", "http://127.0.0.1:1/other"),
            ("code_verifier", &a.verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Registration refuses redirect URIs a network attacker could catch.
    assert_eq!(
        register(&s, json!(["http://evil.example/cb"]))
            .await
            .status(),
        400
    );
    assert_eq!(register(&s, json!([])).await.status(), 400);
}

#[tokio::test]
async fn an_unverified_email_is_refused_at_the_callback() {
    let dir = tempfile::tempdir().unwrap();
    let s = builtin_server(dir.path()).await;
    let id = client_id(&s).await;
    let challenge = B64.encode(Sha256::digest(b"v"));
    let cb = follow_login(
        &http(),
        &authorize_url(&s, &id, Some(&challenge), REDIRECT, "unverified"),
        REDIRECT,
    )
    .await;
    assert_eq!(
        query_param(&cb, "error").as_deref(),
        Some("access_denied"),
        "{cb}"
    );
    assert!(query_param(&cb, "code").is_none());
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_the_grant() {
    let dir = tempfile::tempdir().unwrap();
    let s = builtin_server(dir.path()).await;
    let id = client_id(&s).await;
    let a = authorize(&s, &id, "hr").await;
    let (_, body) = redeem(&s, &id, &a).await;
    let rt = body["refresh_token"].as_str().unwrap();
    let resp = http()
        .post(format!("{}/oauth/revoke", s.public_url))
        .form(&[("token", rt), ("client_id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(refresh(&s, &id, rt).await.0, 400);
    assert_eq!(
        call(&s, Some(body["access_token"].as_str().unwrap()))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn the_signing_key_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s1 = builtin_server(dir.path()).await;
    let s2 = builtin_server(dir.path()).await;
    let jwks = |s: &TestServer| format!("{}/oauth/jwks", s.public_url);
    let k1: Value = http()
        .get(jwks(&s1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let k2: Value = http()
        .get(jwks(&s2))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(k1, k2);
}
