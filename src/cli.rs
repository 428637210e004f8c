//! Command-line interface: the commands of DESIGN.md's command-line contract.

use clap::{Parser, Subcommand};

/// An MCP server for Personio, with an embedded Personio sandbox for trying it without an account.
#[derive(Debug, Parser)]
#[command(name = "personio-mcp", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a standalone Personio sandbox (a simulator of Personio's API) until SIGINT/SIGTERM.
    /// The first stdout line is its base URL.
    Sandbox(crate::sandbox::cli::SandboxArgs),
}

/// Runs the parsed command; returns the process exit code.
pub async fn run(cli: Cli) -> std::process::ExitCode {
    match cli.command {
        Command::Sandbox(args) => match crate::sandbox::cli::run(args).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("personio-mcp sandbox: {e}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}

