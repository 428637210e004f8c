//! Settings from flags and environment, and the one place that turns them into a connected
//! [`PersonioClient`] — against a real Personio account or an embedded sandbox.
//!
//! The client secret is read from the environment (`PERSONIO_CLIENT_SECRET`) or a file, never from
//! a flag (flags show up in `ps` and shell history), and lives in a `SecretString`.

use std::net::{Ipv4Addr, SocketAddr};

use clap::builder::TypedValueParser as _;
use secrecy::SecretString;

use crate::error::{Error, ErrorCode, Result};
use crate::personio::{AuthFlavor, ClientConfig, PersonioClient};
use crate::sandbox::{SandboxConfig, SandboxHandle};

/// Parses a secret value (kept in a [`SecretString`], so `Debug` never prints it).
pub fn parse_secret(s: &str) -> std::result::Result<SecretString, String> {
    Ok(SecretString::from(s.trim().to_string()))
}

/// Which sandbox credential to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SandboxCredential {
    /// `sandbox-client`: reads every attribute and may write.
    #[default]
    Full,
    /// `sandbox-limited`: a narrow attribute whitelist, read-only.
    Limited,
}

/// How to reach Personio. Shared by `serve`, `doctor` and `tools`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Use an embedded Personio sandbox on a loopback port instead of a real account.
    /// PERSONIO_* variables are then ignored.
    #[arg(long)]
    pub sandbox: bool,
    /// Sandbox credential to connect with.
    #[arg(long, value_enum, default_value_t = SandboxCredential::Full, requires = "sandbox")]
    pub sandbox_credential: SandboxCredential,
    /// Employees in the embedded sandbox's seeded company.
    #[arg(long, default_value_t = 250, requires = "sandbox")]
    pub sandbox_employees: usize,
    /// Seed of the embedded sandbox's company (same seed, same company).
    #[arg(long, default_value_t = 42, requires = "sandbox")]
    pub sandbox_seed: u64,
    /// Personio API base URL.
    #[arg(long, env = "PERSONIO_BASE_URL", default_value = "https://api.personio.de")]
    pub base_url: String,
    /// API credential id (Personio › Settings › Integrations › API credentials).
    /// The secret comes from PERSONIO_CLIENT_SECRET or --client-secret-file.
    #[arg(long, env = "PERSONIO_CLIENT_ID")]
    pub client_id: Option<String>,
    /// File holding the client secret (instead of PERSONIO_CLIENT_SECRET).
    #[arg(long, env = "PERSONIO_CLIENT_SECRET_FILE")]
    pub client_secret_file: Option<std::path::PathBuf>,
    /// Sent as X-Personio-App-ID (UPPER_SNAKE_CASE).
    #[arg(long, env = "PERSONIO_APP_ID", default_value = "PERSONIO_MCP")]
    pub app_id: String,
    /// Sent as X-Personio-Partner-ID, for marketplace partners.
    #[arg(long, env = "PERSONIO_PARTNER_ID")]
    pub partner_id: Option<String>,
    /// Token endpoint: v1 (`/v1/auth`, default: every endpoint used is v1) or v2 (`/v2/auth/token`).
    #[arg(long, env = "PERSONIO_AUTH", default_value_t = AuthFlavor::V1,
        value_parser = clap::builder::PossibleValuesParser::new(["v1", "v2"])
            .map(|s| s.parse::<AuthFlavor>().unwrap_or_default()))]
    pub auth: AuthFlavor,
    /// The client secret: from PERSONIO_CLIENT_SECRET only (never as a flag; see
    /// --client-secret-file for a file).
    #[arg(long, env = "PERSONIO_CLIENT_SECRET", hide = true, hide_env_values = true, value_parser = parse_secret)]
    pub client_secret: Option<SecretString>,
    /// Client-side pacing of Personio requests: `personio` (Personio's documented limits) or
    /// `relaxed` (load tests against the sandbox only).
    #[arg(long, env = "PERSONIO_MCP_UPSTREAM_LIMITS", value_enum, default_value_t = UpstreamLimits::Personio, hide = true)]
    pub upstream_limits: UpstreamLimits,
    #[command(flatten)]
    pub api: PersonioApiArgs,
}

/// Client-side pacing of Personio requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum UpstreamLimits {
    /// Personio's documented limits.
    #[default]
    Personio,
    /// Far above them: for load tests against the sandbox only.
    Relaxed,
}

/// A connected client, plus the embedded sandbox it talks to (kept alive as long as this is).
pub struct Connection {
    pub client: PersonioClient,
    pub sandbox: Option<SandboxHandle>,
    /// Where the client points, for reports (never contains secrets).
    pub description: String,
}

impl ConnectionArgs {
    fn limits(&self) -> crate::personio::config::LimitsConfig {
        match self.upstream_limits {
            UpstreamLimits::Relaxed => crate::personio::config::LimitsConfig::relaxed(),
            UpstreamLimits::Personio => crate::personio::config::LimitsConfig::default(),
        }
    }

