//! How MCP reaches the server: stdio, HTTP (Streamable HTTP and legacy HTTP+SSE, secured), and an
//! in-process pipe for the CLI's `tools` commands.

pub mod caller;
pub mod confirm_args;
pub mod confirm_page;
pub mod http;
pub mod http_args;
pub mod in_process;
pub mod legacy_sse;
pub mod lifecycle;
pub mod oauth;
pub mod security;
pub mod state_args;
pub mod stdio;
mod stdio_fds;
mod stdio_lines;
pub mod webhooks;
pub mod wiring;
