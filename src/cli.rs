//! Command-line interface: the commands of DESIGN.md's command-line contract.

use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::app::{App, Settings};
use crate::config::ConnectionArgs;

/// An MCP server for Personio, with an embedded Personio sandbox for trying it without an account.
#[derive(Debug, Parser)]
#[command(name = "personio-mcp", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start-up: the size of the largest variant (serve's flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio (for Claude Desktop, Cursor, VS Code...), or over HTTP with --http.
    Serve(ServeArgs),
    /// Run a standalone Personio sandbox (a simulator of Personio's API) until SIGINT/SIGTERM.
    /// The first stdout line is its base URL.
    Sandbox(crate::sandbox::cli::SandboxArgs),
    /// Check the Personio credential: connection, auth, readable vs missing attributes, which
    /// endpoints and tools work. Exits non-zero when the credential is unusable.
    Doctor(crate::doctor::DoctorArgs),
    /// List or call the MCP tools from the command line (for scripts and debugging).
    Tools(ToolsArgs),
}

/// Options shared by everything that serves tools.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerOptions {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub confirm: crate::transport::confirm_args::ConfirmArgs,
    /// Allow create_time_off to write to Personio (each write still needs a human confirmation).
    /// Without it the tool is listed but answers WRITES_DISABLED.
    #[arg(long, env = "PERSONIO_MCP_ENABLE_WRITES", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub enable_writes: bool,
    /// Hide write tools entirely (not listed, not callable). Wins over --enable-writes, so that a
    /// bundle or container can always set both variables.
    #[arg(long, env = "PERSONIO_MCP_READ_ONLY", value_parser = clap::builder::BoolishValueParser::new())]
    pub read_only: bool,
    /// Write without asking a human first. For trusted automation only: a model's mistake is
    /// then booked directly (still pending approval in Personio).
    #[arg(long, env = "PERSONIO_MCP_SKIP_CONFIRMATION", requires = "enable_writes")]
    pub no_confirm: bool,
    /// Let callers with the hr role create absences already approved (auto_approve argument).
    #[arg(long, requires = "enable_writes")]
    pub allow_auto_approve: bool,
    /// Who is calling, for stdio (the HTTP transport takes it from the bearer token): a work
    /// email that matches exactly one employee.
    #[arg(long = "as", value_name = "EMAIL", env = "PERSONIO_MCP_AS")]
    pub as_email: Option<String>,
    #[command(flatten)]
    pub attributes: crate::attribute_args::AttributeArgs,
    /// Further absence categories treated as health data (besides sick_leave,
    /// maternity_parental_leave and quarantine). Repeatable.
    #[rustfmt::skip]
    #[arg(long = "health-category", value_name = "CATEGORY", env = "PERSONIO_MCP_HEALTH_CATEGORIES", value_delimiter = ',')]
    pub health_categories: Vec<String>,
    /// Most records one call returns without a narrowing filter (larger results are refused).
    #[arg(long, env = "PERSONIO_MCP_RECORD_CAP", default_value_t = 200)]
    pub record_cap: usize,
    /// Append-only JSONL audit log of every tool call (off when not set). The key for hashing
    /// employee ids comes from PERSONIO_MCP_AUDIT_KEY (random per process when unset).
    #[arg(long, env = "PERSONIO_MCP_AUDIT_LOG", value_name = "PATH")]
    pub audit_log: Option<std::path::PathBuf>,
    /// Size at which the audit log is rotated to PATH.1 (one generation kept).
    #[arg(long, env = "PERSONIO_MCP_AUDIT_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub audit_max_bytes: u64,
    /// The role of --as.
    #[arg(long, value_enum, env = "PERSONIO_MCP_ROLE", default_value_t = crate::policy::principal::Role::Employee, requires = "as_email")]
    pub role: crate::policy::principal::Role,
    /// Seconds a cached employee directory is used before changes are fetched (`updated_since`).
    #[arg(long, env = "PERSONIO_MCP_DIRECTORY_REFRESH_SECS", default_value_t = 300)]
    pub directory_refresh_secs: u64,
    /// Seconds between full directory reloads (these catch deletions and terminations).
    #[arg(long, env = "PERSONIO_MCP_DIRECTORY_FULL_RELOAD_SECS", default_value_t = 3600)]
    pub directory_full_reload_secs: u64,
    /// Seconds a listing of absences is kept for reads (0: every read asks Personio; at most
    /// 300). Writes through this server and absence webhooks drop it at once, other replicas'
    /// writes when their Redis message arrives; the checks before a write always ask Personio.
    #[arg(long, env = "PERSONIO_MCP_ABSENCE_CACHE_SECS", default_value_t = crate::domain::absence_cache::DEFAULT_LIFE_SECS, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub absence_cache_secs: u64,
    /// The company's time zone (IANA name): "today", the current month of list_absences, and
    /// the dates and times of hourly absences that carry no zone of their own.
    #[arg(long, env = "PERSONIO_MCP_TIMEZONE", default_value = "Europe/Berlin", value_parser = parse_zone)]
    pub timezone: chrono_tz::Tz,
    /// Expose only these tools (comma-separated names, e.g. get_pto_balance,list_absences).
    /// Default: all.
    #[arg(long, env = "PERSONIO_MCP_TOOLS", value_delimiter = ',', value_name = "NAME,...")]
    pub tools: Vec<String>,
    /// Key (≥ 32 bytes) that seals confirmation tokens, so they survive restarts and work across
    /// replicas. Environment only (PERSONIO_MCP_SIGNING_KEY). Default: random per process.
    #[arg(long, env = "PERSONIO_MCP_SIGNING_KEY", hide = true, hide_env_values = true, value_parser = parse_secret)]
    pub signing_key: Option<SecretString>,
    /// Directory of the embedded state store: used confirmation tokens, page approvals and
    /// idempotency keys survive restarts there. Default: the OS's per-user data directory
    /// (e.g. ~/.local/share/personio-mcp); one server process per directory.
    #[arg(long, env = "PERSONIO_MCP_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub shared_state: crate::transport::state_args::StateArgs,
    /// Key for hashing employee ids in the audit log (PERSONIO_MCP_AUDIT_KEY; environment only).
    /// Default: random per process (hashes cannot be correlated across restarts).
    #[arg(long, env = "PERSONIO_MCP_AUDIT_KEY", hide = true, hide_env_values = true, value_parser = parse_secret)]
    pub audit_key: Option<SecretString>,
}

