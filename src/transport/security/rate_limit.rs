//! Request budgets: one per token principal, one shared by callers without a token (GCRA,
//! governor).

use std::num::NonZeroU32;
use std::time::Duration;

use axum::response::Response;
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::policy::principal::Principal;

/// A request budget: `per_minute` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

const fn nz(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

impl RateLimit {
    /// Per token principal, sized for a chat assistant: connecting costs ~5 requests
    /// (initialize, initialized, the lists) and a model's turn fans out into a handful of
    /// parallel tool calls, so a burst of 100 absorbs reconnects and fan-out; 300 a minute
    /// (5 a second, sustained) is far beyond what a person-driven conversation produces, yet
    /// stops a runaway client long before it could crowd out other principals.
    pub const PER_PRINCIPAL: RateLimit = RateLimit {
        per_minute: nz(300),
        burst: nz(100),
    };

    /// Callers without a token (loopback only, the same trust as stdio, which has no limit):
    /// one shared budget that only brakes a runaway local loop. A client's burst of 64
    /// concurrent calls, 300 calls back to back and the MCP conformance suite all fit.
    pub const ANONYMOUS: RateLimit = RateLimit {
        per_minute: nz(6000),
        burst: nz(1000),
    };
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::PER_PRINCIPAL
    }
}

/// One GCRA bucket per principal (per token's email; the key space is bounded by the token
/// list), and one shared bucket with its own budget for callers without a token.
pub struct RateLimits {
    per_principal: RateLimit,
    anonymous: RateLimit,
    principals: DefaultKeyedRateLimiter<String>,
    shared: DefaultDirectRateLimiter,
}

/// A refused request: how long to wait, and which budget was spent.
pub(super) struct Refused {
    wait: Duration,
    anonymous: bool,
}

fn quota(limit: RateLimit) -> Quota {
    Quota::per_minute(limit.per_minute).allow_burst(limit.burst)
}

impl RateLimits {
    pub fn new(per_principal: RateLimit, anonymous: RateLimit) -> RateLimits {
        RateLimits {
            per_principal,
            anonymous,
            principals: RateLimiter::keyed(quota(per_principal)),
            shared: RateLimiter::direct(quota(anonymous)),
        }
    }

    /// `Err` when the caller's budget is spent.
    pub(super) fn check(&self, principal: Option<&Principal>) -> Result<(), Refused> {
        match principal {
            Some(p) => self
                .principals
                .check_key(&p.email.to_ascii_lowercase())
                .map_err(|not_until| Refused {
                    wait: not_until.wait_time_from(self.principals.clock().now()),
                    anonymous: false,
                }),
            None => self.shared.check().map_err(|not_until| Refused {
                wait: not_until.wait_time_from(self.shared.clock().now()),
                anonymous: true,
            }),
        }
    }

    pub(super) fn too_many(&self, refused: Refused) -> Response {
        let (who, limit, flags) = if refused.anonymous {
            (
                "callers without a token",
                self.anonymous,
                "--rate-limit-anonymous",
            )
        } else {
            ("this principal", self.per_principal, "--rate-limit")
        };
        super::too_many_requests(refused.wait, "rate_limited", |secs| {
            format!(
                "Too many requests for {who}: the limit is {} requests a minute (bursts of {}; see \
                 {flags}). Retry after {secs} s.",
                limit.per_minute, limit.burst
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::principal::Role;
    use axum::http::{StatusCode, header};

    #[test]
    fn rate_limits_are_per_principal() {
        let limits = RateLimits::new(
            RateLimit {
                per_minute: NonZeroU32::MIN,
                burst: NonZeroU32::MIN.saturating_add(1),
            },
            RateLimit::ANONYMOUS,
        );
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
        let refused = limits.check(Some(&ada)).unwrap_err();
        assert!(refused.wait > Duration::ZERO);
        assert!(!refused.anonymous);
        assert!(limits.check(Some(&bob)).is_ok(), "bob has his own budget");
        assert!(
            limits.check(None).is_ok(),
            "callers without a token have theirs"
        );
        let r = limits.too_many(refused);
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().contains_key(header::RETRY_AFTER));
    }
}
