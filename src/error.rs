//! The one error type of the crate.
//!
//! Every failure that can reach a user carries a stable [`ErrorCode`] (assistants and scripts branch on
//! it), a sentence that says what happened, and where possible a hint that says what to do next.
//! Messages never contain personal data or secrets: callers build them from ids, field names and
//! HTTP statuses only.

use std::fmt;

/// Stable, machine-readable error codes. The string forms are part of the public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The Personio credential was rejected (wrong id/secret, revoked, expired beyond refresh).
    AuthInvalid,
    /// The credential lacks a permission for an endpoint (Personio answered 403).
    PermissionMissing,
    /// An employee attribute the operation needs is not readable by the credential.
    AttributeNotReadable,
    /// The employee, absence or type does not exist (or is not visible).
    NotFound,
    /// A name matched more than one employee or type; the caller must choose.
    Ambiguous,
    /// The input is invalid (dates, half days, units, limits...).
    ValidationFailed,
    /// The request clashes with existing data (overlapping absence...).
    Conflict,
    /// Personio (or our own limiter) is throttling; try again later.
    RateLimited,
    /// Personio could not be reached or timed out.
    UpstreamUnavailable,
    /// Personio answered with something we cannot use (5xx, malformed JSON, unexpected error).
    UpstreamError,
    /// A write was attempted while writes are disabled.
    WritesDisabled,
    /// The calling principal may not see or do this.
    Forbidden,
}

impl ErrorCode {
    /// The stable string form, e.g. `"AUTH_INVALID"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthInvalid => "AUTH_INVALID",
            ErrorCode::PermissionMissing => "PERMISSION_MISSING",
            ErrorCode::AttributeNotReadable => "ATTRIBUTE_NOT_READABLE",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Ambiguous => "AMBIGUOUS",
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            ErrorCode::UpstreamError => "UPSTREAM_ERROR",
            ErrorCode::WritesDisabled => "WRITES_DISABLED",
            ErrorCode::Forbidden => "FORBIDDEN",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable code, a message, an optional next-step hint and optional structured details
/// (for example the candidate list of an `AMBIGUOUS` error).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub hint: Option<String>,
    pub details: Option<serde_json::Value>,
    /// The employee a refused call was about (for the audit log only; never shown).
    pub target: Option<i64>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            hint: None,
            details: None,
            target: None,
        }
    }

    /// Names the employee the failed call was about, for the audit log.
    pub fn with_target(mut self, employee_id: i64) -> Self {
        self.target = Some(employee_id);
        self
    }

    /// Adds a sentence telling the caller what to do next.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds structured details (never secrets; personal data only where the caller is allowed it).
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Prefixes the message with what the caller was doing, keeping code and hint.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::ValidationFailed, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::NotFound, message)
    }

    pub fn upstream(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::UpstreamError, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::UpstreamUnavailable, message)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_to_their_stable_strings() {
        for code in [
            ErrorCode::AuthInvalid,
            ErrorCode::PermissionMissing,
            ErrorCode::AttributeNotReadable,
            ErrorCode::NotFound,
            ErrorCode::Ambiguous,
            ErrorCode::ValidationFailed,
            ErrorCode::Conflict,
            ErrorCode::RateLimited,
            ErrorCode::UpstreamUnavailable,
            ErrorCode::UpstreamError,
            ErrorCode::WritesDisabled,
            ErrorCode::Forbidden,
        ] {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_string()));
        }
    }

    #[test]
    fn context_keeps_code_and_hint() {
        let e = Error::not_found("employee 7 not found")
            .with_hint("search first")
            .context("get_pto_balance");
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(e.message, "get_pto_balance: employee 7 not found");
        assert_eq!(e.hint.as_deref(), Some("search first"));
    }
}
