//! OAuth settings: the command-line flags (flattened into `serve` by the CLI) and the checked
//! configuration built from them.
//!
//! The names are part of the command-line contract (DESIGN.md): `--oauth-issuer`, `--public-url`,
//! `--oauth-email-claim`, `--oauth-roles-claim`, `--oauth-hr-role`, `--oauth-upstream-issuer`,
//! `--oauth-upstream-client-id`. URLs are checked here, once, so that nothing downstream has to
//! wonder whether an issuer has a trailing slash or is plain HTTP on a public host.

use std::path::PathBuf;

use secrecy::SecretString;
use url::Url;

use super::OAuthError;

/// Longest claim name or role accepted from the command line (they are matched against tokens).
const MAX_NAME_LEN: usize = 256;
/// Most scopes accepted in one list.
const MAX_SCOPES: usize = 32;

/// OAuth flags of `serve --http`. All optional: without `--oauth-issuer` or
/// `--oauth-upstream-issuer` OAuth is off and only static tokens authenticate.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OAuthArgs {
    /// Issuer URL of the company's identity provider (OIDC / OAuth 2.1 authorization server)
    /// whose JWT access tokens this server accepts, e.g. https://login.example.com/realms/acme.
    #[arg(long, env = "PERSONIO_MCP_OAUTH_ISSUER", value_name = "URL")]
    pub oauth_issuer: Option<String>,
    /// This server's external URL as clients reach it (scheme, host, optional path prefix), e.g.
    /// https://mcp.example.com. `{public-url}/mcp` is the resource identifier tokens must name
    /// in their audience. Required with OAuth.
    #[arg(long, env = "PERSONIO_MCP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Token claim holding the caller's work email (a dotted path such as `ext.mail` is followed
    /// when no claim has the literal name).
    #[arg(long, env = "PERSONIO_MCP_OAUTH_EMAIL_CLAIM", default_value = "email")]
    pub oauth_email_claim: String,
    /// Token claim holding the caller's roles: an array or a space-separated string (dotted paths
    /// such as `realm_access.roles` are followed).
    #[arg(long, env = "PERSONIO_MCP_OAUTH_ROLES_CLAIM", default_value = "roles")]
    pub oauth_roles_claim: String,
    /// The role (in the roles claim) that makes the caller HR.
    #[arg(long, env = "PERSONIO_MCP_OAUTH_HR_ROLE", default_value = "hr")]
    pub oauth_hr_role: String,
    /// Scopes advertised to clients (protected resource metadata, 401 challenges): what a client
    /// should ask the identity provider for. Comma-separated.
    #[arg(
        long,
        env = "PERSONIO_MCP_OAUTH_SCOPES",
        value_delimiter = ',',
        default_value = "openid,email,profile"
    )]
    pub oauth_scopes: Vec<String>,
    /// Scopes every access token must carry (in `scope` or `scp`); a token without them gets
    /// 403 insufficient_scope. Comma-separated; none by default.
    #[arg(long, env = "PERSONIO_MCP_OAUTH_REQUIRED_SCOPES", value_delimiter = ',')]
    pub oauth_required_scopes: Vec<String>,
    /// Run the built-in authorization server in front of this OIDC provider (for identity
    /// providers without dynamic client registration: Entra ID, Google, many Okta set-ups).
    #[arg(long, env = "PERSONIO_MCP_OAUTH_UPSTREAM_ISSUER", value_name = "URL")]
    pub oauth_upstream_issuer: Option<String>,
    /// Client ID of this server's registration at the upstream provider.
    #[arg(long, env = "PERSONIO_MCP_OAUTH_UPSTREAM_CLIENT_ID", value_name = "ID")]
    pub oauth_upstream_client_id: Option<String>,
    /// The upstream client secret (prefer the environment variable or the file flag over argv).
    #[arg(
        long,
        env = "PERSONIO_MCP_OAUTH_UPSTREAM_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub oauth_upstream_client_secret: Option<SecretString>,
    /// A file holding the upstream client secret (first line).
    #[arg(long, env = "PERSONIO_MCP_OAUTH_UPSTREAM_CLIENT_SECRET_FILE", value_name = "FILE")]
    pub oauth_upstream_client_secret_file: Option<PathBuf>,
    /// PEM (PKCS#8) private key the built-in authorization server signs its tokens with
    /// (Ed25519, P-256 or RSA). Without it a key is generated once and kept in the state directory.
    #[arg(long, env = "PERSONIO_MCP_OAUTH_SIGNING_KEY_FILE", value_name = "FILE")]
    pub oauth_signing_key_file: Option<PathBuf>,
}

/// The checked OAuth configuration.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The authorization server whose tokens are accepted (for the built-in server: `public_url`).
    pub issuer: Url,
    /// This server's external URL, without a trailing slash.
    pub public_url: Url,
    pub email_claim: String,
    pub roles_claim: String,
    pub hr_role: String,
    pub scopes: Vec<String>,
    pub required_scopes: Vec<String>,
    pub upstream: Option<UpstreamConfig>,
}

