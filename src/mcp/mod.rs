//! The MCP layer: one rmcp `ServerHandler` ([`server`], on the value of [`handler`]) combining a
//! file per tool ([`tools`]),
//! the shared call path ([`dispatch`]: arguments, caller, audit) and write flow ([`confirm`]),
//! prompts from `prompts/`, resources and completions. Never builds HTTP requests itself.

pub mod arguments;
pub mod audit;
pub mod completions;
pub mod confirm;
pub mod dispatch;
pub mod errors;
pub mod handler;
pub mod progress;
pub mod prompts;
pub mod resources;
pub mod schemas;
pub mod scope;
pub mod server;
pub mod tools;
pub mod write_tool;

pub use handler::PersonioServer;
