//! The credential's scope report, with readiness per tool: the Personio client reports what the
//! credential can do per capability; which tool needs which capabilities is declared where the
//! tools are combined (`tools::TOOLS`), and only the tools this server exposes are listed
//! (`--tools`, `--read-only` included).

use serde::Serialize;

use crate::personio::Readiness;
use crate::personio::scope::ScopeReport;

/// One tool's readiness.
#[derive(Debug, Clone, Serialize)]
pub struct ToolCheck {
    pub tool: String,
    pub readiness: Readiness,
    pub reason: String,
}

/// The report with tool readiness for exactly the exposed tools.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeView {
    #[serde(flatten)]
    pub report: ScopeReport,
    pub tools: Vec<ToolCheck>,
}

/// Readiness of each of `tools` under `report`.
pub fn for_tools(report: &ScopeReport, tools: &[String]) -> ScopeView {
    let checks = super::tools::needs()
        .into_iter()
        .filter(|(name, _, _)| tools.contains(name))
        .map(|(tool, caps, mode)| {
            let (readiness, reason) = report.readiness_of(caps, mode);
            ToolCheck {
                tool,
                readiness,
                reason,
            }
        })
        .collect();
    ScopeView {
        report: report.clone(),
        tools: checks,
    }
}