    fn secret(&self) -> Result<SecretString> {
        if let Some(path) = &self.client_secret_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::new(
                    ErrorCode::AuthInvalid,
                    format!(
                        "cannot read the client secret file {} ({e})",
                        path.display()
                    ),
                )
            })?;
            return Ok(SecretString::from(text.trim().to_string()));
        }
        use secrecy::ExposeSecret;
        match &self.client_secret {
            Some(s) if !s.expose_secret().is_empty() => Ok(s.clone()),
            _ => Err(Error::new(
                ErrorCode::AuthInvalid,
                "no Personio client secret configured",
            )
            .with_hint(
                "Set PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET (Personio › Settings › Integrations › \
API credentials), or add --sandbox to try the embedded sandbox.",
            )),
        }
    }

    /// Starts the embedded sandbox if asked, and builds the client.
    pub async fn connect(&self) -> Result<Connection> {
        if self.sandbox {
            let config = SandboxConfig {
                employees: self.sandbox_employees,
                seed: self.sandbox_seed,
                ..SandboxConfig::default()
            };
            let handle = SandboxHandle::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
                .await
                .map_err(|e| {
                    Error::unavailable(format!("the embedded sandbox could not start ({e})"))
                })?;
            let client_id = match self.sandbox_credential {
                SandboxCredential::Full => crate::sandbox::FULL_CLIENT_ID,
                SandboxCredential::Limited => crate::sandbox::LIMITED_CLIENT_ID,
            };
            let mut cfg = ClientConfig::new(
                handle.base_url(),
                client_id,
                SecretString::from(crate::sandbox::CLIENT_SECRET.to_string()),
            );
            cfg.auth = self.auth;
            cfg.api = self.api.personio_api;
            cfg.limits = self.limits();
            let description = format!(
                "{} (embedded sandbox, {} employees, credential {client_id})",
                handle.base_url(),
                self.sandbox_employees
            );
            return Ok(Connection {
                client: PersonioClient::new(cfg)?,
                sandbox: Some(handle),
                description,
            });
        }
        let client_id = self
            .client_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                Error::new(ErrorCode::AuthInvalid, "no Personio client id configured").with_hint(
                    "Set PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET, or add --sandbox to try the embedded sandbox.",
                )
            })?;
        let mut cfg = ClientConfig::new(&self.base_url, client_id, self.secret()?);
        cfg.limits = self.limits();
        cfg.app_id = Some(self.app_id.clone()).filter(|s| !s.is_empty());
        cfg.partner_id = self.partner_id.clone();
        cfg.auth = self.auth;
        cfg.api = self.api.personio_api;
        let description = cfg.normalized_base();
        Ok(Connection {
            client: PersonioClient::new(cfg)?,
            sandbox: None,
            description,
        })
    }
}

// `--personio-api` and `--webhook-secret`: which Personio API generation to speak, and the secret
// that authenticates Personio's webhook deliveries. The webhook secret comes from
// `PERSONIO_WEBHOOK_SECRET` only (the flag exists so clap reads the variable; `cli` refuses it on
// the command line).

/// The Personio API flags, flattened into the connection flags of every command.
#[derive(Debug, Clone, clap::Args)]
pub struct PersonioApiArgs {
    /// Which Personio API serves each endpoint: `auto` (v2 where the credential's v2 scopes
    /// allow it, v1 otherwise; balances always v1), `v1` or `v2`. `doctor` shows the choice.
    #[arg(long, env = "PERSONIO_API", default_value = "auto", value_name = "API",
        value_parser = clap::builder::PossibleValuesParser::new(["auto", "v1", "v2"])
            .map(|s| s.parse::<crate::personio::ApiMode>().unwrap_or(crate::personio::ApiMode::Auto)))]
    pub personio_api: crate::personio::ApiMode,
    /// Shared secret of Personio's webhook signatures (from PERSONIO_WEBHOOK_SECRET only). With
    /// it, `serve --http` accepts signed deliveries at POST /webhooks/personio and stops polling
    /// the directory (a long safety refresh aside).
    #[arg(long, env = "PERSONIO_WEBHOOK_SECRET", hide = true, hide_env_values = true,
        value_parser = parse_secret)]
    pub webhook_secret: Option<SecretString>,
}

impl PersonioApiArgs {
    /// The secret, unless it is empty (an empty variable means "not configured").
    pub fn webhook_secret(&self) -> Option<&SecretString> {
        use secrecy::ExposeSecret;
        self.webhook_secret
            .as_ref()
            .filter(|s| !s.expose_secret().is_empty())
    }
}

#[cfg(test)]
mod api_args_tests {
    use super::*;
    use crate::personio::ApiMode;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        api: PersonioApiArgs,
    }

    #[test]
    fn auto_is_the_default_and_the_values_parse() {
        let d = Cli::try_parse_from(["x"]).unwrap();
        assert_eq!(d.api.personio_api, ApiMode::Auto);
        let v2 = Cli::try_parse_from(["x", "--personio-api", "v2"]).unwrap();
        assert_eq!(v2.api.personio_api, ApiMode::V2);
        assert!(Cli::try_parse_from(["x", "--personio-api", "v3"]).is_err());
    }
}
