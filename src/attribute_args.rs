//! The attribute settings (`--expose-attribute`, `--hr-sensitive-attribute`), shared by `serve`,
//! `tools` and `doctor`, so that `doctor` checks exactly what the server would be started with.

use crate::personio::PersonioClient as Client;
use crate::policy::fields::FieldPolicy;

/// Which custom and sensitive attributes may leave the server, and to whom.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AttributeArgs {
    /// Custom attribute (Personio label or dynamic_<id> key) that may be returned to every role.
    /// Repeatable; default none. Sensitive attributes are never exposed this way.
    #[rustfmt::skip]
    #[arg(long = "expose-attribute", value_name = "LABEL_OR_KEY", env = "PERSONIO_MCP_EXPOSE_ATTRIBUTES", value_delimiter = ',')]
    pub expose_attributes: Vec<String>,
    /// Sensitive attribute (label, key or universal id, e.g. fix_salary) that HR callers may see.
    /// Repeatable; default none.
    #[rustfmt::skip]
    #[arg(long = "hr-sensitive-attribute", value_name = "LABEL_OR_KEY", env = "PERSONIO_MCP_HR_SENSITIVE_ATTRIBUTES", value_delimiter = ',')]
    pub hr_sensitive_attributes: Vec<String>,
}

impl AttributeArgs {
    /// The policy these flags describe; refuses a sensitive attribute offered to every role.
    pub fn policy(&self) -> crate::Result<FieldPolicy> {
        let fields = FieldPolicy {
            exposed_custom: self.expose_attributes.clone(),
            hr_sensitive: self.hr_sensitive_attributes.clone(),
        };
        fields.check()?;
        Ok(fields)
    }
}

/// The configured names that match no attribute the credential can read: a typo, or an
/// attribute the credential may not read. Either way the setting would silently expose nothing,
/// so `serve` warns on stderr and `doctor` lists them. Empty when nothing is configured (no
/// request is made then).
pub async fn unknown_attribute_names(
    fields: &FieldPolicy,
    client: &Client,
) -> crate::Result<Vec<String>> {
    if fields.exposed_custom.is_empty() && fields.hr_sensitive.is_empty() {
        return Ok(Vec::new());
    }
    let readable = client.readable_attributes().await?;
    let known: Vec<(String, String, Option<String>)> = readable
        .iter()
        .map(|a| (a.key.clone(), a.label.clone(), a.universal_id.clone()))
        .collect();
    Ok(fields
        .unknown_names(&known)
        .into_iter()
        .map(str::to_string)
        .collect())
}
