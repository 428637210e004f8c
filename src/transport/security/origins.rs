//! The browser `Origin` allow-list: requests without `Origin` (every non-browser MCP client)
//! pass; a present `Origin` must match an entry.

use axum::http::{HeaderMap, Uri, header};

use super::hosts::normalize_host;
use super::{ConfigError, Rejection, config_error, lone_wildcard};

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
    /// Configured by the operator (`--allowed-origin`), not the loopback default: only such
    /// origins get CORS (see [`super::cors`]).
    explicit: bool,
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
            explicit: false,
            allowed: raw.iter().filter_map(|r| parse_allowed_origin(r)).collect(),
            raw,
        }
    }

    /// Entries are `scheme://host[:port]` (no port = the scheme's default port), `scheme://host:*`
    /// (any port) or `null`. A single `*` accepts any Origin (not recommended). An empty list
    /// rejects every request that carries an Origin.
    pub fn parse(entries: &[String]) -> Result<OriginPolicy, ConfigError> {
        if lone_wildcard("--allowed-origin", entries)? {
            return Ok(OriginPolicy {
                any: true,
                explicit: true,
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
            explicit: true,
            allowed,
            raw,
        })
    }

    pub fn allows_any(&self) -> bool {
        self.any
    }

    /// Whether browsers get CORS headers: only for origins the operator listed.
    pub fn cors_enabled(&self) -> bool {
        self.explicit
    }

    /// Whether the request's `Origin` (present) is allowed, without logging.
    pub(super) fn permits(&self, headers: &HeaderMap) -> bool {
        self.any
            || headers
                .get(header::ORIGIN)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_presented_origin)
                .is_some_and(|o| self.allows(&o))
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

    pub(super) fn check(&self, headers: &HeaderMap) -> Result<(), Rejection> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    use crate::transport::security::test_headers as headers;

    #[test]
    fn a_wildcard_origin_stands_alone() {
        let any = OriginPolicy::parse(&["*".into()]).unwrap();
        assert!(any.allows_any() && any.cors_enabled());
        let e = OriginPolicy::parse(&["*".into(), "https://a.example".into()]).unwrap_err();
        assert!(e.0.contains("--allowed-origin"), "{e}");
    }

    #[test]
    fn origin_policy_matches_scheme_host_and_port() {
        let p = OriginPolicy::loopback();
        for ok in [
            "http://localhost:6274", "http://127.0.0.1", "https://[::1]:8443",
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
}
