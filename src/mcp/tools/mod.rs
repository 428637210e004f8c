//! One file per tool, whole: its `#[tool]` metadata and annotations, argument and output types
//! (serde + schemars; doc comments become the schema's descriptions), `run` — one call on the
//! policy facade — and its unit tests.
//!
//! Adding a tool = a new file here + one `Entry` line in [`TOOLS`] (+ README). Read-only hiding, audit
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

use super::handler::PersonioServer;
use crate::personio::{Capability, Needs};

/// One tool file's routes and the Personio capabilities its tool needs (for the scope report).
pub struct Entry {
    pub routes: fn() -> ToolRouter<PersonioServer>,
    pub needs: &'static [Capability],
    pub mode: Needs,
}

/// Every tool of the server: one line per tool file.
pub const TOOLS: &[Entry] = &[
    Entry {
        routes: PersonioServer::search_employee_router,
        needs: &[Capability::ReadEmployees],
        mode: Needs::All,
    },
    Entry {
        routes: PersonioServer::get_employee_router,
        needs: &[Capability::ReadEmployees],
        mode: Needs::All,
    },
    Entry {
        routes: PersonioServer::get_pto_balance_router,
        needs: &[Capability::ReadEmployees, Capability::ReadBalances],
        mode: Needs::All,
    },
    Entry {
        routes: PersonioServer::list_absences_router,
        needs: &[Capability::ReadDayAbsences, Capability::ReadHourAbsences],
        mode: Needs::Any,
    },
    Entry {
        routes: PersonioServer::list_time_off_types_router,
        needs: &[Capability::ReadTimeOffTypes],
        mode: Needs::All,
    },
    Entry {
        routes: PersonioServer::create_time_off_router,
        needs: &[
            Capability::ReadEmployees,
            Capability::ReadTimeOffTypes,
            Capability::CreateAbsences,
        ],
        mode: Needs::All,
    },
    Entry {
        routes: PersonioServer::cancel_time_off_router,
        needs: &[Capability::DeleteAbsences],
        mode: Needs::All,
    },
];

/// Every tool, with portable schemas (see `mcp::schemas`).
pub fn router() -> ToolRouter<PersonioServer> {
    let mut router = ToolRouter::new();
    for entry in TOOLS {
        router += (entry.routes)();
    }
    for route in router.map.values_mut() {
        super::schemas::make_portable(&mut route.attr);
    }
    router
}

/// What each tool needs of the Personio credential, by tool name (from the routers).
pub fn needs() -> Vec<(String, &'static [Capability], Needs)> {
    TOOLS
        .iter()
        .flat_map(|e| {
            (e.routes)()
                .list_all()
                .into_iter()
                .map(move |t| (t.name.to_string(), e.needs, e.mode))
        })
        .collect()
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
            assert!(
                !text.contains("$ref") && !text.contains("uint"),
                "{}: portable",
                tool.name
            );
        }
    }
}
