//! Time-off writes as a caller may make them: only for people the caller may see (themself;
//! managers also their reports; HR anyone), auto-approval only for HR on servers that allow it,
//! and always under the person's write lock while the duplicate check and the write happen.

use super::Guarded;
use crate::domain::time_off::cancel::{self, AbsenceId};
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

/// An absence to cancel, found and checked; for a real write with its employee's lock held.
pub struct CancelPlan {
    pub id: AbsenceId,
    pub absence: Absence,
    guard: Option<WriteGuard>,
}

impl Guarded {
    /// Who may cancel whose absences: employees their own, HR anyone. Managers are not given more
    /// here: in Personio a supervisor approves or rejects requests, while removing a booked
    /// absence of someone else is an administrator's (HR's) right.
    fn may_cancel(&self, employee_id: i64) -> bool {
        self.caller.is_hr() || self.caller.employee_id == Some(employee_id)
    }

    /// Finds the absence and checks the caller may cancel it (NOT_FOUND when it is gone, or
    /// when the caller may not see it: the answer does not reveal someone else's absences).
    pub async fn plan_cancel(&self, id: AbsenceId, for_write: bool) -> Result<CancelPlan> {
        self.rules.writes.check_enabled()?;
        let scope: Vec<i64> = match (self.caller.is_hr(), self.caller.employee_id) {
            (true, _) => Vec::new(),
            (false, Some(me)) => vec![me],
            (false, None) => return Err(cancel::not_found(&id)),
        };
        let absence = self
            .records
            .absence(&id, &scope)
            .await?
            .filter(|a| self.caller.can_see(a.employee.id))
            .ok_or_else(|| cancel::not_found(&id))?;
        if !self.may_cancel(absence.employee.id) {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "you may cancel only your own absences",
            )
            .with_hint("Ask HR, or the person themself, to cancel it.")
            .with_target(absence.employee.id));
        }
        let guard = if for_write {
            Some(self.records.lock(absence.employee.id).await)
        } else {
            None
        };
        Ok(CancelPlan { id, absence, guard })
    }

    /// Cancels a planned absence (looked up again under the lock; never deleted blindly twice).
    pub async fn commit_cancel(&self, plan: CancelPlan) -> Result<Absence> {
        let guard = match plan.guard {
            Some(g) => g,
            None => self.records.lock(plan.absence.employee.id).await,
        };
        self.records.cancel(&guard, &plan.id).await
    }
}
