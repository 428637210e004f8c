//! `--personio-api` and `--webhook-secret`: which Personio API generation to speak, and the
//! secret that authenticates Personio's webhook deliveries.
//!
//! Kept apart from the other connection flags so the v2 switch can be found (and removed once v1
//! is gone) in one place. The webhook secret is a secret: it comes from `PERSONIO_WEBHOOK_SECRET`
//! only (the flag exists so clap reads the variable; `cli` refuses it on the command line).

use clap::builder::TypedValueParser as _;
use secrecy::SecretString;

use crate::personio::ApiMode;

/// The Personio API flags, flattened into the connection flags of every command.
#[derive(Debug, Clone, clap::Args)]
pub struct PersonioApiArgs {
    /// Which Personio API serves each endpoint: `auto` (v2 where the credential's v2 scopes
    /// allow it, v1 otherwise; balances always v1), `v1` or `v2`. `doctor` shows the choice.
    #[arg(long, env = "PERSONIO_API", default_value = "auto", value_name = "API",
        value_parser = clap::builder::PossibleValuesParser::new(["auto", "v1", "v2"])
            .map(|s| s.parse::<ApiMode>().unwrap_or(ApiMode::Auto)))]
    pub personio_api: ApiMode,
    /// Shared secret of Personio's webhook signatures (from PERSONIO_WEBHOOK_SECRET only). With
    /// it, `serve --http` accepts signed deliveries at POST /webhooks/personio and stops polling
    /// the directory (a long safety refresh aside).
    #[arg(long, env = "PERSONIO_WEBHOOK_SECRET", hide = true, hide_env_values = true,
        value_parser = crate::config::parse_secret)]
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
mod tests {
    use super::*;
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
