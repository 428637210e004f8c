//! The credential's scope report, narrowed to the tools this server exposes: the report of the
//! Personio client knows endpoints and attributes; which tool needs what is said here, from the
//! tool list of the router (`--tools`, `--read-only` included).

use crate::personio::scope::ScopeReport;

/// The report with tool readiness for exactly `tools`.
pub fn for_tools(report: &ScopeReport, tools: &[String]) -> ScopeReport {
    let mut r = report.clone();
    r.tools.retain(|t| tools.iter().any(|name| name == t.tool));
    r
}
