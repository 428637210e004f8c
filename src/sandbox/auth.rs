//! Credentials, tokens and the permissions a token carries. The Bearer middleware that consults the
//! token store lives with the routes (`routes/bearer.rs`), so this module needs no application state.
//!
//! Two credentials exist (both with secret [`CLIENT_SECRET`]):
//! - [`FULL_CLIENT_ID`]: reads every attribute, reads and writes absences.
//! - [`LIMITED_CLIENT_ID`]: reads only [`LIMITED_ATTRIBUTES`] and has **no absence scope** — time-offs,
//!   absence periods and balances answer 403, and so does every write.
//!
//! Tokens (`papi-…`) come from `POST /v1/auth` or `POST /v2/auth/token`, live 24 hours, may be used in
//! parallel and are echoed back in the `Authorization` response header of every successful
//! `/v1/company` response (REFERENCE.md §2, §11.10).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::response::Response;
use http::HeaderValue;

use super::envelope;
use super::{CLIENT_SECRET, FULL_CLIENT_ID, LIMITED_CLIENT_ID};

/// Lifetime of every token, in seconds (`expires_in`).
pub const TOKEN_LIFETIME_SECS: u64 = 86_400;

/// Attributes readable by the limited credential.
pub const LIMITED_ATTRIBUTES: &[&str] = &[
    "id", "first_name", "last_name", "email", "status", "department",
];

/// Which employee attributes a credential may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whitelist {
    Full,
    Limited,
}

impl Whitelist {
    pub fn allows(self, key: &str) -> bool {
        match self {
            Whitelist::Full => true,
            Whitelist::Limited => LIMITED_ATTRIBUTES.contains(&key),
        }
    }
}

/// What a token may do on v1 routes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grants {
    pub employees_read: bool,
    pub absences_read: bool,
    pub absences_write: bool,
}

impl Grants {
    /// v2 scopes map onto the v1 permissions so that v2 tokens also work on v1 routes.
    pub fn from_v2_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Grants {
        let mut g = Grants::default();
        for s in scopes {
            match s {
                "personio:persons:read" => g.employees_read = true,
                "personio:absences:read" => g.absences_read = true,
                "personio:absences:write" => g.absences_write = true,
                _ => {}
            }
        }
        g
    }
}

pub struct Credential {
    pub client_id: &'static str,
    pub whitelist: Whitelist,
    /// `scope` reported by `POST /v1/auth`.
    pub v1_scope: &'static str,
    /// Scopes the credential holds in v2 terms (all of them are granted when none are requested).
    pub v2_scopes: &'static [&'static str],
}

pub static CREDENTIALS: &[Credential] = &[
    Credential {
        client_id: FULL_CLIENT_ID,
        whitelist: Whitelist::Full,
        v1_scope: "employees:read absences:read absences:write",
        v2_scopes: &[
            "personio:persons:read",
            "personio:absences:read",
            "personio:absences:write",
        ],
    },
    Credential {
        client_id: LIMITED_CLIENT_ID,
        whitelist: Whitelist::Limited,
        v1_scope: "employees:read",
        v2_scopes: &["personio:persons:read"],
    },
];

pub enum CredentialCheck {
    Valid(&'static Credential),
    UnknownClient,
    WrongSecret,
}

pub fn check_credentials(client_id: &str, client_secret: &str) -> CredentialCheck {
    match CREDENTIALS.iter().find(|c| c.client_id == client_id) {
        None => CredentialCheck::UnknownClient,
        Some(_) if client_secret != CLIENT_SECRET => CredentialCheck::WrongSecret,
        Some(c) => CredentialCheck::Valid(c),
    }
}

/// The authenticated caller of a `/v1/company` request (request extension).
#[derive(Debug, Clone)]
pub struct Caller {
    pub whitelist: Whitelist,
    pub grants: Grants,
}

struct TokenEntry {
    whitelist: Whitelist,
    grants: Grants,
    expires_at: Instant,
}

/// All issued tokens.
#[derive(Default)]
pub struct TokenStore {
    tokens: Mutex<HashMap<String, TokenEntry>>,
}

impl TokenStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, TokenEntry>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a fresh `papi-` token valid for 24 hours.
    pub fn issue(&self, credential: &Credential, grants: Grants) -> String {
        let token = format!(
            "papi-{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut tokens = self.lock();
        let now = Instant::now();
        tokens.retain(|_, t| t.expires_at > now);
        tokens.insert(
            token.clone(),
            TokenEntry {
                whitelist: credential.whitelist,
                grants,
                expires_at: now + Duration::from_secs(TOKEN_LIFETIME_SECS),
            },
        );
        token
    }

    pub fn lookup(&self, token: &str) -> Option<Caller> {
        let tokens = self.lock();
        tokens
            .get(token)
            .filter(|t| t.expires_at > Instant::now())
            .map(|t| Caller {
                whitelist: t.whitelist,
                grants: t.grants,
            })
    }

    /// Revokes every token; returns how many were live.
    pub fn revoke_all(&self) -> usize {
        let mut tokens = self.lock();
        let n = tokens.len();
        tokens.clear();
        n
    }

    pub fn revoke(&self, token: &str) -> bool {
        self.lock().remove(token).is_some()
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let s = value.to_str().ok()?.trim();
    let (scheme, token) = s.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The caller the Bearer check stored in the request, or `missing()` (a handler outside the checked
/// routes: the router wiring is wrong, and the request is treated as unauthenticated).
pub fn caller_of(
    parts: &http::request::Parts,
    missing: fn() -> Response,
) -> Result<Caller, Response> {
    parts
        .extensions
        .get::<Caller>()
        .cloned()
        .ok_or_else(missing)
}

/// The permission a handler needs.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    EmployeesRead,
    AbsencesRead,
    AbsencesWrite,
}

/// Whether the caller holds `need` (v1 and v2 routes answer a missing permission differently).
pub fn has(caller: &Caller, need: Need) -> bool {
    match need {
        Need::EmployeesRead => caller.grants.employees_read,
        Need::AbsencesRead => caller.grants.absences_read,
        Need::AbsencesWrite => caller.grants.absences_write,
    }
}

/// `Err(403)` (v1 body) when the caller lacks `need`.
pub fn require(caller: &Caller, need: Need) -> Result<(), Response> {
    if has(caller, need) {
        Ok(())
    } else {
        Err(envelope::v1_forbidden())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        let v = HeaderValue::from_static("Bearer papi-abc");
        assert_eq!(bearer_token(&v), Some("papi-abc"));
        let v = HeaderValue::from_static("bearer   papi-abc ");
        assert_eq!(bearer_token(&v), Some("papi-abc"));
        assert_eq!(bearer_token(&HeaderValue::from_static("Basic abc")), None);
        assert_eq!(bearer_token(&HeaderValue::from_static("Bearer ")), None);
    }

    #[test]
    fn limited_whitelist_is_narrow() {
        assert!(Whitelist::Limited.allows("email"));
        assert!(!Whitelist::Limited.allows("supervisor"));
        assert!(!Whitelist::Limited.allows("fix_salary"));
        assert!(Whitelist::Full.allows("fix_salary"));
    }

    #[test]
    fn tokens_issue_lookup_revoke() {
        let store = TokenStore::default();
        let t = store.issue(&CREDENTIALS[1], Grants::default());
        assert!(t.starts_with("papi-"));
        assert_eq!(store.lookup(&t).unwrap().whitelist, Whitelist::Limited);
        assert_eq!(store.revoke_all(), 1);
        assert!(store.lookup(&t).is_none());
    }
}
