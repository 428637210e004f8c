//! What probing a credential found, as plain facts: whether an endpoint works (or why not) and
//! which attributes it could not read. Both the scope report (`scope.rs`) and the per-capability
//! readiness (`capability.rs`) are built from these, so they live below both: neither of the two
//! has to import the other to name them.

use serde::Serialize;

use crate::error::ErrorCode;

/// An attribute the caller needed that the credential cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingAttribute {
    /// Personio's key, e.g. `supervisor`.
    pub key: String,
    /// Personio's label, e.g. "Supervisor".
    pub label: String,
    /// What will be missing or degraded without it.
    pub used_by: String,
}

/// The attributes a call needed but could not read, with the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct OmittedAttributes {
    pub omitted: Vec<MissingAttribute>,
    /// How to enable them; empty when nothing is missing.
    pub hint: String,
}

impl OmittedAttributes {
    pub fn is_empty(&self) -> bool {
        self.omitted.is_empty()
    }
}

/// Whether one endpoint works for this credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EndpointAccess {
    Works,
    Forbidden {
        missing_permission: String,
    },
    Failed {
        code: ErrorCode,
        message: String,
    },
    /// Not probed: writes are never tested by writing.
    NotProbed {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointCheck {
    pub name: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub access: EndpointAccess,
}
