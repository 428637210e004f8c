//! Personio's rate limits (REFERENCE.md §6), enforced with governor's GCRA limiters.
//!
//! | bucket | quota | routes |
//! | --- | --- | --- |
//! | employees | 300/min, bursts of 15 | `GET /v1/company/employees` |
//! | v1 auth | 60/min | `POST /v1/auth` |
//! | v2 auth | 150/min | `POST /v2/auth/token` |
//! | v1 global | 2000/min | every `/v1` request |
//! | v2 persons | 30/s, bursts of 30 | `/v2/persons…` |
//! | v2 absence periods | 10/s, bursts of 10 | `/v2/absence-periods`, `/v2/absence-periods/{id}` |
//! | v2 breakdowns | 10/s, bursts of 10 | `/v2/absence-periods/{id}/breakdowns` |
//! | v2 absence types | 10/s, bursts of 10 | `/v2/absence-types…` |
//!
//! The v2 resource limits are not published; Personio runs one token bucket per endpoint, and the
//! figures are those a public client observed (REFERENCE.md §6).
//!
//! Limits are per sandbox (one simulated caller), not per IP or token. Responses of the three named
//! buckets carry `X-RateLimit-Limit` (requests per minute), `X-RateLimit-Remaining` (requests that
//! may be sent right now) and `X-RateLimit-Reset` (seconds until the bucket is full again; on a 429,
//! seconds until the next request is accepted). Personio's 60-second cool-down after exceeding the
//! auth limit is approximated by GCRA's steady refill. `relaxed_limits` switches everything off.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Employees,
    V1Auth,
    V2Auth,
    V1Global,
    V2Persons,
    V2AbsencePeriods,
    V2Breakdowns,
    V2AbsenceTypes,
}

/// The outcome of one check, with the numbers for the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    pub limit_per_minute: u32,
    pub burst: u32,
    pub remaining: u32,
    pub reset_secs: u64,
}

struct Bucketed {
    limiter: Limiter,
    per_minute: u32,
    burst: u32,
}

impl Bucketed {
    fn new(per_minute: u32, burst: u32) -> Bucketed {
        let nz = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(nz(per_minute)).allow_burst(nz(burst));
        Bucketed {
            limiter: RateLimiter::direct(quota).with_middleware::<StateInformationMiddleware>(),
            per_minute,
            burst,
        }
    }

    fn check(&self) -> Decision {
        let interval = Duration::from_secs(60) / self.per_minute.max(1);
        match self.limiter.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = self.burst.saturating_sub(remaining);
                Decision {
                    allowed: true,
                    limit_per_minute: self.per_minute,
                    burst: self.burst,
                    remaining,
                    reset_secs: (interval * missing).as_secs_f64().ceil() as u64,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                Decision {
                    allowed: false,
                    limit_per_minute: self.per_minute,
                    burst: self.burst,
                    remaining: 0,
                    reset_secs: (wait.as_secs_f64().ceil() as u64).max(1),
                }
            }
        }
    }
}

/// The sandbox's limiters; `None` when limits are relaxed.
pub struct Limits {
    buckets: Option<[Bucketed; 8]>,
}

impl Limits {
    pub fn new(relaxed: bool) -> Limits {
        Limits {
            buckets: (!relaxed).then(|| {
                [
                    Bucketed::new(300, 15),
                    Bucketed::new(60, 60),
                    Bucketed::new(150, 150),
                    Bucketed::new(2000, 2000),
                    Bucketed::new(1800, 30),
                    Bucketed::new(600, 10),
                    Bucketed::new(600, 10),
                    Bucketed::new(600, 10),
                ]
            }),
        }
    }

    /// Counts one request against `bucket`; `None` when limits are relaxed.
    pub fn check(&self, bucket: Bucket) -> Option<Decision> {
        let buckets = self.buckets.as_ref()?;
        let b = match bucket {
            Bucket::Employees => &buckets[0],
            Bucket::V1Auth => &buckets[1],
            Bucket::V2Auth => &buckets[2],
            Bucket::V1Global => &buckets[3],
            Bucket::V2Persons => &buckets[4],
            Bucket::V2AbsencePeriods => &buckets[5],
            Bucket::V2Breakdowns => &buckets[6],
            Bucket::V2AbsenceTypes => &buckets[7],
        };
        Some(b.check())
    }
}

/// The bucket of a route (by method and matched path template), if it has its own limit.
pub fn bucket_for(method: &http::Method, route: &str) -> Option<Bucket> {
    match (method.as_str(), route) {
        ("GET", "/v1/company/employees") => Some(Bucket::Employees),
        ("POST", "/v1/auth") => Some(Bucket::V1Auth),
        ("POST", "/v2/auth/token") => Some(Bucket::V2Auth),
        (_, r) if r.starts_with("/v2/persons") => Some(Bucket::V2Persons),
        (_, "/v2/absence-periods/{id}/breakdowns") => Some(Bucket::V2Breakdowns),
        (_, r) if r.starts_with("/v2/absence-periods") => Some(Bucket::V2AbsencePeriods),
        (_, r) if r.starts_with("/v2/absence-types") => Some(Bucket::V2AbsenceTypes),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employees_bucket_allows_a_burst_of_15() {
        let limits = Limits::new(false);
        let mut allowed = 0;
        for _ in 0..30 {
            if limits.check(Bucket::Employees).unwrap().allowed {
                allowed += 1;
            }
        }
        // 15 at once; at most one more may have trickled in while looping.
        assert!((15..=16).contains(&allowed), "{allowed}");
        let denied = limits.check(Bucket::Employees).unwrap();
        assert!(!denied.allowed);
        assert!(denied.reset_secs >= 1);
        assert_eq!(denied.limit_per_minute, 300);
    }

    #[test]
    fn relaxed_limits_never_decide() {
        assert!(Limits::new(true).check(Bucket::Employees).is_none());
    }
}
