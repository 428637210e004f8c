//! `list_time_off_types`: the absence types of the account.

use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::mcp::dispatch::ToolOutput;
use crate::mcp::handler::PersonioServer;
use crate::policy::guarded::Guarded;

pub const DESCRIPTION: &str = "List the account's time-off types: id, name, category, unit (days or hours), \
approval.";

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

impl ToolOutput for ListTimeOffTypesResult {
    fn targets(&self) -> Vec<i64> {
        Vec::new()
    }
}

#[tool_router(router = list_time_off_types_router, vis = "pub(crate)")]
impl PersonioServer {
    #[tool(
        title = "List time-off types",
        description = DESCRIPTION,
        output_schema = schema_for_output::<ListTimeOffTypesResult>(),
        annotations(title = "List time-off types", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn list_time_off_types(
        &self,
        Parameters(args): Parameters<ListTimeOffTypesArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        self.run_tool(&ctx, |g| run(g, args)).await
    }
}

pub async fn run(g: Guarded, _args: ListTimeOffTypesArgs) -> Result<ListTimeOffTypesResult> {
    let types = g.types().await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_without_arguments_that_concerns_nobody() {
        let router = PersonioServer::list_time_off_types_router();
        let tool = router.get("list_time_off_types").unwrap();
        assert_eq!(
            tool.annotations.as_ref().unwrap().read_only_hint,
            Some(true)
        );
        assert!(
            serde_json::from_value::<ListTimeOffTypesArgs>(serde_json::json!({"x": 1})).is_err()
        );
        let r = ListTimeOffTypesResult { types: Vec::new() };
        assert!(
            r.targets().is_empty(),
            "the type list is nobody's personal data"
        );
    }
}
