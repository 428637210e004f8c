//! Who may see and do what: roles over the supervisor tree.
//!
//! - `hr`: everything the Personio credential allows.
//! - `manager`: themself plus direct and indirect reports (Personio's supervisor attribute).
//! - `employee`: themself only.
//!
//! The company directory (names, work emails, positions, departments) is visible to every role,
//! as it is inside Personio; balances, absences, full records and writes follow the rules above.
//! A caller whose email matches no employee is refused (fails closed). Without any principal —
//! stdio without `--as` — the caller is the local operator who configured the API credential and
//! is treated like `hr` (documented in the README's Privacy section).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::principal::{Principal, Role};
use crate::domain::directory::Snapshot;
use crate::domain::resolve::resolve_among;
use crate::error::{Error, ErrorCode, Result};
use crate::personio::{Employee, EmployeeStatus};

/// The resolved caller of one tool call.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Option<Principal>,
    /// The caller's own employee record id (None for the local operator).
    pub employee_id: Option<i64>,
    /// Who the caller may see in detail; `None` = everyone.
    visible: Option<Arc<HashSet<i64>>>,
}

fn forbidden(what: &str) -> Error {
    Error::new(
        ErrorCode::Forbidden,
        format!("you are not allowed to {what}"),
    )
    .with_hint("Employees may only use their own records; managers also their reports'. Ask HR for anything else.")
}

/// Direct and indirect reports of `boss` (supervisor tree; cycles are ignored).
pub fn reports(snapshot: &Snapshot, boss: i64) -> HashSet<i64> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for e in snapshot.all() {
        if let Some(s) = e.supervisor.value() {
            children.entry(s.id).or_default().push(e.id);
        }
    }
    let mut seen = HashSet::new();
    let mut stack = vec![boss];
    while let Some(id) = stack.pop() {
        for child in children.get(&id).map(Vec::as_slice).unwrap_or_default() {
            if *child != boss && seen.insert(*child) {
                stack.push(*child);
            }
        }
    }
    seen
}

impl Caller {
    /// The unrestricted local operator (stdio without `--as`).
    pub fn operator() -> Caller {
        Caller {
            principal: None,
            employee_id: None,
            visible: None,
        }
    }

