//! Turning what a user typed ("42", "anna@example.com", "Jürgen Müller", "müller") into exactly
//! one employee — or a clear NOT_FOUND / AMBIGUOUS error listing who was meant. Never guesses.

use std::sync::Arc;

use serde_json::json;

use super::directory::{Directory, Snapshot};
use crate::error::{Error, ErrorCode, Result};
use crate::personio::Employee;

/// At most this many candidates are listed in an AMBIGUOUS error.
pub const MAX_CANDIDATES: usize = 10;

/// What a reference looked like, for error messages that don't echo personal data.
fn kind(reference: &str) -> &'static str {
    if reference.parse::<i64>().is_ok() {
        "id"
    } else if reference.contains('@') {
        "email"
    } else {
        "name"
    }
}

/// A compact candidate for AMBIGUOUS errors.
pub fn candidate(e: &Employee) -> serde_json::Value {
    json!({
        "id": e.id,
        "name": e.full_name(),
        "department": e.department.value().map(|d| d.name.clone()),
        "email": e.email.value(),
        "status": e.status.value().map(|s| s.as_str().to_string()),
    })
}

/// Resolves against a snapshot only (pure; used by tests and by [`resolve`]).
pub fn resolve_in(snapshot: &Snapshot, reference: &str) -> Result<Arc<Employee>> {
    resolve_among(snapshot, reference, |_| true)
}

/// Resolves among the employees `admits` lets through (the others are treated as unknown, so
/// an error never reveals that they exist).
pub fn resolve_among(
    snapshot: &Snapshot,
    reference: &str,
    admits: impl Fn(&Employee) -> bool,
) -> Result<Arc<Employee>> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(Error::validation(
            "no employee given: pass an id, an email or a name",
        ));
    }
    if reference.chars().count() > 200 {
        return Err(Error::validation(
            "the employee reference is longer than 200 characters; pass an id, an email or a name",
        ));
    }
    if let Ok(id) = reference.parse::<i64>() {
        return snapshot
            .by_id(id)
            .filter(|e| admits(e))
            .cloned()
            .ok_or_else(|| {
                Error::not_found(format!("no employee has id {id}"))
                    .with_hint("Search for the person by name to find the right id.")
            });
    }
    if reference.contains('@') {
        if let Some(e) = snapshot.by_email(reference).filter(|e| admits(e)) {
            return Ok(e.clone());
        }
        return Err(Error::not_found("no employee has that email address")
            .with_hint("Check the spelling, or search for the person by name."));
    }
    let hits = snapshot.search(reference, &admits);
    let Some((top, _)) = hits.first() else {
        return Err(
            Error::not_found(format!("no employee matches that {}", kind(reference)))
                .with_hint("Try another spelling, part of the name, or the email address."),
        );
    };
    // Only the best tier competes (scores are tiered by hundreds: exact name, exact words,
    // prefixes, typos): an exact "Müller" is not made ambiguous by a "Müllerová".
    let tier = *top / 100;
    let best: Vec<&Arc<Employee>> = hits
        .iter()
        .filter(|(s, _)| *s / 100 == tier)
        .map(|(_, e)| *e)
        .collect();
    match best.as_slice() {
        [one] => Ok((*one).clone()),
        many => Err(Error::new(
            ErrorCode::Ambiguous,
            format!(
                "{} employees match that name; ask the user which one is meant",
                many.len()
            ),
        )
        .with_hint("Call the tool again with the chosen person's id or email.")
        .with_details(json!({
            "candidates": many.iter().take(MAX_CANDIDATES).map(|e| candidate(e)).collect::<Vec<_>>(),
            "total_candidates": many.len(),
        }))),
    }
}

/// Resolves a reference using the directory (cold directory: one load). An id missing from the
/// cached directory is looked up upstream once, in case the employee is new.
pub async fn resolve(directory: &Directory, reference: &str) -> Result<Arc<Employee>> {
    let snapshot = directory.snapshot(None).await?;
    match resolve_in(&snapshot, reference) {
        Err(e) if e.code == ErrorCode::NotFound => {
            if let Ok(id) = reference.trim().parse::<i64>() {
                return directory.client().employee(id).await.map(Arc::new);
            }
            Err(e)
        }
        other => other,
    }
}
