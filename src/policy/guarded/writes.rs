//! Time-off writes as a caller may make them: only for people the caller may see (themself;
//! managers also their reports; HR anyone), auto-approval only for HR on servers that allow it,
//! and always under the person's write lock while the duplicate check and the write happen.

use super::Guarded;
use crate::domain::time_off::{Draft, Plan, TimeOffRequest, WriteGuard};
use crate::error::{Error, ErrorCode, Result};
use crate::personio::Absence;
use crate::policy::principal::Role;

/// A plan, and for a real write the held write lock of its employee.
pub struct Planned {
    pub plan: Plan,
    guard: Option<WriteGuard>,
}

impl Guarded {
    /// Binds a request to a person and a type, after the access check (no upstream request
    /// beyond the cached directory and type list).
    pub async fn draft_time_off(
        &self,
        employee: &str,
        time_off_type: &str,
        request: TimeOffRequest,
    ) -> Result<Draft> {
        self.rules.writes.check_enabled()?;
        let ty = self.records.time_off_type(time_off_type).await?;
        let who = self
            .visible_person(employee, "request time off for this person")
            .await?;
        Ok(Draft {
            employee: who.as_ref().clone(),
            time_off_type: ty,
            request,
        })
    }

    /// Whether `auto_approve` may be honoured for this caller (FORBIDDEN otherwise).
    pub fn auto_approval(&self, asked: bool) -> Result<bool> {
        if !asked {
            return Ok(false);
        }
        if self.caller.role() == Role::Hr && self.rules.writes.allow_auto_approve {
            return Ok(true);
        }
        Err(Error::new(
            ErrorCode::Forbidden,
            "auto_approve is only for HR callers on servers started with --allow-auto-approve",
        )
        .with_hint("Leave auto_approve out: the request goes to Personio's approval flow."))
    }

    /// Checks a draft against Personio's data. With `for_write` the person's write lock is taken
    /// first and held in the result, so the lookup is current when the write happens.
    pub async fn plan_time_off(
        &self,
        draft: Draft,
        allow_past: bool,
        for_write: bool,
    ) -> Result<Planned> {
        let guard = if for_write {
            Some(self.records.lock(draft.employee.id).await)
        } else {
            None
        };
        let plan = self.records.prepare(draft, allow_past).await?;
        Ok(Planned { plan, guard })
    }

    /// Writes a planned request (never twice). A plan made without the lock (before a human
    /// dialog) is locked and looked up again first.
    pub async fn commit_time_off(
        &self,
        planned: Planned,
        skip_approval: bool,
    ) -> Result<(Absence, bool)> {
        let Planned { plan, guard } = planned;
        let (guard, recheck) = match guard {
            Some(g) => (g, false),
            None => (self.records.lock(plan.employee.id).await, true),
        };
        self.records
            .commit(&guard, &plan, skip_approval, recheck)
            .await
    }
}