fn parse_zone(s: &str) -> Result<chrono_tz::Tz, String> {
    s.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        format!("`{s}` is not an IANA time zone name (e.g. Europe/Berlin, Europe/Vienna, UTC)")
    })
}

pub use crate::config::parse_secret;

/// Secrets come from the environment or files, never from flags (flags show up in `ps` and in
/// shell history): these flags exist only so that clap reads their environment variables.
const SECRET_FLAGS: &[&str] = &[
    "--signing-key", "--audit-key", "--client-secret", "--auth-tokens-env", "--state-password",
    "--webhook-secret",
];

/// The first secret flag given on the command line, if any.
fn secret_flag_used() -> Option<&'static str> {
    std::env::args().skip(1).find_map(|a| {
        SECRET_FLAGS
            .iter()
            .find(|f| a == **f || a.starts_with(&format!("{f}=")))
            .copied()
    })
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub options: ServerOptions,
    #[command(flatten)]
    pub http: crate::transport::http_args::HttpArgs,
}

#[derive(Debug, clap::Args)]
pub struct ToolsArgs {
    #[command(subcommand)]
    pub command: ToolsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// Print the tool list (names, titles, descriptions, input and output schemas) as JSON.
    List(ServerOptionsArgs),
    /// Call one tool with JSON arguments and print the result JSON. Exits 1 on a tool error.
    Call(ToolCallArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServerOptionsArgs {
    #[command(flatten)]
    pub options: ServerOptions,
}

#[derive(Debug, clap::Args)]
pub struct ToolCallArgs {
    /// Tool name, e.g. search_employee.
    pub name: String,
    /// Arguments as a JSON object, e.g. '{"query":"müller"}'.
    #[arg(default_value = "{}")]
    pub arguments: String,
    #[command(flatten)]
    pub options: ServerOptions,
}

fn fail(what: &str, e: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("personio-mcp {what}: {e}");
    std::process::ExitCode::from(2)
}

/// An error with its hint, for the terminal.
fn describe(e: &crate::Error) -> String {
    match &e.hint {
        Some(h) => format!("{e}. {h}"),
        None => e.to_string(),
    }
}

async fn app_for(
    options: &ServerOptions,
) -> Result<(App, crate::config::Connection), crate::Error> {
    app_on(options, options.connection.connect().await?)
}

/// The connection `tools list` uses. Listing only describes the tools and never calls Personio,
/// so it must work before a credential is configured (clients, registries and bundle validators
/// inspect a server first): without a credential the client gets a placeholder one it never uses.
async fn listing_connection(
    args: &crate::config::ConnectionArgs,
) -> Result<crate::config::Connection, crate::Error> {
    match args.connect().await {
        Err(e) if e.code == crate::error::ErrorCode::AuthInvalid && !args.sandbox => {
            let cfg = crate::personio::ClientConfig::new(
                &args.base_url,
                "unconfigured",
                secrecy::SecretString::from(String::new()),
            );
            Ok(crate::config::Connection {
                description: cfg.normalized_base(),
                client: crate::personio::PersonioClient::new(cfg)?,
                sandbox: None,
            })
        }
        other => other,
    }
}

fn app_on(
    options: &ServerOptions,
    conn: crate::config::Connection,
) -> Result<(App, crate::config::Connection), crate::Error> {
    let settings = settings(options)?;
    let app = App::new(conn.client.clone(), settings).with_directory_config(
        crate::domain::directory::DirectoryConfig {
            refresh_after: std::time::Duration::from_secs(options.directory_refresh_secs),
            full_reload_after: std::time::Duration::from_secs(options.directory_full_reload_secs),
        },
    );
    Ok((app, conn))
}

/// The server settings the options describe, checked: a setting that cannot work stops the
/// server at start-up instead of being ignored.
pub fn settings(options: &ServerOptions) -> Result<Settings, crate::Error> {
    use crate::policy::write_gate::{WriteMode, WritePolicy};
    if let Some(flag) = secret_flag_used() {
        return Err(crate::Error::validation(format!(
            "{flag} must not be given on the command line (it would show up in `ps` and shell history)"
        ))
        .with_hint("Set its environment variable instead (see --help and the README's Configuration)."));
    }
    let known = crate::mcp::PersonioServer::all_tool_names();
    if let Some(unknown) = options
        .tools
        .iter()
        .find(|t| !known.contains(&t.trim().to_string()))
    {
        return Err(crate::Error::validation(format!(
            "--tools names an unknown tool `{unknown}`; the tools are: {}",
            known.join(", ")
        )));
    }
    let signing_key = match &options.signing_key {
        Some(k) if !k.expose_secret().is_empty() => Some(crate::app::SigningKey::new(
            k.expose_secret().as_bytes().to_vec(),
        )?),
        _ => None,
    };
    let fields = options.attributes.policy()?;
    Ok(Settings {
        writes: WritePolicy {
            mode: if options.read_only {
                WriteMode::Hidden
            } else if options.enable_writes {
                WriteMode::Enabled
            } else {
                WriteMode::Disabled
            },
            skip_confirmation: options.no_confirm,
            allow_auto_approve: options.allow_auto_approve,
        },
        signing_key,
        // Empty means unset: an MCPB host passes an empty optional setting as "".
        default_principal: options
            .as_email
            .clone()
            .filter(|e| !e.trim().is_empty())
            .map(|email| crate::policy::principal::Principal {
                email,
                role: options.role,
            }),
        fields,
        absence_cache: std::time::Duration::from_secs(options.absence_cache_secs),
        privacy: {
            let mut p = crate::policy::privacy::Privacy {
                record_cap: options.record_cap,
                ..Default::default()
            };
            p.health_categories
                .extend(options.health_categories.iter().cloned());
            p
        },
        audit: match &options.audit_log {
            Some(path) => Some(std::sync::Arc::new(
                crate::policy::audit::AuditLog::open(
                    path.clone(),
                    options.audit_max_bytes,
                    options
                        .audit_key
                        .as_ref()
                        .map(|k| k.expose_secret().as_bytes().to_vec())
                        .filter(|k| !k.is_empty()),
                )
                .map_err(|e| {
                    crate::Error::validation(format!(
                        "the audit log {} cannot be opened ({e})",
                        path.display()
                    ))
                })?,
            )),
            None => None,
        },
        zone: Some(options.timezone),
        tools: options.tools.iter().map(|t| t.trim().to_string()).collect(),
        state: Some(match options.shared_state.open()? {
            Some(shared) => shared,
            None => state_store(options.state_dir.clone())?,
        }),
        confirm: options.confirm.settings(),
    })
}

/// Opens the embedded state store. A directory given explicitly must be usable (else start-up
/// fails with the reason); the default one may be held by another server of this user (say
/// Claude Desktop and an IDE at once) — then this process keeps its state in memory and says so.
fn state_store(
    dir: Option<std::path::PathBuf>,
) -> Result<std::sync::Arc<dyn crate::policy::state::StateStore>, crate::Error> {
    use crate::policy::state::{EmbeddedStore, MemoryStore, StoreLimits};
    let explicit = dir.is_some();
    match EmbeddedStore::open(dir) {
        Ok(store) => Ok(std::sync::Arc::new(store)),
        Err(e) if !explicit => {
            tracing::warn!(
                code = %e.code,
                "the default state directory is not usable ({}); used tokens and idempotency keys are kept in memory \
                 and do not survive a restart. Set --state-dir (PERSONIO_MCP_STATE_DIR) to a directory of its own.",
                e.message
            );
            Ok(std::sync::Arc::new(
                MemoryStore::new(StoreLimits::default()),
            ))
        }
        Err(e) => Err(e),
    }
}

/// Says on stderr when `--expose-attribute` / `--hr-sensitive-attribute` name attributes the
/// credential cannot read (a typo, or a missing permission): they would silently expose nothing.
/// Runs beside start-up, so a slow Personio does not delay serving.
async fn warn_unknown_attributes(app: App) {
    match crate::attribute_args::unknown_attribute_names(
        &app.rules().fields,
        app.records().client(),
    )
    .await
    {
        Ok(names) => {
            for name in names {
                tracing::warn!(
                    "attribute setting `{name}` matches no attribute this Personio credential can read; it exposes \
                     nothing (check the spelling, or the credential's readable attributes with `personio-mcp doctor`)"
                );
            }
        }
        Err(e) => tracing::warn!(code = %e.code, "could not check the configured attribute names"),
    }
}

/// A tool error for scripts: `{"error": {"code", "message"}}`, read from the result's text
/// (which starts with the stable code).
fn error_json(result: &Value) -> Value {
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    let (code, message) = text.split_once(": ").unwrap_or(("UPSTREAM_ERROR", text));
    json!({"error": {"code": code, "message": message}})
}

fn print_json(v: &Value) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("cannot print the result: {e}"),
    }
}

