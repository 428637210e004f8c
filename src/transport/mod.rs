//! How MCP reaches the server: stdio, and an in-process pipe for the CLI's `tools` commands.

pub mod in_process;
pub mod stdio;
