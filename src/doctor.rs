//! `personio-mcp doctor`: what this credential can read and do, in words an admin can act on.

use std::fmt::Write as _;

use crate::config::ConnectionArgs;
use crate::personio::scope::{EndpointAccess, ScopeReport};

/// Options of `doctor`.
#[derive(Debug, Clone, clap::Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The attribute settings the server would start with: checked against what the credential
    /// can read, so a typo shows here instead of silently exposing nothing.
    #[command(flatten)]
    pub attributes: crate::attribute_args::AttributeArgs,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also check the OAuth set-up of `serve --http` (same flags): issuer, keys, audience, claims.
    #[command(flatten, next_help_heading = "OAuth")]
    pub oauth: crate::transport::oauth::OAuthArgs,
}

/// Exit codes: 0 usable, 1 reachable but unusable (e.g. cannot list employees) or the OAuth
/// set-up has problems, 2 no connection or credentials rejected or the OAuth flags are wrong.
pub async fn run(args: DoctorArgs) -> std::process::ExitCode {
    let code = personio(&args).await;
    // The OAuth part is independent of Personio: report it even when Personio failed.
    let config = match args.oauth.to_config(None) {
        Ok(Some(c)) => c,
        Ok(None) => return code,
        Err(e) => {
            println!("\nOAuth: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let report = crate::transport::oauth::doctor::report(&config).await;
    if args.json {
        match serde_json::to_string_pretty(&serde_json::json!({ "oauth": report })) {
            Ok(j) => println!("{j}"),
            Err(e) => eprintln!("cannot render the OAuth report: {e}"),
        }
    } else {
        println!("\n{}", report.to_text());
    }
    if report.ok || code != std::process::ExitCode::SUCCESS {
        code
    } else {
        std::process::ExitCode::from(1)
    }
}

/// The Personio part of the report; returns its exit code.
async fn personio(args: &DoctorArgs) -> std::process::ExitCode {
    let conn = match args.connection.connect().await {
        Ok(c) => c,
        Err(e) => {
            println!("Personio: not configured\n  {e}");
            if let Some(h) = e.hint {
                println!("  {h}");
            }
            return std::process::ExitCode::from(2);
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "personio-mcp doctor {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "Personio:        {}", conn.description);
    if let Err(e) = conn.client.authenticate().await {
        let _ = writeln!(out, "Authentication:  FAILED — {e}");
        if let Some(h) = e.hint {
            let _ = writeln!(out, "                 {h}");
        }
        print!("{out}");
        return std::process::ExitCode::from(2);
    }
    let _ = writeln!(
        out,
        "Authentication:  ok ({:?} token)",
        conn.client.config().auth
    );
    let _ = writeln!(out, "Personio API:    {}", conn.client.config().api);
    let hooks = if args.connection.api.webhook_secret().is_some() {
        "secret set: serve --http receives POST /webhooks/personio and does not poll"
    } else {
        "off (PERSONIO_WEBHOOK_SECRET unset): the directory polls for changes"
    };
    let _ = writeln!(out, "Webhooks:        {hooks}");
    let report = match conn.client.scope_report().await {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(out, "Scope:           FAILED — {e}");
            if let Some(h) = e.hint {
                let _ = writeln!(out, "                 {h}");
            }
            print!("{out}");
            return std::process::ExitCode::from(1);
        }
    };
    let problems = attribute_problems(args, &conn.client).await;
    if args.json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("attribute_settings".into(), serde_json::json!(problems));
        }
        match serde_json::to_string_pretty(&value) {
            Ok(j) => println!("{j}"),
            Err(e) => eprintln!("cannot render the report: {e}"),
        }
    } else {
        render(&mut out, &report);
        if !problems.is_empty() {
            let _ = writeln!(out, "\nAttribute settings:");
            for p in &problems {
                let _ = writeln!(out, "  WARNING {p}");
            }
        }
        print!("{out}");
    }
    if let Some(s) = conn.sandbox {
        s.shutdown().await;
    }
    if report.usable() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}

/// What is wrong with `--expose-attribute` / `--hr-sensitive-attribute`, one sentence each:
/// a sensitive attribute offered to every role, or a name no readable attribute has.
async fn attribute_problems(
    args: &DoctorArgs,
    client: &crate::personio::PersonioClient,
) -> Vec<String> {
    let fields = match args.attributes.policy() {
        Ok(f) => f,
        Err(e) => return vec![e.message],
    };
    match crate::attribute_args::unknown_attribute_names(&fields, client).await {
        Ok(names) => names
            .into_iter()
            .map(|n| {
                format!(
                    "`{n}` matches no attribute this credential can read: the setting exposes nothing \
                     (check the spelling against the readable attributes above)"
                )
            })
            .collect(),
        Err(e) => vec![format!("the attribute settings could not be checked: {e}")],
    }
}

fn render(out: &mut String, r: &ScopeReport) {
    let _ = writeln!(
        out,
        "\nReadable employee attributes ({}):",
        r.readable_attributes.len()
    );
    let labels: Vec<String> = r
        .readable_attributes
        .iter()
        .map(|a| format!("{} ({})", a.label, a.key))
        .collect();
    for chunk in labels.chunks(4) {
        let _ = writeln!(out, "  {}", chunk.join(", "));
    }
    if r.missing_recommended.is_empty() {
        let _ = writeln!(out, "\nMissing recommended attributes: none");
    } else {
        let _ = writeln!(
            out,
            "\nMissing recommended attributes ({}):",
            r.missing_recommended.len()
        );
        for m in &r.missing_recommended {
            let _ = writeln!(out, "  - {} ({}): used by {}", m.label, m.key, m.used_by);
        }
        let _ = writeln!(out, "  Fix: {}", r.hint);
    }
    let _ = writeln!(out, "\nEndpoints:");
    for e in &r.endpoints {
        let (mark, detail) = match &e.access {
            EndpointAccess::Works => ("ok  ", String::new()),
            EndpointAccess::Forbidden { missing_permission } => {
                ("DENY", format!(" — {missing_permission}"))
            }
            EndpointAccess::Failed { code, message } => ("FAIL", format!(" — {code}: {message}")),
            EndpointAccess::NotProbed { reason } => ("?   ", format!(" — {reason}")),
        };
        let _ = writeln!(
            out,
            "  [{mark}] {:<20} {} {}{detail}",
            e.name, e.method, e.path
        );
    }
    render_api(out, r);
    let _ = writeln!(out, "\nCapabilities:");
    for c in &r.capabilities {
        let _ = writeln!(
            out,
            "  {:<20} {:<11} {}",
            c.capability.as_str(),
            c.readiness.as_str(),
            c.reason
        );
    }
    let _ = writeln!(
        out,
        "\nVerdict: {}",
        if r.usable() {
            "usable"
        } else {
            "UNUSABLE — the credential cannot read the employee directory"
        }
    );
}

/// Which API serves each endpoint and each tool, and why (issue 20).
fn render_api(out: &mut String, r: &ScopeReport) {
    let _ = writeln!(out, "\nAPI per endpoint:");
    for c in &r.api {
        let _ = writeln!(
            out,
            "  {:<20} {}  {}",
            c.endpoint.as_str(),
            c.api.as_str(),
            c.reason
        );
    }
    if let Some(s) = &r.v2_scopes {
        match &s.unavailable {
            Some(why) => {
                let _ = writeln!(out, "  v2 token: unavailable — {why}");
            }
            None => {
                let _ = writeln!(out, "  v2 scopes granted: {}", s.granted.join(" "));
                if !s.missing.is_empty() {
                    let _ = writeln!(out, "  v2 scopes missing: {}", s.missing.join(" "));
                }
            }
        }
    }
    let _ = writeln!(out, "\nAPI per tool:");
    for (tool, caps, _) in crate::mcp::tools::needs() {
        let mut parts: Vec<String> = Vec::new();
        for cap in caps {
            let endpoint = cap.endpoint();
            if let Some(c) = r.api.iter().find(|c| c.endpoint == endpoint) {
                let part = format!("{} via {}", endpoint.as_str(), c.api.as_str());
                if !parts.contains(&part) {
                    parts.push(part);
                }
            }
        }
        let _ = writeln!(out, "  {:<20} {}", tool, parts.join(", "));
    }
}
