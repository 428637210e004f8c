//! [`PersonioServer`]: one MCP session's handler value — the [`App`], the tools this server
//! exposes, the prompts, and where callers come from.
//!
//! The value lives here, below everything that adds behaviour to it: each tool file adds its own
//! `#[tool_router]` block, [`super::dispatch`] the shared call path, [`super::server`] the protocol
//! methods and the assembly of the tools. So the tool files name this file, not the protocol
//! handler that combines them, and no import runs back up.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::Extensions;
use rmcp::service::RequestContext;

use super::prompts::PromptTemplate;
use crate::app::App;
use crate::policy::principal::Principal;

/// Reads the caller a transport attached to a request (e.g. from a bearer token). The transport
/// provides it, so this layer never looks into HTTP requests itself.
pub type CallerSource = Arc<dyn Fn(&Extensions) -> Option<Principal> + Send + Sync>;

/// One MCP session's handler. Cheap to create: it shares the [`App`].
#[derive(Clone)]
pub struct PersonioServer {
    pub(super) app: App,
    /// The tools left after `--read-only` and `--tools` (built in [`super::server`]).
    pub(super) tool_router: ToolRouter<PersonioServer>,
    pub(super) prompts: Arc<Vec<PromptTemplate>>,
    pub(super) caller_source: Option<CallerSource>,
}

impl PersonioServer {
    /// Reads callers from requests with `source` (set by the HTTP transports).
    pub fn with_caller_source(mut self, source: CallerSource) -> Self {
        self.caller_source = Some(source);
        self
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// The names of the tools this server exposes.
    pub fn tool_list(&self) -> Vec<String> {
        self.tool_router
            .list_all()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect()
    }

    /// The caller the transport attached to this request, if any (callers fall back to the
    /// app's default caller, e.g. `--as`, where that applies).
    pub(crate) fn principal(&self, ctx: &RequestContext<RoleServer>) -> Option<Principal> {
        self.caller_source
            .as_ref()
            .and_then(|source| source(&ctx.extensions))
    }
}
