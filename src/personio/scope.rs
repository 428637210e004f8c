//! What the credential may read and do.
//!
//! Personio silently drops every employee attribute the API credential may not read
//! (REFERENCE.md §7): no error, the key is simply absent. This module learns the readable set
//! from `GET /v1/company/employees/attributes` and turns "absent" into an explicit report — which
//! attribute, under which label, needed by which tool, and where an admin enables it.

use std::collections::BTreeSet;

use serde::Serialize;

use super::client::PersonioClient;
use super::http::Request;
use super::model::attributes::{AttributeInfo, parse_attributes};
use super::pagination::fetch_v1;
use crate::error::{ErrorCode, Result};

/// Where an admin ticks readable attributes.
pub const ATTRIBUTE_HINT: &str = "A Personio admin can allow it in Personio › Settings › Integrations › API credentials › \
Readable employee attributes.";

/// Standard attributes the tools use, with Personio's English labels (unreadable attributes are
/// not listed by Personio, so the label has to come from us) and what needs them.
pub const RECOMMENDED: &[(&str, &str, &str)] = &[
    (
        "first_name",
        "First name",
        "search_employee, get_employee, every name lookup",
    ),
    (
        "last_name",
        "Last name",
        "search_employee, get_employee, every name lookup",
    ),
    (
        "email",
        "Email",
        "search_employee, resolving people by email",
    ),
    (
        "status",
        "Status",
        "search_employee (active/inactive filter)",
    ),
    ("position", "Position", "search_employee, get_employee"),
    (
        "department",
        "Department",
        "search_employee and list_absences department filter",
    ),
    ("office", "Office", "search_employee office filter"),
    (
        "team",
        "Team",
        "search_employee and list_absences team filter",
    ),
    (
        "supervisor",
        "Supervisor",
        "search_employee, manager access to reports",
    ),
    ("hire_date", "Hire date", "search_employee, get_employee"),
    (
        "termination_date",
        "Termination date",
        "search_employee, get_employee",
    ),
];

/// The label Personio shows for a standard attribute key, when we know it.
pub fn standard_label(key: &str) -> Option<&'static str> {
    RECOMMENDED
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, label, _)| *label)
        .or(match key {
            "preferred_name" => Some("Preferred name"),
            "subcompany" => Some("Subcompany"),
            "weekly_working_hours" => Some("Weekly hours"),
            "employment_type" => Some("Employment type"),
            "contract_end_date" => Some("Contract ends"),
            "cost_centers" => Some("Cost center"),
            "absence_entitlement" => Some("Absence entitlement"),
            "last_modified_at" => Some("Last modified"),
            _ => None,
        })
}

/// An attribute the caller needed that the credential cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct MissingAttribute {
    /// Personio's key, e.g. `supervisor`.
    pub key: String,
    /// Personio's label, e.g. "Supervisor".
    pub label: String,
    /// What will be missing or degraded without it.
    pub used_by: String,
}

/// The attributes a call needed but could not read, with the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default, schemars::JsonSchema)]
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

/// How well a tool will work with this credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolReadiness {
    Full,
    Partial,
    Unavailable,
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolCheck {
    pub tool: &'static str,
    pub readiness: ToolReadiness,
    pub reason: String,
}

/// Everything known about the credential's reach.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeReport {
    pub readable_attributes: Vec<AttributeInfo>,
    pub missing_recommended: Vec<MissingAttribute>,
    pub endpoints: Vec<EndpointCheck>,
    pub tools: Vec<ToolCheck>,
    pub hint: String,
}

impl ScopeReport {
    /// Usable = the directory can be read at all.
    pub fn usable(&self) -> bool {
        self.endpoints
            .iter()
            .any(|e| e.name == "list employees" && e.access == EndpointAccess::Works)
    }
}

impl PersonioClient {
    /// The attributes this credential may read (cached; an admin rarely changes them).
    pub async fn readable_attributes(&self) -> Result<std::sync::Arc<Vec<AttributeInfo>>> {
        self.inner
            .attributes
            .get_or_load(|| async {
                let req = Request::get(
                    "/v1/company/employees/attributes",
                    "read employee attributes",
                    "attribute list",
                );
                let body = fetch_v1(self.http(), &req).await?;
                Ok(parse_attributes(&body.data))
            })
            .await
    }

