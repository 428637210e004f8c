//! Bearer tokens: the configured ones (kept as SHA-256 hashes only), parsing the token file, and
//! reading and refusing a presented `Authorization` header.

use std::collections::HashSet;
use std::path::Path;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::token_strength;
use super::{ConfigError, config_error, error_response};
use crate::policy::principal::{Principal, Role};

/// The realm named in `WWW-Authenticate` challenges.
const REALM: &str = "personio-mcp";

/// One configured token: its SHA-256 and who it stands for.
#[derive(Clone)]
struct TokenEntry {
    hash: [u8; 32],
    principal: Principal,
}

/// The configured bearer tokens, kept only as SHA-256 hashes.
///
/// Presented tokens are hashed and compared against *every* entry in constant time, so neither the
/// comparison nor the position of a match leaks through timing.
///
/// Text format (file `--auth-tokens`, or env `PERSONIO_MCP_AUTH_TOKENS` where entries may also be
/// separated by commas): one `TOKEN EMAIL ROLE` entry per line, whitespace-separated; `#` starts a
/// comment; blank lines are ignored. `TOKEN` is either the token itself (at least
/// [`MIN_TOKEN_LEN`](super::MIN_TOKEN_LEN) characters of `A-Z a-z 0-9 - . _ ~ + /`, optionally `=`-padded) or
/// `sha256:<64 hex digits>`, the SHA-256 of the token, so the file need not hold the secret.
/// `ROLE` is `employee`, `manager` or `hr`.
#[derive(Clone, Default)]
pub struct TokenStore {
    entries: Vec<TokenEntry>,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("tokens", &self.entries.len())
            .finish_non_exhaustive()
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/')
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty() && body.chars().all(is_token_char)
}

fn parse_role(s: &str) -> Option<Role> {
    match s.to_ascii_lowercase().as_str() {
        "employee" => Some(Role::Employee),
        "manager" => Some(Role::Manager),
        "hr" => Some(Role::Hr),
        _ => None,
    }
}

impl TokenStore {
    /// No tokens: authentication is off (allowed on loopback addresses only).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds a token directly (for tests and embedding).
    /// The token must pass the same strength check as configured ones.
    pub fn insert(&mut self, token: &str, principal: Principal) -> Result<(), ConfigError> {
        token_strength::check(token)
            .map_err(|why| config_error(format!("inserted token: {why}")))?;
        self.push(sha256(token.as_bytes()), principal, "inserted token")
    }

    fn push(&mut self, hash: [u8; 32], principal: Principal, at: &str) -> Result<(), ConfigError> {
        if self.entries.iter().any(|e| bool::from(e.hash.ct_eq(&hash))) {
            return Err(config_error(format!(
                "{at}: this token is listed twice; every token must be unique"
            )));
        }
        self.entries.push(TokenEntry { hash, principal });
        Ok(())
    }

    /// Parses entries in the documented text format; `source` names the origin in error messages
    /// (never the token). `commas` also splits entries on commas (the env-var form).
    pub fn parse(text: &str, source: &str, commas: bool) -> Result<TokenStore, ConfigError> {
        let mut store = TokenStore::default();
        store.extend_from(text, source, commas)?;
        Ok(store)
    }

    /// Adds the entries of `text` (see [`TokenStore::parse`]).
    pub fn extend_from(
        &mut self,
        text: &str,
        source: &str,
        commas: bool,
    ) -> Result<(), ConfigError> {
        let lines = text.lines().enumerate().flat_map(|(n, line)| {
            let line = line.split('#').next().unwrap_or("");
            let parts: Vec<&str> = if commas {
                line.split(',').collect()
            } else {
                vec![line]
            };
            parts.into_iter().map(move |p| (n + 1, p))
        });
        for (line_no, entry) in lines {
            let at = format!("{source} line {line_no}");
            let fields: Vec<&str> = entry.split_whitespace().collect();
            if fields.is_empty() {
                continue;
            }
            let [token, email, role] = fields[..] else {
                return Err(config_error(format!(
                    "{at}: expected `TOKEN EMAIL ROLE` (3 fields), found {} field(s)",
                    fields.len()
                )));
            };
            let hash = if let Some(hex_hash) = token.strip_prefix("sha256:") {
                let bytes = hex::decode(hex_hash).map_err(|_| {
                    config_error(format!("{at}: `sha256:` must be followed by 64 hex digits"))
                })?;
                <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
                    config_error(format!("{at}: `sha256:` must be followed by 64 hex digits"))
                })?
            } else {
                if !is_b64token(token) {
                    return Err(config_error(format!(
                        "{at}: the token may only contain A-Z a-z 0-9 - . _ ~ + / (and trailing =)"
                    )));
                }
                token_strength::check(token).map_err(|why| config_error(format!("{at}: {why}")))?;
                sha256(token.as_bytes())
            };
            if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
                return Err(config_error(format!(
                    "{at}: `{email}` is not an email address (the principal's work email in Personio)"
                )));
            }
            let role = parse_role(role).ok_or_else(|| {
                config_error(format!(
                    "{at}: unknown role `{role}`; expected employee, manager or hr"
                ))
            })?;
            self.push(
                hash,
                Principal {
                    email: email.to_string(),
                    role,
                },
                &at,
            )?;
        }
        Ok(())
    }

    /// Reads a token file. On Unix, warns when the file is readable by group or others.
    pub fn from_file(path: &Path) -> Result<TokenStore, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            config_error(format!(
                "cannot read the auth token file {} ({e})",
                path.display()
            ))
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(
                    file = %path.display(),
                    "the auth token file is readable by other users; restrict it (chmod 600) or store \
                     sha256: hashes instead of tokens"
                );
            }
        }
        TokenStore::parse(&text, &path.display().to_string(), false)
    }

    /// The principal of a presented token, or `None`. Runs in time independent of which entry
    /// (if any) matches.
    pub fn authenticate(&self, presented: &str) -> Option<Principal> {
        let hash = sha256(presented.as_bytes());
        let mut found: Option<&TokenEntry> = None;
        for entry in &self.entries {
            // Every entry is compared; the branch only records the (unique) match.
            if bool::from(entry.hash.ct_eq(&hash)) {
                found = Some(entry);
            }
        }
        found.map(|e| e.principal.clone())
    }
}

