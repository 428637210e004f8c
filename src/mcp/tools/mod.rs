//! One file per tool, whole: its `#[tool]` metadata and annotations, argument and output types
//! (serde + schemars; doc comments become the schema's descriptions), `run` — one call on the
//! policy facade — and its unit tests.
//!
//! Adding a tool = a new file here + one line in [`router`] (+ README). Read-only hiding, audit
//! targets and the scope report follow from the tool's own declaration.

pub mod cancel_time_off;
pub mod common;
pub mod create_time_off;
pub mod get_employee;
pub mod get_pto_balance;
pub mod list_absences;
pub mod list_time_off_types;
pub mod search_employee;

use rmcp::handler::server::router::tool::ToolRouter;

use super::server::PersonioServer;

/// Every tool of the server, with portable schemas (see `mcp::schemas`).
pub fn router() -> ToolRouter<PersonioServer> {
    let mut router = PersonioServer::search_employee_router()
        + PersonioServer::get_employee_router()
        + PersonioServer::get_pto_balance_router()
        + PersonioServer::list_absences_router()
        + PersonioServer::list_time_off_types_router()
        + PersonioServer::create_time_off_router()
        + PersonioServer::cancel_time_off_router();
    for route in router.map.values_mut() {
        super::schemas::make_portable(&mut route.attr);
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_declares_title_annotations_and_schemas() {
        for tool in router().list_all() {
            assert!(tool.title.is_some(), "{}: title", tool.name);
            let a = tool.annotations.as_ref().unwrap();
            assert!(
                a.read_only_hint.is_some()
                    && a.destructive_hint.is_some()
                    && a.idempotent_hint.is_some()
                    && a.open_world_hint.is_some(),
                "{}: all four annotations",
                tool.name
            );
            assert!(tool.output_schema.is_some(), "{}: output schema", tool.name);
            let text = serde_json::to_string(&tool.input_schema).unwrap();
            assert!(!text.contains("$ref") && !text.contains("uint"), "{}: portable", tool.name);
        }
    }
}
