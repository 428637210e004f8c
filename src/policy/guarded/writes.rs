//! Time-off writes as a caller may make them: only for people the caller may see (themself;
//! managers also their reports; HR anyone), auto-approval only for HR on servers that allow it,
//! and always under the person's write lock while the duplicate check and the write happen.

use super::Guarded;
pub use crate::domain::time_off::cancel::AbsenceId;
use crate::domain::time_off::{BalanceEffect, Plan, WriteGuard};
pub use crate::domain::time_off::{Draft, TimeOffRequest};
use crate::domain::time_off::{cancel, plan};
use crate::error::{Error, ErrorCode, Result};
use crate::personio::{Absence, Employee, TimeOffType};
use crate::policy::principal::Role;

/// A plan as this caller may see it, and for a real write the held write lock of its employee.
///
/// The plan itself stays inside: what a tool can read is decided here once, by construction —
/// the balance (health data for health-related types) only when the caller may see it, an
/// absence already booked only with its type masked.
pub struct Planned {
    plan: Plan,
    shows_balance: bool,
    existing: Option<Absence>,
    guard: Option<WriteGuard>,
}

impl Planned {
    pub fn employee(&self) -> &Employee {
        &self.plan.employee
    }

    /// The type the caller asked for (by its own words, so not masked).
    pub fn time_off_type(&self) -> &TimeOffType {
        &self.plan.time_off_type
    }

    pub fn request(&self) -> &TimeOffRequest {
        &self.plan.request
    }

    /// Working days or hours the request consumes.
    pub fn amount(&self) -> f64 {
        self.plan.amount
    }

    /// Whether the caller may see this type's balance (not for others' health-related types).
    pub fn shows_balance(&self) -> bool {
        self.shows_balance
    }

    /// The balance before and after, when the caller may see this type's balance.
    pub fn balance(&self) -> Option<BalanceEffect> {
        self.plan.balance.filter(|_| self.shows_balance)
    }

    /// Warnings, the overdrawn balance first when the caller may see it.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = self.plan.warnings.clone();
        if self.shows_balance
            && let Some(w) = self.plan.balance_warning()
        {
            warnings.insert(0, w);
        }
        warnings
    }

    /// The request in one sentence (with the balance when the caller may see it).
    pub fn summary(&self) -> String {
        self.plan.summary(self.shows_balance)
    }

    /// The identical absence already booked (then nothing is written), masked for the caller.
    pub fn existing(&self) -> Option<&Absence> {
        self.existing.as_ref()
    }
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
        // "An identical absence already exists" would tell a manager that a report's masked
        // absence is, say, sick leave (they asked for that type on those dates): such a request
        // is answered as any clash is, by id, dates and status.
        if let Some(same) = &plan.existing
            && self.hides_type_of(same)
        {
            return Err(plan::overlap_error(same));
        }
        let shows_balance = self.sees_balance(
            plan.employee.id,
            plan.time_off_type.category.as_deref(),
            Some(&plan.time_off_type.name),
        );
        let existing = plan.existing.clone().map(|a| self.masked(a));
        Ok(Planned {
            plan,
            shows_balance,
            existing,
            guard,
        })
    }

    /// Writes a planned request (never twice). A plan made without the lock (before a human
    /// dialog) is locked and looked up again first. The absence comes back masked for the caller.
    pub async fn commit_time_off(
        &self,
        planned: Planned,
        skip_approval: bool,
    ) -> Result<(Absence, bool)> {
        let Planned { plan, guard, .. } = planned;
        let (guard, recheck) = match guard {
            Some(g) => (g, false),
            None => (self.records.lock(plan.employee.id).await, true),
        };
        let (absence, stored_now) = self
            .records
            .commit(&guard, &plan, skip_approval, recheck)
            .await?;
        Ok((self.masked(absence), stored_now))
    }
}

/// An absence to cancel, found and checked; for a real write with its employee's lock held.
/// Tools see the absence only masked for the caller ([`CancelPlan::absence`]).
pub struct CancelPlan {
    id: AbsenceId,
    employee_id: i64,
    shown: Absence,
    guard: Option<WriteGuard>,
}

impl CancelPlan {
    /// The absence to cancel, as the caller may see it.
    pub fn absence(&self) -> &Absence {
        &self.shown
    }
}

impl Guarded {
    /// Who may cancel whose absences: employees their own, HR anyone. Managers are not given more
    /// here: in Personio a supervisor approves or rejects requests, while removing a booked
    /// absence of someone else is an administrator's (HR's) right.
    fn may_cancel(&self, employee_id: i64) -> bool {
        self.caller.is_hr() || self.caller.employee_id == Some(employee_id)
    }

    /// An absence id as the caller typed it (a number: day absence; a UUID: hourly).
    pub fn absence_id(&self, raw: &str) -> Result<AbsenceId> {
        AbsenceId::parse(raw)
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
        Ok(CancelPlan {
            id,
            employee_id: absence.employee.id,
            shown: self.masked(absence),
            guard,
        })
    }

    /// Cancels a planned absence (looked up again under the lock; never deleted blindly twice).
    pub async fn commit_cancel(&self, plan: CancelPlan) -> Result<Absence> {
        let guard = match plan.guard {
            Some(g) => g,
            None => self.records.lock(plan.employee_id).await,
        };
        let gone = self.records.cancel(&guard, &plan.id).await?;
        Ok(self.masked(gone))
    }
}
