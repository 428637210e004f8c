//! The MCP layer: one rmcp `ServerHandler` with a file per tool, prompts from `prompts/`,
//! resources and completions. Never builds HTTP requests itself.

pub mod audit;
pub mod errors;
pub mod prompts;
pub mod server;
pub mod tools;

pub use server::PersonioServer;
