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
        let found: Vec<&Arc<Employee>> = snapshot
            .with_email(reference)
            .into_iter()
            .filter(|e| admits(e))
            .collect();
        return match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::not_found("no employee has that email address")
                .with_hint("Check the spelling, or search for the person by name.")),
            // A rehire's two records or a shared mailbox: never act on one of them by guess.
            many => Err(Error::new(
                ErrorCode::Ambiguous,
                format!(
                    "{} employees have that email address; ask the user which one is meant",
                    many.len()
                ),
            )
            .with_hint("Call the tool again with the chosen person's id.")
            .with_details(json!({
                "candidates": many.iter().take(MAX_CANDIDATES).map(|e| candidate(e)).collect::<Vec<_>>(),
                "total_candidates": many.len(),
            }))),
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personio::{Attr, OmittedAttributes};

    fn person(id: i64, email: &str) -> Arc<Employee> {
        Arc::new(Employee {
            id,
            first_name: Attr::Value(format!("First{id}")),
            last_name: Attr::Value("Last".into()),
            email: Attr::Value(email.into()),
            ..Employee::default()
        })
    }

    #[test]
    fn an_email_two_people_share_is_ambiguous_unless_only_one_of_them_is_visible() {
        let snapshot = Snapshot::build(
            vec![
                person(1, "desk@example.com"),
                person(2, "desk@example.com"),
                person(3, "solo@example.com"),
            ],
            OmittedAttributes::default(),
        );
        let e = resolve_in(&snapshot, "Desk@example.com").map(|e| e.id);
        let Err(e) = e else {
            unreachable!("resolved to {e:?}: one of two people picked by guess")
        };
        assert_eq!(e.code, ErrorCode::Ambiguous);
        assert_eq!(
            resolve_in(&snapshot, "solo@example.com").map(|e| e.id).ok(),
            Some(3)
        );
        let only_two = resolve_among(&snapshot, "desk@example.com", |e| e.id == 2);
        assert_eq!(only_two.map(|e| e.id).ok(), Some(2));
    }
}
