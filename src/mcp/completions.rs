//! Argument completions for prompts and the employee resource template. They follow the same
//! principal rules as the tools: people are suggested only to a caller who may see them in
//! detail (themself; a manager's reports; HR everyone), and an unknown caller gets nothing.

use rmcp::model::{CompleteRequestParams, CompleteResult, CompletionInfo, Reference};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};

use super::dispatch::Audited;
use super::handler::PersonioServer;
use super::progress::ProgressForwarder;
use crate::domain::normalize::plain_fold;
use crate::policy::guarded::Guarded;

/// Longest prefix looked at (a completion request is not a search).
const MAX_PREFIX: usize = 100;

/// Up to 100 distinct values starting with (or containing a word starting with) `prefix`.
fn complete_from(values: impl Iterator<Item = String>, prefix: &str) -> Vec<String> {
    let p = plain_fold(prefix);
    let p = p.trim();
    let mut out: Vec<String> = values
        .filter(|v| {
            let f = plain_fold(v);
            p.is_empty() || f.starts_with(p) || f.split_whitespace().any(|w| w.starts_with(p))
        })
        .collect();
    out.sort();
    out.dedup();
    out.truncate(CompletionInfo::MAX_VALUES);
    out
}

async fn values(g: &Guarded, r: &Reference, arg: &str, value: &str) -> Vec<String> {
    // Only the people the caller may see: the facade filters, as for every other door.
    let people = || async { g.directory_names().await.unwrap_or_default() };
    match (r, arg) {
        (Reference::Prompt(_), "employee") => {
            complete_from(people().await.into_iter().map(|(_, n)| n), value)
        }
        (Reference::Prompt(_), "department" | "team" | "team_or_department") => {
            let names = g
                .org_names(arg != "team", arg != "department")
                .await
                .unwrap_or_default();
            complete_from(names.into_iter(), value)
        }
        (Reference::Prompt(_), "time_off_type") => match g.types().await {
            Ok(types) => complete_from(types.iter().map(|t| t.name.clone()), value),
            Err(_) => Vec::new(),
        },
        (Reference::Resource(_), "id") => {
            let mut ids: Vec<String> = people()
                .await
                .into_iter()
                .map(|(id, _)| id.to_string())
                .filter(|id| id.starts_with(value.trim()))
                .collect();
            ids.sort();
            ids.truncate(CompletionInfo::MAX_VALUES);
            ids
        }
        _ => Vec::new(),
    }
}

/// The argument name for the audit log: one of ours, or "other" (client text is not logged).
fn known_argument(arg: &str) -> &'static str {
    match arg {
        "employee" => "employee",
        "department" => "department",
        "team" => "team",
        "team_or_department" => "team_or_department",
        "time_off_type" => "time_off_type",
        "id" => "id",
        _ => "other",
    }
}

impl PersonioServer {
    pub(crate) async fn completions(
        &self,
        request: CompleteRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> std::result::Result<CompleteResult, ErrorData> {
        let arg = request.argument.name.as_str();
        let value: String = request.argument.value.chars().take(MAX_PREFIX).collect();
        let forwarder = ProgressForwarder::new(ctx);
        let (principal, guarded) = self.guarded(ctx, &forwarder).await;
        forwarder.finish().await;
        let (list, outcome) = match &guarded {
            Ok(g) => (values(g, &request.r#ref, arg, &value).await, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        };
        self.audit(
            "completion/complete",
            Audited {
                caller: &principal,
                targets: Vec::new(),
                fields: vec![format!("argument:{}", known_argument(arg))],
                outcome,
                write_request: None,
                write_status: None,
            },
        );
        let info = CompletionInfo::with_all_values(list)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(CompleteResult::new(info))
    }
}
