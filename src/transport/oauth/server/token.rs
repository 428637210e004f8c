//! The token endpoint (authorization code with PKCE, rotating refresh tokens) and revocation
//! (RFC 7009).
//!
//! Access tokens are short-lived JWTs bound to this server's resource (RFC 8707 `aud`), signed
//! with our key; the resource side verifies them like any other issuer's. Refresh tokens are
//! opaque, single-use and rotated (OAuth 2.1 §4.3.1): presenting a spent one — a sign it was
//! stolen — revokes the whole family, as does replaying an authorization code.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use moka::future::Cache;
use serde::Deserialize;
use serde_json::json;

use super::store::{
    Client, CodeGrant, Person, RefreshGrant, hash, pkce_s256_matches, random_token,
};
use super::{Shared, oauth_error};

/// Lifetime of an access token: short, because a JWT cannot be recalled once handed out.
pub const ACCESS_TTL_SECS: i64 = 600;

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    resource: Option<String>,
    scope: Option<String>,
}

/// POST /oauth/token.
pub async fn token(
    State(srv): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Result<Response, Response> {
    let client = srv
        .client_or_refusal(&headers, f.client_id.as_deref(), f.client_secret.as_deref())
        .await?;
    let grant = match f.grant_type.as_deref() {
        Some("authorization_code") => srv.redeem_code(&client.client_id, &f).await,
        Some("refresh_token") => srv.redeem_refresh(&client.client_id, &f).await,
        _ => Err((
            "unsupported_grant_type",
            "only authorization_code and refresh_token are supported",
        )),
    };
    Ok(match grant {
        Ok(g) => srv.issue(g).await,
        Err((code, msg)) => oauth_error(StatusCode::BAD_REQUEST, code, msg),
    })
}

type Refused = (&'static str, &'static str);

impl Shared {
    /// The authenticated client of a token or revocation request, or the 401 `invalid_client`
    /// both endpoints answer with (RFC 6749 §5.2, RFC 7009 §2.1).
    async fn client_or_refusal(
        &self,
        headers: &HeaderMap,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<Arc<Client>, Response> {
        self.authenticate_client(headers, client_id, client_secret)
            .await
            .ok_or_else(|| {
                oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client authentication failed",
                )
            })
    }

    /// Takes the single-use secret hashed `h` out of `live` and remembers it in `spent` with its
    /// grant family. A secret found already spent is a replay: whoever redeemed it first may be
    /// an attacker, so the whole family is revoked (and `replayed` is logged).
    async fn redeem_once<G: Send + Sync + 'static>(
        &self,
        live: &Cache<String, Arc<G>>,
        spent: &Cache<String, String>,
        h: String,
        family: impl Fn(&G) -> String,
        replayed: &'static str,
    ) -> Option<Arc<G>> {
        let Some(grant) = live.remove(&h).await else {
            if let Some(family) = spent.get(&h).await {
                self.store.revoked_families.insert(family, ()).await;
                tracing::warn!("{replayed}");
            }
            return None;
        };
        spent.insert(h, family(&grant)).await;
        Some(grant)
    }

    async fn redeem_code(&self, client_id: &str, f: &TokenForm) -> Result<RefreshGrant, Refused> {
        let invalid = (
            "invalid_grant",
            "the authorization code is invalid, expired or already used",
        );
        let grant = self
            .redeem_once(
                &self.store.codes,
                &self.store.used_codes,
                hash(f.code.as_deref().ok_or(invalid)?),
                |g| g.family.clone(),
                "OAuth: an authorization code was replayed; its tokens are revoked",
            )
            .await
            .ok_or(invalid)?;
        let CodeGrant {
            client_id: owner,
            redirect_uri,
            code_challenge,
            scope,
            resource,
            person,
            family,
        } = (*grant).clone();
        if owner != client_id {
            return Err(invalid);
        }
        if f.redirect_uri.as_deref() != Some(redirect_uri.as_str()) {
            return Err((
                "invalid_grant",
                "redirect_uri does not match the authorization request",
            ));
        }
        if !pkce_s256_matches(f.code_verifier.as_deref().unwrap_or(""), &code_challenge) {
            return Err(("invalid_grant", "PKCE verification failed"));
        }
        if f.resource.as_deref().is_some_and(|r| r != resource) {
            return Err((
                "invalid_target",
                "resource differs from the authorization request",
            ));
        }
        Ok(RefreshGrant {
            client_id: owner,
            scope,
            resource,
            person,
            family,
        })
    }

    async fn redeem_refresh(
        &self,
        client_id: &str,
        f: &TokenForm,
    ) -> Result<RefreshGrant, Refused> {
        let invalid = (
            "invalid_grant",
            "the refresh token is invalid, expired or revoked",
        );
        let grant = self
            .redeem_once(
                &self.store.refresh,
                &self.store.rotated,
                hash(f.refresh_token.as_deref().ok_or(invalid)?),
                |g| g.family.clone(),
                "OAuth: a rotated refresh token was reused; its family is revoked",
            )
            .await
            .ok_or(invalid)?;
        if grant.client_id != client_id || self.store.revoked_families.contains_key(&grant.family) {
            return Err(invalid);
        }
        let mut g = (*grant).clone();
        if let Some(requested) = f.scope.as_deref() {
            let granted: Vec<&str> = g.scope.split_whitespace().collect();
            if !requested.split_whitespace().all(|s| granted.contains(&s)) {
                return Err(("invalid_scope", "a refresh cannot widen the scope"));
            }
            g.scope = requested.to_string();
        }
        if f.resource.as_deref().is_some_and(|r| r != g.resource) {
            return Err(("invalid_target", "resource differs from the grant"));
        }
        Ok(g)
    }

    /// Signs an access token and stores a new refresh token for `grant`.
    async fn issue(&self, grant: RefreshGrant) -> Response {
        let now = chrono::Utc::now().timestamp();
        let Person { subject, email, hr } = &grant.person;
        let claims = json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": grant.resource,
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_TTL_SECS,
            "jti": random_token(),
            "client_id": grant.client_id,
            "scope": grant.scope,
            "email": email,
            "roles": if *hr { vec!["hr"] } else { Vec::new() },
            "fam": grant.family,
        });
        let access = match self.signing.sign(&claims) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "OAuth: cannot sign an access token");
                return oauth_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "cannot issue a token",
                );
            }
        };
        let refresh = random_token();
        let scope = grant.scope.clone();
        self.store
            .refresh
            .insert(hash(&refresh), Arc::new(grant))
            .await;
        let body = json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL_SECS,
            "refresh_token": refresh,
            "scope": scope,
        });
        (
            StatusCode::OK,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            axum::Json(body),
        )
            .into_response()
    }
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// POST /oauth/revoke (RFC 7009): revoking a refresh token ends its whole family, including the
/// access tokens issued from it. Unknown tokens are not an error (§2.2).
pub async fn revoke(
    State(srv): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(f): Form<RevokeForm>,
) -> Result<Response, Response> {
    let client = srv
        .client_or_refusal(&headers, f.client_id.as_deref(), f.client_secret.as_deref())
        .await?;
    let token = f.token.unwrap_or_default();
    if let Some(grant) = srv.store.refresh.get(&hash(&token)).await {
        if grant.client_id == client.client_id {
            srv.store.refresh.invalidate(&hash(&token)).await;
            srv.store
                .revoked_families
                .insert(grant.family.clone(), ())
                .await;
        }
    } else if let Some((owner, family)) = srv.family_of_access_token(&token)
        && owner == client.client_id
    {
        srv.store.revoked_families.insert(family, ()).await;
    }
    Ok(StatusCode::OK.into_response())
}

impl Shared {
    /// The (client, family) of one of our own access tokens, signature checked (expiry is not:
    /// revoking an expired token is harmless).
    fn family_of_access_token(&self, token: &str) -> Option<(String, String)> {
        if token.len() > crate::transport::oauth::verify::MAX_TOKEN_LEN {
            return None;
        }
        let header = jsonwebtoken::decode_header(token).ok()?;
        let keys = self.signing.verify_keys();
        let key = keys.get(header.kid.as_deref()?)?;
        let mut v = jsonwebtoken::Validation::new(key.alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        v.set_issuer(&[self.issuer.as_str()]);
        let data =
            jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &key.key, &v)
                .ok()?;
        let s = |k: &str| {
            data.claims
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        Some((s("client_id")?, s("fam")?))
    }
}
