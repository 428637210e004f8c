//! MCP over stdio: stdout carries only JSON-RPC, logs go to stderr (set up in `main`).
//!
//! rmcp silently drops a line it cannot parse, and a client that sent it would wait forever. So
//! stdin is framed here first: every line that is not JSON (garbage, invalid UTF-8, NUL bytes,
//! nesting deeper than serde_json's limit, a line over [`MAX_LINE`]) gets a JSON-RPC parse error
//! (-32700), a JSON value that is not a request object (a batch array, a number) gets an invalid
//! request error (-32600), and the session goes on. Good lines pass to rmcp unchanged; one task
//! writes stdout, so replies and errors never interleave within a line.

use rmcp::ServiceExt;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::app::App;
use crate::mcp::PersonioServer;

/// The longest line accepted (a tool call is a few KB; 4 MiB leaves room and bounds memory).
pub const MAX_LINE: usize = 4 * 1024 * 1024;

/// What to do with one line of input.
#[derive(Debug, PartialEq)]
enum Frame {
    Forward(Vec<u8>),
    Reply(String),
    Skip,
}

fn error_reply(code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}}).to_string()
}

fn classify(line: &[u8], too_long: bool) -> Frame {
    if too_long {
        return Frame::Reply(error_reply(
            -32700,
            "Parse error: the line is longer than 4 MiB",
        ));
    }
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Frame::Skip;
    }
    match serde_json::from_slice::<serde_json::Value>(trimmed) {
        Err(_) => Frame::Reply(error_reply(
            -32700,
            "Parse error: not a JSON-RPC message (one JSON object per line, UTF-8)",
        )),
        Ok(serde_json::Value::Object(_)) => Frame::Forward(trimmed.to_vec()),
        Ok(serde_json::Value::Array(_)) => Frame::Reply(error_reply(
            -32600,
            "Invalid Request: batches are not supported; send one request per line",
        )),
        Ok(_) => Frame::Reply(error_reply(
            -32600,
            "Invalid Request: not a JSON-RPC object",
        )),
    }
}

/// Reads `input` line by line (bounded), forwards good lines to `to_server`, sends replies for
/// bad ones to `replies`. Returns at end of input.
async fn frame_input(
    input: impl AsyncRead + Unpin,
    mut to_server: impl AsyncWrite + Unpin,
    replies: mpsc::UnboundedSender<String>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(input);
    let mut line: Vec<u8> = Vec::new();
    let mut too_long = false;
    loop {
        let (consumed, done) = {
            let buf = reader.fill_buf().await?;
            if buf.is_empty() {
                (0, true)
            } else {
                let (part, consumed, end) = match buf.iter().position(|b| *b == b'\n') {
                    Some(i) => (&buf[..i], i + 1, true),
                    None => (buf, buf.len(), false),
                };
                if !too_long {
                    if line.len() + part.len() > MAX_LINE {
                        too_long = true;
                        line.clear();
                    } else {
                        line.extend_from_slice(part);
                    }
                }
                if end {
                    match classify(&line, too_long) {
                        Frame::Forward(mut bytes) => {
                            bytes.push(b'\n');
                            to_server.write_all(&bytes).await?;
                            to_server.flush().await?;
                        }
                        Frame::Reply(r) => {
                            let _ = replies.send(r);
                        }
                        Frame::Skip => {}
                    }
                    line.clear();
                    too_long = false;
                }
                (consumed, false)
            }
        };
        if done {
            if !line.is_empty() || too_long {
                match classify(&line, too_long) {
                    Frame::Forward(mut bytes) => {
                        bytes.push(b'\n');
                        to_server.write_all(&bytes).await?;
                    }
                    Frame::Reply(r) => {
                        let _ = replies.send(r);
                    }
                    Frame::Skip => {}
                }
            }
            to_server.shutdown().await?;
            return Ok(());
        }
        reader.consume(consumed);
    }
}

