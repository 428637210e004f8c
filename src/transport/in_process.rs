//! A minimal in-process MCP client for `personio-mcp tools list|call`.
//!
//! It runs the real server over an in-memory pipe and speaks plain JSON-RPC to it, so the CLI
//! exercises exactly the code path an MCP client would (schemas, validation, `isError` results)
//! without a second implementation of the tools.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::app::App;
use crate::mcp::PersonioServer;
use rmcp::ServiceExt;

/// Sends `method` with `params` after the `initialize` handshake; returns the JSON-RPC response
/// object (with `result` or `error`).
pub async fn request(app: App, method: &str, params: Value) -> std::io::Result<Value> {
    let (client_end, server_end) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_end);
    let server = PersonioServer::new(app);
    let serving = tokio::spawn(async move {
        if let Ok(running) = server.serve((server_read, server_write)).await {
            let _ = running.waiting().await;
        }
    });
    let (client_read, mut client_write) = tokio::io::split(client_end);
    let mut lines = BufReader::new(client_read).lines();

    let send = |v: Value| format!("{v}\n");
    client_write
        .write_all(
            send(
                json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
                "protocolVersion":"2025-11-25","capabilities":{},
                "clientInfo":{"name":"personio-mcp-cli","version":env!("CARGO_PKG_VERSION")}}}),
            )
            .as_bytes(),
        )
        .await?;
    read_response(&mut lines, 1).await?;
    client_write
        .write_all(send(json!({"jsonrpc":"2.0","method":"notifications/initialized"})).as_bytes())
        .await?;
    client_write
        .write_all(send(json!({"jsonrpc":"2.0","id":2,"method":method,"params":params})).as_bytes())
        .await?;
    let response = read_response(&mut lines, 2).await?;
    drop(client_write);
    serving.abort();
    Ok(response)
}

async fn read_response<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
    id: i64,
) -> std::io::Result<Value> {
    while let Some(line) = lines.next_line().await? {
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if v.get("id").and_then(Value::as_i64) == Some(id) {
            return Ok(v);
        }
    }
    Err(std::io::Error::other(
        "the server closed the session without answering",
    ))
}
