//! What the credential may read and do.
//!
//! Personio silently drops every employee attribute the API credential may not read
//! (REFERENCE.md §7): no error, the key is simply absent. This module learns the readable set
//! from `GET /v1/company/employees/attributes` and turns "absent" into an explicit report — which
//! attribute, under which label, needed for what, and where an admin enables it.
//!
//! Readiness is reported per Personio capability (`capability.rs`), never per MCP tool.

use std::collections::BTreeSet;

use serde::Serialize;

pub use super::access::{EndpointAccess, EndpointCheck, MissingAttribute, OmittedAttributes};
use super::api_choice::{
    Api, ApiMode, Choice, Endpoint, SCOPE_ABSENCES_READ, SCOPE_ABSENCES_WRITE, SCOPE_PERSONS_READ,
    Scopes,
};
use super::capability::capability_readiness;
pub use super::capability::{Capability, CapabilityCheck, Needs, Readiness};
use super::client::PersonioClient;
use super::http::Request;
use super::model::attributes::{AttributeInfo, parse_attributes};
use super::pagination::fetch_v1;
use crate::error::{ErrorCode, Result};

/// Where an admin ticks readable attributes.
pub const ATTRIBUTE_HINT: &str = "A Personio admin can allow it in Personio › Settings › Integrations › API credentials › \
Readable employee attributes.";

/// Standard attributes the server uses, with Personio's English labels (unreadable attributes are
/// not listed by Personio, so the label has to come from us) and what needs them.
pub const RECOMMENDED: &[(&str, &str, &str)] = &[
    ("first_name", "First name", "finding and naming people"),
    ("last_name", "Last name", "finding and naming people"),
    (
        "email",
        "Email",
        "finding people by email, matching callers",
    ),
    ("status", "Status", "telling active from former employees"),
    ("position", "Position", "employee details and search"),
    (
        "department",
        "Department",
        "department filters of people and absences",
    ),
    ("office", "Office", "office filters"),
    ("team", "Team", "team filters of people and absences"),
    ("supervisor", "Supervisor", "manager access to reports"),
    ("hire_date", "Hire date", "employee details"),
    ("termination_date", "Termination date", "employee details"),
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

/// Everything known about the credential's reach.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeReport {
    pub readable_attributes: Vec<AttributeInfo>,
    pub missing_recommended: Vec<MissingAttribute>,
    pub endpoints: Vec<EndpointCheck>,
    pub capabilities: Vec<CapabilityCheck>,
    pub hint: String,
    /// Which API serves each endpoint, and why.
    pub api: Vec<Choice>,
    /// The v2 scopes granted and missing (`None` in `--personio-api v1`, where no v2 token is
    /// asked for).
    pub v2_scopes: Option<V2Scopes>,
}

/// The v2 scopes of the credential, against those the v2 endpoints need.
#[derive(Debug, Clone, Serialize)]
pub struct V2Scopes {
    pub granted: Vec<String>,
    /// Needed by a v2 endpoint the server uses, but not granted: an admin adds them in
    /// Personio › Settings › Integrations › API credentials.
    pub missing: Vec<String>,
    /// Why no v2 token could be had, if so.
    pub unavailable: Option<String>,
}

impl From<&Scopes> for V2Scopes {
    fn from(s: &Scopes) -> Self {
        match s {
            Scopes::Granted(g) => V2Scopes {
                granted: g.iter().cloned().collect(),
                missing: [
                    SCOPE_PERSONS_READ, SCOPE_ABSENCES_READ, SCOPE_ABSENCES_WRITE,
                ]
                .iter()
                .filter(|n| !g.contains(**n))
                .map(|n| n.to_string())
                .collect(),
                unavailable: None,
            },
            Scopes::Unavailable(why) => V2Scopes {
                granted: Vec::new(),
                missing: Vec::new(),
                unavailable: Some(why.clone()),
            },
        }
    }
}

/// The permission names of v2 probes (they name the scope).
const V2_PERSONS: &str = "read employees (v2 scope personio:persons:read)";
const V2_ABSENCES: &str = "read absences (v2 scope personio:absences:read)";

