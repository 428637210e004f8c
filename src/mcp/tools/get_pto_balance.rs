//! `get_pto_balance`: what is left of each time-off type for one person.

use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::PersonOut;
use crate::error::Result;
use crate::mcp::dispatch::ToolOutput;
use crate::mcp::handler::PersonioServer;
use crate::policy::guarded::Guarded;

pub const DESCRIPTION: &str = "Get an employee's time-off balances as Personio computes them today, per type: \
balance (taken so far deducted) and available_balance (planned too), in the type's unit (days or hours, never \
converted). Future accruals are not included. Employees read their own, managers also their reports'.";

/// Arguments of `get_pto_balance`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPtoBalanceArgs {
    /// Employee: id, work email, unique name, or "me".
    pub employee: String,
    /// Only this time-off type (id or name).
    #[serde(default)]
    pub time_off_type: Option<String>,
}

/// One type's balance.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BalanceOut {
    pub time_off_type_id: i64,
    pub name: String,
    pub category: Option<String>,
    /// days or hours; null if the type is unknown to the type list.
    pub unit: Option<String>,
    /// Entitlement minus absences taken so far.
    pub balance: f64,
    /// Entitlement minus taken and planned absences (what is left to plan).
    pub available_balance: Option<f64>,
}

/// Result of `get_pto_balance`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetPtoBalanceResult {
    pub employee: PersonOut,
    /// The date the balances refer to (YYYY-MM-DD).
    pub as_of: String,
    pub balances: Vec<BalanceOut>,
    /// What the numbers do and don't include.
    pub note: String,
}

impl ToolOutput for GetPtoBalanceResult {
    fn targets(&self) -> Vec<i64> {
        vec![self.employee.id]
    }
}

#[tool_router(router = get_pto_balance_router, vis = "pub(crate)")]
impl PersonioServer {
    #[tool(
        title = "Get time-off balance",
        description = DESCRIPTION,
        output_schema = schema_for_output::<GetPtoBalanceResult>(),
        annotations(title = "Get time-off balance", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_pto_balance(
        &self,
        Parameters(args): Parameters<GetPtoBalanceArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        self.run_tool(&ctx, |g| run(g, args)).await
    }
}

pub async fn run(g: Guarded, args: GetPtoBalanceArgs) -> Result<GetPtoBalanceResult> {
    let b = g
        .balances(&args.employee, args.time_off_type.as_deref())
        .await?;
    Ok(GetPtoBalanceResult {
        employee: PersonOut {
            id: b.employee.id,
            name: b.employee.full_name(),
        },
        as_of: b.as_of.to_string(),
        balances: b
            .balances
            .into_iter()
            .map(|b| BalanceOut {
                time_off_type_id: b.time_off_type_id,
                name: b.name,
                category: b.category,
                unit: b.unit.map(|u| u.as_str().to_string()),
                balance: b.balance,
                available_balance: b.available_balance,
            })
            .collect(),
        note: "Balances come from Personio as of today. Personio's API exposes no accrual schedule: \
entitlement that accrues later in the year is not included. Units are never converted between days and hours."
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_for_one_employee_with_an_optional_type() {
        let router = PersonioServer::get_pto_balance_router();
        let tool = router.get("get_pto_balance").unwrap();
        assert_eq!(
            tool.annotations.as_ref().unwrap().read_only_hint,
            Some(true)
        );
        assert_eq!(
            tool.input_schema["required"],
            serde_json::json!(["employee"])
        );
        let args: GetPtoBalanceArgs =
            serde_json::from_value(serde_json::json!({"employee": "42"})).unwrap();
        assert!(args.time_off_type.is_none());
        let r = GetPtoBalanceResult {
            employee: PersonOut {
                id: 42,
                name: "A B".into(),
            },
            as_of: "2031-01-01".into(),
            balances: Vec::new(),
            note: String::new(),
        };
        assert_eq!(
            r.targets(),
            vec![42],
            "the audit names whose balance was read"
        );
    }
}
