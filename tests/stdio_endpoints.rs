//! stdin and stdout as hosts really hand them over: Python's `subprocess` gives pipes, libuv
//! (Node: Claude Desktop, VS Code, Cursor, the Inspector) gives one end of a socket pair, and a
//! script may redirect a file. The server drives pipes and sockets from its own runtime and falls
//! back to tokio's blocking stdio for anything else; each kind must carry a whole session.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const SESSION: &str = concat!(
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"fd-kinds","version":"0"}}}"#,
    "\n",
    r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    "\n",
    r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_time_off_types","arguments":{}}}"#,
    "\n",
    "not json\n",
    r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#,
    "\n",
);

fn server() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_personio-mcp"));
    c.args(["serve", "--sandbox"])
        .env_remove("PERSONIO_CLIENT_ID")
        .env_remove("PERSONIO_CLIENT_SECRET")
        .env("RUST_LOG", "warn")
        .stderr(Stdio::null());
    c
}

/// Every reply of [`SESSION`], checked: ids 1–3 answered, the garbage line a -32700.
fn check_replies(out: &str) {
    let replies: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let by_id = |id: i64| {
        replies
            .iter()
            .find(|r| r["id"] == json!(id))
            .unwrap_or_else(|| panic!("no reply {id} in {out}"))
    };
    assert_eq!(by_id(1)["result"]["serverInfo"]["name"], "personio-mcp");
    let types = &by_id(2)["result"]["structuredContent"]["types"];
    assert!(types.as_array().is_some_and(|t| !t.is_empty()), "{out}");
    assert!(
        by_id(3)["result"]["tools"]
            .as_array()
            .is_some_and(|t| t.len() >= 4)
    );
    assert!(
        replies.iter().any(|r| r["error"]["code"] == json!(-32700)),
        "{out}"
    );
    assert_eq!(replies.len(), 4, "{out}");
}

/// Reads `reader` until `count` lines arrived (the server answers as it goes).
fn read_lines(reader: impl Read, count: usize) -> String {
    let mut out = String::new();
    let mut r = BufReader::new(reader);
    for _ in 0..count {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap() == 0 {
            break;
        }
        out.push_str(&line);
    }
    out
}

#[test]
fn a_socket_pair_like_node_hosts_use() {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let theirs_out = theirs.try_clone().unwrap();
    let mut child = server()
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::from(OwnedFd::from(theirs_out)))
        .spawn()
        .unwrap();
    ours.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    (&ours).write_all(SESSION.as_bytes()).unwrap();
    let out = read_lines(&ours, 4);
    // Closing our end is the end of input: the server exits cleanly.
    ours.shutdown(std::net::Shutdown::Both).unwrap();
    drop(ours);
    let status = child.wait().unwrap();
    check_replies(&out);
    assert!(status.success(), "{status}");
}

#[test]
fn pipes_like_python_hosts_use() {
    let mut child = server()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(SESSION.as_bytes()).unwrap();
    let out = read_lines(child.stdout.take().unwrap(), 4);
    drop(stdin);
    let status = child.wait().unwrap();
    check_replies(&out);
    assert!(status.success(), "{status}");
}

#[test]
fn a_file_on_stdin_falls_back_to_blocking_reads() {
    let mut input = tempfile::NamedTempFile::new().unwrap();
    input.write_all(SESSION.as_bytes()).unwrap();
    let output = tempfile::NamedTempFile::new().unwrap();
    let status = server()
        .stdin(input.reopen().unwrap())
        .stdout(output.reopen().unwrap())
        .status()
        .unwrap();
    let out = std::fs::read_to_string(output.path()).unwrap();
    check_replies(&out);
    assert!(status.success(), "{status}");
}
