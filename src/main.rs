//! Thin entry point: parse the command line, send logs to stderr, dispatch.
//! stdout is reserved for protocol output (JSON-RPC in stdio mode, the URL line of `sandbox`).

use clap::Parser;
use personio_mcp::cli::{self, Cli};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let args = Cli::parse();
    cli::run(args).await
}
