//! The `Host` allow-list: the defense against DNS rebinding.

use axum::http::{HeaderMap, Uri, header};

use super::{ConfigError, Rejection, config_error, lone_wildcard};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Authority {
    host: String,
    port: Option<u16>,
}

pub(super) fn normalize_host(host: &str) -> String {
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
        if lone_wildcard("--allowed-host", entries)? {
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
    pub(super) fn check(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), Rejection> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    use crate::transport::security::test_headers as headers;

    #[test]
    fn host_policy_matches_names_and_ports() {
        let p = HostPolicy::loopback();
        let uri = Uri::from_static("/mcp");
        for ok in [
            "localhost", "localhost:8000", "127.0.0.1:1", "[::1]:9", "LOCALHOST",
        ] {
            assert!(p.check(&uri, &headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example", "evil.example:8000", "127.0.0.2", "localhost.evil.example",
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
}
