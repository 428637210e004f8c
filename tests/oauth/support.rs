//! Shared plumbing of the OAuth tests: the real OpenID Provider (tests/oauth/provider.mjs,
//! oidc-provider from npm) on loopback, a scripted authorization code + PKCE login against it,
//! tokens minted with the provider's own keys for the negative cases, and a small axum server
//! that mounts the OAuth routes and answers `/mcp` with the authenticated identity.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use personio_mcp::transport::oauth::{OAuth, OAuthConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A running provider, shared by all tests of one test binary (it exits when our stdin pipe
/// closes, i.e. when the test process ends).
pub struct Provider {
    pub issuer: String,
    pub keys: Value,
    _child: Child,
}

static PROVIDER: OnceLock<Provider> = OnceLock::new();

pub fn provider() -> &'static Provider {
    PROVIDER.get_or_init(start_provider)
}

fn start_provider() -> Provider {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/oauth");
    assert!(
        dir.join("node_modules/oidc-provider").is_dir(),
        "the OpenID Provider is not installed: run scripts/setup-oauth.sh (scripts/test.sh does)"
    );
    let keys_path = std::env::temp_dir().join(format!(
        "personio-mcp-oidc-keys-{}.json",
        std::process::id()
    ));
    let mut child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .arg("--keys-out")
        .arg(&keys_path)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts (Node.js 20.19+ is needed)");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the provider prints its issuer");
    let issuer = serde_json::from_str::<Value>(&line).expect("JSON line")["issuer"]
        .as_str()
        .expect("issuer")
        .to_string();
    let keys: Value =
        serde_json::from_str(&std::fs::read_to_string(&keys_path).expect("keys file"))
            .expect("keys JSON");
    let _ = std::fs::remove_file(&keys_path);
    Provider {
        issuer,
        keys,
        _child: child,
    }
}

/// An HTTP client that does not follow redirects (the login follows them by hand).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A successful token response.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

/// Registers a public client dynamically (RFC 7591) and logs `sub` in with authorization code +
/// PKCE for `resource` (RFC 8707), following the provider's scripted interactions with a cookie jar.
pub async fn login(issuer: &str, sub: &str, resource: &str, scope: &str) -> Tokens {
    let http = http();
    let redirect_uri = "http://127.0.0.1:1/callback";
    let reg: Value = http
        .post(format!("{issuer}/reg"))
        .json(&json!({
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }))
        .send()
        .await
        .expect("registration")
        .json()
        .await
        .expect("registration JSON");
    let client_id = reg["client_id"].as_str().expect("client_id").to_string();
    let verifier = B64.encode(rand_bytes());
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    let auth = reqwest::Url::parse_with_params(
        &format!("{issuer}/auth"),
        &[
            ("client_id", client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("resource", resource),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "s"),
            ("login_hint", sub),
        ],
    )
    .expect("auth URL");
    let callback = follow_login(&http, auth.as_str(), redirect_uri).await;
    let code = query_param(&callback, "code").expect("code in the callback");
    let tok: Value = http
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.as_str()),
            ("resource", resource),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    Tokens {
        access_token: tok["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {tok}"))
            .to_string(),
        refresh_token: tok["refresh_token"].as_str().map(str::to_string),
    }
}

