//! Issue 14 item 10 for the client layer: at every log level, nothing the Personio client or the
//! directory logs carries a personal value (names, emails, absence comments, a person's dates).
//! Runs the client against the sandbox with a TRACE subscriber capturing everything except the
//! sandbox's own (server-side) logs, then searches the capture for every such value it handled.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use common::*;
use futures::TryStreamExt;
use personio_mcp::domain::directory::{Directory, DirectoryConfig};
use personio_mcp::personio::{AbsenceQuery, EmployeeQuery, NewTimeOff, Unit};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_client_log_line_at_trace_level_carries_a_personal_value() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,personio_mcp::sandbox=off,tower_http=off,axum=off",
        ))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sb = sandbox(60).await;
    let client = client(&sb, "sandbox-client");
    let people = client
        .all_employees(&EmployeeQuery::default())
        .await
        .unwrap();
    let someone = &people[0];
    let email = someone.email.value().unwrap().clone();
    assert!(
        client
            .employee_by_email(&email, &[])
            .await
            .unwrap()
            .is_some()
    );
    client.employee(someone.id).await.unwrap();
    client.balances(someone.id).await.unwrap();
    let directory = Directory::new(client.clone(), DirectoryConfig::default());
    assert!(directory.lookup_email(&email).await.unwrap().is_some());
    directory.snapshot(None).await.unwrap();
    let absences: Vec<_> = client
        .time_offs(&AbsenceQuery::default())
        .try_collect()
        .await
        .unwrap();
    let hours: Vec<_> = client
        .hour_absences(&AbsenceQuery::default())
        .try_collect()
        .await
        .unwrap();
    let types = client.time_off_types().await.unwrap();
    let day_type = types.iter().find(|t| t.unit == Unit::Days).unwrap();
    let secret_comment = "Termin beim Psychotherapeuten 7QX";
    let created = client
        .create_time_off(&NewTimeOff {
            employee_id: someone.id,
            time_off_type_id: day_type.id,
            start_date: NaiveDate::from_ymd_opt(2031, 9, 17).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2031, 9, 17).unwrap(),
            half_day_start: false,
            half_day_end: false,
            comment: Some(secret_comment.into()),
            skip_approval: false,
        })
        .await
        .unwrap();
    client
        .delete_time_off(created.id.parse().unwrap())
        .await
        .unwrap();
    // Failures log too: a 404 and a 403 (limited credential).
    assert!(client.employee(987_654_321).await.is_err());
    let limited = common::client(&sb, "sandbox-limited");
    assert!(limited.balances(someone.id).await.is_err());

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("Personio response"),
        "the capture saw the client's debug lines:\n{}",
        &log[..log.len().min(2000)]
    );
    let mut personal: Vec<String> = vec![secret_comment.to_string(), "2031-09-17".to_string()];
    for e in &people {
        personal.extend(e.email.value().cloned());
        personal.extend(e.first_name.value().map(|n| format!("\"{n}")));
        personal.extend(e.last_name.value().cloned().filter(|n| n.len() >= 5));
        personal.push(format!("/{}", e.id));
        personal.push(format!("={}", e.id));
    }
    for a in absences.iter().chain(&hours) {
        personal.extend(a.comment.clone().filter(|c| c.len() >= 4));
    }
    let leaks: Vec<&String> = personal
        .iter()
        .filter(|p| log.contains(p.as_str()))
        .collect();
    assert!(
        leaks.is_empty(),
        "personal values in the logs: {leaks:?}\n{}",
        log.lines()
            .filter(|l| leaks.iter().any(|p| l.contains(p.as_str())))
            .take(10)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
