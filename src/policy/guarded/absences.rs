//! Absences as a caller may see them: narrowed to the people the caller may see, health-related
//! ones of other people masked as a neutral "Absent", and no bulk export (the record cap).

use std::collections::HashSet;

use chrono::NaiveDate;

use super::Guarded;
use super::people::{bounded_page, summarise};
use crate::domain::absences::{AbsenceFilter, check_window};
use crate::domain::normalize::same_text;
use crate::domain::types::resolve_type;
use crate::error::{Error, ErrorCode, Result};
use crate::personio::Absence;
use crate::policy::privacy::MASKED_TYPE_NAME;

/// Whose absences, when.
#[derive(Debug, Clone)]
pub struct AbsenceQuery {
    /// One person (a reference: "me", id, email, unique name).
    pub employee: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Type references (ids or names).
    pub types: Vec<String>,
    /// Lower-case statuses.
    pub statuses: Option<HashSet<String>>,
}

/// One page of absences.
#[derive(Debug, Clone)]
pub struct AbsencePage {
    /// Sorted by start date, then employee; masked where the caller may not see details.
    pub absences: Vec<Absence>,
    /// All matches across pages.
    pub total: usize,
    /// Offset of the next page, if any.
    pub next: Option<usize>,
    /// Absences per department and per type over all matches ("Absent" for masked ones).
    pub by_department: std::collections::BTreeMap<String, usize>,
    pub by_type: std::collections::BTreeMap<String, usize>,
    /// More matches than one query may page through: only the first `record_cap` are paged.
    pub capped: bool,
}

impl Guarded {
    /// Lists absences overlapping `[from, to]`.
    pub async fn absences(
        &self,
        q: &AbsenceQuery,
        offset: usize,
        limit: usize,
    ) -> Result<AbsencePage> {
        check_window(q.from, q.to)?;
        let snapshot = self.records.snapshot(self.progress.clone()).await?;
        let caller = &self.caller;
        let mut own_only = false;
        let mut employees: Option<Vec<i64>> = if let Some(who) = &q.employee {
            let person = caller.resolve_person(&snapshot, who)?;
            caller.require(person.id, "read this person's absences")?;
            own_only = caller.employee_id == Some(person.id);
            Some(vec![person.id])
        } else if q.department.is_some() || q.team.is_some() {
            let in_group = |name: Option<&str>, want: &Option<String>| {
                want.as_deref()
                    .is_none_or(|w| name.is_some_and(|n| same_text(n, w)))
            };
            let ids: Vec<i64> = snapshot
                .all()
                .filter(|e| {
                    in_group(e.department.value().map(|d| d.name.as_str()), &q.department)
                        && in_group(e.team.value().map(|t| t.name.as_str()), &q.team)
                })
                .map(|e| e.id)
                .collect();
            if ids.is_empty() {
                return Err(Error::not_found("nobody is in that department or team")
                    .with_hint("Check the name: each person's record (as a search returns it) shows their department and team."));
            }
            Some(ids)
        } else {
            None
        };
        // Narrow to whom the caller may see (employees: themself; managers: their reports).
        if let Some(visible) = caller.visible_ids() {
            let allowed: Vec<i64> = match employees {
                Some(ids) => ids.into_iter().filter(|id| visible.contains(id)).collect(),
                None => visible.iter().copied().collect(),
            };
            if allowed.is_empty() {
                return Err(Error::new(
                    ErrorCode::Forbidden,
                    "you are not allowed to read the absences of these people",
                )
                .with_hint(
                    "Employees may only list their own absences; managers also their reports'.",
                ));
            }
            employees = Some(allowed);
        }
        let narrowed = q.employee.is_some()
            || q.department.is_some()
            || q.team.is_some()
            || caller.visible_ids().is_some();
        let privacy = &self.rules.privacy;
        let type_ids = if q.types.is_empty() {
            None
        } else {
            let types = self.records.types().await?;
            let mut ids = HashSet::new();
            for n in &q.types {
                let t = resolve_type(&types, n)?;
                // Filtering others' absences by a health type would reveal who is sick.
                if privacy.is_health(t.category.as_deref(), Some(&t.name))
                    && !caller.is_hr()
                    && !own_only
                {
                    return Err(Error::new(
                        ErrorCode::Forbidden,
                        "filtering other people's absences by a health-related type is reserved for HR",
                    )
                    .with_hint("List absences without a type filter: health-related ones show as \"Absent\"."));
                }
                ids.insert(t.id);
            }
            Some(ids)
        };
        let all = self
            .records
            .absences(&AbsenceFilter {
                employees,
                from: q.from,
                to: q.to,
                type_ids,
                statuses: q.statuses.clone(),
                viewer: caller.employee_id,
            })
            .await?;
        let all: Vec<Absence> = all.into_iter().map(|a| self.masked(a)).collect();
        // Counted by reference into the snapshot: no name is copied per absence.
        let department_of = |id: i64| {
            snapshot
                .by_id(id)
                .and_then(|e| e.department.value().map(|d| d.name.as_str()))
                .unwrap_or("(no department)")
        };
        let by_department = summarise(
            all.iter().map(|a| department_of(a.employee.id)),
            "(other departments)",
        );
        let by_type = summarise(
            all.iter()
                .map(|a| a.time_off_type.name.as_deref().unwrap_or("(unknown type)")),
            "(other types)",
        );
        let narrow = if narrowed {
            "Add an employee, department or team filter, or a shorter date window."
        } else {
            "Add an employee, department or team filter, or a shorter date window (the summary covers everything)."
        };
        let (absences, next, capped) =
            bounded_page(&all, offset, limit, privacy.record_cap, narrow)?;
        Ok(AbsencePage {
            absences,
            total: all.len(),
            next,
            by_department,
            by_type,
            capped,
        })
    }

    /// Whether this caller may not learn the absence's type: a health-related absence of
    /// someone whose health data the caller does not see.
    pub(super) fn hides_type_of(&self, a: &Absence) -> bool {
        !self.caller.sees_health_of(a.employee.id) && self.is_health(a)
    }

    fn is_health(&self, a: &Absence) -> bool {
        self.rules.privacy.is_health(
            a.time_off_type.category.as_deref(),
            a.time_off_type.name.as_deref(),
        )
    }

    /// An absence as this caller may see it: health-related ones of other people become a
    /// neutral "Absent" without type, category or comment.
    pub fn masked(&self, mut a: Absence) -> Absence {
        // Who may see it is the cheap question (asked once per absence); the type's words are
        // looked at only if not.
        let sees = self.caller.sees_health_of(a.employee.id);
        if !sees && self.is_health(&a) {
            a.time_off_type.id = None;
            a.time_off_type.name = Some(MASKED_TYPE_NAME.into());
            a.time_off_type.category = None;
        }
        // Free text about someone else's absence is for HR only.
        if !sees {
            a.comment = None;
        }
        a
    }
}
