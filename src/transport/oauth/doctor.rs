//! `personio-mcp doctor` for OAuth: is the issuer reachable, are its keys usable, which audience
//! tokens must carry, and how claims become callers — so an admin can fix the identity provider's
//! set-up before the first employee tries to connect.

use std::fmt::Write as _;

use serde::Serialize;

use super::discovery::{discover, http_client};
use super::{OAuth, OAuthConfig};

/// The OAuth part of the doctor report.
#[derive(Debug, Clone, Serialize)]
pub struct OAuthReport {
    /// Everything needed for OAuth works.
    pub ok: bool,
    pub issuer: String,
    /// `direct` (the provider issues tokens) or `built-in` (this server does, people log in upstream).
    pub mode: &'static str,
    pub issuer_reachable: bool,
    pub keys: usize,
    /// Audiences an access token must contain one of.
    pub audiences: Vec<String>,
    pub resource_metadata: String,
    pub claims: ClaimsMapping,
    /// Problems found, in words an admin can act on.
    pub problems: Vec<String>,
}

/// How token claims become a caller.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimsMapping {
    pub email_claim: String,
    pub roles_claim: String,
    pub hr_role: String,
    pub required_scopes: Vec<String>,
    /// An example access token payload and what it maps to.
    pub example: String,
}

/// Checks the OAuth configuration against the live provider.
pub async fn report(config: &OAuthConfig) -> OAuthReport {
    let mut problems = Vec::new();
    let mut reachable = false;
    let mut keys = 0;
    let mode = if config.upstream.is_some() {
        "built-in"
    } else {
        "direct"
    };
    if let Some(up) = &config.upstream {
        match http_client() {
            Ok(http) => match discover(&http, &up.issuer).await {
                Ok(meta) => {
                    if meta.authorization_endpoint.is_none() || meta.token_endpoint.is_none() {
                        problems.push(format!(
                            "upstream {} lacks an authorization or token endpoint",
                            up.issuer
                        ));
                    }
                }
                Err(e) => problems.push(format!("upstream issuer: {e}")),
            },
            Err(e) => problems.push(e.to_string()),
        }
    }
    match OAuth::new(config.clone()).await {
        Ok(o) => {
            reachable = true;
            keys = o.key_count();
        }
        Err(e) => problems.push(e.to_string()),
    }
    let example = format!(
        "{{\"iss\": \"{iss}\", \"aud\": \"{aud}\", \"{email}\": \"ada@example.com\", \"{roles}\": [\"{hr}\"]}} \
         → caller ada@example.com (the Personio employee with this work email), HR; without \"{hr}\" in \
         \"{roles}\": employee, or manager by Personio's supervisor tree",
        iss = config.issuer.as_str().trim_end_matches('/'),
        aud = config.mcp_resource(),
        email = config.email_claim,
        roles = config.roles_claim,
        hr = config.hr_role,
    );
    OAuthReport {
        ok: problems.is_empty(),
        issuer: config.issuer.as_str().trim_end_matches('/').to_string(),
        mode,
        issuer_reachable: reachable,
        keys,
        audiences: vec![config.mcp_resource(), config.base_resource()],
        resource_metadata: config.resource_metadata_url(),
        claims: ClaimsMapping {
            email_claim: config.email_claim.clone(),
            roles_claim: config.roles_claim.clone(),
            hr_role: config.hr_role.clone(),
            required_scopes: config.required_scopes.clone(),
            example,
        },
        problems,
    }
}

impl OAuthReport {
    /// The report as the text lines of `doctor`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let status = if self.ok { "ok" } else { "FAILED" };
        let _ = writeln!(out, "OAuth:           {status} ({} mode)", self.mode);
        let _ = writeln!(
            out,
            "  issuer:        {} ({})",
            self.issuer,
            if self.issuer_reachable {
                "reachable"
            } else {
                "NOT reachable"
            }
        );
        let _ = writeln!(
            out,
            "  keys:          {} signing key(s) usable (RS256/ES256/EdDSA)",
            self.keys
        );
        let _ = writeln!(
            out,
            "  audience:      tokens must name {}",
            self.audiences.join(" or ")
        );
        let _ = writeln!(out, "  metadata:      {}", self.resource_metadata);
        let c = &self.claims;
        let _ = writeln!(
            out,
            "  claims:        email from \"{}\", HR when \"{}\" holds \"{}\"",
            c.email_claim, c.roles_claim, c.hr_role
        );
        if !c.required_scopes.is_empty() {
            let _ = writeln!(
                out,
                "  scopes:        required {}",
                c.required_scopes.join(" ")
            );
        }
        let _ = writeln!(out, "  example:       {}", c.example);
        for p in &self.problems {
            let _ = writeln!(out, "  problem:       {p}");
        }
        out
    }
}
