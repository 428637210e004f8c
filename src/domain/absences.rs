//! Listing absences of both units over a date window, for one person or a group.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;

use super::absence_cache::{AbsenceCache, ListingKey};
use crate::error::{Error, Result};
use crate::personio::{Absence, AbsenceQuery, PersonioClient};

/// The longest window one listing may cover (keeps upstream paging bounded).
pub const MAX_RANGE_DAYS: i64 = 366;

/// What to list. `employees: None` means everyone the credential can see.
#[derive(Debug, Clone)]
pub struct AbsenceFilter {
    pub employees: Option<Vec<i64>>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub type_ids: Option<HashSet<i64>>,
    pub statuses: Option<HashSet<String>>,
    /// Whose call this is (their employee id; `None`: the local operator). Listings are kept per
    /// caller: were one caller's listing served to another, how fast the answer came would tell
    /// the second that someone looked at these people moments ago.
    pub viewer: Option<i64>,
}

/// Checks a window: ordered and not longer than [`MAX_RANGE_DAYS`].
pub fn check_window(from: NaiveDate, to: NaiveDate) -> Result<()> {
    if to < from {
        return Err(
            Error::validation(format!("`to` ({to}) is before `from` ({from})"))
                .with_hint("Swap the dates or pass a later `to`."),
        );
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(Error::validation(format!(
            "the window covers {days} days; at most {MAX_RANGE_DAYS} are allowed"
        ))
        .with_hint("Split the question into windows of up to a year."));
    }
    Ok(())
}

/// Absences overlapping `[from, to]`, both units, sorted by start date, then employee, then id.
/// Always asks Personio: the write checks use this.
pub async fn list(client: &PersonioClient, filter: &AbsenceFilter) -> Result<Vec<Absence>> {
    list_via(client, None, filter).await
}

/// [`list`], served from `cache` when the same listing was fetched moments ago (reads only).
pub async fn list_via(
    client: &PersonioClient,
    cache: Option<&AbsenceCache>,
    filter: &AbsenceFilter,
) -> Result<Vec<Absence>> {
    check_window(filter.from, filter.to)?;
    if filter.employees.as_ref().is_some_and(|e| e.is_empty()) {
        return Ok(Vec::new());
    }
    let Some(cache) = cache else {
        // The write checks: no key to build, nothing to keep.
        return Ok(narrow(&fetch(client, filter).await?, filter));
    };
    let key = ListingKey::new(
        filter.viewer,
        filter.employees.as_deref(),
        filter.from,
        filter.to,
    );
    let fetched = match cache.get(&key) {
        Some(kept) => kept,
        None => {
            let seen = cache.generation();
            let fresh = Arc::new(fetch(client, filter).await?);
            cache.keep(key, seen, fresh.clone());
            fresh
        }
    };
    Ok(narrow(&fetched, filter))
}

/// One upstream listing of the filter's people and window (both units).
async fn fetch(client: &PersonioClient, filter: &AbsenceFilter) -> Result<Vec<Absence>> {
    let query = AbsenceQuery {
        start_date: Some(filter.from),
        end_date: Some(filter.to),
        employees: filter.employees.clone().unwrap_or_default(),
        ..AbsenceQuery::default()
    };
    client.all_absences(&query).await
}

/// The filter applied locally to a listing, sorted.
fn narrow(all: &[Absence], filter: &AbsenceFilter) -> Vec<Absence> {
    let wanted: Option<HashSet<i64>> = filter
        .employees
        .as_ref()
        .map(|e| e.iter().copied().collect());
    let mut kept: Vec<Absence> = all
        .iter()
        .filter(|a| {
            // Overlap, re-checked locally: the upstream window semantics are not documented for days.
            a.start_date <= filter.to
                && a.end_date >= filter.from
                && wanted.as_ref().is_none_or(|w| w.contains(&a.employee.id))
                && filter
                    .type_ids
                    .as_ref()
                    .is_none_or(|t| a.time_off_type.id.is_some_and(|id| t.contains(&id)))
                && filter
                    .statuses
                    .as_ref()
                    .is_none_or(|s| s.contains(&a.status.to_lowercase()))
        })
        .cloned()
        .collect();
    kept.sort_by(|a, b| {
        a.start_date
            .cmp(&b.start_date)
            .then(a.employee.id.cmp(&b.employee.id))
            .then(a.id.cmp(&b.id))
    });
    kept
}
