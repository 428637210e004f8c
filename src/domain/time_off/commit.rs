//! Writing a plan, never twice. Writes to one person are serialised (a [`WriteGuard`] proves the
//! lock is held), so two identical concurrent calls cannot both pass the duplicate check before
//! either has written; when the POST fails in a way that may have stored it (a timeout, a 5xx, a
//! clash reported by Personio), the absence is looked up before anything is sent again.

use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use futures::future::BoxFuture;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::matching::same_request;
use super::plan::{Plan, existing_absences};
use crate::error::{Error, ErrorCode, Result};
use crate::personio::{Absence, NewHourAbsence, NewTimeOff, PersonioClient, Unit};

/// A write lease on one employee shared by every replica (Redis, `--state redis://…`): two
/// replicas must never write the same person at once, or both pass the duplicate check before
/// either has written. The in-process lock is still taken first, so one replica asks for the
/// lease once per employee at a time.
pub trait WriteLeases: Send + Sync {
    /// Waits (bounded) until the lease of `employee_id` is held; an error when it cannot be
    /// had (the shared store is down, or another replica holds it for too long).
    fn acquire(&self, employee_id: i64) -> BoxFuture<'_, Result<Box<dyn Lease>>>;
}

/// A held lease; dropping it releases it.
pub trait Lease: Send + Sync {
    /// Whether the lease is still ours (it was renewed in time). A write must not start on a
    /// lease that may have passed to another replica.
    fn held(&self) -> bool;
}

/// Per-employee write locks inside this process, bounded: a lock nobody used for an hour is
/// dropped. A held lock is never evicted in practice — a write holds it for seconds, eviction
/// needs an hour of idleness or [`WriteLocks::CAPACITY`] other people written in between.
/// With shared [`WriteLeases`], each lock also takes the replica-wide lease.
pub struct WriteLocks {
    locks: moka::sync::Cache<i64, Arc<Mutex<()>>>,
    leases: Option<Arc<dyn WriteLeases>>,
}

impl Default for WriteLocks {
    fn default() -> Self {
        WriteLocks {
            locks: moka::sync::Cache::builder()
                .max_capacity(Self::CAPACITY)
                .time_to_idle(Duration::from_secs(60 * 60))
                .build(),
            leases: None,
        }
    }
}

/// Proof that the write lock of one employee is held (and, with shared leases, the lease — or
/// the reason it is not, which [`commit`] turns into a refusal before anything is sent).
pub struct WriteGuard {
    employee_id: i64,
    lease: std::result::Result<Option<Box<dyn Lease>>, Error>,
    _guard: OwnedMutexGuard<()>,
}

impl WriteGuard {
    /// Whose writes this guard holds.
    pub fn employee_id(&self) -> i64 {
        self.employee_id
    }

    /// Ok when a write may go out under this guard.
    fn check_lease(&self) -> Result<()> {
        match &self.lease {
            Ok(None) => Ok(()),
            Ok(Some(lease)) if lease.held() => Ok(()),
            Ok(Some(_)) => Err(Error::unavailable(
                "the shared write lease of this person was lost; nothing was written",
            )
            .with_hint("Try again: the write was not sent.")),
            Err(e) => Err(e.clone()),
        }
    }
}

impl WriteLocks {
    /// Most employees with a lock at once.
    pub const CAPACITY: u64 = 100_000;

    /// Locks that also take the replica-wide lease from `leases`.
    pub fn with_leases(leases: Option<Arc<dyn WriteLeases>>) -> Self {
        WriteLocks {
            leases,
            ..WriteLocks::default()
        }
    }

    pub async fn lock(&self, employee_id: i64) -> WriteGuard {
        let lock = self.locks.get_with(employee_id, Default::default);
        let guard = lock.lock_owned().await;
        let lease = match &self.leases {
            None => Ok(None),
            Some(leases) => leases.acquire(employee_id).await.map(Some),
        };
        WriteGuard {
            employee_id,
            lease,
            _guard: guard,
        }
    }
}

async fn find_same(client: &PersonioClient, plan: &Plan, company: Tz) -> Result<Option<Absence>> {
    let existing = existing_absences(client, plan.employee.id, &plan.request).await?;
    Ok(existing
        .into_iter()
        .find(|a| same_request(a, &plan.time_off_type, &plan.request, company)))
}

async fn post(client: &PersonioClient, plan: &Plan, skip_approval: bool) -> Result<Absence> {
    let req = &plan.request;
    match plan.time_off_type.unit {
        Unit::Days => {
            client
                .create_time_off(&NewTimeOff {
                    employee_id: plan.employee.id,
                    time_off_type_id: plan.time_off_type.id,
                    start_date: req.start_date,
                    end_date: req.end_date,
                    half_day_start: req.half_day_start,
                    half_day_end: req.half_day_end,
                    comment: req.comment.clone(),
                    skip_approval,
                })
                .await
        }
        Unit::Hours => {
            let (Some(start_time), Some(end_time)) = (req.start_time, req.end_time) else {
                return Err(Error::validation("start_time and end_time are required"));
            };
            client
                .create_hour_absence(&NewHourAbsence {
                    employee_id: plan.employee.id,
                    time_off_type_id: plan.time_off_type.id,
                    date: req.start_date,
                    start_time,
                    end_time,
                    comment: req.comment.clone(),
                    skip_approval,
                })
                .await
        }
    }
}

/// Writes a plan. Never writes twice: when the POST fails in a way that may have stored it (a
/// timeout, a 5xx, a clash reported by Personio), the absence is looked up first; only if it is
/// not there is the POST sent once more. `skip_approval` is sent explicitly, always.
///
/// `recheck`: look the absence up once more first — when time passed since the plan was made
/// outside the lock (a human dialog); a plan made under the held lock is current already.
pub async fn commit(
    client: &PersonioClient,
    guard: &WriteGuard,
    plan: &Plan,
    skip_approval: bool,
    recheck: bool,
    company: Tz,
) -> Result<(Absence, bool)> {
    if guard.employee_id != plan.employee.id {
        return Err(Error::upstream(
            "internal: the write lock held is not the employee's",
        ));
    }
    if let Some(same) = &plan.existing {
        return Ok((same.clone(), false));
    }
    if recheck && let Some(same) = find_same(client, plan, company).await? {
        return Ok((same, false));
    }
    guard.check_lease()?;
    let mut last_error = None;
    for attempt in 0..2 {
        match post(client, plan, skip_approval).await {
            Ok(a) => return Ok((a, true)),
            Err(e)
                if matches!(
                    e.code,
                    ErrorCode::UpstreamUnavailable
                        | ErrorCode::UpstreamError
                        | ErrorCode::ValidationFailed
                        | ErrorCode::RateLimited
                ) =>
            {
                tracing::warn!(attempt, code = %e.code, "create failed; looking the absence up before deciding");
                match find_same(client, plan, company).await {
                    Ok(Some(same)) => return Ok((same, true)),
                    Ok(None) if e.code == ErrorCode::ValidationFailed => return Err(e),
                    Ok(None) => last_error = Some(e),
                    Err(lookup) => {
                        // Unknown state: do not risk a second write.
                        return Err(e.with_hint(format!(
                            "Personio could not be checked afterwards ({}); list the person's absences before trying again.",
                            lookup.code
                        )));
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| Error::unavailable("the absence could not be created")))
}
