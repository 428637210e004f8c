//! Issue 8: who may see and do what, health masking, caps, the audit log, and a leak test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;

use common::*;
use personio_mcp::app::{App, Settings};
use personio_mcp::mcp::confirm::Confirmation;
use personio_mcp::mcp::tools::create_time_off;
use personio_mcp::mcp::tools::{get_employee, get_pto_balance, list_absences};
use personio_mcp::personio::{Employee, EmployeeQuery, EmployeeStatus, PersonioClient};
use personio_mcp::policy::access::{Caller, reports};
use personio_mcp::policy::audit::AuditLog;
use personio_mcp::policy::principal::{Principal, Role};
use personio_mcp::sandbox::SandboxHandle;
use personio_mcp::{Error, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn args<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn app(sb: &SandboxHandle) -> App {
    let client = PersonioClient::new(unthrottled(config(sb, "sandbox-client"))).unwrap();
    let mut settings = Settings::with_writes(true);
    settings.privacy.record_cap = 100_000;
    App::new(client, settings)
}

async fn caller(app: &App, email: &str, role: Role) -> Result<Caller, Error> {
    let snapshot = app.records().snapshot(None).await?;
    Caller::resolve(
        Some(&Principal {
            email: email.into(),
            role,
        }),
        &snapshot,
    )
}

fn email(e: &Employee) -> String {
    e.email.value().cloned().unwrap()
}

/// The cast: a report with a sick leave this year, their manager, a peer outside the manager's
/// tree, and an HR person.
struct Cast {
    report: Employee,
    manager: Employee,
    peer: Employee,
    hr: Employee,
    sick_absence_id: String,
}

async fn cast(app: &App) -> Cast {
    let year = app.today().format("%Y").to_string();
    let all = list_absences::run(app.guard_as(Caller::operator()), args(json!({"from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200, "time_off_types": ["Sick leave"]}))).await.unwrap();
    let everyone = app
        .records()
        .client()
        .all_employees(&EmployeeQuery::default())
        .await
        .unwrap();
    let active = |e: &&Employee| e.status.value() == Some(&EmployeeStatus::Active);
    let snapshot = app.records().snapshot(None).await.unwrap();
    for sick in &all.absences {
        let Some(report) = everyone
            .iter()
            .find(|e| e.id == sick.employee.id)
            .filter(active)
        else {
            continue;
        };
        let Some(boss_id) = report.supervisor.value().map(|s| s.id) else {
            continue;
        };
        let Some(manager) = everyone.iter().find(|e| e.id == boss_id).filter(active) else {
            continue;
        };
        let tree = reports(&snapshot, manager.id);
        let Some(peer) = everyone.iter().filter(active).find(|e| {
            e.id != manager.id && !tree.contains(&e.id) && e.supervisor.value().is_some()
        }) else {
            continue;
        };
        let Some(hr) = everyone
            .iter()
            .filter(active)
            .find(|e| e.id != manager.id && e.id != report.id && e.id != peer.id)
        else {
            continue;
        };
        return Cast {
            report: report.clone(),
            manager: manager.clone(),
            peer: peer.clone(),
            hr: hr.clone(),
            sick_absence_id: sick.id.clone(),
        };
    }
    panic!("the seeded company has a report with a sick leave this year");
}

fn assert_forbidden_without(e: Error, who: &Employee) {
    assert_eq!(e.code, ErrorCode::Forbidden, "{e:?}");
    let text = format!("{} {:?} {:?}", e.message, e.hint, e.details);
    assert!(
        !text.contains(&who.full_name()) && !text.contains(&email(who)),
        "refusal leaks: {text}"
    );
}

#[tokio::test]
async fn an_employee_sees_only_themself() {
    let sb = sandbox(250).await;
    let app = app(&sb);
    let c = cast(&app).await;
    let me = caller(&app, &email(&c.report), Role::Employee)
        .await
        .unwrap();
    let own = get_pto_balance::run(app.guard_as(me.clone()), args(json!({"employee": "me"})))
        .await
        .unwrap();
    assert_eq!(own.employee.id, c.report.id);
    let peer = c.peer.id.to_string();
    assert_forbidden_without(
        get_pto_balance::run(app.guard_as(me.clone()), args(json!({"employee": peer})))
            .await
            .unwrap_err(),
        &c.peer,
    );
    assert_forbidden_without(
        get_employee::run(app.guard_as(me.clone()), args(json!({"employee": peer})))
            .await
            .unwrap_err(),
        &c.peer,
    );
    assert_forbidden_without(
        list_absences::run(app.guard_as(me.clone()), args(json!({"employee": peer})))
            .await
            .unwrap_err(),
        &c.peer,
    );
    let e = create_time_off::run(&app.guard_as(me.clone()), args(json!({"employee": peer, "time_off_type": "Paid vacation", "start_date": "2031-04-01", "dry_run": true})), Confirmation::Skip, &app).await.err().unwrap();
    assert_forbidden_without(e, &c.peer);
    // Without a filter: only their own absences, health details included (they are their own).
    let year = app.today().format("%Y").to_string();
    let mine = list_absences::run(
        app.guard_as(me.clone()),
        args(json!({"from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200})),
    )
    .await
    .unwrap();
    assert!(mine.absences.iter().all(|a| a.employee.id == c.report.id));
    let sick = mine
        .absences
        .iter()
        .find(|a| a.id == c.sick_absence_id)
        .unwrap();
    assert_eq!(sick.time_off_type.name.as_deref(), Some("Sick leave"));
}

#[tokio::test]
async fn a_manager_sees_reports_but_not_peers_and_health_is_masked() {
    let sb = sandbox(250).await;
    let app = app(&sb);
    let c = cast(&app).await;
    let boss = caller(&app, &email(&c.manager), Role::Manager)
        .await
        .unwrap();
    let report = c.report.id.to_string();
    let peer = c.peer.id.to_string();
    get_pto_balance::run(
        app.guard_as(boss.clone()),
        args(json!({"employee": report})),
    )
    .await
    .unwrap();
    assert_forbidden_without(
        get_pto_balance::run(app.guard_as(boss.clone()), args(json!({"employee": peer})))
            .await
            .unwrap_err(),
        &c.peer,
    );
    let ok = create_time_off::run(&app.guard_as(boss.clone()), args(json!({"employee": report, "time_off_type": "Paid vacation", "start_date": "2031-04-01", "dry_run": true})), Confirmation::Skip, &app).await;
    assert!(ok.is_ok(), "a manager may request time off for a report");
    let e = create_time_off::run(&app.guard_as(boss.clone()), args(json!({"employee": peer, "time_off_type": "Paid vacation", "start_date": "2031-04-01", "dry_run": true})), Confirmation::Skip, &app).await.err().unwrap();
    assert_forbidden_without(e, &c.peer);

    let year = app.today().format("%Y").to_string();
    let window =
        json!({"from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200});
    let seen = list_absences::run(app.guard_as(boss.clone()), args(window.clone()))
        .await
        .unwrap();
    let snapshot = app.records().snapshot(None).await.unwrap();
    let mut tree: HashSet<i64> = reports(&snapshot, c.manager.id);
    tree.insert(c.manager.id);
    assert!(
        seen.absences.iter().all(|a| tree.contains(&a.employee.id)),
        "only self and reports"
    );
    let masked = seen
        .absences
        .iter()
        .find(|a| a.id == c.sick_absence_id)
        .expect("the report's sick leave is listed");
    assert_eq!(masked.time_off_type.name.as_deref(), Some("Absent"));
    assert!(
        masked.time_off_type.id.is_none()
            && masked.time_off_type.category.is_none()
            && masked.comment.is_none()
    );
    let mut by_type = window.clone();
    by_type["time_off_types"] = json!(["Sick leave"]);
    let e = list_absences::run(app.guard_as(boss.clone()), args(by_type))
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::Forbidden,
        "filtering others by a health type would reveal it"
    );

    // HR sees it unmasked, and may read anyone.
    let hr = caller(&app, &email(&c.hr), Role::Hr).await.unwrap();
    let all = list_absences::run(app.guard_as(hr.clone()), args(json!({"employee": report, "from": format!("{year}-01-01"), "to": format!("{year}-12-31")}))).await.unwrap();
    let plain = all
        .absences
        .iter()
        .find(|a| a.id == c.sick_absence_id)
        .unwrap();
    assert_eq!(plain.time_off_type.name.as_deref(), Some("Sick leave"));
    get_pto_balance::run(app.guard_as(hr.clone()), args(json!({"employee": peer})))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_caller_email_fails_closed() {
    let sb = sandbox(50).await;
    let app = app(&sb);
    let e = caller(&app, "intruder@example.com", Role::Hr)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let op = Caller::operator();
    let e = get_pto_balance::run(app.guard_as(op.clone()), args(json!({"employee": "me"})))
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::ValidationFailed,
        "\"me\" needs an identity"
    );
}

/// A broad question ("who is out this year?") is answered, not refused: the total and a summary
/// over everything, and pages up to the record cap; paging further is refused with how to narrow.
#[tokio::test]
async fn broad_queries_get_a_summary_and_paging_stops_at_the_cap() {
    let sb = sandbox(250).await;
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let app = App::new(client, Settings::default());
    let year = app.today().format("%Y").to_string();
    let whole_year =
        json!({"from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200});
    let first = list_absences::run(app.guard_as(Caller::operator()), args(whole_year.clone()))
        .await
        .unwrap();
    assert!(
        first.total > 200,
        "the sandbox year has more than 200 absences"
    );
    assert_eq!(first.absences.len(), 200);
    assert_eq!(first.summary.by_type.values().sum::<usize>(), first.total);
    assert_eq!(
        first.summary.by_department.values().sum::<usize>(),
        first.total
    );
    assert!(
        first
            .note
            .as_deref()
            .unwrap()
            .contains("only the first 200")
    );
    assert!(first.next_cursor.is_none(), "no page beyond the cap");
    // A hand-made cursor past the cap is refused with how to narrow.
    let mut forged = whole_year.clone();
    let fingerprint_cursor = personio_mcp::mcp::tools::common::cursor::encode(
        &format!(
            "{:?}|{:?}|{:?}|{year}-01-01|{year}-12-31|{:?}|{:?}",
            None::<String>,
            None::<String>,
            None::<String>,
            None::<Vec<String>>,
            None::<Vec<String>>
        ),
        200,
    );
    forged["cursor"] = json!(fingerprint_cursor);
    let e = list_absences::run(app.guard_as(Caller::operator()), args(forged))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    assert!(e.message.contains("at most 200"), "{}", e.message);
    assert!(e.hint.unwrap().contains("department or team filter"));
    let mut narrowed = whole_year;
    narrowed["department"] = json!("Engineering");
    list_absences::run(app.guard_as(Caller::operator()), args(narrowed))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_audit_log_records_calls_without_personal_values() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let mut settings = Settings::with_writes(true);
    settings.writes.skip_confirmation = true;
    settings.default_principal = Some(Principal {
        email: "jurgen.muller@nordlicht.example".into(),
        role: Role::Hr,
    });
    let log = Arc::new(AuditLog::open(path.clone(), 1 << 20, Some(vec![9; 32])).unwrap());
    settings.audit = Some(log.clone());
    let app = App::new(client, settings);
    let call = |name: &str, arguments: Value| {
        let app = app.clone();
        let name = name.to_string();
        async move {
            personio_mcp::transport::in_process::request(
                app,
                "tools/call",
                json!({"name": name, "arguments": arguments}),
            )
            .await
            .unwrap()
        }
    };
    let someone = app
        .records()
        .client()
        .all_employees(&EmployeeQuery::default())
        .await
        .unwrap()
        .into_iter()
        .find(|e| {
            e.status.value() == Some(&EmployeeStatus::Active)
                && email(e) != "jurgen.muller@nordlicht.example"
        })
        .unwrap();
    let found = call("search_employee", json!({"query": someone.full_name()})).await;
    let target = found["result"]["structuredContent"]["employees"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(target, someone.id);
    call("get_pto_balance", json!({"employee": target.to_string()})).await;
    call("create_time_off", json!({"employee": target.to_string(), "time_off_type": "Paid vacation", "start_date": "2031-04-08"})).await;
    call("get_pto_balance", json!({"employee": "nobody at all"})).await;

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for l in &lines {
        for field in [
            "timestamp", "principal", "role", "tool", "targets", "fields", "outcome",
        ] {
            assert!(l.get(field).is_some(), "{field} in {l}");
        }
        assert_eq!(l["principal"], "jurgen.muller@nordlicht.example");
        assert_eq!(l["role"], "hr");
    }
    assert_eq!(lines[0]["tool"], "search_employee");
    assert!(
        lines[0]["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("employees.email"))
    );
    let hashed = log.hash_id(target);
    assert!(
        lines[1]["targets"]
            .as_array()
            .unwrap()
            .contains(&json!(hashed))
    );
    assert_eq!(lines[2]["tool"], "create_time_off");
    assert_eq!(lines[2]["write_status"], "pending");
    assert_eq!(lines[2]["write_digest"].as_str().unwrap().len(), 64);
    assert_eq!(lines[3]["outcome"], "NOT_FOUND");
    // No personal values: neither the target's name, email or raw id, nor dates or balances.
    assert!(
        !text.contains(someone.last_name.value().unwrap().as_str())
            && !text.contains(&email(&someone))
    );
    assert!(!text.contains(&format!("\"{target}\"")) && !text.contains(&format!(":{target}")));
    assert!(!text.contains("2031-04-08"));
}

/// Stops a stdio server and appends everything it said (stdout and its logs) to `seen`.
fn drop_and_collect(s: common::stdio::StdioServer, seen: &mut String) {
    assert!(
        s.transcript.contains("\"completion\"") && s.transcript.contains("\"contents\""),
        "completions and resources answered: {}",
        s.transcript
    );
    assert!(s.logs().contains("TRACE"), "trace logs were captured");
    seen.push_str(&s.transcript);
    seen.push_str(&s.logs());
}

/// Every sensitive value of the seeded company, read straight from the sandbox.
async fn sensitive_values(sb: &SandboxHandle) -> Vec<String> {
    let client = PersonioClient::new(unthrottled(config(sb, "sandbox-client"))).unwrap();
    let everyone = client
        .all_employees(&EmployeeQuery::default())
        .await
        .unwrap();
    let mut other_dates = HashSet::new();
    for e in &everyone {
        for d in [e.hire_date.value(), e.termination_date.value()]
            .into_iter()
            .flatten()
        {
            other_dates.insert(d.to_string());
        }
    }
    let mut values = Vec::new();
    for e in &everyone {
        for attr in e.extra.values() {
            let label = attr.label.to_lowercase();
            let sensitive = [
                "iban", "birthday", "home address", "fixed salary", "nationality", "marital",
            ]
            .iter()
            .any(|k| label.contains(k));
            if !sensitive {
                continue;
            }
            let v = match &attr.value {
                Value::String(s) => s.clone(),
                Value::Number(n) if n.as_f64().unwrap_or(0.0) >= 1000.0 => n.to_string(),
                _ => continue,
            };
            // Short list values ("single") and dates that are also someone's hire date can appear
            // legitimately elsewhere; everything distinctive is checked.
            if v.len() >= 6
                && !other_dates.contains(&v)
                && !["married", "divorced", "widowed"].contains(&v.as_str())
            {
                values.push(v.replace('\n', " "));
                if let Some(first_line) = attr.value.as_str().and_then(|s| s.lines().next()) {
                    values.push(first_line.to_string());
                }
            }
        }
    }
    values.sort();
    values.dedup();
    values
}

#[tokio::test]
async fn no_sensitive_value_or_secret_leaks_through_any_tool_role_log_or_audit() {
    // The binary's embedded sandbox uses the same seed and size, so it holds the same values.
    let sb = sandbox_with(personio_mcp::sandbox::SandboxConfig {
        employees: 250,
        seed: 42,
        ..Default::default()
    })
    .await;
    let secrets = sensitive_values(&sb).await;
    assert!(
        secrets.len() > 250,
        "the sandbox seeds sensitive attributes ({})",
        secrets.len()
    );
    assert!(
        secrets.iter().any(|s| s.starts_with("DE")),
        "IBANs are among them"
    );
    let app = app(&sb);
    let c = cast(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let report = c.report.id.to_string();
    let calls: Vec<(&str, String)> = vec![
        ("search_employee", json!({"query": c.report.full_name()}).to_string()),
        ("get_employee", json!({"employee": report}).to_string()),
        ("get_employee", json!({"employee": "me"}).to_string()),
        ("get_pto_balance", json!({"employee": report}).to_string()),
        ("list_absences", json!({"employee": report}).to_string()),
        ("list_time_off_types", "{}".to_string()),
        ("create_time_off", json!({"employee": report, "time_off_type": "Paid vacation", "start_date": "2031-05-13", "dry_run": true}).to_string()),
    ];
    let mut seen = String::new();
    for (role, who) in [
        ("hr", email(&c.hr)),
        ("manager", email(&c.manager)),
        ("employee", email(&c.report)),
    ] {
        for (tool, arguments) in &calls {
            let out = Command::new(env!("CARGO_BIN_EXE_personio-mcp"))
                .args([
                    "tools", "call", tool, arguments, "--sandbox", "--enable-writes", "--as", &who,
                    "--role", role,
                ])
                .arg("--audit-log")
                .arg(&audit)
                .env("RUST_LOG", "trace")
                .output()
                .unwrap();
            seen.push_str(&String::from_utf8_lossy(&out.stdout));
            seen.push_str(&String::from_utf8_lossy(&out.stderr));
        }
        // The other doors, over stdio as a desktop client uses them: completions, resources,
        // prompts and error texts, with trace logs on.
        let audit_arg = audit.to_string_lossy().into_owned();
        let state = tempfile::tempdir().unwrap();
        let state_arg = state.path().to_string_lossy().into_owned();
        let mut s = common::stdio::StdioServer::start_with(
            &[
                "serve", "--sandbox", "--enable-writes", "--as", &who, "--role", role,
                "--audit-log", &audit_arg,
            ],
            &[
                ("RUST_LOG", "trace"),
                ("PERSONIO_MCP_STATE_DIR", &state_arg),
            ],
            json!({}),
        );
        let prompt = json!({"type": "ref/prompt", "name": "request_time_off"});
        let template = json!({"type": "ref/resource", "uri": "personio://employees/{id}"});
        for prefix in ["", "a", "M", "1"] {
            s.request(
                "completion/complete",
                json!({"ref": prompt, "argument": {"name": "employee", "value": prefix}}),
            );
            s.request(
                "completion/complete",
                json!({"ref": template, "argument": {"name": "id", "value": prefix}}),
            );
        }
        for uri in [
            format!("personio://employees/{report}"),
            format!("personio://employees/{}", c.peer.id),
            "personio://scope".to_string(),
            "personio://time-off-types".to_string(),
        ] {
            s.request("resources/read", json!({"uri": uri}));
        }
        s.request("resources/list", json!({}));
        s.request(
            "prompts/get",
            json!({"name": "request_time_off", "arguments": {"employee": c.report.full_name()}}),
        );
        s.request(
            "prompts/get",
            json!({"name": "my_leave_summary", "arguments": {}}),
        );
        // Error texts: ambiguous, unknown, forbidden, invalid.
        s.call("get_employee", json!({"employee": "a"}));
        s.call(
            "get_pto_balance",
            json!({"employee": c.peer.id.to_string()}),
        );
        s.call(
            "list_absences",
            json!({"employee": report, "start_date": "2026-13-01"}),
        );
        s.call("create_time_off", json!({"employee": report, "time_off_type": "no such type", "start_date": "2031-05-13"}));
        drop_and_collect(s, &mut seen);
    }
    seen.push_str(&std::fs::read_to_string(&audit).unwrap());
    assert!(seen.contains("TRACE"), "trace logs were captured");
    assert!(seen.contains("\"employees\""), "the tools answered");
    assert!(!seen.contains("sandbox-secret"), "client secret leaked");
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| seen.contains(s.as_str()))
        .collect();
    assert!(leaked.is_empty(), "sensitive values leaked: {leaked:?}");
}

// --- Issue 14: regression tests named after the adversarial review's findings. ---

/// Finding 1: a manager's view of a report's balances listed sick leave (exactly her sick days).
#[tokio::test]
async fn balances_leak_health_data() {
    let sb = sandbox(250).await;
    let app = app(&sb);
    let c = cast(&app).await;
    let health = personio_mcp::policy::privacy::Privacy::default();
    let boss = caller(&app, &email(&c.manager), Role::Manager)
        .await
        .unwrap();
    let seen = get_pto_balance::run(
        app.guard_as(boss),
        args(json!({"employee": c.report.id.to_string()})),
    )
    .await
    .unwrap();
    assert!(
        !seen.balances.is_empty(),
        "the manager still sees vacation balances"
    );
    for b in &seen.balances {
        assert!(
            !health.is_health(b.category.as_deref(), Some(&b.name)),
            "health balance shown to the manager: {}",
            b.name
        );
    }
    let hr = get_pto_balance::run(
        app.guard_as(Caller::operator()),
        args(json!({"employee": c.report.id.to_string()})),
    )
    .await
    .unwrap();
    assert!(
        hr.balances
            .iter()
            .any(|b| health.is_health(b.category.as_deref(), Some(&b.name))),
        "HR sees the health-related balances"
    );
}

/// Finding 8: a token for an employee terminated years ago still read the directory.
#[tokio::test]
async fn leavers_keep_access() {
    let sb = sandbox(250).await;
    let app = app(&sb);
    let snapshot = app.records().snapshot(None).await.unwrap();
    let leaver = snapshot
        .all()
        .find(|e| e.status.value() == Some(&EmployeeStatus::Inactive) && e.email.value().is_some())
        .expect("the seeded company has former employees")
        .clone();
    let e = caller(&app, &email(&leaver), Role::Employee)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert!(e.message.contains("former employee"), "{}", e.message);
    // And colleagues do not find the leaver at all.
    let me = caller(&app, &email(&c_any_active(&app).await), Role::Employee)
        .await
        .unwrap();
    let found = personio_mcp::mcp::tools::search_employee::run(
        app.guard_as(me.clone()),
        args(json!({"query": leaver.full_name()})),
    )
    .await
    .unwrap();
    assert!(found.employees.iter().all(|x| x.id != leaver.id));
    let refused = personio_mcp::mcp::tools::search_employee::run(
        app.guard_as(me),
        args(json!({"query": "a", "include_inactive": true})),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
}

/// Finding 3: `{"query":"","status":"active","limit":50}` counted as narrowed and paged through
/// everyone; paging over the four statuses exported the company; a manager's whole-year
/// absences returned 1,079 records. The cap bounds every role's paging, whatever the filters,
/// and non-HR callers get neither former employees nor the leave status.
#[tokio::test]
async fn the_bulk_export_cap_is_bypassed() {
    let sb = sandbox(400).await;
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let mut settings = Settings::default();
    settings.privacy.record_cap = 100;
    let app = App::new(client, settings);
    let c = cast(&app).await;
    let hr = caller(&app, &email(&c.hr), Role::Hr).await.unwrap();
    let mut exported = HashSet::new();
    for status in ["active", "inactive", "onboarding", "leave"] {
        let mut page = json!({"query": "", "status": status, "limit": 50});
        loop {
            let r = personio_mcp::mcp::tools::search_employee::run(
                app.guard_as(hr.clone()),
                args(page.clone()),
            )
            .await
            .unwrap();
            exported.extend(r.employees.iter().map(|e| e.id));
            match r.next_cursor {
                Some(cursor) => page["cursor"] = json!(cursor),
                None => break,
            }
        }
    }
    let active_total = app
        .records()
        .snapshot(None)
        .await
        .unwrap()
        .all()
        .filter(|e| e.status.value() == Some(&EmployeeStatus::Active))
        .count();
    assert!(active_total > 100, "the company is larger than the cap");
    assert!(
        exported.len() < active_total,
        "paging stopped at the cap of 100 per query ({} exported)",
        exported.len()
    );

    let me = caller(&app, &email(&c.report), Role::Employee)
        .await
        .unwrap();
    for status in ["inactive", "leave"] {
        let e = personio_mcp::mcp::tools::search_employee::run(
            app.guard_as(me.clone()),
            args(json!({"query": "", "status": status})),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "{status}");
    }

    let boss = caller(&app, &email(&c.manager), Role::Manager)
        .await
        .unwrap();
    let year = app.today().format("%Y").to_string();
    let mut page =
        json!({"from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200});
    let mut seen = 0;
    loop {
        let r = list_absences::run(app.guard_as(boss.clone()), args(page.clone()))
            .await
            .unwrap();
        seen += r.absences.len();
        match r.next_cursor {
            Some(cursor) => page["cursor"] = json!(cursor),
            None => break,
        }
    }
    assert!(
        seen <= 100,
        "a manager pages through at most the cap ({seen})"
    );
}

async fn c_any_active(app: &App) -> Employee {
    let snapshot = app.records().snapshot(None).await.unwrap();
    snapshot
        .all()
        .find(|e| e.status.value() == Some(&EmployeeStatus::Active) && e.email.value().is_some())
        .unwrap()
        .as_ref()
        .clone()
}

/// Finding 12: "Doctor's appointment" (category other) showed to a manager with its comment.
#[tokio::test]
async fn health_masking_by_category_alone() {
    let sb = sandbox(250).await;
    let app = app(&sb);
    let c = cast(&app).await;
    let health = personio_mcp::policy::privacy::Privacy::default();
    let boss = caller(&app, &email(&c.manager), Role::Manager)
        .await
        .unwrap();
    let year = app.today().format("%Y").to_string();
    let seen = list_absences::run(
        app.guard_as(boss),
        args(json!({"employee": c.report.id.to_string(), "from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200})),
    )
    .await
    .unwrap();
    assert!(!seen.absences.is_empty());
    for a in &seen.absences {
        assert!(
            a.comment.is_none(),
            "a colleague's comment reached the manager"
        );
        assert!(
            !health.is_health(
                a.time_off_type.category.as_deref(),
                a.time_off_type.name.as_deref()
            ),
            "a health-related type reached the manager: {:?}",
            a.time_off_type.name
        );
    }
}

/// Review finding (session 7): a manager's dry run of "Sick leave" on exactly the dates of a
/// report's sick leave answered "an identical absence already exists", which names the type that
/// list_absences masks. It must answer as a request of any other type on those dates does.
#[tokio::test]
async fn an_identical_request_does_not_reveal_a_masked_absence_type() {
    let sb = sandbox(250).await;
    let app = app(&sb);
    let c = cast(&app).await;
    let year = app.today().format("%Y").to_string();
    let all = list_absences::run(
        app.guard_as(Caller::operator()),
        args(json!({"employee": c.report.id.to_string(), "from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200})),
    )
    .await
    .unwrap();
    let sick = all
        .absences
        .iter()
        .find(|a| a.id == c.sick_absence_id)
        .unwrap();
    let boss = caller(&app, &email(&c.manager), Role::Manager)
        .await
        .unwrap();
    let attempt = |ty: &str| {
        json!({"employee": c.report.id.to_string(), "time_off_type": ty,
            "start_date": sick.start_date, "end_date": sick.end_date,
            "half_day_start": sick.half_day_start, "half_day_end": sick.half_day_end,
            "allow_past": true, "dry_run": true})
    };
    let same = create_time_off::run(
        &app.guard_as(boss.clone()),
        args(attempt("Sick leave")),
        Confirmation::Skip,
        &app,
    )
    .await
    .err()
    .expect("no 'already exists' answer for a masked absence");
    let other = create_time_off::run(
        &app.guard_as(boss.clone()),
        args(attempt("Paid vacation")),
        Confirmation::Skip,
        &app,
    )
    .await
    .err()
    .expect("another type on those dates clashes");
    assert_eq!(same.code, ErrorCode::Conflict);
    assert_eq!(
        (same.code, &same.message, &same.hint),
        (other.code, &other.message, &other.hint),
        "both answers must be the same"
    );
    assert!(
        !same.message.to_lowercase().contains("sick"),
        "{}",
        same.message
    );

    // HR sees health data: for HR the identical request is still recognised as already booked.
    let hr = caller(&app, &email(&c.hr), Role::Hr).await.unwrap();
    let r = create_time_off::run(
        &app.guard_as(hr),
        args(attempt("Sick leave")),
        Confirmation::Skip,
        &app,
    )
    .await
    .unwrap();
    match r {
        personio_mcp::mcp::confirm::Outcome::Done(r) => assert!(r.already_existed),
        _ => panic!("a dry run answers at once"),
    }
}

/// Issue 16: absence listings are kept for a few seconds, before the policy layer narrows and
/// masks them, and per caller. A listing HR warmed is not served to a manager (a fast answer
/// would tell the manager that someone looked at this person moments ago); the manager's own
/// repeated listing is served kept, and masked like the first; a peer gets nothing.
#[tokio::test]
async fn a_kept_listing_is_per_caller_masked_and_narrowed() {
    let sb = sandbox(250).await;
    let client = PersonioClient::new(unthrottled(config(&sb, "sandbox-client"))).unwrap();
    let mut settings = Settings::with_writes(false);
    settings.absence_cache = std::time::Duration::from_secs(300);
    let app = App::new(client, settings);
    let c = cast(&app).await;
    let year = app.today().format("%Y").to_string();
    let window = json!({"employee": c.report.id.to_string(), "from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "limit": 200});
    let absence_reads = |counts: &Value| {
        ["GET /v1/company/time-offs", "GET /v2/absence-periods"]
            .iter()
            .map(|r| counts["by_route"][r]["total"].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let hr = caller(&app, &email(&c.hr), Role::Hr).await.unwrap();
    let plain = list_absences::run(app.guard_as(hr.clone()), args(window.clone()))
        .await
        .unwrap();
    let sick = plain
        .absences
        .iter()
        .find(|a| a.id == c.sick_absence_id)
        .unwrap();
    assert_eq!(sick.time_off_type.name.as_deref(), Some("Sick leave"));
    reset_stats(&sb).await;
    list_absences::run(app.guard_as(hr), args(window.clone()))
        .await
        .unwrap();
    assert_eq!(absence_reads(&stats(&sb).await), 0, "HR's repeat is kept");

    let boss = caller(&app, &email(&c.manager), Role::Manager)
        .await
        .unwrap();
    let first = list_absences::run(app.guard_as(boss.clone()), args(window.clone()))
        .await
        .unwrap();
    assert!(
        absence_reads(&stats(&sb).await) >= 1,
        "HR's listing is not served to the manager"
    );
    reset_stats(&sb).await;
    let seen = list_absences::run(app.guard_as(boss), args(window.clone()))
        .await
        .unwrap();
    assert_eq!(
        absence_reads(&stats(&sb).await),
        0,
        "the manager's repeat is kept"
    );
    for r in [&first, &seen] {
        assert_eq!(r.total, plain.total);
        let masked = r
            .absences
            .iter()
            .find(|a| a.id == c.sick_absence_id)
            .unwrap();
        assert_eq!(masked.time_off_type.name.as_deref(), Some("Absent"));
        assert!(
            masked.time_off_type.id.is_none()
                && masked.time_off_type.category.is_none()
                && masked.comment.is_none()
        );
        assert!(
            !r.summary.by_type.contains_key("Sick leave"),
            "{:?}",
            r.summary.by_type
        );
    }
    let peer = caller(&app, &email(&c.peer), Role::Employee).await.unwrap();
    let e = list_absences::run(app.guard_as(peer), args(window))
        .await
        .unwrap_err();
    assert_forbidden_without(e, &c.report);
}
