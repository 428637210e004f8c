//! [`write_tool!`]: what every write tool declares alike, written once.
//!
//! A write tool's own file keeps everything that is its own (arguments, result, description,
//! title, whether it destroys, its [`WriteOp`](super::confirm::WriteOp) steps) and names them in
//! one invocation. The macro adds the MCP entry (a `#[tool]` in the tool's own router, annotated as
//! a write so `--read-only` hides it), the audit facts every write result carries (its employee
//! and status), and `run` for callers outside MCP (tests, the command line). rmcp reads `#[tool]`
//! fns before macros inside an impl expand, so the macro emits the whole `#[tool_router]` impl.

/// The fields with which a write result tells the caller how to go on (flattened into it).
#[derive(
    Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct GoOn {
    /// Pass back with the same arguments to go ahead.
    pub confirmation_token: Option<String>,
    /// Show it to the user: they confirm there first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub confirmation_url: Option<String>,
    /// What to do next, if anything.
    pub next_step: Option<String>,
}

/// Declares a write tool on the shared flow. The result type must have `employee: PersonOut` and
/// `status: String`; `op` wraps the arguments into the tool's [`WriteOp`](super::confirm::WriteOp).
macro_rules! write_tool {
    (
        $name:ident, router: $router:ident, op: $op:ident($args:ident) -> $out:ident,
        title: $title:tt, description: $description:ident,
        destructive: $destructive:tt, idempotent: $idempotent:tt $(,)?
    ) => {
        impl $crate::mcp::dispatch::ToolOutput for $out {
            fn targets(&self) -> Vec<i64> {
                vec![self.employee.id]
            }

            fn write_status(&self) -> Option<&str> {
                Some(&self.status)
            }
        }

        #[::rmcp::tool_router(router = $router, vis = "pub(crate)")]
        impl $crate::mcp::handler::PersonioServer {
            #[::rmcp::tool(
                title = $title,
                description = $description,
                output_schema = ::rmcp::handler::server::tool::schema_for_output::<$out>(),
                annotations(
                    title = $title,
                    read_only_hint = false,
                    destructive_hint = $destructive,
                    idempotent_hint = $idempotent,
                    open_world_hint = true
                )
            )]
            async fn $name(
                &self,
                ::rmcp::handler::server::wrapper::Parameters(args): ::rmcp::handler::server::wrapper::Parameters<$args>,
                ctx: ::rmcp::service::RequestContext<::rmcp::RoleServer>,
                ::rmcp::handler::server::tool::RequestState(state): ::rmcp::handler::server::tool::RequestState,
                ::rmcp::handler::server::tool::InputResponses(responses): ::rmcp::handler::server::tool::InputResponses,
            ) -> ::std::result::Result<::rmcp::model::CallToolResponse, ::rmcp::ErrorData> {
                self.run_write(&ctx, $op(args), state, responses).await
            }
        }

        /// Runs the tool outside MCP (tests, the command line) through the shared write flow.
        pub async fn run(
            g: &$crate::policy::guarded::Guarded,
            args: $args,
            confirmation: $crate::mcp::confirm::Confirmation,
            app: &$crate::app::App,
        ) -> $crate::error::Result<$crate::mcp::confirm::Outcome<$out>> {
            $crate::mcp::confirm::run_for(g, $op(args), confirmation, app).await
        }
    };
}

pub(crate) use write_tool;
