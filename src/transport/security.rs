//! The HTTP transports' front door: who may talk to the server, from where, how much and how often.
//!
//! An HTTP server with HR data on it must be unreachable by a web page (DNS rebinding, cross-site
//! requests) and by anyone without a token. Every MCP route (`/mcp`, `/sse`, `/message`) passes,
//! in this order:
//!
//! 1. [`HostPolicy`]: the `Host` header must name this server (anti DNS-rebinding) → 403.
//! 2. [`OriginPolicy`]: a browser `Origin`, when present, must be allow-listed → 403.
//! 3. the body cap: a declared `Content-Length` above the cap → 413 (streamed bodies are capped
//!    where they are read, with the same limit).
//! 4. [`TokenStore`]: `Authorization: Bearer <token>` when tokens are configured → 401 with
//!    `WWW-Authenticate: Bearer`. The token's [`Principal`] is attached to the request extensions.
//! 5. [`RateLimits`]: a per-principal request budget → 429 with `Retry-After`.
//!
//! The probes (`/healthz`, `/readyz`) carry no data: they pass the Origin check only, so that load
//! balancers and orchestrators can reach them by IP without a token.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::policy::principal::{Principal, Role};

/// The realm named in `WWW-Authenticate` challenges.
const REALM: &str = "personio-mcp";

/// Shortest plaintext token accepted (a token is a password: make it long and random).
pub const MIN_TOKEN_LEN: usize = 16;

/// A configuration problem found at start-up (bad token file, malformed allow-list entry...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn config_error(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// A small JSON error body: `{"error": code, "message": text}`.
pub(crate) fn error_response(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
) -> Response {
    let body = serde_json::json!({"error": code, "message": message.into()});
    (status, axum::Json(body)).into_response()
}

/// Why the front door turned a request away (becomes a JSON error response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    MissingHost,
    HostNotAllowed,
    OriginNotAllowed,
    PayloadTooLarge(usize),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::MissingHost => error_response(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The Host header is missing or malformed.",
            ),
            Rejection::HostNotAllowed => error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                "The Host header is not allowed on this server (see --allowed-host).",
            ),
            Rejection::OriginNotAllowed => error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Requests from this Origin are not allowed (see --allowed-origin).",
            ),
            Rejection::PayloadTooLarge(limit) => error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "The request body exceeds the limit of {limit} bytes (see --max-body-bytes)."
                ),
            ),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Bearer tokens

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
/// [`MIN_TOKEN_LEN`] characters of `A-Z a-z 0-9 - . _ ~ + /`, optionally `=`-padded) or
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
    pub fn insert(&mut self, token: &str, principal: Principal) -> Result<(), ConfigError> {
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
                if token.len() < MIN_TOKEN_LEN {
                    return Err(config_error(format!(
                        "{at}: the token is shorter than {MIN_TOKEN_LEN} characters; use a long random \
                         one, e.g. `openssl rand -hex 32`"
                    )));
                }
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
enum Credential<'a> {
    Missing,
    Bearer(&'a str),
}

fn bearer(headers: &HeaderMap) -> Credential<'_> {
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

fn unauthorized(invalid_token: bool) -> Response {
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

// ------------------------------------------------------------------------------------------------
// Host and Origin allow-lists

/// A host name or address, with an optional port (no port = any port).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authority {
    host: String,
    port: Option<u16>,
}

fn normalize_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

fn parse_authority(s: &str) -> Option<Authority> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<http::uri::Authority>() {
        Ok(a) if a.as_str().contains('@') => None,
        Ok(a) => Some(Authority {
            host: normalize_host(a.host()),
            port: a.port_u16(),
        }),
        // A bare IPv6 address (`::1`) is not a valid authority without brackets.
        Err(_) if s.parse::<std::net::Ipv6Addr>().is_ok() => Some(Authority {
            host: normalize_host(s),
            port: None,
        }),
        Err(_) => None,
    }
}

