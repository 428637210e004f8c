//! MCP over stdio: stdout carries only JSON-RPC, logs go to stderr (set up in `main`).

use rmcp::ServiceExt;

use crate::app::App;
use crate::mcp::PersonioServer;

/// Serves one MCP session on stdin/stdout until the client closes stdin.
pub async fn serve(app: App) -> std::io::Result<()> {
    let server = PersonioServer::new(app);
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| std::io::Error::other(format!("MCP session could not start: {e}")))?;
    let reason = running
        .waiting()
        .await
        .map_err(|e| std::io::Error::other(format!("MCP session failed: {e}")))?;
    tracing::info!(?reason, "stdio session ended");
    Ok(())
}
