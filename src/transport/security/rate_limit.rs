//! Request budgets per principal (GCRA, governor).

use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error_response;
use crate::policy::principal::Principal;

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
    pub(super) fn check(&self, principal: Option<&Principal>) -> Result<(), Duration> {
        let key = principal
            .map(|p| p.email.to_ascii_lowercase())
            .unwrap_or_default();
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    pub(super) fn too_many(&self, wait: Duration) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::principal::Role;

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
