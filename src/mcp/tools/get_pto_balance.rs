//! `get_pto_balance`: what is left of each time-off type for one person.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::PersonOut;
use crate::app::App;
use crate::domain::time_off::resolve_type;
use crate::error::Result;
use crate::policy::access::Caller;

pub const DESCRIPTION: &str = "Get an employee's time-off balances as Personio computes them today. Per type: \
balance (entitlement minus absences taken so far) and available_balance (also minus planned absences), in the \
type's own unit (days or hours, never converted). Personio's API exposes no accrual schedule, so future \
accruals are not included. Returns the employee's id and name. Employees may read only their own balance, \
managers also their reports'.";

/// Arguments of `get_pto_balance`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPtoBalanceArgs {
    /// Employee id, work email, a name that matches exactly one person, or "me".
    pub employee: String,
    /// Only this time-off type (id or name, e.g. "Paid vacation"). Default: all types with a balance.
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

pub async fn run(
    app: &App,
    caller: &Caller,
    args: GetPtoBalanceArgs,
) -> Result<GetPtoBalanceResult> {
    let snapshot = app.directory.snapshot(None).await?;
    let who = caller.resolve_person(&snapshot, &args.employee)?;
    caller.require(who.id, "read this person's time-off balance")?;
    let wanted = match &args.time_off_type {
        Some(t) => {
            let types = app.client.time_off_types().await?;
            Some(resolve_type(&types, t)?.id)
        }
        None => None,
    };
    let balances = app.client.balances(who.id).await?;
    Ok(GetPtoBalanceResult {
        employee: PersonOut {
            id: who.id,
            name: who.full_name(),
        },
        as_of: app.today().format("%Y-%m-%d").to_string(),
        balances: balances
            .into_iter()
            .filter(|b| wanted.is_none_or(|w| w == b.time_off_type_id))
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
