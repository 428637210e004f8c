//! personio-mcp: an MCP server for the Personio HR system.
//!
//! Layers (arrows point down only; see `../shared/DESIGN.md`):
//! `transport` → `mcp` → `policy` → `domain` → `personio` → Personio API (real, or [`sandbox`]).
//! The [`sandbox`] is the outside world: it shares no code with the client.

pub mod app;
pub mod attribute_args;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod domain;
pub mod error;
pub mod mcp;
pub mod personio;
pub mod policy;
pub mod sandbox;
pub mod transport;

pub use error::{Error, ErrorCode, Result};
