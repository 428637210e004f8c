//! The confirmation flags of every serving command (`--confirm-via`, `--confirm-bind`), in their
//! own struct so that the command line gains them with one `flatten`.

use std::net::SocketAddr;
use std::sync::Arc;

use super::confirm_page::LoopbackHost;
use super::confirm_page::listener::DEFAULT_CONFIRM_BIND;
use crate::policy::state::approvals::{ConfirmSettings, ConfirmVia, PageHostFactory};
use crate::policy::state::{Approvals, ConfirmPageHost};

/// How a person confirms writes.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfirmArgs {
    /// How a person confirms each write. auto: the client's dialog where it has one, else a
    /// confirmation page this server serves, else a token. page: always the page (the link is
    /// shown to the person; the model's call writes only after they pressed Confirm). token: the
    /// model passes a token back, so nothing proves a person said yes — trusted automation only.
    #[arg(
        long,
        env = "PERSONIO_MCP_CONFIRM_VIA",
        value_enum,
        default_value_t = ConfirmVia::Auto
    )]
    pub confirm_via: ConfirmVia,
    /// Where stdio mode serves the confirmation page (a loopback listener, opened on first need;
    /// port 0 = any free port). `serve --http` serves it on its own listener under /confirm/.
    #[arg(
        long,
        env = "PERSONIO_MCP_CONFIRM_BIND",
        value_name = "ADDR",
        default_value_t = DEFAULT_CONFIRM_BIND
    )]
    pub confirm_bind: SocketAddr,
}

impl ConfirmArgs {
    /// The settings: pages on a loopback listener at `--confirm-bind`, unless the transport
    /// replaces the host (`serve --http` serves them itself).
    pub fn settings(&self) -> ConfirmSettings {
        let bind = self.confirm_bind;
        let page_host: PageHostFactory = Arc::new(move |approvals: Approvals| {
            Arc::new(LoopbackHost::new(bind, approvals)) as Arc<dyn ConfirmPageHost>
        });
        ConfirmSettings {
            via: self.confirm_via,
            page_host: Some(page_host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        confirm: ConfirmArgs,
    }

    #[test]
    fn defaults_are_auto_on_any_loopback_port_and_values_parse() {
        let c = Cli::try_parse_from(["x"]).unwrap().confirm;
        assert_eq!(c.confirm_via, ConfirmVia::Auto);
        assert_eq!(c.confirm_bind, DEFAULT_CONFIRM_BIND);
        let c = Cli::try_parse_from([
            "x", "--confirm-via", "page", "--confirm-bind", "127.0.0.1:8788",
        ])
        .unwrap()
        .confirm;
        assert_eq!(c.confirm_via, ConfirmVia::Page);
        assert_eq!(c.confirm_bind.port(), 8788);
        assert!(Cli::try_parse_from(["x", "--confirm-via", "email"]).is_err());
        assert!(c.settings().page_host.is_some());
    }
}
