//! Resources: the account's time-off types, the credential's scope, and one employee per id
//! (`personio://employees/{id}`, the same record and rules as `get_employee`).

use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde::Serialize;

use super::dispatch::{Audited, ToolOutput};
use super::handler::PersonioServer;
use super::progress::ProgressForwarder;
use super::tools::{get_employee, list_time_off_types};
use crate::error::{Error, ErrorCode};

const EMPLOYEE_PREFIX: &str = "personio://employees/";

fn json_resource(
    uri: &str,
    value: &impl Serialize,
) -> std::result::Result<ReadResourceResponse, ErrorData> {
    let text =
        serde_json::to_string(value).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type("application/json"),
    ])
    .into())
}

/// A failed read as a JSON-RPC error: unknown things are "resource not found" (-32002).
fn resource_error(uri: &str, e: &Error) -> ErrorData {
    let data = Some(serde_json::json!({"code": e.code, "hint": e.hint, "uri": uri}));
    match e.code {
        ErrorCode::NotFound => {
            ErrorData::resource_not_found(format!("{}: {}", e.code, e.message), data)
        }
        ErrorCode::ValidationFailed | ErrorCode::Ambiguous => {
            ErrorData::invalid_params(format!("{}: {}", e.code, e.message), data)
        }
        _ => ErrorData::internal_error(format!("{}: {}", e.code, e.message), data),
    }
}

pub fn list() -> ListResourcesResult {
    ListResourcesResult::with_all_items(vec![
        Resource::new("personio://time-off-types", "time-off-types")
            .with_mime_type("application/json")
            .with_description("The account's time-off types: id, name, category, unit, approval."),
        Resource::new("personio://scope", "scope")
            .with_mime_type("application/json")
            .with_description(
                "What the Personio API credential may read and do: readable and missing attributes, endpoint access, tool readiness.",
            ),
    ])
}

pub fn templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new("personio://employees/{id}", "employee")
            .with_mime_type("application/json")
            .with_description(
                "One employee by id, as get_employee returns it (no sensitive attributes).",
            ),
    ])
}

impl PersonioServer {
    /// Reads one resource for the caller of `ctx` (same principal rules as the tools).
    pub(crate) async fn read(
        &self,
        request: ReadResourceRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> std::result::Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let forwarder = ProgressForwarder::new(ctx);
        let (principal, guarded) = self.guarded(ctx, &forwarder).await;
        forwarder.finish().await;
        let g = match guarded {
            Ok(g) => g,
            Err(e) => {
                // A refused caller is audited like a refused tool call: the door was tried.
                self.audit(
                    "resources/read",
                    Audited {
                        caller: &principal,
                        targets: Vec::new(),
                        fields: Vec::new(),
                        outcome: Err(&e),
                        write_request: None,
                        write_status: None,
                    },
                );
                return Err(resource_error(uri, &e));
            }
        };
        match uri {
            "personio://time-off-types" => {
                let r = list_time_off_types::run(g, Default::default())
                    .await
                    .map_err(|e| resource_error(uri, &e))?;
                json_resource(uri, &r)
            }
            "personio://scope" => {
                let r = g
                    .scope_report()
                    .await
                    .map_err(|e| resource_error(uri, &e))?;
                json_resource(uri, &super::scope::for_tools(&r, &self.tool_list()))
            }
            _ => {
                let Some(id) = uri
                    .strip_prefix(EMPLOYEE_PREFIX)
                    .filter(|id| id.parse::<i64>().is_ok())
                else {
                    return Err(ErrorData::resource_not_found(
                        "unknown resource; see resources/list and resources/templates/list",
                        Some(serde_json::json!({"uri": uri})),
                    ));
                };
                let result = get_employee::run(
                    g,
                    get_employee::GetEmployeeArgs {
                        employee: id.to_string(),
                    },
                )
                .await;
                let audited = |targets, outcome| Audited {
                    caller: &principal,
                    targets,
                    fields: Vec::new(),
                    outcome,
                    write_request: None,
                    write_status: None,
                };
                match result {
                    Ok(r) => {
                        self.audit("resources/read", audited(r.targets(), Ok(())));
                        json_resource(uri, &r)
                    }
                    Err(e) => {
                        self.audit(
                            "resources/read",
                            audited(e.target.into_iter().collect(), Err(&e)),
                        );
                        Err(resource_error(uri, &e))
                    }
                }
            }
        }
    }
}