/// The outcome of reading `Authorization`.
pub(super) enum Credential<'a> {
    Missing,
    Bearer(&'a str),
}

pub(super) fn bearer(headers: &HeaderMap) -> Credential<'_> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Credential::Missing;
    };
    let mut parts = value.trim().splitn(2, ' ');
    match (parts.next(), parts.next()) {
        (Some(scheme), Some(token)) if scheme.eq_ignore_ascii_case("bearer") => {
            Credential::Bearer(token.trim())
        }
        _ => Credential::Missing,
    }
}

pub(super) fn unauthorized(invalid_token: bool) -> Response {
    let (challenge, message) = if invalid_token {
        (
            format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"the token is not valid\""
            ),
            "The bearer token is not valid.",
        )
    } else {
        (
            format!("Bearer realm=\"{REALM}\""),
            "This server requires a bearer token: send `Authorization: Bearer <token>`.",
        )
    };
    let mut response = error_response(StatusCode::UNAUTHORIZED, "unauthorized", message);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// Distinct emails of the configured principals (for the start-up log).
pub fn principal_count(tokens: &TokenStore) -> usize {
    tokens
        .entries
        .iter()
        .map(|e| e.principal.email.to_ascii_lowercase())
        .collect::<HashSet<_>>()
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::security::test_headers as headers;

    const TOKEN: &str = "9f86d081884c7d659a2feaa0c55ad015b3bf4f1b";

    #[test]
    fn token_file_maps_tokens_and_hashes_to_principals() {
        let hashed = hex::encode(sha256(b"another-long-random-token"));
        let text = format!(
            "# comment\n\n{TOKEN} ada@example.com hr   # trailing comment\nsha256:{hashed} bob@example.com Employee\n"
        );
        let store = TokenStore::parse(&text, "tokens.txt", false).unwrap();
        assert_eq!(store.len(), 2);
        let ada = store.authenticate(TOKEN).unwrap();
        assert_eq!(
            (ada.email.as_str(), ada.role),
            ("ada@example.com", Role::Hr)
        );
        let bob = store.authenticate("another-long-random-token").unwrap();
        assert_eq!(bob.role, Role::Employee);
        assert!(store.authenticate("wrong-token-wrong-token").is_none());
        assert!(store.authenticate("").is_none());
    }

    #[test]
    fn env_form_splits_on_commas() {
        let text = format!("{TOKEN} ada@example.com hr, {TOKEN}x bob@example.com manager");
        let store = TokenStore::parse(&text, "PERSONIO_MCP_AUTH_TOKENS", true).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(
            store.authenticate(&format!("{TOKEN}x")).unwrap().role,
            Role::Manager
        );
    }

    #[test]
    fn bad_entries_are_refused_with_their_line_and_without_the_token() {
        for (text, needle) in [
            ("short ada@example.com hr", "shorter than"),
            (
                "0123456789abcdef0123456789abcdef ada@example.com hr",
                "too predictable",
            ),
            (
                &format!("{TOKEN} ada@example.com boss") as &str,
                "unknown role",
            ),
            (&format!("{TOKEN} ada hr"), "not an email"),
            (&format!("{TOKEN} ada@example.com"), "3 fields"),
            ("sha256:abcd ada@example.com hr", "64 hex digits"),
            (&format!("{TOKEN}\" ada@example.com hr"), "may only contain"),
            (
                &format!("{TOKEN} a@example.com hr\n{TOKEN} b@example.com hr"),
                "listed twice",
            ),
        ] {
            let e = TokenStore::parse(text, "f", false).unwrap_err();
            assert!(e.0.contains(needle), "{text:?}: {e}");
            assert!(e.0.starts_with("f line"), "{e}");
            assert!(!e.0.contains(TOKEN), "the token leaks into {e}");
        }
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let h = headers(&[("authorization", &format!("bearer {TOKEN}"))]);
        assert!(matches!(bearer(&h), Credential::Bearer(t) if t == TOKEN));
        let h = headers(&[("authorization", "Basic abc")]);
        assert!(matches!(bearer(&h), Credential::Missing));
    }
}
