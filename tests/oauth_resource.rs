//! Issue 18 item 1: this server as an OAuth protected resource, against a real OpenID Provider
//! (oidc-provider from npm, tests/oauth/provider.mjs) on loopback.
//!
//! Real tokens come from the provider's authorization code + PKCE flow (scripted login); the
//! tokens the provider would never issue (expired, wrong audience, `alg: none`, ...) are minted
//! here with the provider's own signing keys, so each refusal is for the one reason under test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

#[path = "oauth/support.rs"]
mod support;

use serde_json::{Value, json};
use support::*;

fn assert_invalid_token(res: &(u16, String, Value), what: &str) {
    assert_eq!(res.0, 401, "{what}: status");
    assert!(
        res.1.starts_with("Bearer "),
        "{what}: challenge {:?}",
        res.1
    );
    assert!(
        res.1.contains("error=\"invalid_token\""),
        "{what}: challenge {:?}",
        res.1
    );
    assert!(
        res.1.contains("resource_metadata=\""),
        "{what}: challenge {:?}",
        res.1
    );
    assert_eq!(res.2["error"], "invalid_token", "{what}: body");
}

#[tokio::test]
async fn metadata_documents_follow_rfc_9728() {
    let p = provider();
    let s = serve(&p.issuer, |_| {}).await.unwrap();
    let http = http();
    for (path, resource) in [
        (
            "/.well-known/oauth-protected-resource/mcp",
            format!("{}/mcp", s.public_url),
        ),
        (
            "/.well-known/oauth-protected-resource",
            s.public_url.clone(),
        ),
    ] {
        let resp = http
            .get(format!("{}{path}", s.public_url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let doc: Value = resp.json().await.unwrap();
        assert_eq!(doc["resource"], resource, "{path}");
        assert_eq!(doc["authorization_servers"], json!([p.issuer]), "{path}");
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]), "{path}");
        assert_eq!(
            doc["scopes_supported"],
            json!(["openid", "email", "mcp"]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_request_without_a_token_is_challenged_towards_the_metadata() {
    let p = provider();
    let s = serve(&p.issuer, |_| {}).await.unwrap();
    let (status, www, body) = call(&s, None).await;
    assert_eq!(status, 401);
    assert_eq!(
        www,
        format!(
            "Bearer scope=\"openid email mcp\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            s.public_url
        )
    );
    assert!(
        !www.contains("error="),
        "no error code when no token was sent"
    );
    assert_eq!(body["error"], "unauthorized");

    // A perfectly good token in the query string is not a credential.
    let t = mint(p, "rsa", &good_claims(p, &s.public_url));
    let resp = http()
        .post(format!("{}/mcp?access_token={t}", s.public_url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn real_tokens_from_the_provider_map_to_identities() {
    let p = provider();
    let s = serve(&p.issuer, |_| {}).await.unwrap();
    let resource = format!("{}/mcp", s.public_url);

    let hr = login(&p.issuer, "hr", &resource, "openid email mcp").await;
    let (status, _, body) = call(&s, Some(&hr.access_token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "hr@example.com");
    assert_eq!(body["hr"], true);
    assert!(
        body["scopes"].as_array().unwrap().contains(&json!("mcp")),
        "{body}"
    );

    let employee = login(&p.issuer, "employee", &resource, "openid email").await;
    let (status, _, body) = call(&s, Some(&employee.access_token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "employee@example.com");
    assert_eq!(body["hr"], false);

    // RFC 8707: the bare public URL is this server's resource identifier too.
    let bare = login(&p.issuer, "employee", &s.public_url, "openid email").await;
    assert_eq!(call(&s, Some(&bare.access_token)).await.0, 200);
}

#[tokio::test]
async fn every_allowed_algorithm_verifies_against_the_providers_keys() {
    let p = provider();
    let s = serve(&p.issuer, |_| {}).await.unwrap();
    for which in ["rsa", "ec", "ed"] {
        let (status, _, body) =
            call(&s, Some(&mint(p, which, &good_claims(p, &s.public_url)))).await;
        assert_eq!(status, 200, "{which}: {body}");
        assert_eq!(
            body["email"], "hr@example.com",
            "{which}: the email is lower-cased"
        );
    }
}

#[tokio::test]
async fn forged_or_misdirected_tokens_are_refused_with_401_invalid_token() {
    let p = provider();
    let s = serve(&p.issuer, |_| {}).await.unwrap();
    let good = good_claims(p, &s.public_url);
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };

    let expired = mint(p, "rsa", &with("exp", json!(now() - 3600)));
    assert_invalid_token(&call(&s, Some(&expired)).await, "expired");
    let not_yet = mint(p, "rsa", &with("nbf", json!(now() + 3600)));
    assert_invalid_token(&call(&s, Some(&not_yet)).await, "nbf in the future");
    let wrong_aud = mint(p, "rsa", &with("aud", json!("https://other.example/mcp")));
    assert_invalid_token(&call(&s, Some(&wrong_aud)).await, "wrong audience");
    let wrong_iss = mint(p, "rsa", &with("iss", json!("https://evil.example")));
    assert_invalid_token(&call(&s, Some(&wrong_iss)).await, "wrong issuer");
    let mut no_aud = good.clone();
    no_aud.as_object_mut().unwrap().remove("aud");
    assert_invalid_token(
        &call(&s, Some(&mint(p, "rsa", &no_aud))).await,
        "no audience",
    );
    assert_invalid_token(&call(&s, Some(&unsigned(&good))).await, "alg none");

    // Key confusion: HS256 keyed with the provider's public RSA key, as a verifier that trusted
    // the header's alg would check it.
    let jwks: Value = http()
        .get(format!("{}/jwks", p.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rsa_jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == "rsa-1")
        .unwrap();
    let hmac = hmac_signed(&good, "rsa-1", rsa_jwk["n"].as_str().unwrap().as_bytes());
    assert_invalid_token(&call(&s, Some(&hmac)).await, "HMAC with the public key");
    let hmac_pem = hmac_signed(
        &good,
        "rsa-1",
        p.keys["rsa"]["pem"].as_str().unwrap().as_bytes(),
    );
    assert_invalid_token(&call(&s, Some(&hmac_pem)).await, "HMAC with key bytes");

    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some("not-published".into());
    let unknown_kid = jsonwebtoken::encode(&header, &good, &foreign_ed_key()).unwrap();
    assert_invalid_token(&call(&s, Some(&unknown_kid)).await, "unknown kid");
    // A published kid does not make a foreign key's signature valid.
    header.kid = Some("ed-1".into());
    let wrong_key = jsonwebtoken::encode(&header, &good, &foreign_ed_key()).unwrap();
    assert_invalid_token(
        &call(&s, Some(&wrong_key)).await,
        "signature by another key",
    );
    // An RS256 header on the EdDSA key's kid: the key decides the algorithm.
    let mut rs_on_ed = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    rs_on_ed.kid = Some("ed-1".into());
    let (_, rsa_key) = provider_key(p, "rsa");
    let mismatched = jsonwebtoken::encode(&rs_on_ed, &good, &rsa_key).unwrap();
    assert_invalid_token(&call(&s, Some(&mismatched)).await, "alg not the key's");

    // Tampered: a real token from the provider with its payload swapped (employee → HR claims).
    let resource = format!("{}/mcp", s.public_url);
    let real = login(&p.issuer, "employee", &resource, "openid email")
        .await
        .access_token;
    let parts: Vec<&str> = real.split('.').collect();
    let forged_payload = mint(p, "rsa", &good).split('.').nth(1).unwrap().to_string();
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_invalid_token(&call(&s, Some(&tampered)).await, "tampered payload");
    assert_eq!(
        call(&s, Some(&real)).await.0,
        200,
        "the untampered token is fine"
    );

    // A real token the provider issued for another resource.
    let other = login(&p.issuer, "hr", "http://127.0.0.1:9/mcp", "openid email")
        .await
        .access_token;
    assert_invalid_token(&call(&s, Some(&other)).await, "token for another resource");
    // The provider's ID token (aud = the client) is not an access token for us.
    assert_invalid_token(&call(&s, Some("not.a.jwt")).await, "garbage");
    let huge = "a".repeat(9000);
    assert_invalid_token(&call(&s, Some(&huge)).await, "oversized");
}

#[tokio::test]
async fn valid_tokens_without_scope_or_identity_get_403_insufficient_scope() {
    let p = provider();
    let s = serve(&p.issuer, |c| c.required_scopes = vec!["mcp".into()])
        .await
        .unwrap();
    let good = good_claims(p, &s.public_url);
    assert_eq!(call(&s, Some(&mint(p, "rsa", &good))).await.0, 200);

    let mut no_scope = good.clone();
    no_scope["scope"] = json!("openid email");
    let (status, www, body) = call(&s, Some(&mint(p, "rsa", &no_scope))).await;
    assert_eq!(status, 403);
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    assert!(
        www.contains("mcp"),
        "the challenge names the scope to ask for: {www}"
    );
    assert_eq!(body["error"], "insufficient_scope");

    // Real token without the mcp scope.
    let resource = format!("{}/mcp", s.public_url);
    let real = login(&p.issuer, "employee", &resource, "openid email")
        .await
        .access_token;
    assert_eq!(call(&s, Some(&real)).await.0, 403);

    let mut no_email = good.clone();
    no_email.as_object_mut().unwrap().remove("email");
    assert_eq!(call(&s, Some(&mint(p, "rsa", &no_email))).await.0, 403);
    let mut bad_email = good;
    bad_email["email"] = json!("not-an-address");
    assert_eq!(call(&s, Some(&mint(p, "rsa", &bad_email))).await.0, 403);
}

#[tokio::test]
async fn claims_mapping_follows_the_settings() {
    let p = provider();
    let s = serve(&p.issuer, |c| {
        c.email_claim = "upn".into();
        c.roles_claim = "realm_access.roles".into();
        c.hr_role = "people-ops".into();
    })
    .await
    .unwrap();
    let mut claims = good_claims(p, &s.public_url);
    claims["upn"] = json!("Grace@Example.com");
    claims["realm_access"] = json!({"roles": ["staff", "people-ops"]});
    let (status, _, body) = call(&s, Some(&mint(p, "ec", &claims))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "grace@example.com");
    assert_eq!(body["hr"], true);
    claims["realm_access"] = json!({"roles": ["hr"]});
    let (_, _, body) = call(&s, Some(&mint(p, "ec", &claims))).await;
    assert_eq!(
        body["hr"], false,
        "the default role name means nothing once another is configured"
    );
}

#[tokio::test]
async fn start_up_fails_when_the_issuer_is_unreachable_or_impersonated() {
    // Nothing listens on port 9 of loopback (discard service, never run in CI).
    let err = serve("http://127.0.0.1:9", |_| {})
        .await
        .err()
        .expect("no issuer, no server");
    assert!(err.to_string().contains("identity provider"), "{err}");
}

#[tokio::test]
async fn doctor_reports_issuer_keys_audience_and_claims() {
    use personio_mcp::transport::oauth::doctor;
    let p = provider();
    let s = serve(&p.issuer, |c| c.hr_role = "people-ops".into())
        .await
        .unwrap();
    let report = doctor::report(s.oauth.config()).await;
    assert!(report.ok, "{:?}", report.problems);
    assert!(report.issuer_reachable);
    assert_eq!(
        report.keys, 3,
        "the provider publishes RS256, ES256 and EdDSA keys"
    );
    assert_eq!(
        report.audiences,
        vec![format!("{}/mcp", s.public_url), s.public_url.clone()]
    );
    let text = report.to_text();
    assert!(text.contains("people-ops"), "{text}");
    assert!(text.contains(&format!("{}/mcp", s.public_url)), "{text}");

    let mut broken = s.oauth.config().clone();
    broken.issuer = "http://127.0.0.1:9".parse().unwrap();
    let report = doctor::report(&broken).await;
    assert!(!report.ok && !report.issuer_reachable);
    assert!(report.to_text().contains("FAILED"), "{}", report.to_text());
}