/// Org units v2 names by id only: readable in v1, still missing when the directory comes
/// from v2 persons.
fn v2_unnamed(already: &OmittedAttributes) -> Vec<MissingAttribute> {
    ["department", "office", "team"]
        .iter()
        .filter(|k| !already.omitted.iter().any(|m| m.key == **k))
        .map(|k| MissingAttribute {
            key: k.to_string(),
            label: standard_label(k).unwrap_or(k).to_string(),
            used_by: "filters by org unit (v2 employments name org units by id only; use --personio-api auto or v1)".into(),
        })
        .collect()
}

impl ScopeReport {
    /// Usable = the directory can be read at all.
    pub fn usable(&self) -> bool {
        self.endpoints
            .iter()
            .any(|e| e.name == "list employees" && e.access == EndpointAccess::Works)
    }

    /// The check of one capability.
    pub fn capability(&self, c: Capability) -> Option<&CapabilityCheck> {
        self.capabilities.iter().find(|k| k.capability == c)
    }

    /// The readiness of an operation that needs `caps` in the way `needs` says, with the reasons
    /// of whatever is not fully ready.
    pub fn readiness_of(&self, caps: &[Capability], needs: Needs) -> (Readiness, String) {
        let checks: Vec<&CapabilityCheck> =
            caps.iter().filter_map(|c| self.capability(*c)).collect();
        let worst = checks.iter().map(|c| c.readiness).min();
        let best = checks.iter().map(|c| c.readiness).max();
        let readiness = match (needs, worst, best) {
            (_, None, _) | (_, _, None) => Readiness::Unknown,
            (Needs::All, Some(w), _) => w,
            (Needs::Any, Some(w), Some(b)) if w == b => b,
            (Needs::Any, Some(_), Some(b)) if b >= Readiness::Partial => Readiness::Partial,
            (Needs::Any, Some(_), Some(b)) => b,
        };
        let reasons: Vec<String> = checks
            .iter()
            .filter(|c| c.readiness != Readiness::Full)
            .map(|c| format!("{}: {}", c.capability.as_str(), c.reason))
            .collect();
        let reason = if reasons.is_empty() {
            "everything it needs answered".to_string()
        } else {
            reasons.join("; ")
        };
        (readiness, reason)
    }
}

