//! The standalone `personio-mcp sandbox` command: the base URL is the first stdout line, the URL
//! answers, SIGTERM stops it with exit code 0, and bad `--faults` JSON is refused.

// Test code: a failed unwrap is a failed assertion (helpers outside `#[test]` fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sandbox_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use sandbox_support::*;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");

/// Kills the child if a test fails before it stopped it.
struct Running(Option<std::process::Child>);

impl Running {
    fn pid(&self) -> String {
        self.0.as_ref().unwrap().id().to_string()
    }

    /// Sends SIGTERM and waits for the exit status.
    async fn terminate(mut self) -> std::process::ExitStatus {
        let killed = Command::new("kill")
            .args(["-TERM", &self.pid()])
            .status()
            .unwrap();
        assert!(killed.success());
        let mut child = self.0.take().unwrap();
        tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn prints_its_url_first_serves_and_exits_cleanly_on_sigterm() {
    let mut child = Command::new(BIN)
        .args([
            "sandbox", "--bind", "127.0.0.1:0", "--employees", "10", "--seed", "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let child = Running(Some(child));
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line.trim_end().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    assert!(!url.ends_with('/'));

    let info = Reply::from(http().get(format!("{url}/__sandbox")).send().await.unwrap()).await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(info.json["employees"], 10);
    assert_eq!(info.json["seed"], 3);
    assert_eq!(info.json["base_url"], url.as_str());
    let t = token(&url, FULL).await;
    let r = http()
        .get(format!("{url}/v1/company/employees"))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let status = child.terminate().await;
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "the URL is the only stdout line");
}

#[tokio::test]
async fn faults_flag_is_applied_and_invalid_json_is_refused() {
    let out = Command::new(BIN)
        .args([
            "sandbox", "--employees", "1", "--faults", "{\"not_a_fault\": 1}",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());

    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--employees",
            "3",
            "--today",
            "2024-02-29",
            "--faults",
            &json!({"server_error_every": 1, "path_prefix": "/v1/company"}).to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let child = Running(Some(child));
    let url = line.trim_end().to_string();
    let faults = Reply::from(
        http()
            .get(format!("{url}/__sandbox/faults"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(faults.json["server_error_every"], 1);
    let info = Reply::from(http().get(format!("{url}/__sandbox")).send().await.unwrap()).await;
    assert_eq!(info.json["today"], "2024-02-29");
    let t = token(&url, FULL).await;
    let r = http()
        .get(format!("{url}/v1/company/employees"))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(child.terminate().await.success());
}
