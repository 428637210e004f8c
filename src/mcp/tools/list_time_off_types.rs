//! `list_time_off_types`: the absence types of the account.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::Result;

pub const DESCRIPTION: &str = "List the account's time-off (absence) types: id, name, category, unit (days or \
hours) and whether requests need approval. Use the id or name with get_pto_balance, list_absences and \
create_time_off. Contains no personal data.";

/// `list_time_off_types` takes no arguments.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ListTimeOffTypesArgs {}

/// One type.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TypeInfo {
    pub id: i64,
    pub name: String,
    pub category: Option<String>,
    /// days or hours
    pub unit: String,
    /// Requests stay pending until approved (null: Personio did not say).
    pub approval_required: Option<bool>,
}

/// Result of `list_time_off_types`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListTimeOffTypesResult {
    pub types: Vec<TypeInfo>,
}

pub async fn run(app: &App, _args: ListTimeOffTypesArgs) -> Result<ListTimeOffTypesResult> {
    let types = app.client.time_off_types().await?;
    Ok(ListTimeOffTypesResult {
        types: types
            .iter()
            .map(|t| TypeInfo {
                id: t.id,
                name: t.name.clone(),
                category: t.category.clone(),
                unit: t.unit.as_str().into(),
                approval_required: t.approval_required,
            })
            .collect(),
    })
}
