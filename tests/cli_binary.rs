//! The built binary as a user runs it: `doctor`, `tools list`, `tools call`, with logs at trace
//! level checked for secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "trace")
        .env_remove("PERSONIO_CLIENT_ID")
        .env_remove("PERSONIO_CLIENT_SECRET")
        .output()
        .expect("binary runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Neither the client secret nor any bearer token appears anywhere in the output.
fn assert_no_secrets(stdout: &str, stderr: &str) {
    for (name, s) in [("stdout", stdout), ("stderr", stderr)] {
        assert!(!s.contains("sandbox-secret"), "client secret in {name}");
        assert!(!s.contains("papi-"), "bearer token in {name}");
    }
}

#[test]
fn doctor_reports_a_full_credential_as_usable() {
    let o = run(&["doctor", "--sandbox"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("Authentication:  ok"));
    assert!(out.contains("Missing recommended attributes: none"));
    assert!(out.contains("Verdict: usable"));
    assert!(
        err.contains("TRACE") || err.contains("DEBUG"),
        "trace logging was on"
    );
    assert_no_secrets(&out, &err);
}

#[test]
fn doctor_names_each_attribute_the_limited_credential_cannot_read() {
    let o = run(&["doctor", "--sandbox", "--sandbox-credential", "limited"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "limited is still usable: {out}\n{err}");
    for label in [
        "Supervisor (supervisor)",
        "Office (office)",
        "Position (position)",
        "Team (team)",
        "Hire date (hire_date)",
    ] {
        assert!(out.contains(label), "missing {label} in:\n{out}");
    }
    assert!(out.contains("Readable employee attributes"));
    assert!(out.contains("DENY"), "forbidden endpoints are shown");
    assert_no_secrets(&out, &err);
}

#[test]
fn doctor_without_credentials_exits_non_zero_with_a_hint() {
    let o = run(&["doctor"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(out.contains("PERSONIO_CLIENT_ID"));
}

#[test]
fn tools_call_prints_a_real_result_and_fails_on_tool_errors() {
    let o = run(&[
        "tools", "call", "search_employee", r#"{"query":"müller"}"#, "--sandbox",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is the result JSON");
    assert!(
        v["total"].as_u64().unwrap() >= 1,
        "the seeded company has a Müller: {out}"
    );
    assert!(v["employees"][0]["name"].as_str().unwrap().contains("ller"));
    assert_no_secrets(&out, &err);

    let o = run(&[
        "tools",
        "call",
        "list_absences",
        r#"{"from":"2026-02-30"}"#,
        "--sandbox",
    ]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], "VALIDATION_FAILED");
}

#[test]
fn tools_list_hides_writes_only_in_read_only_mode() {
    let o = run(&["tools", "list", "--sandbox"]);
    let (out, _) = text(&o);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for n in [
        "search_employee", "get_employee", "get_pto_balance", "list_absences",
        "list_time_off_types",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    assert!(
        names.contains(&"create_time_off"),
        "listed, answering WRITES_DISABLED when called"
    );
    let o = run(&["tools", "list", "--sandbox", "--read-only"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        !v["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "create_time_off")
    );
    let o = run(&[
        "tools",
        "call",
        "create_time_off",
        r#"{"employee":"1","time_off_type":"1","start_date":"2031-01-07"}"#,
        "--sandbox",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["code"], "WRITES_DISABLED");
}

/// Issue 13 point 9: a misspelt attribute setting exposes nothing, so `doctor` says so (and a
/// correct one is not reported).
#[test]
fn doctor_warns_about_attribute_settings_that_match_nothing_readable() {
    let o = run(&[
        "doctor",
        "--sandbox",
        "--expose-attribute",
        "dynamic_24407,Lieblingsfarbe",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("Attribute settings:"), "{out}");
    assert!(
        out.contains("`Lieblingsfarbe` matches no attribute"),
        "{out}"
    );
    assert!(
        !out.contains("`dynamic_24407` matches"),
        "a readable attribute is not reported: {out}"
    );

    let o = run(&[
        "doctor", "--sandbox", "--json", "--expose-attribute", "Lieblingsfarbe",
    ]);
    let (out, err) = text(&o);
    let v: serde_json::Value = serde_json::from_str(&out).expect(&err);
    let problems = v["attribute_settings"].as_array().expect("a list");
    assert_eq!(problems.len(), 1, "{v}");

    let o = run(&["doctor", "--sandbox"]);
    assert!(
        !text(&o).0.contains("Attribute settings:"),
        "nothing configured, nothing said"
    );
}
