//! Which Personio API generation serves which kind of request — decided here and nowhere else.
//!
//! Personio moves integrators from v1 to v2 (persons, employments, absence periods of both units,
//! absence types), but not everything has moved: balances exist only in v1, and v2 carries no
//! integer type ids, which the tools and the v1 balance endpoint use. So the choice is made per
//! [`Endpoint`], from the operator's [`ApiMode`] and, in `auto`, from the scopes Personio granted
//! the v2 token (a credential without `personio:absences:read` keeps reading absences through v1).
//! Every choice carries its reason in words, so `doctor` can say why a tool talks to which API.

use std::collections::BTreeSet;

use serde::Serialize;

/// What the operator asked for (`--personio-api`, `PERSONIO_API`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiMode {
    /// v2 per endpoint where the credential's v2 scopes allow it, v1 otherwise. The command
    /// line's default.
    Auto,
    /// v1 everywhere: the behaviour before v2 support, and the library default (so code that
    /// builds a client by hand keeps its exact requests).
    #[default]
    V1,
    /// v2 wherever a v2 endpoint exists, whatever the scopes say (a missing scope then shows up
    /// as a permission error, which is what an operator testing v2 wants to see).
    V2,
}

impl ApiMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiMode::Auto => "auto",
            ApiMode::V1 => "v1",
            ApiMode::V2 => "v2",
        }
    }
}

impl std::fmt::Display for ApiMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ApiMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ApiMode::Auto),
            "v1" => Ok(ApiMode::V1),
            "v2" => Ok(ApiMode::V2),
            other => Err(format!(
                "unknown Personio API {other:?}; use auto, v1 or v2"
            )),
        }
    }
}

/// One API generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    V1,
    V2,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::V1 => "v1",
            Api::V2 => "v2",
        }
    }
}

/// A kind of request the client makes; each is served by one API at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// The employee directory, single employees, lookups by email.
    Employees,
    /// The list of absence (time-off) types.
    AbsenceTypes,
    /// Reading absences of both units.
    AbsenceReads,
    /// Creating and deleting absences.
    AbsenceWrites,
    /// Absence balances.
    Balances,
}

impl Endpoint {
    pub const ALL: [Endpoint; 5] = [
        Endpoint::Employees,
        Endpoint::AbsenceTypes,
        Endpoint::AbsenceReads,
        Endpoint::AbsenceWrites,
        Endpoint::Balances,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Employees => "employees",
            Endpoint::AbsenceTypes => "absence types",
            Endpoint::AbsenceReads => "absence reads",
            Endpoint::AbsenceWrites => "absence writes",
            Endpoint::Balances => "balances",
        }
    }
}

/// The v2 scopes the endpoints need.
pub const SCOPE_PERSONS_READ: &str = "personio:persons:read";
pub const SCOPE_ABSENCES_READ: &str = "personio:absences:read";
pub const SCOPE_ABSENCES_WRITE: &str = "personio:absences:write";

/// The API serving one endpoint, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub endpoint: Endpoint,
    pub api: Api,
    pub reason: String,
}

/// What is known about the credential's v2 scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scopes {
    /// The scopes the v2 token was granted.
    Granted(BTreeSet<String>),
    /// No v2 token could be had (the reason, without secrets).
    Unavailable(String),
}