    /// A live round trip to Personio (for readiness probes): fetches the readable-attribute list
    /// uncached, which proves the token works and the credential can read, and refreshes the cache.
    pub async fn check_connection(&self) -> Result<()> {
        let req = Request::get(
            "/v1/company/employees/attributes",
            "read employee attributes",
            "attribute list",
        );
        let body = fetch_v1(self.http(), &req).await?;
        self.inner
            .attributes
            .replace(parse_attributes(&body.data))
            .await;
        Ok(())
    }

    /// Which of `needed` (attribute keys) the credential cannot read, with labels and the fix.
    pub async fn omitted_attributes(&self, needed: &[&str]) -> Result<OmittedAttributes> {
        let readable = self.readable_attributes().await?;
        Ok(omitted_from(&readable, needed))
    }

    /// The full report: readable vs missing attributes, endpoint access, tool readiness.
    pub async fn scope_report(&self) -> Result<ScopeReport> {
        let readable = self.readable_attributes().await?;
        let needed: Vec<&str> = RECOMMENDED.iter().map(|(k, _, _)| *k).collect();
        let missing = omitted_from(&readable, &needed);

        let mut endpoints = Vec::new();
        let employees = self
            .probe(
                Request::get("/v1/company/employees", "read employees", "employee")
                    .query("limit", 1)
                    .query("offset", 0),
            )
            .await;
        let first_id = employees.as_ref().ok().and_then(|data| {
            data.as_array()
                .and_then(|a| a.first())
                .and_then(super::pagination::item_id)
        });
        endpoints.push(check(
            "list employees",
            "GET",
            "/v1/company/employees",
            employees.map(|_| ()),
        ));
        endpoints.push(check(
            "list time-off types",
            "GET",
            "/v1/company/time-off-types",
            self.probe(
                Request::get("/v1/company/time-off-types", "read absence types", "type")
                    .query("limit", 1),
            )
            .await
            .map(|_| ()),
        ));
        endpoints.push(check(
            "list day absences",
            "GET",
            "/v1/company/time-offs",
            self.probe(
                Request::get("/v1/company/time-offs", "read absences", "absence").query("limit", 1),
            )
            .await
            .map(|_| ()),
        ));
        endpoints.push(check(
            "list hour absences",
            "GET",
            "/v1/company/absence-periods",
            self.probe(
                Request::get("/v1/company/absence-periods", "read absences", "absence")
                    .query("limit", 1),
            )
            .await
            .map(|_| ()),
        ));
        let balance = match first_id {
            Some(id) => self
                .probe(Request::get(
                    format!("/v1/company/employees/{id}/absences/balance"),
                    "read absence balances",
                    "employee",
                ))
                .await
                .map(|_| ()),
            None => Err(crate::Error::not_found(
                "no employee to probe balances with",
            )),
        };
        endpoints.push(check(
            "read balances",
            "GET",
            "/v1/company/employees/{id}/absences/balance",
            balance,
        ));
        endpoints.push(EndpointCheck {
            name: "create absences",
            method: "POST",
            path: "/v1/company/time-offs",
            access: EndpointAccess::NotProbed {
                reason:
                    "writes are never tested by writing; the first create_time_off call will tell"
                        .into(),
            },
        });
        let tools = tool_readiness(&endpoints, &missing);
        Ok(ScopeReport {
            readable_attributes: readable.as_ref().clone(),
            hint: if missing.is_empty() {
                String::new()
            } else {
                ATTRIBUTE_HINT.into()
            },
            missing_recommended: missing.omitted,
            endpoints,
            tools,
        })
    }

    async fn probe(&self, req: Request) -> Result<serde_json::Value> {
        fetch_v1(self.http(), &req).await.map(|b| b.data)
    }
}

fn check(
    name: &'static str,
    method: &'static str,
    path: &'static str,
    r: Result<()>,
) -> EndpointCheck {
    let access = match r {
        Ok(()) => EndpointAccess::Works,
        Err(e) if e.code == ErrorCode::PermissionMissing => EndpointAccess::Forbidden {
            missing_permission: e.message,
        },
        Err(e) => EndpointAccess::Failed {
            code: e.code,
            message: e.message,
        },
    };
    EndpointCheck {
        name,
        method,
        path,
        access,
    }
}

