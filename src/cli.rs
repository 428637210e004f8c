//! Command-line interface: the commands of DESIGN.md's command-line contract.

use clap::{Parser, Subcommand};
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
    #[arg(
        long,
        env = "PERSONIO_MCP_SKIP_CONFIRMATION",
        requires = "enable_writes"
    )]
    pub no_confirm: bool,
    /// Let callers with the hr role create absences already approved (auto_approve argument).
    #[arg(long, requires = "enable_writes")]
    pub allow_auto_approve: bool,
    /// Who is calling, for stdio (the HTTP transport takes it from the bearer token): a work
    /// email that matches exactly one employee.
    #[arg(long = "as", value_name = "EMAIL", env = "PERSONIO_MCP_AS")]
    pub as_email: Option<String>,
    /// Custom attribute (Personio label or dynamic_<id> key) that may be returned to every role.
    /// Repeatable; default none. Sensitive attributes are never exposed this way.
    #[arg(
        long = "expose-attribute",
        value_name = "LABEL_OR_KEY",
        env = "PERSONIO_MCP_EXPOSE_ATTRIBUTES",
        value_delimiter = ','
    )]
    pub expose_attributes: Vec<String>,
    /// Sensitive attribute (label, key or universal id, e.g. fix_salary) that HR callers may see.
    /// Repeatable; default none.
    #[arg(
        long = "hr-sensitive-attribute",
        value_name = "LABEL_OR_KEY",
        env = "PERSONIO_MCP_HR_SENSITIVE_ATTRIBUTES",
        value_delimiter = ','
    )]
    pub hr_sensitive_attributes: Vec<String>,
    /// Further absence categories treated as health data (besides sick_leave,
    /// maternity_parental_leave and quarantine). Repeatable.
    #[arg(
        long = "health-category",
        value_name = "CATEGORY",
        env = "PERSONIO_MCP_HEALTH_CATEGORIES",
        value_delimiter = ','
    )]
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
    #[arg(
        long,
        env = "PERSONIO_MCP_DIRECTORY_REFRESH_SECS",
        default_value_t = 300
    )]
    pub directory_refresh_secs: u64,
    /// Seconds between full directory reloads (these catch deletions and terminations).
    #[arg(
        long,
        env = "PERSONIO_MCP_DIRECTORY_FULL_RELOAD_SECS",
        default_value_t = 3600
    )]
    pub directory_full_reload_secs: u64,
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
    use crate::policy::writes::{WriteMode, WritePolicy};
    let settings = Settings {
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
        // A shared key lets confirmation tokens survive restarts and work across replicas.
        signing_key: std::env::var("PERSONIO_MCP_SIGNING_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .map(String::into_bytes),
        // Empty means unset: an MCPB host passes an empty optional setting as "".
        default_principal: options
            .as_email
            .clone()
            .filter(|e| !e.trim().is_empty())
            .map(|email| crate::policy::principal::Principal {
                email,
                role: options.role,
            }),
        fields: crate::policy::fields::FieldPolicy {
            exposed_custom: options.expose_attributes.clone(),
            hr_sensitive: options.hr_sensitive_attributes.clone(),
        },
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
                    std::env::var("PERSONIO_MCP_AUDIT_KEY")
                        .ok()
                        .filter(|k| !k.is_empty())
                        .map(String::into_bytes),
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
    };
    let app = App::try_new(conn.client.clone(), settings)?.with_directory_config(
        crate::domain::directory::DirectoryConfig {
            refresh_after: std::time::Duration::from_secs(options.directory_refresh_secs),
            full_reload_after: std::time::Duration::from_secs(options.directory_full_reload_secs),
        },
    );
    Ok((app, conn))
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
                Some(bind) => match args.http.config(bind) {
                    Ok(config) => Some(config),
                    Err(e) => return fail("serve", e),
                },
            };
            let (app, _conn) = match app_for(&args.options).await {
                Ok(x) => x,
                Err(e) => return fail("serve", describe(&e)),
            };
            let served = match http {
                None => crate::transport::stdio::serve(app).await,
                Some(config) => crate::transport::http::serve(app, config).await,
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
                    Ok(x) => x,
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
                        print_json(result.get("structuredContent").unwrap_or(&result));
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