/// The built-in authorization server's settings (issue 18 item 2).
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// The company's OIDC provider, where people log in.
    pub issuer: Url,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// A PEM signing key to use instead of a generated one.
    pub signing_key_file: Option<PathBuf>,
    /// Where a generated signing key is persisted (the server's state directory); without one the
    /// key lives in memory and tokens die with the process.
    pub key_dir: Option<PathBuf>,
}

impl OAuthArgs {
    /// The checked configuration, or `None` when OAuth is not configured at all. `state_dir` is
    /// where the built-in authorization server persists its generated signing key.
    pub fn to_config(&self, state_dir: Option<PathBuf>) -> Result<Option<OAuthConfig>, OAuthError> {
        if self.oauth_issuer.is_none() && self.oauth_upstream_issuer.is_none() {
            return Ok(None);
        }
        let public_url = match &self.public_url {
            Some(u) => parse_base_url("--public-url", u)?,
            None => {
                return Err(OAuthError::config(
                    "OAuth needs --public-url (PERSONIO_MCP_PUBLIC_URL): the URL clients reach this server at",
                ));
            }
        };
        let upstream = match &self.oauth_upstream_issuer {
            None => None,
            Some(u) => {
                Some(self.upstream(parse_base_url("--oauth-upstream-issuer", u)?, state_dir)?)
            }
        };
        let issuer = match (&self.oauth_issuer, &upstream) {
            (Some(_), Some(_)) => {
                return Err(OAuthError::config(
                    "--oauth-issuer and --oauth-upstream-issuer exclude each other: with an upstream \
                     issuer this server is the authorization server (its issuer is --public-url)",
                ));
            }
            (Some(u), None) => parse_base_url("--oauth-issuer", u)?,
            (None, _) => public_url.clone(),
        };
        Ok(Some(OAuthConfig {
            issuer,
            public_url,
            email_claim: checked_name("--oauth-email-claim", &self.oauth_email_claim)?,
            roles_claim: checked_name("--oauth-roles-claim", &self.oauth_roles_claim)?,
            hr_role: checked_name("--oauth-hr-role", &self.oauth_hr_role)?,
            scopes: checked_scopes("--oauth-scopes", &self.oauth_scopes)?,
            required_scopes: checked_scopes(
                "--oauth-required-scopes",
                &self.oauth_required_scopes,
            )?,
            upstream,
        }))
    }

    fn upstream(
        &self,
        issuer: Url,
        key_dir: Option<PathBuf>,
    ) -> Result<UpstreamConfig, OAuthError> {
        let client_id = match self.oauth_upstream_client_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() && id.len() <= MAX_NAME_LEN => id.to_string(),
            _ => {
                return Err(OAuthError::config(
                    "--oauth-upstream-issuer needs --oauth-upstream-client-id (this server's client at the provider)",
                ));
            }
        };
        let client_secret = match (
            &self.oauth_upstream_client_secret,
            &self.oauth_upstream_client_secret_file,
        ) {
            (Some(s), _) => Some(s.clone()),
            (None, Some(path)) => Some(read_secret_file(path)?),
            (None, None) => None,
        };
        Ok(UpstreamConfig {
            issuer,
            client_id,
            client_secret,
            signing_key_file: self.oauth_signing_key_file.clone(),
            key_dir,
        })
    }
}

impl OAuthConfig {
    /// The resource identifier of the MCP endpoint: `{public-url}/mcp` (RFC 8707 / RFC 9728).
    pub fn mcp_resource(&self) -> String {
        join(&self.public_url, "/mcp")
    }

    /// The bare public URL as a resource identifier (accepted as an audience too).
    pub fn base_resource(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_string()
    }

    /// Where the protected resource metadata of the MCP endpoint is served (RFC 9728 §3.1: the
    /// well-known segment goes between the host and the resource's path).
    pub fn resource_metadata_url(&self) -> String {
        let origin = self.public_url.origin().ascii_serialization();
        let path = self.public_url.path().trim_end_matches('/');
        format!("{origin}/.well-known/oauth-protected-resource{path}/mcp")
    }
}

/// `base` (no trailing slash) followed by `path` (starting with '/').
pub(crate) fn join(base: &Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

/// An absolute http(s) URL without query, fragment or credentials; plain HTTP only on loopback
/// (tokens must not cross a network in the clear). The trailing slash is dropped.
pub(crate) fn parse_base_url(flag: &str, raw: &str) -> Result<Url, OAuthError> {
    let bad = |why: &str| OAuthError::config(format!("{flag} {raw:?}: {why}"));
    if raw.len() > 2048 {
        return Err(bad("longer than 2048 characters"));
    }
    let url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "plain http is allowed only for loopback hosts; use https",
            ));
        }
        _ => return Err(bad("must be an http(s) URL")),
    }
    let trimmed = url.as_str().trim_end_matches('/').to_string();
    Url::parse(&trimmed).map_err(|e| bad(&e.to_string()))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn checked_name(flag: &str, raw: &str) -> Result<String, OAuthError> {
    let v = raw.trim();
    if v.is_empty() || v.len() > MAX_NAME_LEN || v.chars().any(char::is_control) {
        return Err(OAuthError::config(format!(
            "{flag}: must be 1 to {MAX_NAME_LEN} printable characters"
        )));
    }
    Ok(v.to_string())
}