/// Pure part of [`PersonioClient::omitted_attributes`].
pub fn omitted_from(readable: &[AttributeInfo], needed: &[&str]) -> OmittedAttributes {
    let readable: BTreeSet<&str> = readable.iter().map(|a| a.key.as_str()).collect();
    let omitted: Vec<MissingAttribute> = needed
        .iter()
        .filter(|k| **k != "id" && !readable.contains(**k))
        .map(|k| {
            let (label, used_by) = RECOMMENDED
                .iter()
                .find(|(key, _, _)| key == k)
                .map(|(_, l, u)| (l.to_string(), u.to_string()))
                .unwrap_or_else(|| {
                    (
                        standard_label(k).unwrap_or(k).to_string(),
                        "requested by the caller".to_string(),
                    )
                });
            MissingAttribute {
                key: k.to_string(),
                label,
                used_by,
            }
        })
        .collect();
    OmittedAttributes {
        hint: if omitted.is_empty() {
            String::new()
        } else {
            format!(
                "Personio does not let this API credential read: {}. {ATTRIBUTE_HINT}",
                omitted
                    .iter()
                    .map(|m| m.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        omitted,
    }
}

fn works(endpoints: &[EndpointCheck], name: &str) -> bool {
    endpoints
        .iter()
        .any(|e| e.name == name && e.access == EndpointAccess::Works)
}

fn tool_readiness(endpoints: &[EndpointCheck], missing: &OmittedAttributes) -> Vec<ToolCheck> {
    let employees = works(endpoints, "list employees");
    let names_missing = missing
        .omitted
        .iter()
        .any(|m| m.key == "first_name" || m.key == "last_name");
    let directory = |tool: &'static str| -> ToolCheck {
        if !employees {
            ToolCheck {
                tool,
                readiness: ToolReadiness::Unavailable,
                reason: "the credential cannot list employees".into(),
            }
        } else if names_missing {
            ToolCheck {
                tool,
                readiness: ToolReadiness::Partial,
                reason: "names are not readable, so people can only be found by id or email".into(),
            }
        } else if !missing.is_empty() {
            ToolCheck {
                tool,
                readiness: ToolReadiness::Partial,
                reason: format!(
                    "works, without: {}",
                    missing
                        .omitted
                        .iter()
                        .map(|m| m.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        } else {
            ToolCheck {
                tool,
                readiness: ToolReadiness::Full,
                reason: "all recommended attributes are readable".into(),
            }
        }
    };
    let needs = |tool: &'static str, names: &[&str]| -> ToolCheck {
        let failing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !works(endpoints, n))
            .collect();
        if !employees || failing.len() == names.len() {
            ToolCheck {
                tool,
                readiness: ToolReadiness::Unavailable,
                reason: format!("not allowed or failing: {}", failing.join(", ")),
            }
        } else if !failing.is_empty() {
            ToolCheck {
                tool,
                readiness: ToolReadiness::Partial,
                reason: format!("not allowed or failing: {}", failing.join(", ")),
            }
        } else {
            ToolCheck {
                tool,
                readiness: ToolReadiness::Full,
                reason: "every endpoint it uses answered".into(),
            }
        }
    };
    vec![
        directory("search_employee"),
        directory("get_employee"),
        needs("get_pto_balance", &["read balances"]),
        needs(
            "list_absences",
            &["list day absences", "list hour absences"],
        ),
        needs("list_time_off_types", &["list time-off types"]),
        ToolCheck {
            tool: "create_time_off",
            readiness: if employees && works(endpoints, "list time-off types") {
                ToolReadiness::Unknown
            } else {
                ToolReadiness::Unavailable
            },
            reason: "write permission is only known at the first write (never probed)".into(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(key: &str) -> AttributeInfo {
        AttributeInfo {
            key: key.into(),
            label: key.into(),
            kind: None,
            universal_id: None,
        }
    }

    #[test]
    fn omitted_names_labels_and_fix() {
        let readable = vec![attr("first_name"), attr("last_name"), attr("email")];
        let o = omitted_from(&readable, &["id", "first_name", "supervisor", "dynamic_9"]);
        let keys: Vec<&str> = o.omitted.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, vec!["supervisor", "dynamic_9"]);
        assert_eq!(o.omitted[0].label, "Supervisor");
        assert!(o.hint.contains("Readable employee attributes"));
        assert!(o.hint.contains("Supervisor"));
        assert!(omitted_from(&readable, &["first_name"]).is_empty());
    }
}
