//! The Personio HTTP client: auth, pacing, retries, pagination, lenient parsing and the scope
//! report. Knows nothing of MCP.
//!
//! Imports point one way: `request` ← `failure` ← `auth` ← `http` ← `pagination` ← the operations.
//! - [`config`]: settings (secrets as `SecretString`).
//! - [`request`]: one logical request; [`failure`]: how its failures are classified.
//! - [`limits`]: pacing to Personio's limits; [`auth`]: the token cache.
//! - [`http`]: the request executor (pace → token → send → classify → retry).
//! - [`model`]: Personio's wire formats, parsed leniently into [`types`].
//! - [`employees`], [`absences`], [`scope`]: the operations, as methods of [`PersonioClient`];
//!   [`access`] and [`capability`]: the facts and the vocabulary the scope report is made of.
//! - [`api_choice`]: which API generation serves which endpoint; [`v2`]: the v2 operations, mapped
//!   onto the same types (the v1 methods route there when v2 is chosen).

pub mod absences;
pub mod access;
pub mod api_choice;
pub mod auth;
pub mod capability;
pub mod client;
pub mod config;
pub mod employees;
pub mod failure;
pub mod http;
pub mod limits;
pub mod model;
pub mod pagination;
pub mod request;
pub mod scope;
pub mod types;
pub mod v2;

pub use absences::{AbsenceQuery, NewHourAbsence, NewTimeOff};
pub use api_choice::{Api, ApiMode, Choice, Endpoint};
pub use capability::{Capability, CapabilityCheck, Needs, Readiness};
pub use client::PersonioClient;
pub use config::{AuthFlavor, ClientConfig};
pub use employees::EmployeeQuery;
pub use failure::is_outcome_unknown;
pub use scope::{OmittedAttributes, ScopeReport};
pub use types::*;