/// Runs the parsed command; returns the process exit code.
pub async fn run(cli: Cli) -> std::process::ExitCode {
    match cli.command {
        Command::Sandbox(args) => match crate::sandbox::cli::run(args).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => fail("sandbox", e),
        },
        Command::Doctor(args) => crate::doctor::run(args).await,
        Command::Serve(args) => {
            // Check the HTTP settings before connecting: a refusal must not wait for Personio.
            let http = match args.http.http {
                None => None,
                Some(bind) => match args.http.config(bind, args.options.state_dir.clone()).await {
                    Ok(config) => Some(config),
                    Err(e) => return fail("serve", e),
                },
            };
            let (app, _conn) = match app_for(&args.options).await {
                Ok(x) => x,
                Err(e) => return fail("serve", describe(&e)),
            };
            tokio::spawn(warn_unknown_attributes(app.clone()));
            let hooks = args.options.connection.api.webhook_secret().cloned();
            let served = match http {
                None => {
                    if hooks.is_some() {
                        tracing::warn!(
                            "PERSONIO_WEBHOOK_SECRET is set, but webhooks are received only by `serve --http`; \
                             over stdio the directory keeps polling Personio"
                        );
                    }
                    // A stdio server sharing a Redis store hears the other replicas too.
                    app.follow_changes();
                    crate::transport::stdio::serve(app).await
                }
                Some(config) => crate::transport::wiring::serve(app, config, hooks).await,
            };
            match served {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => fail("serve", e),
            }
        }
        Command::Tools(t) => match t.command {
            ToolsCommand::List(args) => {
                let listed = match listing_connection(&args.options.connection).await {
                    Ok(conn) => app_on(&args.options, conn),
                    Err(e) => Err(e),
                };
                let (app, _conn) = match listed {
                    Ok(x) => x,
                    Err(e) => return fail("tools list", describe(&e)),
                };
                match crate::transport::in_process::request(app, "tools/list", json!({})).await {
                    Ok(resp) => {
                        print_json(resp.get("result").unwrap_or(&resp));
                        std::process::ExitCode::SUCCESS
                    }
                    Err(e) => fail("tools list", e),
                }
            }
            ToolsCommand::Call(args) => {
                let arguments: Value = match serde_json::from_str(&args.arguments) {
                    Ok(v @ Value::Object(_)) => v,
                    Ok(_) => return fail("tools call", "arguments must be a JSON object"),
                    Err(e) => {
                        return fail("tools call", format!("arguments are not valid JSON ({e})"));
                    }
                };
                let (app, _conn) = match app_for(&args.options).await {
                    // One call, then the process ends: it cannot serve a page a person opens later.
                    Ok((app, conn)) => (app.with_page_host(None), conn),
                    Err(e) => return fail("tools call", describe(&e)),
                };
                let params = json!({"name": args.name, "arguments": arguments});
                match crate::transport::in_process::request(app, "tools/call", params).await {
                    Ok(resp) => {
                        if let Some(err) = resp.get("error") {
                            print_json(err);
                            return std::process::ExitCode::from(2);
                        }
                        let result = resp.get("result").cloned().unwrap_or(Value::Null);
                        let is_error = result
                            .get("isError")
                            .and_then(Value::as_bool)
                            .unwrap_or(false);
                        if is_error {
                            print_json(&error_json(&result));
                        } else {
                            print_json(result.get("structuredContent").unwrap_or(&result));
                        }
                        if is_error {
                            std::process::ExitCode::FAILURE
                        } else {
                            std::process::ExitCode::SUCCESS
                        }
                    }
                    Err(e) => fail("tools call", e),
                }
            }
        },
    }
}
