//! Who is calling: an employee email and a role, attached by the transport (HTTP token mapping, or
//! stdio configuration) and read by the policy layer.

use serde::{Deserialize, Serialize};

/// What a caller may see and do (enforced by the access policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Self only.
    Employee,
    /// Self plus direct and indirect reports (supervisor tree).
    Manager,
    /// Everything the Personio credential allows.
    Hr,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Manager => "manager",
            Role::Hr => "hr",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The caller's work email in Personio; must match exactly one current employee (fails closed
    /// otherwise; a rehire's old, inactive record beside the current one does not count).
    pub email: String,
    pub role: Role,
}
