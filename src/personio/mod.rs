//! The Personio HTTP client: auth, rate limits, retries, pagination, lenient parsing and the scope
//! report. Knows nothing of MCP.
//!
//! - [`config`]: settings (secrets as `SecretString`).
//! - [`http`]: the request executor (limiter → token → send → classify → retry).
//! - [`model`]: Personio's wire formats, parsed leniently into [`types`].
//! - [`employees`], [`absences`], [`scope`]: the operations, as methods of [`PersonioClient`].

pub mod absences;
pub mod auth;
pub mod client;
pub mod config;
pub mod employees;
pub mod http;
pub mod limits;
pub mod model;
pub mod pagination;
pub mod scope;
pub mod types;

pub use absences::{AbsenceQuery, NewHourAbsence, NewTimeOff};
pub use client::PersonioClient;
pub use config::{AuthFlavor, ClientConfig};
pub use employees::EmployeeQuery;
pub use scope::{OmittedAttributes, ScopeReport};
pub use types::*;