fn checked_scopes(flag: &str, raw: &[String]) -> Result<Vec<String>, OAuthError> {
    let scopes: Vec<String> = raw
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_string)
        .collect();
    if scopes.len() > MAX_SCOPES {
        return Err(OAuthError::config(format!(
            "{flag}: at most {MAX_SCOPES} scopes"
        )));
    }
    // RFC 6749 §3.3 scope-token: printable ASCII except space, '"' and '\'.
    let valid = |s: &str| {
        s.len() <= MAX_NAME_LEN
            && s.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    };
    if let Some(bad) = scopes.iter().find(|s| !valid(s)) {
        return Err(OAuthError::config(format!(
            "{flag}: {bad:?} is not a valid scope"
        )));
    }
    Ok(scopes)
}

fn read_secret_file(path: &std::path::Path) -> Result<SecretString, OAuthError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| OAuthError::config(format!("{}: {e}", path.display())))?;
    if meta.len() > 4096 {
        return Err(OAuthError::config(format!(
            "{}: larger than 4 KiB",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| OAuthError::config(format!("{}: {e}", path.display())))?;
    let secret = text.lines().next().unwrap_or("").trim().to_string();
    if secret.is_empty() {
        return Err(OAuthError::config(format!("{}: empty", path.display())));
    }
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        oauth: OAuthArgs,
    }

    fn parse(args: &[&str]) -> Result<Option<OAuthConfig>, OAuthError> {
        let mut argv = vec!["x"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .map_err(|e| OAuthError::config(e.to_string()))?
            .oauth
            .to_config(None)
    }

    #[test]
    fn off_without_issuer() {
        assert!(matches!(parse(&[]), Ok(None)));
    }

    #[test]
    fn resource_identifiers_follow_the_public_url() -> Result<(), OAuthError> {
        let c = parse(&[
            "--oauth-issuer",
            "https://idp.example/realms/a/",
            "--public-url",
            "https://mcp.example/hr/",
        ])?
        .ok_or_else(|| OAuthError::config("none"))?;
        assert_eq!(c.issuer.as_str(), "https://idp.example/realms/a");
        assert_eq!(c.mcp_resource(), "https://mcp.example/hr/mcp");
        assert_eq!(c.base_resource(), "https://mcp.example/hr");
        assert_eq!(
            c.resource_metadata_url(),
            "https://mcp.example/.well-known/oauth-protected-resource/hr/mcp"
        );
        assert_eq!(c.email_claim, "email");
        assert_eq!(c.roles_claim, "roles");
        assert_eq!(c.hr_role, "hr");
        Ok(())
    }

    #[test]
    fn refuses_plain_http_off_loopback_and_missing_public_url() {
        assert!(
            parse(&[
                "--oauth-issuer", "http://idp.example", "--public-url", "https://m.example"
            ])
            .is_err()
        );
        assert!(parse(&["--oauth-issuer", "https://idp.example"]).is_err());
        assert!(
            parse(&[
                "--oauth-issuer",
                "https://idp.example?x=1",
                "--public-url",
                "https://m.example"
            ])
            .is_err()
        );
        assert!(
            parse(&[
                "--oauth-issuer", "http://127.0.0.1:9", "--public-url", "http://localhost:8"
            ])
            .is_ok()
        );
    }

    #[test]
    fn upstream_needs_a_client_id_and_excludes_issuer() {
        assert!(
            parse(&[
                "--oauth-upstream-issuer",
                "https://u.example",
                "--public-url",
                "https://m.example"
            ])
            .is_err()
        );
        assert!(
            parse(&[
                "--oauth-upstream-issuer",
                "https://u.example",
                "--oauth-upstream-client-id",
                "c",
                "--oauth-issuer",
                "https://i.example",
                "--public-url",
                "https://m.example"
            ])
            .is_err()
        );
        let c = parse(&[
            "--oauth-upstream-issuer",
            "https://u.example",
            "--oauth-upstream-client-id",
            "c",
            "--public-url",
            "https://m.example",
        ]);
        assert!(
            matches!(c, Ok(Some(ref c)) if c.issuer.as_str() == "https://m.example/" || c.issuer.as_str() == "https://m.example")
        );
    }

    #[test]
    fn scopes_are_checked() {
        assert!(
            parse(&[
                "--oauth-issuer", "https://i.example", "--public-url", "https://m.example",
                "--oauth-scopes", "a\"b"
            ])
            .is_err()
        );
    }
}
