//! `GET /v2/absence-types`: `{id (UUID), name, category (UPPER_SNAKE), unit (DAY/HOUR)}`.
//!
//! The type list the tools use stays v1's (integer ids, which balances need; see `api_choice`),
//! and v1's list names each type's v2 id. This listing is the fallback that maps a v2 type id
//! v1's list does not name (an account whose v1 answer lacks `id_v2`) onto a v1 type by name.

use futures::TryStreamExt;
use serde_json::Value;

use super::super::client::PersonioClient;
use super::super::http::Request;
use super::super::model::lenient;
use super::super::types::{TimeOffType, Unit};
use crate::error::Result;

/// One v2 absence type.
#[derive(Debug, Clone, PartialEq)]
pub struct V2AbsenceType {
    pub id: String,
    pub name: String,
    pub category: Option<String>,
    pub unit: Option<Unit>,
}

/// The permission named in errors: the v2 scope.
pub(crate) const READ_ABSENCES: &str = "read absences (v2 scope personio:absences:read)";

fn parse(v: &Value) -> Option<V2AbsenceType> {
    Some(V2AbsenceType {
        id: v.get("id").and_then(lenient::text)?,
        name: v.get("name").and_then(lenient::text)?,
        category: v
            .get("category")
            .and_then(lenient::text)
            .map(|c| c.to_ascii_lowercase()),
        unit: v.get("unit").and_then(Value::as_str).and_then(Unit::parse),
    })
}

impl PersonioClient {
    /// Every v2 absence type (pages of ≤ 100).
    pub async fn v2_absence_types(&self) -> Result<Vec<V2AbsenceType>> {
        let req =
            Request::get("/v2/absence-types", READ_ABSENCES, "absence type").query("limit", 100);
        let items: Vec<Value> = super::paged(self.http(), req).try_collect().await?;
        Ok(items.iter().filter_map(parse).collect())
    }

    /// The v1 type a v2 type id stands for: from v1's `id_v2` when it names it, else by name
    /// through the v2 listing (one request, only then).
    pub(crate) async fn type_for_v2_id(&self, id_v2: &str) -> Result<Option<TimeOffType>> {
        let types = self.time_off_types().await?;
        if let Some(t) = types.iter().find(|t| {
            t.id_v2
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(id_v2))
        }) {
            return Ok(Some(t.clone()));
        }
        let v2 = self.v2_absence_types().await?;
        let Some(named) = v2.iter().find(|t| t.id.eq_ignore_ascii_case(id_v2)) else {
            return Ok(None);
        };
        Ok(types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(&named.name))
            .cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_parse_with_units_and_lowercase_categories() {
        let t =
            parse(&json!({"id":"abc","name":"Vacation","category":"PAID_VACATION","unit":"DAY"}))
                .unwrap();
        assert_eq!(t.unit, Some(Unit::Days));
        assert_eq!(t.category.as_deref(), Some("paid_vacation"));
        assert!(parse(&json!({"name":"no id"})).is_none());
    }
}
