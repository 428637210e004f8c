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
use crate::error::{Error, ErrorCode, Result};
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
    /// Matches per department, over all matches (not just this page).
    pub by_department: BTreeMap<String, usize>,
    /// More matches than one query may page through: only the first `record_cap` are paged.
    pub capped: bool,
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

/// Most departments listed in a summary (the rest are counted under "other departments").
pub const MAX_SUMMARY_GROUPS: usize = 50;

/// Counts per name, the largest groups kept and the rest folded into `rest`.
pub fn summarise<'a>(names: impl Iterator<Item = &'a str>, rest: &str) -> BTreeMap<String, usize> {
    // Counted by reference: a broad query has thousands of matches and a handful of groups.
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for n in names {
        *by_name.entry(n).or_default() += 1;
    }
    let counts: BTreeMap<String, usize> = by_name
        .into_iter()
        .map(|(n, c)| (n.to_string(), c))
        .collect();
    if counts.len() <= MAX_SUMMARY_GROUPS {
        return counts;
    }
    let mut by_size: Vec<(String, usize)> = counts.into_iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let folded: usize = by_size
        .iter()
        .skip(MAX_SUMMARY_GROUPS)
        .map(|(_, n)| n)
        .sum();
    let mut out: BTreeMap<String, usize> = by_size.into_iter().take(MAX_SUMMARY_GROUPS).collect();
    *out.entry(rest.to_string()).or_default() += folded;
    out
}

/// Which records of `total` the page at `offset` shows, never beyond what one query may page
/// through: `(range, offset of the next page, capped)`.
pub fn page_bounds(
    total: usize,
    offset: usize,
    limit: usize,
    cap: usize,
    narrow: &str,
) -> Result<(std::ops::Range<usize>, Option<usize>, bool)> {
    let pageable = total.min(cap);
    let capped = total > cap;
    if offset > 0 && offset >= pageable {
        return Err(Error::validation(format!(
            "this query can page through at most {cap} of its {total} records"
        ))
        .with_hint(narrow.to_string()));
    }
    let end = offset.saturating_add(limit).min(pageable);
    Ok((
        offset.min(pageable)..end,
        (end < pageable).then_some(end),
        capped,
    ))
}

/// The page of `matches` at `offset`, never beyond what one query may page through.
pub fn bounded_page<T: Clone>(
    matches: &[T],
    offset: usize,
    limit: usize,
    cap: usize,
    narrow: &str,
) -> Result<(Vec<T>, Option<usize>, bool)> {
    let (range, next, capped) = page_bounds(matches.len(), offset, limit, cap, narrow)?;
    let page = matches.get(range).map(<[T]>::to_vec).unwrap_or_default();
    Ok((page, next, capped))
}

/// The department a search result is counted under.
fn department_of(e: &Employee) -> &str {
    e.department
        .value()
        .map_or("(no department)", |d| d.name.as_str())
}

/// What a search result page says when paging stops at the cap.
const NARROW: &str = "Add a department, office or team filter, or more of the name.";

impl Guarded {
    /// Searches the directory. A broad query is answered with the total and a count per
    /// department over all matches; paging stops at the record cap (no bulk export, whatever the
    /// filters). Non-HR callers never see former employees, and "on leave" is not a filter they
    /// may use on colleagues.
    pub async fn search(&self, q: &PeopleQuery, offset: usize, limit: usize) -> Result<PeoplePage> {
        let query = Query::new(&q.text);
        if query.is_empty() && !q.has_filter() {
            return Err(Error::validation("query is empty").with_hint(
                "Give a name, email, position or department, or a department/office/team filter.",
            ));
        }
        if !self.caller.is_hr()
            && (q.include_inactive
                || matches!(
                    q.status,
                    Some(EmployeeStatus::Inactive | EmployeeStatus::Leave)
                ))
        {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "former employees and leave status are visible to HR only",
            )
            .with_hint("Search current employees without a status filter."));
        }
        let caller = &self.caller;
        let admits = |e: &Employee| q.admits(e) && caller.sees_person(e);
        // Exact-email fast path: one upstream request instead of a cold directory load.
        if let Some(email) = query.as_email()
            && offset == 0
        {
            let (found, omitted) = self.records.by_email(email).await?;
            let matches: Vec<Arc<Employee>> = found
                .into_iter()
                .filter(|e| admits(e))
                .map(Arc::new)
                .collect();
            return self.people_page(matches, 0, limit, omitted);
        }
        let snapshot = self.records.snapshot(self.progress.clone()).await?;
        if query.is_empty() {
            let mut all: Vec<&Arc<Employee>> = snapshot.all().filter(|e| admits(e)).collect();
            all.sort_by_key(|e| (e.full_name(), e.id));
            let matches = all.into_iter().cloned().collect();
            return self.people_page(matches, offset, limit, snapshot.omitted.clone());
        }
        // The page is the best `offset + limit` matches, selected without ranking all of them;
        // the total and the department counts still cover every match.
        let mut departments = Vec::new();
        let ranked = snapshot.search_top_each(&q.text, admits, offset, limit, |e| {
            departments.push(department_of(e))
        });
        let cap = self.rules.privacy.record_cap;
        let (range, next, capped) = page_bounds(ranked.total, offset, limit, cap, NARROW)?;
        Ok(PeoplePage {
            employees: ranked
                .hits
                .iter()
                .take(range.len())
                .map(|(_, e)| self.caller.redact(e))
                .collect(),
            total: ranked.total,
            next,
            omitted: snapshot.omitted.clone(),
            by_department: summarise(departments.into_iter(), "(other departments)"),
            capped,
        })
    }

    fn people_page(
        &self,
        matches: Vec<Arc<Employee>>,
        offset: usize,
        limit: usize,
        omitted: OmittedAttributes,
    ) -> Result<PeoplePage> {
        let by_department = summarise(
            matches.iter().map(|e| department_of(e)),
            "(other departments)",
        );
        let cap = self.rules.privacy.record_cap;
        let (page, next, capped) = bounded_page(&matches, offset, limit, cap, NARROW)?;
        Ok(PeoplePage {
            employees: page.iter().map(|e| self.caller.redact(e)).collect(),
            total: matches.len(),
            next,
            omitted,
            by_department,
            capped,
        })
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
        let e = self.caller.redact(&Arc::new(e)).as_ref().clone();
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
        for e in snapshot.all().filter(|e| self.caller.sees_person(e)) {
            if departments && let Some(d) = e.department.value() {
                names.insert(d.name.clone(), ());
            }
            if teams && let Some(t) = e.team.value() {
                names.insert(t.name.clone(), ());
            }
        }
        Ok(names.into_keys().collect())
    }

    /// Full names and ids of everyone this caller may see in detail, for completions.
    pub async fn directory_names(&self) -> Result<Vec<(i64, String)>> {
        let snapshot = self.records.snapshot(None).await?;
        Ok(snapshot
            .all()
            .filter(|e| self.caller.can_see(e.id) && self.caller.sees_person(e))
            .map(|e| (e.id, e.full_name()))
            .collect())
    }
}
