//! Access token validation (RFC 9068 JWT access tokens, RFC 8707 audience binding) and the
//! mapping of a valid token's claims to an [`Identity`].
//!
//! Refusal reasons are fixed strings: they end up in `WWW-Authenticate` and logs, so they must never
//! carry anything from the token (which holds personal data).

use jsonwebtoken::{Validation, decode, decode_header};
use serde_json::{Map, Value};

use super::keys::{ALLOWED_ALGORITHMS, KeySource};
use super::{Identity, OAuthConfig};

/// Longest bearer token considered (real JWT access tokens are 1–3 KiB).
pub const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;
/// Longest email accepted (RFC 5321 path limit).
const MAX_EMAIL_LEN: usize = 254;
/// Most roles / scopes read from a token.
const MAX_LIST: usize = 64;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a valid token for this resource → 401 `invalid_token`.
    Invalid(&'static str),
    /// Valid, but lacking a scope or an identity claim → 403 `insufficient_scope`.
    Insufficient(&'static str),
}

/// Validates tokens of one issuer for this resource.
pub struct Verifier {
    /// The issuer exactly as the provider spells it.
    issuer: String,
    audiences: [String; 2],
    keys: KeySource,
    email_claim: String,
    roles_claim: String,
    hr_role: String,
    required_scopes: Vec<String>,
    /// Revoked grant families (`fam` claim) of the built-in authorization server's tokens.
    revoked: Option<moka::future::Cache<String, ()>>,
}

impl Verifier {
    pub fn new(config: &OAuthConfig, issuer: String, keys: KeySource) -> Self {
        Verifier {
            issuer,
            audiences: [config.mcp_resource(), config.base_resource()],
            keys,
            email_claim: config.email_claim.clone(),
            roles_claim: config.roles_claim.clone(),
            hr_role: config.hr_role.clone(),
            required_scopes: config.required_scopes.clone(),
            revoked: None,
        }
    }

    /// A verifier for the built-in authorization server's own tokens: they carry `email` and
    /// `roles: ["hr"]` whatever the upstream claim names are, and may be revoked by family.
    pub fn for_builtin(
        config: &OAuthConfig,
        issuer: String,
        keys: KeySource,
        revoked: moka::future::Cache<String, ()>,
    ) -> Self {
        let mut v = Verifier::new(config, issuer, keys);
        v.email_claim = "email".into();
        v.roles_claim = "roles".into();
        v.hr_role = "hr".into();
        v.revoked = Some(revoked);
        v
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn keys(&self) -> &KeySource {
        &self.keys
    }

    /// The identity a token proves, or why it proves nothing.
    pub async fn verify(&self, token: &str) -> Result<Identity, Refusal> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Refusal::Invalid("token too long"));
        }
        // An unknown `alg` (including "none") fails to parse here.
        let header = decode_header(token)
            .map_err(|_| Refusal::Invalid("malformed token or unsupported algorithm"))?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(Refusal::Invalid("signature algorithm not allowed"));
        }
        let kid = header.kid.as_deref().unwrap_or("");
        if kid.len() > 256 {
            return Err(Refusal::Invalid("malformed token"));
        }
        let key = self
            .keys
            .find(kid)
            .await
            .ok_or(Refusal::Invalid("unknown signing key"))?;
        if key.alg != header.alg {
            return Err(Refusal::Invalid(
                "signature algorithm does not match the key",
            ));
        }
        let mut validation = Validation::new(key.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_audience(&self.audiences);
        let data = decode::<Map<String, Value>>(token, &key.key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            Refusal::Invalid(match e.kind() {
                K::InvalidSignature => "invalid signature",
                K::ExpiredSignature => "token expired",
                K::ImmatureSignature => "token not yet valid",
                K::InvalidIssuer => "token from another issuer",
                K::InvalidAudience => "token issued for another resource",
                K::MissingRequiredClaim(_) => "token lacks exp, iss or aud",
                _ => "invalid token",
            })
        })?;
        if let (Some(revoked), Some(Value::String(fam))) = (&self.revoked, data.claims.get("fam"))
            && revoked.contains_key(fam)
        {
            return Err(Refusal::Invalid("token revoked"));
        }
        self.identity(&data.claims)
    }

    fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, Refusal> {
        let scopes = scopes(claims);
        if self.required_scopes.iter().any(|r| !scopes.contains(r)) {
            return Err(Refusal::Insufficient("token lacks a required scope"));
        }
        let email = match claim(claims, &self.email_claim) {
            Some(Value::String(s)) => normalize_email(s).ok_or(Refusal::Insufficient(
                "the email claim is not an email address",
            ))?,
            _ => return Err(Refusal::Insufficient("token carries no email claim")),
        };
        let hr = strings(claim(claims, &self.roles_claim))
            .iter()
            .any(|r| r == &self.hr_role);
        let subject = match claims.get("sub") {
            Some(Value::String(s)) if s.len() <= 256 => Some(s.clone()),
            _ => None,
        };
        let client_id = match claims.get("client_id").or_else(|| claims.get("azp")) {
            Some(Value::String(s)) if s.len() <= 512 => Some(s.clone()),
            _ => None,
        };
        Ok(Identity {
            email,
            hr,
            scopes,
            subject,
            client_id,
        })
    }
}

/// The claim `name`: a top-level claim of that exact name (Auth0-style namespaced claims contain
/// dots), else the dotted path into nested objects (Keycloak's `realm_access.roles`).
pub fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(name) {
        return Some(v);
    }
    let mut parts = name.split('.');
    let mut cur = claims.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

/// A list claim given as an array of strings or one space-separated string.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s
            .split_whitespace()
            .take(MAX_LIST)
            .map(str::to_string)
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .take(MAX_LIST)
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Granted scopes: OAuth's `scope` (RFC 9068) or `scp` (Entra ID, Okta).
fn scopes(claims: &Map<String, Value>) -> Vec<String> {
    let mut s = strings(claims.get("scope"));
    if s.is_empty() {
        s = strings(claims.get("scp"));
    }
    s
}

/// Lower-cased, trimmed, and plausibly an address (Personio matches work emails case-insensitively).
pub fn normalize_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && e.len() <= MAX_EMAIL_LEN
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_by_name_then_path() {
        let c = json!({"https://x.example/roles": ["hr"], "realm_access": {"roles": "a hr"}});
        let c = c.as_object().unwrap();
        assert_eq!(strings(claim(c, "https://x.example/roles")), vec!["hr"]);
        assert_eq!(strings(claim(c, "realm_access.roles")), vec!["a", "hr"]);
        assert!(claim(c, "realm_access.missing").is_none());
    }

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        assert!(normalize_email("no-at-sign").is_none());
        assert!(normalize_email("a@b@c").is_none());
        assert!(normalize_email("@b").is_none());
    }

    #[test]
    fn scopes_from_scope_or_scp() {
        let c = json!({"scp": ["a", "b"]});
        assert_eq!(scopes(c.as_object().unwrap()), vec!["a", "b"]);
        let c = json!({"scope": "x y"});
        assert_eq!(scopes(c.as_object().unwrap()), vec!["x", "y"]);
    }
}
