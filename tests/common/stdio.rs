//! The built binary over stdio, spoken to as raw JSON-RPC: what a desktop client does. stdout is
//! read by a thread (a missing answer fails the test instead of hanging it); stderr goes to a
//! file so that trace-level logs cannot block the server and can be searched afterwards.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

pub const ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub struct StdioServer {
    pub child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::sync::mpsc::Receiver<String>,
    next_id: i64,
    logs: tempfile::NamedTempFile,
    /// Every stdout line so far, for leak checks.
    pub transcript: String,
}

impl StdioServer {
    /// `serve --sandbox --enable-writes` with warnings only.
    pub fn start() -> StdioServer {
        Self::start_with(
            &["serve", "--sandbox", "--enable-writes"],
            &[("RUST_LOG", "warn")],
            json!({}),
        )
    }

    /// The binary with `args` and `envs`, initialised with the client `capabilities`.
    pub fn start_with(args: &[&str], envs: &[(&str, &str)], capabilities: Value) -> StdioServer {
        let logs = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_personio-mcp"))
            .args(args)
            .env_remove("PERSONIO_CLIENT_ID")
            .env_remove("PERSONIO_CLIENT_SECRET")
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(logs.reopen().unwrap())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut s = StdioServer {
            child,
            stdin,
            lines,
            next_id: 100,
            logs,
            transcript: String::new(),
        };
        let init = s.request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": capabilities,
                   "clientInfo": {"name": "stdio-tests", "version": "0"}}),
        );
        assert_eq!(
            init["result"]["serverInfo"]["name"], "personio-mcp",
            "{init}"
        );
        s.send_raw(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string());
        s
    }

    pub fn send_raw(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).unwrap();
        self.stdin.write_all(b"\n").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message on stdout (fails after [`ANSWER_TIMEOUT`]).
    pub fn next(&mut self) -> Value {
        let line = self
            .lines
            .recv_timeout(ANSWER_TIMEOUT)
            .expect("the server answered");
        self.transcript.push_str(&line);
        self.transcript.push('\n');
        serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("stdout carries only JSON-RPC, got: {line}"))
    }

    /// Reads messages until the response with `id` (notifications are skipped).
    pub fn read(&mut self, id: &Value) -> Value {
        loop {
            let v = self.next();
            if &v["id"] == id && v.get("method").is_none() {
                return v;
            }
        }
    }

    /// Sends a request without waiting; returns its id.
    pub fn send(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = json!(self.next_id);
        self.send_raw(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string(),
        );
        id
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params);
        self.read(&id)
    }

    pub fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": arguments}))
    }

    pub fn alive(&mut self) {
        let r = self.call("list_time_off_types", json!({}));
        assert_eq!(
            r["result"]["isError"], false,
            "the server still answers: {r}"
        );
    }

    /// Everything the server wrote to stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.logs.path()).unwrap_or_default()
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