impl Scopes {
    /// Parses the space-delimited `scope` of a token answer. A token answer without `scope`
    /// means "every scope of the credential" (REFERENCE.md §2), which is not a list we know, so
    /// it counts as the scopes the endpoints need.
    pub fn from_token(scope: Option<&str>) -> Scopes {
        let granted = match scope {
            Some(s) => s.split_whitespace().map(str::to_string).collect(),
            None => [
                SCOPE_PERSONS_READ, SCOPE_ABSENCES_READ, SCOPE_ABSENCES_WRITE,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        };
        Scopes::Granted(granted)
    }

    fn has(&self, scope: &str) -> bool {
        matches!(self, Scopes::Granted(g) if g.contains(scope))
    }
}

fn choice(endpoint: Endpoint, api: Api, reason: impl Into<String>) -> Choice {
    Choice {
        endpoint,
        api,
        reason: reason.into(),
    }
}

/// The one rule: which API serves `endpoint` under `mode`. `scopes` is consulted only in
/// [`ApiMode::Auto`] (pass `None` when it has not been asked for).
pub fn choose(mode: ApiMode, endpoint: Endpoint, scopes: Option<&Scopes>) -> Choice {
    match endpoint {
        Endpoint::Balances => {
            return choice(endpoint, Api::V1, "v2 has no balance endpoint");
        }
        Endpoint::AbsenceTypes => {
            return choice(
                endpoint,
                Api::V1,
                "tools and balances use v1's integer type ids; v1's list also names each type's v2 id",
            );
        }
        _ => {}
    }
    match mode {
        ApiMode::V1 => choice(endpoint, Api::V1, "--personio-api v1"),
        ApiMode::V2 => choice(endpoint, Api::V2, "--personio-api v2"),
        ApiMode::Auto => auto(endpoint, scopes),
    }
}

fn auto(endpoint: Endpoint, scopes: Option<&Scopes>) -> Choice {
    if endpoint == Endpoint::Employees {
        // v2 employments name org units by id only (no department, team or office names, which
        // search and filters need), and cost one request per person on top of the person pages.
        return choice(
            endpoint,
            Api::V1,
            "v2 employments carry no department, team or office names and cost a request per person",
        );
    }
    let scopes = match scopes {
        Some(Scopes::Granted(_)) => scopes,
        Some(Scopes::Unavailable(why)) => {
            return choice(endpoint, Api::V1, format!("no v2 token: {why}"));
        }
        None => return choice(endpoint, Api::V1, "v2 scopes not known yet"),
    };
    let needed: &[&str] = match endpoint {
        Endpoint::AbsenceWrites => &[SCOPE_ABSENCES_READ, SCOPE_ABSENCES_WRITE],
        _ => &[SCOPE_ABSENCES_READ],
    };
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|s| !scopes.is_some_and(|g| g.has(s)))
        .collect();
    if missing.is_empty() {
        choice(
            endpoint,
            Api::V2,
            format!("the v2 token holds {}", needed.join(" and ")),
        )
    } else {
        choice(
            endpoint,
            Api::V1,
            format!("the v2 token lacks {}", missing.join(" and ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(s: &str) -> Scopes {
        Scopes::from_token(Some(s))
    }

    #[test]
    fn balances_and_types_stay_v1_in_every_mode() {
        for mode in [ApiMode::Auto, ApiMode::V1, ApiMode::V2] {
            let all = granted("personio:absences:read personio:absences:write");
            assert_eq!(choose(mode, Endpoint::Balances, Some(&all)).api, Api::V1);
            assert_eq!(
                choose(mode, Endpoint::AbsenceTypes, Some(&all)).api,
                Api::V1
            );
        }
    }

    #[test]
    fn auto_follows_the_scopes_per_endpoint() {
        let read_only = granted("personio:persons:read personio:absences:read");
        let reads = choose(ApiMode::Auto, Endpoint::AbsenceReads, Some(&read_only));
        assert_eq!(reads.api, Api::V2);
        let writes = choose(ApiMode::Auto, Endpoint::AbsenceWrites, Some(&read_only));
        assert_eq!(writes.api, Api::V1);
        assert!(
            writes.reason.contains("personio:absences:write"),
            "{writes:?}"
        );
        let persons_only = granted("personio:persons:read");
        assert_eq!(
            choose(ApiMode::Auto, Endpoint::AbsenceReads, Some(&persons_only)).api,
            Api::V1
        );
        let none = Scopes::Unavailable("refused".into());
        assert_eq!(
            choose(ApiMode::Auto, Endpoint::AbsenceReads, Some(&none)).api,
            Api::V1
        );
        assert_eq!(
            choose(ApiMode::Auto, Endpoint::AbsenceReads, None).api,
            Api::V1
        );
    }

    #[test]
    fn forced_modes_ignore_scopes() {
        let nothing = granted("");
        assert_eq!(
            choose(ApiMode::V2, Endpoint::Employees, Some(&nothing)).api,
            Api::V2
        );
        assert_eq!(
            choose(ApiMode::V1, Endpoint::AbsenceReads, None).api,
            Api::V1
        );
        assert_eq!(
            choose(
                ApiMode::Auto,
                Endpoint::Employees,
                Some(&granted(SCOPE_PERSONS_READ))
            )
            .api,
            Api::V1
        );
    }

    #[test]
    fn modes_parse() {
        assert_eq!("AUTO".parse::<ApiMode>(), Ok(ApiMode::Auto));
        assert_eq!(" v2 ".parse::<ApiMode>(), Ok(ApiMode::V2));
        assert!("v3".parse::<ApiMode>().is_err());
    }
}