/// Follows redirects from `url`, carrying cookies, until one leads to `redirect_uri`; returns that
/// callback URL.
pub async fn follow_login(http: &reqwest::Client, url: &str, redirect_uri: &str) -> String {
    let mut jar: BTreeMap<String, String> = BTreeMap::new();
    let mut url = url.to_string();
    for _ in 0..20 {
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = http.get(&url);
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        let resp = req.send().await.expect("login step");
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().expect("cookie");
            let kv = c.split(';').next().unwrap_or(c);
            if let Some((k, v)) = kv.split_once('=') {
                jar.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        let status = resp.status();
        let Some(loc) = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().expect("location").to_string())
        else {
            panic!(
                "login stopped at {url}: {status} {}",
                resp.text().await.unwrap_or_default()
            );
        };
        let next = reqwest::Url::parse(&url)
            .expect("url")
            .join(&loc)
            .expect("location URL")
            .to_string();
        if next.starts_with(redirect_uri) {
            return next;
        }
        url = next;
    }
    panic!("the login did not finish within 20 redirects");
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub fn rand_bytes() -> [u8; 32] {
    rand::random()
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs `claims` with one of the provider's keys ("rsa", "ec", "ed").
pub fn mint(provider: &Provider, which: &str, claims: &Value) -> String {
    let (alg, key) = provider_key(provider, which);
    let mut header = Header::new(alg);
    header.kid = Some(
        provider.keys[which]["kid"]
            .as_str()
            .expect("kid")
            .to_string(),
    );
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

pub fn provider_key(provider: &Provider, which: &str) -> (Algorithm, EncodingKey) {
    let pem = provider.keys[which]["pem"]
        .as_str()
        .expect("pem")
        .as_bytes();
    match which {
        "rsa" => (
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(pem).expect("rsa"),
        ),
        "ec" => (Algorithm::ES256, EncodingKey::from_ec_pem(pem).expect("ec")),
        _ => (Algorithm::EdDSA, EncodingKey::from_ed_pem(pem).expect("ed")),
    }
}

/// An Ed25519 key nobody published (PKCS#8 v1 DER: fixed RFC 8410 prefix + 32-byte seed).
pub fn foreign_ed_key() -> EncodingKey {
    let mut der = hex::decode("302e020100300506032b657004220420").expect("hex");
    der.extend_from_slice(&rand_bytes());
    EncodingKey::from_ed_der(&der)
}

/// Unsigned JWT with `alg: none`.
pub fn unsigned(claims: &Value) -> String {
    let h = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let p = B64.encode(serde_json::to_vec(claims).expect("claims"));
    format!("{h}.{p}.")
}

/// HS256 over `claims` with `secret` as the key, under `kid` (the classic key-confusion attack
/// uses the public key's bytes as the HMAC secret).
pub fn hmac_signed(claims: &Value, kid: &str, secret: &[u8]) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret).expect("hmac key"),
    )
    .expect("sign")
}

/// Claims of a token this server should accept, for `public_url`.
pub fn good_claims(provider: &Provider, public_url: &str) -> Value {
    json!({
        "iss": provider.issuer, "aud": format!("{public_url}/mcp"), "sub": "hr",
        "email": "HR@example.com", "roles": ["hr"], "scope": "openid email mcp",
        "iat": now(), "exp": now() + 300,
    })
}

/// A test server: OAuth routes plus `POST /mcp` answering the identity as JSON (or the challenge).
pub struct TestServer {
    pub public_url: String,
    pub oauth: OAuth,
}

/// Binds a loopback port, builds OAuth for it with `configure` applied to the default
/// configuration, and serves. Returns the server or OAuth's start-up error.
pub async fn serve(
    issuer: &str,
    configure: impl FnOnce(&mut OAuthConfig),
) -> Result<TestServer, personio_mcp::transport::oauth::OAuthError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let public_url = format!("http://{}", listener.local_addr().expect("addr"));
    let mut config = OAuthConfig {
        issuer: issuer.parse().expect("issuer URL"),
        public_url: public_url.parse().expect("public URL"),
        email_claim: "email".into(),
        roles_claim: "roles".into(),
        hr_role: "hr".into(),
        scopes: vec!["openid".into(), "email".into(), "mcp".into()],
        required_scopes: vec![],
        upstream: None,
    };
    configure(&mut config);
    let oauth = OAuth::new(config).await?;
    let o = oauth.clone();
    let app: Router = oauth.metadata_router().route(
        "/mcp",
        // The body is read before the answer: a handler that leaves it unread makes hyper close
        // the connection after answering, and the SDK's pooled client then met a dead socket
        // on its next request (a flaky "Server disconnected" under load).
        post(move |headers: HeaderMap, _body: axum::body::Bytes| {
            let o = o.clone();
            async move { mcp(&o, &headers).await }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(TestServer { public_url, oauth })
}

async fn mcp(oauth: &OAuth, headers: &HeaderMap) -> Response {
    match oauth.authenticate(headers).await {
        Ok(id) => {
            axum::Json(json!({"email": id.email, "hr": id.hr, "scopes": id.scopes})).into_response()
        }
        Err(challenge) => challenge.into_response(),
    }
}

/// POSTs to `/mcp` with an optional bearer token: (status, WWW-Authenticate, JSON body).
pub async fn call(server: &TestServer, token: Option<&str>) -> (u16, String, Value) {
    let mut req = http().post(format!("{}/mcp", server.public_url)).body("{}");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("call");
    let status = resp.status().as_u16();
    let www = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("header").to_string())
        .unwrap_or_default();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, www, body)
}
