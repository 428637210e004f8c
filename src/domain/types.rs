//! Time-off types as people name them: "42", "Paid vacation", "vacation", "urlaub". One home for
//! resolving a type reference, used by balances, absence filters and writes alike.

use serde_json::json;

use super::normalize::plain_fold;
use crate::error::{Error, ErrorCode, Result};
use crate::personio::TimeOffType;

/// Resolves a type reference: a numeric id, or a name (case- and accent-insensitive; a unique
/// prefix is accepted). A miss lists the valid names, so the caller can pick one without another
/// round trip.
pub fn resolve_type<'a>(types: &'a [TimeOffType], reference: &str) -> Result<&'a TimeOffType> {
    let r = reference.trim();
    let available = || json!({"available": types.iter().map(|t| &t.name).collect::<Vec<_>>()});
    if let Ok(id) = r.parse::<i64>() {
        return types.iter().find(|t| t.id == id).ok_or_else(|| {
            Error::not_found(format!("no time-off type has id {id}"))
                .with_hint("Use one of the available type names or ids.")
                .with_details(available())
        });
    }
    let q = plain_fold(r);
    let q = q.trim();
    if q.is_empty() {
        return Err(Error::validation("no time-off type given"));
    }
    let exact: Vec<&TimeOffType> = types
        .iter()
        .filter(|t| plain_fold(&t.name).trim() == q)
        .collect();
    let candidates = if exact.is_empty() {
        types
            .iter()
            .filter(|t| {
                let name = plain_fold(&t.name);
                name.starts_with(q) || name.split_whitespace().any(|w| w.starts_with(q))
            })
            .collect()
    } else {
        exact
    };
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::not_found("no time-off type matches that name")
            .with_hint("Use one of the available type names or ids.")
            .with_details(available())),
        many => Err(Error::new(
            ErrorCode::Ambiguous,
            format!("{} time-off types match that name", many.len()),
        )
        .with_hint("Pass the type id instead.")
        .with_details(json!({"candidates": many.iter().map(|t| json!({"id": t.id, "name": t.name, "unit": t.unit.as_str()})).collect::<Vec<_>>()}))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personio::Unit;

    fn ty(id: i64, name: &str, unit: Unit) -> TimeOffType {
        TimeOffType {
            id,
            name: name.into(),
            category: None,
            unit,
            approval_required: None,
            id_v2: None,
        }
    }

    #[test]
    fn type_resolution_by_id_name_and_prefix() {
        let types = vec![
            ty(1, "Paid vacation", Unit::Days),
            ty(2, "Sick leave", Unit::Days),
            ty(3, "Doctor's appointment", Unit::Hours),
        ];
        assert_eq!(resolve_type(&types, "2").unwrap().id, 2);
        assert_eq!(resolve_type(&types, "paid VACATION").unwrap().id, 1);
        assert_eq!(resolve_type(&types, "vacation").unwrap().id, 1);
        assert_eq!(resolve_type(&types, "doctor").unwrap().id, 3);
        assert_eq!(
            resolve_type(&types, "9").unwrap_err().code,
            ErrorCode::NotFound
        );
        let miss = resolve_type(&types, "holiday").unwrap_err();
        assert_eq!(miss.code, ErrorCode::NotFound);
        assert_eq!(
            miss.details.unwrap()["available"][0],
            serde_json::json!("Paid vacation")
        );
    }
}