/// Writes one line with its newline in a single write: a client waiting for the newline wakes
/// once, and a blocking stdout (a terminal, a file) makes one trip to its thread, not two.
async fn write_line(output: &mut (impl AsyncWrite + Unpin), line: String) -> std::io::Result<()> {
    let mut bytes = line.into_bytes();
    bytes.push(b'\n');
    output.write_all(&bytes).await?;
    output.flush().await
}

/// Copies the server's output lines and the framing errors to `output`, one whole line at a time.
async fn write_output(
    from_server: impl AsyncRead + Unpin,
    mut replies: mpsc::UnboundedReceiver<String>,
    mut output: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    let mut lines = BufReader::new(from_server).lines();
    let mut replies_open = true;
    loop {
        // Framing errors first: an error for a bad line was queued before any later line was even
        // forwarded, so it must not be overtaken by the reply to that later line.
        tokio::select! {
            biased;
            reply = replies.recv(), if replies_open => match reply {
                Some(r) => write_line(&mut output, r).await?,
                None => replies_open = false,
            },
            line = lines.next_line() => match line? {
                Some(l) => write_line(&mut output, l).await?,
                None => break,
            },
        }
    }
    while let Ok(r) = replies.try_recv() {
        write_line(&mut output, r).await?;
    }
    output.flush().await
}

/// Serves one MCP session on stdin/stdout until the client closes stdin.
pub async fn serve(app: App) -> std::io::Result<()> {
    // Two pipes, each used in one direction only, so that closing one end is seen as the end
    // of input by the other: stdin's end ends the session, the session's end ends the output.
    let (server_in, framed_in) = tokio::io::duplex(1 << 20);
    let (server_out, framed_out) = tokio::io::duplex(1 << 20);
    let (server_read, _) = tokio::io::split(server_in);
    let (_, server_write) = tokio::io::split(server_out);
    let (replies_tx, replies_rx) = mpsc::unbounded_channel();
    let (_, to_server) = tokio::io::split(framed_in);
    let (from_server, _) = tokio::io::split(framed_out);
    let reading = tokio::spawn(frame_input(
        super::stdio_fds::input(),
        to_server,
        replies_tx,
    ));
    let writing = tokio::spawn(write_output(
        from_server,
        replies_rx,
        super::stdio_fds::output(),
    ));
    let server = PersonioServer::new(app);
    let running = server
        .serve((server_read, server_write))
        .await
        .map_err(|e| std::io::Error::other(format!("MCP session could not start: {e}")))?;
    let reason = running
        .waiting()
        .await
        .map_err(|e| std::io::Error::other(format!("MCP session failed: {e}")))?;
    tracing::info!(?reason, "stdio session ended");
    reading.abort();
    // Let the last replies out; the writer ends when the session's output closes.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writing).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_get_json_rpc_errors() {
        let code = |f: Frame| match f {
            Frame::Reply(r) => {
                serde_json::from_str::<serde_json::Value>(&r).unwrap()["error"]["code"]
                    .as_i64()
                    .unwrap()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(code(classify(b"garbage", false)), -32700);
        assert_eq!(code(classify(b"{\"a\":\x00}", false)), -32700);
        assert_eq!(code(classify(&[0xff, 0xfe], false)), -32700);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(code(classify(deep.as_bytes(), false)), -32700);
        assert_eq!(code(classify(b"[1,2]", false)), -32600);
        assert_eq!(code(classify(b"7", false)), -32600);
        assert_eq!(code(classify(b"{}", true)), -32700);
        assert_eq!(classify(b"  ", false), Frame::Skip);
        assert!(matches!(
            classify(b"{\"jsonrpc\":\"2.0\"}", false),
            Frame::Forward(_)
        ));
    }

    #[tokio::test]
    async fn a_20_mb_line_is_refused_and_the_next_line_passes() {
        let mut input = vec![b'x'; 20 * 1024 * 1024];
        input.extend_from_slice(b"\n{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\n");
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut forwarded = Vec::new();
        frame_input(&input[..], &mut forwarded, tx).await.unwrap();
        let reply = rx.recv().await.unwrap();
        assert!(reply.contains("-32700") && reply.contains("4 MiB"));
        assert_eq!(
            String::from_utf8(forwarded).unwrap(),
            "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\n"
        );
    }
}