impl PersonioClient {
    /// The attributes this credential may read (cached; an admin rarely changes them).
    pub async fn readable_attributes(&self) -> Result<std::sync::Arc<Vec<AttributeInfo>>> {
        self.inner
            .attributes
            .get_or_load(async {
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

    /// The full report: readable vs missing attributes, endpoint access (probed on the API each
    /// endpoint is served by), capability readiness, and the v2 scopes when v2 is in play.
    pub async fn scope_report(&self) -> Result<ScopeReport> {
        let readable = self.readable_attributes().await?;
        let needed: Vec<&str> = RECOMMENDED.iter().map(|(k, _, _)| *k).collect();
        let mut missing = omitted_from(&readable, &needed);
        let api = self.api_choices().await;
        let on_v2 = |e: Endpoint| api.iter().any(|c| c.endpoint == e && c.api == Api::V2);
        if on_v2(Endpoint::Employees) {
            missing.omitted.extend(v2_unnamed(&missing));
        }

        let mut endpoints = Vec::new();
        let (path, employees) = if on_v2(Endpoint::Employees) {
            let req = Request::get("/v2/persons", V2_PERSONS, "employee").query("limit", 1);
            ("/v2/persons", self.probe_v2(req).await)
        } else {
            let req = Request::get("/v1/company/employees", "read employees", "employee")
                .query("limit", 1)
                .query("offset", 0);
            ("/v1/company/employees", self.probe(req).await)
        };
        let first_id = employees.as_ref().ok().and_then(|data| {
            let first = data.as_array().and_then(|a| a.first())?;
            super::pagination::item_id(first).or_else(|| super::v2::item_id(first))
        });
        endpoints.push(check("list employees", "GET", path, employees.map(|_| ())));
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
        if on_v2(Endpoint::AbsenceReads) {
            // One v2 endpoint serves both units: one probe answers for both.
            let req = Request::get("/v2/absence-periods", V2_ABSENCES, "absence").query("limit", 1);
            let r = self.probe_v2(req).await.map(|_| ());
            for name in ["list day absences", "list hour absences"] {
                endpoints.push(check(name, "GET", "/v2/absence-periods", r.clone()));
            }
        } else {
            for (name, path) in [
                ("list day absences", "/v1/company/time-offs"),
                ("list hour absences", "/v1/company/absence-periods"),
            ] {
                let req = Request::get(path, "read absences", "absence").query("limit", 1);
                endpoints.push(check(name, "GET", path, self.probe(req).await.map(|_| ())));
            }
        }
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
            path: if on_v2(Endpoint::AbsenceWrites) {
                "/v2/absence-periods"
            } else {
                "/v1/company/time-offs"
            },
            access: EndpointAccess::NotProbed {
                reason: "writes are never tested by writing; the first write will tell".into(),
            },
        });
        let capabilities = capability_readiness(&endpoints, &missing);
        let v2_scopes = match self.config().api {
            ApiMode::V1 => None,
            _ => Some(V2Scopes::from(&self.v2_scopes().await)),
        };
        Ok(ScopeReport {
            readable_attributes: readable.as_ref().clone(),
            hint: if missing.is_empty() {
                String::new()
            } else {
                ATTRIBUTE_HINT.into()
            },
            missing_recommended: missing.omitted,
            endpoints,
            capabilities,
            api,
            v2_scopes,
        })
    }

    /// A v2 probe: the `_data` of the answer.
    async fn probe_v2(&self, req: Request) -> Result<serde_json::Value> {
        super::v2::fetch_json(self.http(), &req)
            .await
            .map(|b| b.get("_data").cloned().unwrap_or(serde_json::Value::Null))
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

    fn endpoint(name: &'static str, works: bool) -> EndpointCheck {
        EndpointCheck {
            name,
            method: "GET",
            path: "/",
            access: if works {
                EndpointAccess::Works
            } else {
                EndpointAccess::Forbidden {
                    missing_permission: "x".into(),
                }
            },
        }
    }

    #[test]
    fn capabilities_follow_their_endpoints_and_combine_by_need() {
        let endpoints = vec![
            endpoint("list employees", true),
            endpoint("list time-off types", true),
            endpoint("read balances", false),
            endpoint("list day absences", true),
            endpoint("list hour absences", false),
        ];
        let report = ScopeReport {
            readable_attributes: Vec::new(),
            missing_recommended: Vec::new(),
            capabilities: capability_readiness(&endpoints, &OmittedAttributes::default()),
            endpoints,
            hint: String::new(),
            api: Vec::new(),
            v2_scopes: None,
        };
        let of = |c| report.capability(c).map(|k| k.readiness);
        assert_eq!(of(Capability::ReadEmployees), Some(Readiness::Full));
        assert_eq!(of(Capability::ReadBalances), Some(Readiness::Unavailable));
        assert_eq!(of(Capability::CreateAbsences), Some(Readiness::Unknown));
        assert_eq!(report.capabilities.len(), Capability::ALL.len());
        let both = [Capability::ReadDayAbsences, Capability::ReadHourAbsences];
        let (r, why) = report.readiness_of(&both, Needs::Any);
        assert_eq!(r, Readiness::Partial);
        assert!(why.contains("read hour absences"), "{why}");
        assert_eq!(
            report.readiness_of(&both, Needs::All).0,
            Readiness::Unavailable
        );
        assert_eq!(
            report
                .readiness_of(
                    &[Capability::ReadEmployees, Capability::ReadTimeOffTypes],
                    Needs::All
                )
                .0,
            Readiness::Full
        );
        assert_eq!(
            report
                .readiness_of(
                    &[Capability::ReadEmployees, Capability::CreateAbsences],
                    Needs::All
                )
                .0,
            Readiness::Unknown
        );
    }
}