/// Which `Host` values the MCP routes accept: the defense against DNS rebinding, where a web page
/// on `evil.example` re-points its own name at 127.0.0.1 to reach a local server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPolicy {
    any: bool,
    allowed: Vec<Authority>,
}

impl HostPolicy {
    /// `localhost`, `127.0.0.1` and `::1`, any port.
    pub fn loopback() -> HostPolicy {
        HostPolicy {
            any: false,
            allowed: ["localhost", "127.0.0.1", "::1"]
                .iter()
                .filter_map(|h| parse_authority(h))
                .collect(),
        }
    }

    /// Entries are `host` (any port) or `host:port`; IPv6 in brackets with a port (`[::1]:8000`).
    /// A single `*` accepts any Host (only sensible behind a proxy that checks Host itself).
    pub fn parse(entries: &[String]) -> Result<HostPolicy, ConfigError> {
        if entries.iter().any(|e| e.trim() == "*") {
            if entries.len() > 1 {
                return Err(config_error(
                    "--allowed-host: `*` cannot be combined with other entries",
                ));
            }
            return Ok(HostPolicy {
                any: true,
                allowed: Vec::new(),
            });
        }
        let allowed = entries
            .iter()
            .map(|e| {
                parse_authority(e).ok_or_else(|| {
                    config_error(format!(
                        "--allowed-host `{e}`: expected a host name or address, optionally with :port"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if allowed.is_empty() {
            return Err(config_error("--allowed-host: the list is empty"));
        }
        Ok(HostPolicy {
            any: false,
            allowed,
        })
    }

    /// Also accepts `host` (any port).
    pub fn allow(&mut self, host: &str) {
        if let Some(a) = parse_authority(host)
            && !self.allowed.contains(&a)
        {
            self.allowed.push(a);
        }
    }

    pub fn allows_any(&self) -> bool {
        self.any
    }

    /// The entries in the form rmcp's `allowed_hosts` takes (same matching rules).
    pub fn rmcp_entries(&self) -> Vec<String> {
        self.allowed
            .iter()
            .map(|a| {
                let host = if a.host.contains(':') {
                    format!("[{}]", a.host)
                } else {
                    a.host.clone()
                };
                match a.port {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                }
            })
            .collect()
    }

    fn allows(&self, host: &Authority) -> bool {
        self.any
            || self.allowed.iter().any(|a| {
                a.host == host.host
                    && match a.port {
                        Some(p) => host.port == Some(p),
                        None => true,
                    }
            })
    }

    /// `Ok` when the request's Host (or HTTP/2 `:authority`) is allowed.
    fn check(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), Rejection> {
        if self.any {
            return Ok(());
        }
        let presented = match headers.get(header::HOST) {
            Some(v) => v.to_str().ok().and_then(parse_authority),
            None => uri.authority().and_then(|a| parse_authority(a.as_str())),
        };
        let Some(host) = presented else {
            return Err(Rejection::MissingHost);
        };
        if self.allows(&host) {
            Ok(())
        } else {
            tracing::warn!(host = %host.host, port = ?host.port, "rejected a request with a Host that is not allowed (possible DNS rebinding)");
            Err(Rejection::HostNotAllowed)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OriginPort {
    /// `:*`
    Any,
    /// No port in the entry: the scheme's default port.
    Default,
    Exact(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AllowedOrigin {
    Null,
    Tuple {
        scheme: String,
        host: String,
        port: OriginPort,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PresentedOrigin {
    Null,
    Tuple {
        scheme: String,
        host: String,
        port: Option<u16>,
    },
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

fn parse_presented_origin(s: &str) -> Option<PresentedOrigin> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("null") {
        return Some(PresentedOrigin::Null);
    }
    let uri: Uri = s.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    Some(PresentedOrigin::Tuple {
        scheme,
        host: normalize_host(authority.host()),
        port: authority.port_u16(),
    })
}

fn parse_allowed_origin(s: &str) -> Option<AllowedOrigin> {
    let s = s.trim();
    if let Some(base) = s.strip_suffix(":*") {
        return match parse_presented_origin(base)? {
            PresentedOrigin::Tuple {
                scheme,
                host,
                port: None,
            } => Some(AllowedOrigin::Tuple {
                scheme,
                host,
                port: OriginPort::Any,
            }),
            _ => None,
        };
    }
    Some(match parse_presented_origin(s)? {
        PresentedOrigin::Null => AllowedOrigin::Null,
        PresentedOrigin::Tuple { scheme, host, port } => AllowedOrigin::Tuple {
            scheme,
            host,
            port: port.map_or(OriginPort::Default, OriginPort::Exact),
        },
    })
}

/// Which browser `Origin`s may call the server. Requests without `Origin` (every non-browser MCP
/// client) pass; a present `Origin` must match an entry, else 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPolicy {
    any: bool,
    allowed: Vec<AllowedOrigin>,
    raw: Vec<String>,
}

impl OriginPolicy {
    /// `http(s)://localhost`, `http(s)://127.0.0.1` and `http(s)://[::1]`, any port.
    pub fn loopback() -> OriginPolicy {
        let raw: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .flat_map(|h| [format!("http://{h}:*"), format!("https://{h}:*")])
            .collect();
        OriginPolicy {
            any: false,
            allowed: raw.iter().filter_map(|r| parse_allowed_origin(r)).collect(),
            raw,
        }
    }

    /// Entries are `scheme://host[:port]` (no port = the scheme's default port), `scheme://host:*`
    /// (any port) or `null`. A single `*` accepts any Origin (not recommended). An empty list
    /// rejects every request that carries an Origin.
    pub fn parse(entries: &[String]) -> Result<OriginPolicy, ConfigError> {
        if entries.iter().any(|e| e.trim() == "*") {
            if entries.len() > 1 {
                return Err(config_error(
                    "--allowed-origin: `*` cannot be combined with other entries",
                ));
            }
            return Ok(OriginPolicy {
                any: true,
                allowed: Vec::new(),
                raw: Vec::new(),
            });
        }
        let mut allowed = Vec::new();
        let mut raw = Vec::new();
        for e in entries {
            let parsed = parse_allowed_origin(e).ok_or_else(|| {
                config_error(format!(
                    "--allowed-origin `{e}`: expected scheme://host[:port], scheme://host:* or null"
                ))
            })?;
            // rmcp reads a port-less entry as "any port"; spell the default port out for it.
            let for_rmcp = match &parsed {
                AllowedOrigin::Tuple {
                    scheme,
                    port: OriginPort::Default,
                    ..
                } => match default_port(scheme) {
                    Some(p) => format!("{}:{p}", e.trim().trim_end_matches('/')),
                    None => e.trim().to_string(),
                },
                _ => e.trim().to_string(),
            };
            allowed.push(parsed);
            raw.push(for_rmcp);
        }
        Ok(OriginPolicy {
            any: false,
            allowed,
            raw,
        })
    }

    pub fn allows_any(&self) -> bool {
        self.any
    }

    /// The entries in the form rmcp's `allowed_origins` takes.
    pub fn rmcp_entries(&self) -> Vec<String> {
        self.raw.clone()
    }

    fn allows(&self, origin: &PresentedOrigin) -> bool {
        self.any
            || self.allowed.iter().any(|a| match (a, origin) {
                (AllowedOrigin::Null, PresentedOrigin::Null) => true,
                (
                    AllowedOrigin::Tuple { scheme, host, port },
                    PresentedOrigin::Tuple {
                        scheme: s,
                        host: h,
                        port: p,
                    },
                ) => {
                    scheme == s
                        && host == h
                        && match port {
                            OriginPort::Any => true,
                            OriginPort::Default => p.or_else(|| default_port(s)) == default_port(s),
                            OriginPort::Exact(x) => p.or_else(|| default_port(s)) == Some(*x),
                        }
                }
                _ => false,
            })
    }

    fn check(&self, headers: &HeaderMap) -> Result<(), Rejection> {
        if self.any {
            return Ok(());
        }
        let Some(value) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = value.to_str().ok().and_then(parse_presented_origin);
        match origin {
            Some(o) if self.allows(&o) => Ok(()),
            _ => {
                tracing::warn!(origin = ?value, "rejected a request from an Origin that is not allowed");
                Err(Rejection::OriginNotAllowed)
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Rate limits

/// The per-principal request budget: `per_minute` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_minute: NonZeroU32::MIN.saturating_add(599),
            burst: NonZeroU32::MIN.saturating_add(59),
        }
    }
}

/// One GCRA bucket per principal (per token's email), plus one shared bucket for anonymous
/// callers (loopback without tokens). The key space is bounded by the token list.
pub struct RateLimits {
    limit: RateLimit,
    limiter: DefaultKeyedRateLimiter<String>,
}

impl RateLimits {
    pub fn new(limit: RateLimit) -> RateLimits {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        RateLimits {
            limit,
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// `Err(wait)` when the principal's budget is spent.
    fn check(&self, principal: Option<&Principal>) -> Result<(), Duration> {
        let key = principal
            .map(|p| p.email.to_ascii_lowercase())
            .unwrap_or_default();
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    fn too_many(&self, wait: Duration) -> Response {
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut response = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "Too many requests for this principal: the limit is {} requests a minute (bursts of {}). \
                 Retry after {secs} s.",
                self.limit.per_minute, self.limit.burst
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        response
    }
}

// ------------------------------------------------------------------------------------------------
// The middleware

/// Everything the front door needs, shared by all requests.
pub struct Security {
    pub hosts: HostPolicy,
    pub origins: OriginPolicy,
    pub tokens: TokenStore,
    pub rate_limits: RateLimits,
    pub max_body_bytes: usize,
}

/// Host, Origin, body cap, bearer token and rate limit, in that order (see the module docs).
/// Inserts the caller's [`Principal`] into the request extensions when tokens are configured.
pub async fn guard_mcp(State(sec): State<Arc<Security>>, mut req: Request, next: Next) -> Response {
    if let Err(r) = sec.hosts.check(req.uri(), req.headers()) {
        return r.into_response();
    }
    if let Err(r) = sec.origins.check(req.headers()) {
        return r.into_response();
    }
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > sec.max_body_bytes as u64
    {
        return Rejection::PayloadTooLarge(sec.max_body_bytes).into_response();
    }
    let principal = if sec.tokens.is_empty() {
        None
    } else {
        match bearer(req.headers()) {
            Credential::Missing => return unauthorized(false),
            Credential::Bearer(token) => match sec.tokens.authenticate(token) {
                Some(p) => Some(p),
                None => {
                    tracing::warn!("rejected a request with an unknown bearer token");
                    return unauthorized(true);
                }
            },
        }
    };
    if let Err(wait) = sec.rate_limits.check(principal.as_ref()) {
        tracing::info!(
            principal = principal.as_ref().map(|p| p.email.as_str()),
            "rate limit reached"
        );
        return sec.rate_limits.too_many(wait);
    }
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

/// The Origin check alone, for the probes.
pub async fn guard_origin(State(sec): State<Arc<Security>>, req: Request, next: Next) -> Response {
    if let Err(r) = sec.origins.check(req.headers()) {
        return r.into_response();
    }
    next.run(req).await
}

/// Reads a request body up to `limit` bytes; 413 beyond.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, Rejection> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Rejection::PayloadTooLarge(limit))
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

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

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

    #[test]
    fn host_policy_matches_names_and_ports() {
        let p = HostPolicy::loopback();
        let uri = Uri::from_static("/mcp");
        for ok in [
            "localhost",
            "localhost:8000",
            "127.0.0.1:1",
            "[::1]:9",
            "LOCALHOST",
        ] {
            assert!(p.check(&uri, &headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8000",
            "127.0.0.2",
            "localhost.evil.example",
        ] {
            let r = p.check(&uri, &headers(&[("host", bad)])).unwrap_err();
            assert_eq!(r, Rejection::HostNotAllowed, "{bad}");
            assert_eq!(r.into_response().status(), StatusCode::FORBIDDEN);
        }
        let r = p.check(&uri, &HeaderMap::new()).unwrap_err();
        assert_eq!(r.into_response().status(), StatusCode::BAD_REQUEST);

        let p = HostPolicy::parse(&["mcp.example.com:443".into(), "10.0.0.5".into()]).unwrap();
        assert!(
            p.check(&uri, &headers(&[("host", "mcp.example.com:443")]))
                .is_ok()
        );
        assert!(
            p.check(&uri, &headers(&[("host", "mcp.example.com:80")]))
                .is_err()
        );
        assert!(
            p.check(&uri, &headers(&[("host", "10.0.0.5:8000")]))
                .is_ok()
        );
        assert_eq!(p.rmcp_entries(), vec!["mcp.example.com:443", "10.0.0.5"]);
        assert!(HostPolicy::parse(&["*".into()]).unwrap().allows_any());
        assert!(HostPolicy::parse(&["*".into(), "a".into()]).is_err());
        assert!(HostPolicy::parse(&["user@host".into()]).is_err());
    }

    #[test]
    fn origin_policy_matches_scheme_host_and_port() {
        let p = OriginPolicy::loopback();
        for ok in [
            "http://localhost:6274",
            "http://127.0.0.1",
            "https://[::1]:8443",
        ] {
            assert!(p.check(&headers(&[("origin", ok)])).is_ok(), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "null",
            "http://localhost.evil.example",
            "garbage",
        ] {
            let r = p.check(&headers(&[("origin", bad)])).unwrap_err();
            assert_eq!(r.into_response().status(), StatusCode::FORBIDDEN, "{bad}");
        }
        assert!(
            p.check(&HeaderMap::new()).is_ok(),
            "no Origin: not a browser"
        );

        let p = OriginPolicy::parse(&["https://app.example.com".into(), "null".into()]).unwrap();
        assert!(
            p.check(&headers(&[("origin", "https://app.example.com")]))
                .is_ok()
        );
        assert!(
            p.check(&headers(&[("origin", "https://app.example.com:443")]))
                .is_ok()
        );
        assert!(
            p.check(&headers(&[("origin", "https://app.example.com:8443")]))
                .is_err()
        );
        assert!(
            p.check(&headers(&[("origin", "http://app.example.com")]))
                .is_err()
        );
        assert!(p.check(&headers(&[("origin", "null")])).is_ok());
        assert_eq!(
            p.rmcp_entries(),
            vec!["https://app.example.com:443", "null"]
        );

        let none = OriginPolicy::parse(&[]).unwrap();
        assert!(
            none.check(&headers(&[("origin", "http://localhost")]))
                .is_err()
        );
        assert!(OriginPolicy::parse(&["app.example.com".into()]).is_err());
    }

    #[test]
    fn rate_limits_are_per_principal() {
        let limits = RateLimits::new(RateLimit {
            per_minute: NonZeroU32::MIN,
            burst: NonZeroU32::MIN.saturating_add(1),
        });
        let ada = Principal {
            email: "ada@example.com".into(),
            role: Role::Hr,
        };
        let bob = Principal {
            email: "bob@example.com".into(),
            role: Role::Employee,
        };
        assert!(limits.check(Some(&ada)).is_ok());
        assert!(limits.check(Some(&ada)).is_ok());
        let wait = limits.check(Some(&ada)).unwrap_err();
        assert!(wait > Duration::ZERO);
        assert!(limits.check(Some(&bob)).is_ok(), "bob has his own budget");
        let r = limits.too_many(wait);
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().contains_key(header::RETRY_AFTER));
    }
}
