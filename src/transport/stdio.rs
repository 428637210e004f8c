//! MCP over stdio: stdout carries only JSON-RPC, logs go to stderr (set up in `main`).
//!
//! Our own rmcp transport, not rmcp's line codec over the pipes:
//! - **Every line gets an answer or a reason** ([`super::stdio_lines`]): rmcp's codec ignores a
//!   line that is not JSON, and a client that sent one would wait forever.
//! - **Each line is parsed once**, straight into rmcp's message. A framing pass before rmcp's own,
//!   with a pipe between them, cost a second parse, copies and a task hop per message.
//!
//! One task writes stdout, so replies and errors never interleave within a line. Both queues are
//! bounded, but rmcp reads on while answers wait (a task per request), so a client that floods
//! requests and never reads its answers is bounded by rmcp, not here: as with rmcp's own codec.

use rmcp::RoleServer;
use rmcp::ServiceExt;
use rmcp::service::TxJsonRpcMessage;
use rmcp::transport::Transport;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use super::stdio_lines::{Frame, Incoming, classify};
use crate::app::App;
use crate::mcp::PersonioServer;

/// The longest line accepted (a tool call is a few KB; 4 MiB leaves room and bounds memory).
pub const MAX_LINE: usize = 4 * 1024 * 1024;

/// Messages waiting for rmcp, and lines waiting for stdout.
const QUEUE: usize = 64;

/// Reads `input` line by line (bounded), hands messages to rmcp through `to_server` and sends
/// replies for bad lines to `out`. Returns at end of input (or when rmcp is gone), which ends
/// the session.
async fn frame_input(
    input: impl AsyncRead + Unpin,
    to_server: mpsc::Sender<Incoming>,
    out: mpsc::Sender<Vec<u8>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(input);
    let mut line: Vec<u8> = Vec::new();
    let mut too_long = false;
    loop {
        let (consumed, frame, done) = {
            let buf = reader.fill_buf().await?;
            if buf.is_empty() {
                let last = (!line.is_empty() || too_long).then(|| classify(&line, too_long));
                (0, last, true)
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
                let frame = end.then(|| classify(&line, too_long));
                if end {
                    line.clear();
                    too_long = false;
                }
                (consumed, frame, false)
            }
        };
        reader.consume(consumed);
        match frame {
            Some(Frame::Message(message)) => {
                if to_server.send(*message).await.is_err() {
                    return Ok(());
                }
            }
            Some(Frame::Reply(reply)) => {
                let mut bytes = reply.into_bytes();
                bytes.push(b'\n');
                if out.send(bytes).await.is_err() {
                    return Ok(());
                }
            }
            Some(Frame::Skip) | None => {}
        }
        if done {
            return Ok(());
        }
    }
}

/// Writes the queued lines to `output` in order, each (with its newline) in a single write: a
/// client waiting for the newline wakes once. Ends when every sender is gone.
async fn write_output(
    mut lines: mpsc::Receiver<Vec<u8>>,
    mut output: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    while let Some(line) = lines.recv().await {
        output.write_all(&line).await?;
        output.flush().await?;
    }
    output.flush().await
}

/// rmcp's end of the stdio session: messages the framing parsed, answers queued for stdout.
struct StdioTransport {
    incoming: mpsc::Receiver<Incoming>,
    outgoing: mpsc::Sender<Vec<u8>>,
}

impl Transport<RoleServer> for StdioTransport {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send + 'static {
        let line = serde_json::to_vec(&item).map(|mut bytes| {
            bytes.push(b'\n');
            bytes
        });
        let outgoing = self.outgoing.clone();
        async move {
            let line = line.map_err(std::io::Error::other)?;
            outgoing
                .send(line)
                .await
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdout closed"))
        }
    }

    async fn receive(&mut self) -> Option<Incoming> {
        self.incoming.recv().await
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.incoming.close();
        Ok(())
    }
}

/// Serves one MCP session on stdin/stdout until the client closes stdin.
pub async fn serve(app: App) -> std::io::Result<()> {
    let (to_server, incoming) = mpsc::channel(QUEUE);
    let (outgoing, lines) = mpsc::channel(QUEUE);
    let reading = tokio::spawn(frame_input(
        super::stdio_fds::input(),
        to_server,
        outgoing.clone(),
    ));
    let writing = tokio::spawn(write_output(lines, super::stdio_fds::output()));
    let server = PersonioServer::new(app);
    let session = async {
        let running = server
            .serve(StdioTransport { incoming, outgoing })
            .await
            .map_err(|e| std::io::Error::other(format!("MCP session could not start: {e}")))?;
        running
            .waiting()
            .await
            .map_err(|e| std::io::Error::other(format!("MCP session failed: {e}")))
    };
    let ended = session.await;
    if let Ok(reason) = &ended {
        tracing::info!(?reason, "stdio session ended");
    }
    reading.abort();
    // Let the last replies out, a failed start's too (errors for lines sent before a good
    // `initialize`); the writer ends when the session's and the framing's senders are gone.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writing).await;
    ended.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{ClientRequest, JsonRpcMessage};

    #[tokio::test]
    async fn a_20_mb_line_is_refused_and_the_next_line_passes() {
        let mut input = vec![b'x'; 20 * 1024 * 1024];
        input.extend_from_slice(b"\n{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\n");
        let (to_server, mut incoming) = mpsc::channel(4);
        let (out, mut lines) = mpsc::channel(4);
        frame_input(&input[..], to_server, out).await.unwrap();
        let reply = String::from_utf8(lines.recv().await.unwrap()).unwrap();
        assert!(reply.contains("-32700") && reply.contains("4 MiB"));
        let Some(JsonRpcMessage::Request(ping)) = incoming.recv().await else {
            panic!("the ping did not pass")
        };
        assert!(matches!(ping.request, ClientRequest::PingRequest(_)));
        assert!(incoming.recv().await.is_none());
    }
}
