//! How a tool call runs: arguments checked against the tool's schema, the caller resolved into a
//! policy facade, the tool's one call on it, the outcome audited and encoded. Every tool goes
//! through [`PersonioServer::run_tool`], so none can forget the audit or the caller.

use std::future::Future;

use rmcp::RoleServer;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use serde::Serialize;

use super::errors::error_result;
use super::handler::PersonioServer;
use super::progress::ProgressForwarder;
use crate::error::{Error, Result};
use crate::policy::audit::AuditEvent;
use crate::policy::guarded::Guarded;
use crate::policy::principal::Principal;

/// The name of the tool being called, put into the request context by `call_tool` so that the
/// tool's name is written once, in its `#[tool]` function.
#[derive(Debug, Clone)]
pub struct ToolName(pub String);

/// What every tool result tells the audit log: whom it concerned (typed, from the result itself,
/// not sniffed from JSON keys) and, for writes, the write's status.
pub trait ToolOutput: Serialize {
    /// Employee ids the result concerns.
    fn targets(&self) -> Vec<i64>;
    /// Writes: the resulting status (pending, approved, confirmation_required, declined...).
    fn write_status(&self) -> Option<&str> {
        None
    }
}

/// Who called, for the audit log: the principal the transport (or `--as`) names, and whether it
/// resolved to a current employee. An unresolved caller holds no role, whatever it claimed.
#[derive(Debug, Clone)]
pub struct AuditCaller {
    pub principal: Option<Principal>,
    pub resolved: bool,
}

impl AuditCaller {
    /// The audit line's `principal` and `role`: "none" for a caller that did not resolve.
    fn fields(&self) -> (String, String) {
        let (who, role) = crate::policy::audit::AuditLog::principal_fields(self.principal.as_ref());
        (who, if self.resolved { role } else { "none".into() })
    }
}

/// One finished call, as the audit log sees it.
pub struct Audited<'a> {
    pub caller: &'a AuditCaller,
    pub targets: Vec<i64>,
    pub fields: Vec<String>,
    pub outcome: std::result::Result<(), &'a Error>,
    /// Writes: the request, recorded as a keyed digest.
    pub write_request: Option<&'a serde_json::Value>,
    pub write_status: Option<String>,
}

fn encode<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::upstream(format!("result could not be encoded: {e}")))
}

/// A successful result: structured content plus its compact JSON text for clients that show the
/// model only `content`.
pub fn success(value: serde_json::Value) -> CallToolResult {
    CallToolResult::structured(value)
}

impl PersonioServer {
    /// The tool's name from the request context.
    pub(crate) fn tool_name(ctx: &RequestContext<RoleServer>) -> String {
        ctx.extensions
            .get::<ToolName>()
            .map(|t| t.0.clone())
            .unwrap_or_default()
    }

    /// Resolves the caller into a facade (reporting a cold directory load as progress).
    pub(crate) async fn guarded(
        &self,
        ctx: &RequestContext<RoleServer>,
        forwarder: &ProgressForwarder,
    ) -> (AuditCaller, Result<Guarded>) {
        let principal = self.principal(ctx);
        let guarded = self
            .app()
            .guard(principal.as_ref(), forwarder.progress())
            .await;
        let principal = principal.or_else(|| self.app().default_principal().cloned());
        let caller = AuditCaller {
            principal,
            resolved: guarded.is_ok(),
        };
        (caller, guarded)
    }

    /// Runs one read tool: facade → `run` → audit → result.
    pub(crate) async fn run_tool<T, F, Fut>(
        &self,
        ctx: &RequestContext<RoleServer>,
        run: F,
    ) -> std::result::Result<CallToolResult, rmcp::ErrorData>
    where
        T: ToolOutput,
        F: FnOnce(Guarded) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let forwarder = ProgressForwarder::new(ctx);
        let (principal, guarded) = self.guarded(ctx, &forwarder).await;
        let result = match guarded {
            Ok(g) => run(g).await,
            Err(e) => Err(e),
        };
        forwarder.finish().await;
        let encoded = result.and_then(|r| Ok((r.targets(), encode(&r)?)));
        let tool = Self::tool_name(ctx);
        match encoded {
            Ok((targets, value)) => {
                self.audit(
                    &tool,
                    Audited {
                        caller: &principal,
                        targets,
                        fields: self.audited_fields(&value),
                        outcome: Ok(()),
                        write_request: None,
                        write_status: None,
                    },
                );
                Ok(success(value))
            }
            Err(e) => {
                self.audit(
                    &tool,
                    Audited {
                        caller: &principal,
                        targets: e.target.into_iter().collect(),
                        fields: Vec::new(),
                        outcome: Err(&e),
                        write_request: None,
                        write_status: None,
                    },
                );
                tracing::debug!(code = %e.code, "tool call failed");
                Ok(error_result(&e))
            }
        }
    }

    /// The result's field names for the audit line; nothing is walked without an audit log (a
    /// search result holds up to 50 employees, and most servers run without one).
    pub(crate) fn audited_fields(&self, value: &serde_json::Value) -> Vec<String> {
        match self.app().audit() {
            Some(_) => super::audit::field_names(value),
            None => Vec::new(),
        }
    }

    /// Writes one audit line, when an audit log is configured.
    pub(crate) fn audit(&self, tool: &str, a: Audited<'_>) {
        let Some(log) = self.app().audit() else {
            return;
        };
        let (who, role) = a.caller.fields();
        log.record(&AuditEvent {
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            principal: who,
            role,
            tool: tool.to_string(),
            targets: a.targets.into_iter().map(|id| log.hash_id(id)).collect(),
            fields: a.fields,
            outcome: match a.outcome {
                Ok(()) => "ok".to_string(),
                Err(e) => e.code.to_string(),
            },
            write_status: a.write_request.and(a.write_status),
            write_digest: a.write_request.map(|r| log.keyed_digest(r)),
        });
    }
}