    /// Resolves a principal against the directory. Fails closed when the email matches nobody,
    /// only former employees, or several current employees (a shared mailbox must not pick
    /// whose rights the caller gets). A rehire's old, inactive record beside the current one
    /// does not count: the current one is the caller.
    pub fn resolve(principal: Option<&Principal>, snapshot: &Snapshot) -> Result<Caller> {
        let Some(p) = principal else {
            return Ok(Caller::operator());
        };
        let matches = snapshot.with_email(&p.email);
        if matches.is_empty() {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "the caller's email matches no employee in Personio, so no access is granted",
            )
            .with_hint("The token or --as email must be the caller's Personio work email."));
        }
        let current: Vec<&Arc<Employee>> = matches
            .into_iter()
            .filter(|e| e.status.value() != Some(&EmployeeStatus::Inactive))
            .collect();
        let me = match current.as_slice() {
            [one] => *one,
            // Leavers keep no access: a former employee's token is refused like an unknown one.
            [] => {
                return Err(Error::new(
                    ErrorCode::Forbidden,
                    "the caller is a former employee in Personio, so no access is granted",
                )
                .with_hint("Access ends with employment; ask HR if this is wrong."));
            }
            _ => {
                return Err(Error::new(
                    ErrorCode::Forbidden,
                    "the caller's email belongs to several current employees in Personio, so no access is granted",
                )
                .with_hint("Ask HR to give each person their own work email in Personio."));
            }
        };
        let visible = match p.role {
            Role::Hr => None,
            Role::Manager => {
                let mut set = reports(snapshot, me.id);
                set.insert(me.id);
                Some(Arc::new(set))
            }
            Role::Employee => Some(Arc::new(HashSet::from([me.id]))),
        };
        Ok(Caller {
            principal: Some(p.clone()),
            employee_id: Some(me.id),
            visible,
        })
    }

    pub fn role(&self) -> Role {
        self.principal.as_ref().map_or(Role::Hr, |p| p.role)
    }

    pub fn is_hr(&self) -> bool {
        self.role() == Role::Hr
    }

    /// May the caller see this person's records (balance, absences, full record)?
    pub fn can_see(&self, employee_id: i64) -> bool {
        self.visible
            .as_ref()
            .is_none_or(|v| v.contains(&employee_id))
    }

    /// The ids the caller may see, or `None` for everyone.
    pub fn visible_ids(&self) -> Option<&HashSet<i64>> {
        self.visible.as_deref()
    }

    /// May the caller see the health-related details of this person's absences?
    pub fn sees_health_of(&self, employee_id: i64) -> bool {
        self.is_hr() || self.employee_id == Some(employee_id)
    }

    /// FORBIDDEN unless the caller may act on `employee_id` (`what`: "read the balance", ...).
    pub fn require(&self, employee_id: i64, what: &str) -> Result<()> {
        if self.can_see(employee_id) {
            Ok(())
        } else {
            Err(forbidden(what).with_target(employee_id))
        }
    }

    /// Resolves a person reference: "me", an id, an email or a unique name.
    pub fn resolve_person(&self, snapshot: &Snapshot, reference: &str) -> Result<Arc<Employee>> {
        if reference.trim().eq_ignore_ascii_case("me") {
            let id = self.employee_id.ok_or_else(|| {
                Error::validation(
                    "argument `employee`: \"me\" needs a caller identity, and this server has none",
                )
                .with_hint("Use an id, email or name, or start the server with --as YOUR_EMAIL.")
            })?;
            return snapshot
                .by_id(id)
                .cloned()
                .ok_or_else(|| Error::not_found("the caller is not in the directory"));
        }
        let hr = self.is_hr();
        resolve_among(snapshot, reference, |e| hr || self.sees_person(e))
    }

    /// Non-HR callers do not see former employees at all (nor termination dates, see
    /// [`Caller::redact`]); HR sees everyone.
    pub fn sees_person(&self, e: &Employee) -> bool {
        self.is_hr()
            || self.employee_id == Some(e.id)
            || e.status.value() != Some(&EmployeeStatus::Inactive)
    }

    /// An employee record as this caller may see it: for non-HR callers looking at someone else,
    /// no termination date, and "on leave" (parental leave in Personio's sense) shown as active.
    pub fn redact(&self, e: &Arc<Employee>) -> Arc<Employee> {
        if self.is_hr() || self.employee_id == Some(e.id) {
            return e.clone();
        }
        let leave = e.status.value() == Some(&EmployeeStatus::Leave);
        if !leave && e.termination_date.value().is_none() {
            return e.clone();
        }
        let mut copy = e.as_ref().clone();
        if leave {
            copy.status = crate::personio::Attr::Value(EmployeeStatus::Active);
        }
        if copy.termination_date.value().is_some() {
            copy.termination_date = crate::personio::Attr::Empty;
        }
        Arc::new(copy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personio::{Attr, OmittedAttributes};

    fn person(id: i64, email: &str, status: EmployeeStatus) -> Arc<Employee> {
        Arc::new(Employee {
            id,
            first_name: Attr::Value(format!("First{id}")),
            last_name: Attr::Value("Last".into()),
            email: Attr::Value(email.into()),
            status: Attr::Value(status),
            ..Employee::default()
        })
    }

    fn caller(people: Vec<Arc<Employee>>, email: &str) -> Result<Caller> {
        let snapshot = Snapshot::build(people, OmittedAttributes::default());
        let principal = Principal {
            email: email.into(),
            role: Role::Employee,
        };
        Caller::resolve(Some(&principal), &snapshot)
    }

    #[test]
    fn a_shared_address_of_two_current_employees_grants_nothing() {
        let people = vec![
            person(1, "team@example.com", EmployeeStatus::Active),
            person(2, "TEAM@example.com", EmployeeStatus::Leave),
        ];
        let refused = caller(people, "team@example.com").map(|c| c.employee_id);
        let Err(e) = refused else {
            unreachable!("resolved to {refused:?}: a shared mailbox picked whose rights to use")
        };
        assert_eq!(e.code, ErrorCode::Forbidden);
        assert!(
            e.message.contains("several current employees"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_rehire_is_their_current_record_whichever_id_is_higher() {
        for (old, new) in [(1, 2), (2, 1)] {
            let people = vec![
                person(old, "ana@example.com", EmployeeStatus::Inactive),
                person(new, "ana@example.com", EmployeeStatus::Active),
            ];
            let me = caller(people, " Ana@Example.com").map(|c| c.employee_id);
            assert_eq!(me.ok().flatten(), Some(new));
        }
        let leavers = vec![
            person(1, "bo@example.com", EmployeeStatus::Inactive),
            person(2, "bo@example.com", EmployeeStatus::Inactive),
        ];
        let refused = caller(leavers, "bo@example.com").err().map(|e| e.message);
        assert!(
            refused
                .as_deref()
                .is_some_and(|m| m.contains("former employee")),
            "{refused:?}"
        );
    }
}
