//! People: directory search, resolving a reference to one person, full records, completions.
//!
//! The company directory (name, work email, position, department, office, team, supervisor) is
//! visible to every role, as inside Personio, but never as a bulk export (the record cap); full
//! records follow the access rules and the field allow-list.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Guarded;
use crate::domain::normalize::same_text;
use crate::domain::search::Query;
use crate::error::{Error, Result};
use crate::personio::{Employee, EmployeeStatus, ExtraAttribute, OmittedAttributes};
use crate::policy::fields::is_sensitive;

/// A directory search.
#[derive(Debug, Clone, Default)]
pub struct PeopleQuery {
    /// Name fragment, full name, email, position or department; may be empty with a filter.
    pub text: String,
    pub department: Option<String>,
    pub office: Option<String>,
    pub team: Option<String>,
    /// Only this status; `None`: all but inactive unless `include_inactive`.
    pub status: Option<EmployeeStatus>,
    pub include_inactive: bool,
}

impl PeopleQuery {
    fn has_filter(&self) -> bool {
        self.department.is_some()
            || self.office.is_some()
            || self.team.is_some()
            || self.status.is_some()
    }

    fn admits(&self, e: &Employee) -> bool {
        let st = e.status.value();
        let status_ok = match &self.status {
            Some(want) => st == Some(want),
            None => self.include_inactive || st != Some(&EmployeeStatus::Inactive),
        };
        let same = |filter: &Option<String>, name: Option<&str>| {
            filter
                .as_deref()
                .is_none_or(|f| name.is_some_and(|n| same_text(n, f)))
        };
        status_ok
            && same(
                &self.department,
                e.department.value().map(|x| x.name.as_str()),
            )
            && same(&self.office, e.office.value().map(|x| x.name.as_str()))
            && same(&self.team, e.team.value().map(|x| x.name.as_str()))
    }
}

/// One page of search results.
#[derive(Debug, Clone)]
pub struct PeoplePage {
    /// Best first.
    pub employees: Vec<Arc<Employee>>,
    /// All matches across pages.
    pub total: usize,
    /// Offset of the next page, if any.
    pub next: Option<usize>,
    /// Directory attributes the credential cannot read.
    pub omitted: OmittedAttributes,
}

/// A full record, with the allow-list applied.
#[derive(Debug, Clone)]
pub struct EmployeeRecord {
    pub employee: Employee,
    /// Allow-listed extra attributes.
    pub attributes: Vec<ExtraAttribute>,
    /// Custom or sensitive attributes withheld from this caller.
    pub withheld: usize,
    pub omitted: OmittedAttributes,
}

fn page_of(
    matches: Vec<Arc<Employee>>,
    offset: usize,
    limit: usize,
    omitted: OmittedAttributes,
) -> PeoplePage {
    let total = matches.len();
    let end = offset.saturating_add(limit).min(total);
    let employees = matches
        .into_iter()
        .skip(offset.min(total))
        .take(end.saturating_sub(offset))
        .collect();
    PeoplePage {
        employees,
        total,
        next: (end < total).then_some(end),
        omitted,
    }
}

impl Guarded {
    /// Searches the directory (cap: no bulk export without a narrowing filter).
    pub async fn search(&self, q: &PeopleQuery, offset: usize, limit: usize) -> Result<PeoplePage> {
        let query = Query::new(&q.text);
        if query.is_empty() && !q.has_filter() {
            return Err(Error::validation("query is empty").with_hint(
                "Give a name, email, position or department, or a department/office/team filter.",
            ));
        }
        // Exact-email fast path: one upstream request instead of a cold directory load.
        if let Some(email) = query.as_email()
            && offset == 0
        {
            let (found, omitted) = self.records.by_email(email).await?;
            let matches: Vec<Arc<Employee>> = found
                .into_iter()
                .filter(|e| q.admits(e))
                .map(Arc::new)
                .collect();
            return Ok(page_of(matches, 0, limit, omitted));
        }
        let snapshot = self.records.snapshot(self.progress.clone()).await?;
        let matches: Vec<Arc<Employee>> = if query.is_empty() {
            let mut all: Vec<&Arc<Employee>> = snapshot.all().filter(|e| q.admits(e)).collect();
            all.sort_by_key(|e| (e.full_name(), e.id));
            all.into_iter().cloned().collect()
        } else {
            snapshot
                .search(&q.text, |e| q.admits(e))
                .into_iter()
                .map(|(_, e)| e.clone())
                .collect()
        };
        self.rules.privacy.check_cap(
            matches.len(),
            q.has_filter() || q.text.trim().chars().count() >= 3,
            "Add a department, office or team filter, or search for at least three letters of a name.",
        )?;
        Ok(page_of(matches, offset, limit, snapshot.omitted.clone()))
    }

    /// Resolves a reference ("me", an id, an email or a unique name) to one person.
    pub async fn person(&self, reference: &str) -> Result<Arc<Employee>> {
        let snapshot = self.records.snapshot(self.progress.clone()).await?;
        self.caller.resolve_person(&snapshot, reference)
    }

    /// Resolves a reference and checks the caller may `what` ("read this person's ...").
    pub async fn visible_person(&self, reference: &str, what: &str) -> Result<Arc<Employee>> {
        let who = self.person(reference).await?;
        self.caller.require(who.id, what)?;
        Ok(who)
    }

    /// One person's full record, without what the allow-list withholds from this caller.
    pub async fn employee(&self, reference: &str) -> Result<EmployeeRecord> {
        let who = self
            .visible_person(reference, "read this person's full record")
            .await?;
        let (e, omitted) = self.records.employee(who.id).await?;
        let mut attributes = Vec::new();
        let mut withheld = 0;
        for attr in e.extra.values() {
            if self.rules.fields.allows(attr, self.caller.is_hr()) {
                attributes.push(attr.clone());
            } else if is_sensitive(attr) || attr.is_custom() {
                withheld += 1;
            }
        }
        Ok(EmployeeRecord {
            employee: e,
            attributes,
            withheld,
            omitted,
        })
    }

    /// Distinct organisation names (departments and/or teams) for completions.
    pub async fn org_names(&self, departments: bool, teams: bool) -> Result<Vec<String>> {
        let snapshot = self.records.snapshot(None).await?;
        let mut names = BTreeMap::new();
        for e in snapshot.all() {
            if departments && let Some(d) = e.department.value() {
                names.insert(d.name.clone(), ());
            }
            if teams && let Some(t) = e.team.value() {
                names.insert(t.name.clone(), ());
            }
        }
        Ok(names.into_keys().collect())
    }

    /// Full names and ids of everyone in the directory, for completions.
    pub async fn directory_names(&self) -> Result<Vec<(i64, String)>> {
        let snapshot = self.records.snapshot(None).await?;
        Ok(snapshot.all().map(|e| (e.id, e.full_name())).collect())
    }
}
