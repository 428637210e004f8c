//! Thin entry point: parse the command line, send logs to stderr, dispatch.
//! stdout is reserved for protocol output (JSON-RPC in stdio mode, the URL line of `sandbox`).

use clap::Parser;
use personio_mcp::cli::{self, Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let args = Cli::parse();
    // A stdio server has one client (a desktop app) and the CLI commands one call: a single
    // thread serves them as fast (no cross-thread wake-ups) with a fraction of the memory (each
    // worker thread costs a stack and, with glibc, its own malloc arena: ~15 MiB of RSS after a
    // busy run). The HTTP server and the standalone sandbox serve many clients on every core.
    let many_clients = match &args.command {
        Command::Serve(serve) => serve.http.http.is_some(),
        Command::Sandbox(_) => true,
        Command::Doctor(_) | Command::Tools(_) => false,
    };
    let runtime = if many_clients {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    match runtime {
        Ok(rt) => rt.block_on(cli::run(args)),
        Err(e) => {
            eprintln!("personio-mcp: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
