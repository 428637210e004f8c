//! The answer to a request that OAuth turns away: 401 or 403 with a `WWW-Authenticate: Bearer`
//! challenge (RFC 6750 §3) that points at the protected resource metadata (RFC 9728 §5.1), which
//! is how an MCP client discovers where to get a token.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why the request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeKind {
    /// No bearer token in the Authorization header → 401 without an error code (RFC 6750 §3.1).
    MissingToken,
    /// A token was sent but is not valid for this resource → 401 `invalid_token`.
    InvalidToken(&'static str),
    /// The token is valid but lacks a scope or identity claim → 403 `insufficient_scope`.
    InsufficientScope(&'static str),
}

/// A refusal that renders itself as the HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub kind: ChallengeKind,
    /// URL of the protected resource metadata document.
    pub resource_metadata: String,
    /// Scopes the client should request (space-separated), when there are any to suggest.
    pub scope: Option<String>,
}

impl Challenge {
    pub fn status(&self) -> StatusCode {
        match self.kind {
            ChallengeKind::MissingToken | ChallengeKind::InvalidToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            ChallengeKind::InsufficientScope(_) => StatusCode::FORBIDDEN,
        }
    }

    /// The `WWW-Authenticate` header value.
    pub fn www_authenticate(&self) -> String {
        let mut parts = Vec::with_capacity(4);
        match &self.kind {
            ChallengeKind::MissingToken => {}
            ChallengeKind::InvalidToken(d) => {
                parts.push("error=\"invalid_token\"".to_string());
                parts.push(format!("error_description=\"{}\"", quoted(d)));
            }
            ChallengeKind::InsufficientScope(d) => {
                parts.push("error=\"insufficient_scope\"".to_string());
                parts.push(format!("error_description=\"{}\"", quoted(d)));
            }
        }
        if let Some(s) = &self.scope {
            parts.push(format!("scope=\"{}\"", quoted(s)));
        }
        parts.push(format!(
            "resource_metadata=\"{}\"",
            quoted(&self.resource_metadata)
        ));
        format!("Bearer {}", parts.join(", "))
    }

    /// The machine-readable error code of the JSON body.
    fn code(&self) -> &'static str {
        match self.kind {
            ChallengeKind::MissingToken => "unauthorized",
            ChallengeKind::InvalidToken(_) => "invalid_token",
            ChallengeKind::InsufficientScope(_) => "insufficient_scope",
        }
    }

    fn message(&self) -> &'static str {
        match self.kind {
            ChallengeKind::MissingToken => {
                "This server needs an OAuth access token (Authorization: Bearer)."
            }
            ChallengeKind::InvalidToken(d) | ChallengeKind::InsufficientScope(d) => d,
        }
    }
}

/// Quoted-string content: our values never contain quotes or backslashes, but make sure.
fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

impl IntoResponse for Challenge {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.code(), "message": self.message()});
        let mut resp = (self.status(), axum::Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&self.www_authenticate()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_follow_rfc_6750_and_9728() {
        let md = "https://m.example/.well-known/oauth-protected-resource/mcp".to_string();
        let c = Challenge {
            kind: ChallengeKind::MissingToken,
            resource_metadata: md.clone(),
            scope: None,
        };
        assert_eq!(c.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            c.www_authenticate(),
            format!("Bearer resource_metadata=\"{md}\"")
        );
        let c = Challenge {
            kind: ChallengeKind::InvalidToken("token expired"),
            resource_metadata: md.clone(),
            scope: None,
        };
        assert!(
            c.www_authenticate()
                .starts_with("Bearer error=\"invalid_token\", error_description=\"token expired\"")
        );
        let c = Challenge {
            kind: ChallengeKind::InsufficientScope("x"),
            resource_metadata: md,
            scope: Some("mcp".into()),
        };
        assert_eq!(c.status(), StatusCode::FORBIDDEN);
        assert!(
            c.www_authenticate()
                .contains("error=\"insufficient_scope\"")
        );
        assert!(c.www_authenticate().contains("scope=\"mcp\""));
    }
}
