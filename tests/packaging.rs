//! Packaging as a user meets it: the Claude Desktop bundle (`scripts/package.sh mcpb`), the MCP
//! registry entry (`server.json`), the container's labels, and `tools list` before any credential.
//!
//! These tests drive the binary cargo built for them (a debug build: packaging does not depend on the
//! profile; `scripts/package.sh mcpb --binary` takes any build) and the official MCPB CLI pinned in
//! packaging/tools (installed by scripts/setup-packaging.sh, which scripts/test.sh runs). A missing
//! tool fails the test with the command that installs it; nothing is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed assertion

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_personio-mcp");
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The registry name: `io.github.<owner>/<repo>`; `personio-mcp` stands for the GitHub owner.
const REGISTRY_NAME: &str = "io.github.personio-mcp/personio-mcp";
/// Longest wait for one answer from a child process: a hang fails the test instead of blocking it.
const PATIENCE: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest() -> Value {
    read_json(&root().join("packaging/mcpb/manifest.json"))
}

/// The pinned official MCPB CLI; fails loudly when it was not installed.
fn mcpb_cli() -> PathBuf {
    let cli = root().join("packaging/tools/node_modules/.bin/mcpb");
    assert!(
        cli.exists(),
        "the MCPB CLI is not installed at {}: run scripts/setup-packaging.sh (scripts/test.sh does)",
        cli.display()
    );
    cli
}

fn succeed(what: &str, cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} did not start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(|t| t["name"].as_str().expect("a name").to_string())
        .collect()
}

/// The prompts in prompts/*.md as the manifest must declare them: name, description, argument
/// names, and the body with `{{arg}}` written as MCPB's `${arguments.arg}`.
fn prompts_from_dir() -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("prompts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            let rest = text.strip_prefix("---\n").expect("front matter");
            let (front, body) = rest.split_once("\n---\n").expect("end of front matter");
            let meta: Value = serde_yaml_ng::from_str(front).unwrap();
            let args: Vec<Value> = meta["arguments"]
                .as_array()
                .map(|a| a.iter().map(|x| x["name"].clone()).collect())
                .unwrap_or_default();
            let mut body = body.trim().to_string();
            for a in &args {
                let a = a.as_str().unwrap();
                body = body.replace(&format!("{{{{{a}}}}}"), &format!("${{arguments.{a}}}"));
            }
            json!({"name": meta["name"], "description": meta["description"], "arguments": args, "text": body})
        })
        .collect()
}

/// The first `"id"` found in a JSON value, depth first (an employee id in a search result).
fn first_id(v: &Value) -> Option<Value> {
    match v {
        Value::Object(m) => m
            .get("id")
            .filter(|id| id.is_number() || id.is_string())
            .cloned()
            .or_else(|| m.values().find_map(first_id)),
        Value::Array(a) => a.iter().find_map(first_id),
        _ => None,
    }
}

/// Kills and reaps a child process however the test ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `personio-mcp sandbox --bind 127.0.0.1:0`, and its base URL (the first stdout line).
fn start_sandbox() -> (Reaped, String) {
    let mut child = Command::new(BIN)
        .args(["sandbox", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sandbox starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "sandbox URL: {url:?}");
    (Reaped(child), url)
}

/// An MCP client over a child's stdio, speaking JSON-RPC by hand (one JSON object per line).
struct Stdio2 {
    _child: Reaped,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    next_id: i64,
}

impl Stdio2 {
    fn spawn(mut cmd: Command) -> Stdio2 {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the bundle's command starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut c = Stdio2 {
            _child: Reaped(child),
            stdin,
            lines,
            next_id: 0,
        };
        let init = c.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "packaging-test", "version": "1"}}),
        );
        assert_eq!(init["serverInfo"]["version"], VERSION, "{init}");
        c.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        c
    }

    fn send(&mut self, msg: Value) {
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request and returns its `result`; every stdout line must be JSON-RPC.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|e| panic!("no answer to {method}: {e}"));
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON-RPC ({e}): {line}"));
            if msg["id"] == id {
                assert!(msg["error"].is_null(), "{method} failed: {msg}");
                return msg["result"].clone();
            }
        }
    }
}

/// Packs the bundle around the test binary with a copy of server.json to update; returns the
/// bundle, the SHA-256 the script printed, and the updated server.json.
fn package(out: &Path) -> (PathBuf, String, Value) {
    let server_json = out.join("server.json");
    std::fs::copy(root().join("server.json"), &server_json).unwrap();
    let o = succeed(
        "scripts/package.sh mcpb",
        Command::new(root().join("scripts/package.sh"))
            .args(["mcpb", "--binary", BIN, "--update-server-json", "--out"])
            .arg(out)
            .arg("--server-json")
            .arg(&server_json),
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "path and sha256 on stdout: {stdout}");
    (
        PathBuf::from(lines[0]),
        lines[1].to_string(),
        read_json(&server_json),
    )
}

/// The bundle's mcp_config resolved as an MCPB host does it (the official library's
/// getMcpConfigForManifest: platform override, user_config defaults, `${…}` substitution).
fn resolve(extension: &Path, user_config: Value) -> Value {
    let o = succeed(
        "resolve-config.mjs",
        Command::new("node")
            .arg(root().join("packaging/tools/resolve-config.mjs"))
            .arg(extension)
            .arg(user_config.to_string()),
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Starts the resolved command the way a host does: its own args and env, nothing inherited but
/// PATH (so nothing from the test's environment can make it work by accident).
fn launch(config: &Value) -> Stdio2 {
    let mut cmd = Command::new(config["command"].as_str().unwrap());
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for a in config["args"].as_array().unwrap() {
        cmd.arg(a.as_str().unwrap());
    }
    for (k, v) in config["env"].as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap());
    }
    Stdio2::spawn(cmd)
}

#[test]
fn tools_list_needs_no_credentials_and_matches_the_manifest() {
    let o = succeed(
        "personio-mcp tools list",
        Command::new(BIN)
            .args(["tools", "list"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default()),
    );
    let listed: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        names(&listed["tools"]),
        names(&manifest()["tools"]),
        "packaging/mcpb/manifest.json must declare exactly the server's tools"
    );
}

#[test]
fn manifest_prompts_are_the_prompt_files() {
    let m = manifest();
    let declared = m["prompts"].as_array().unwrap();
    assert_eq!(
        declared,
        &prompts_from_dir(),
        "packaging/mcpb/manifest.json prompts must be prompts/*.md (name, description, argument names, text)"
    );
    assert_eq!(m["prompts_generated"], false);
    assert_eq!(m["tools_generated"], false);
}

#[test]
fn version_binary_manifest_server_json_readme_and_dockerfile_agree() {
    let o = succeed("personio-mcp --version", Command::new(BIN).arg("--version"));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap().trim(),
        format!("personio-mcp {VERSION}")
    );
    assert_eq!(manifest()["version"], VERSION, "manifest.json version");
    assert_eq!(manifest()["name"], env!("CARGO_PKG_NAME"));

    let s = read_json(&root().join("server.json"));
    assert_eq!(s["name"], REGISTRY_NAME);
    assert_eq!(s["version"], VERSION, "server.json version");
    assert!(
        s["$schema"]
            .as_str()
            .unwrap()
            .starts_with("https://static.modelcontextprotocol.io/schemas/")
    );
    // The registry's limits on these two fields (server.schema.json).
    let name = s["name"].as_str().unwrap();
    let (namespace, server) = name.split_once('/').expect("namespace/name");
    assert!(
        !namespace.is_empty()
            && namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
    );
    assert!(
        !server.is_empty()
            && server
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    );
    let description = s["description"].as_str().unwrap();
    assert!((1..=100).contains(&description.chars().count()));

    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme
            .lines()
            .any(|l| l.trim() == format!("mcp-name: {REGISTRY_NAME}")),
        "README.md needs the visible line `mcp-name: {REGISTRY_NAME}` (the registry checks it on crates.io)"
    );

    let docker = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    assert!(docker.contains(&format!(
        "io.modelcontextprotocol.server.name=\"{REGISTRY_NAME}\""
    )));
    assert!(docker.contains(&format!("ARG VERSION={VERSION}")));
}

#[test]
fn server_json_packages_point_at_this_version_and_describe_real_settings() {
    let s = read_json(&root().join("server.json"));
    let packages = s["packages"].as_array().unwrap();
    let of = |kind: &str| -> &Value {
        let hits: Vec<&Value> = packages
            .iter()
            .filter(|p| p["registryType"] == kind)
            .collect();
        assert_eq!(hits.len(), 1, "one {kind} package in server.json");
        hits[0]
    };
    let cargo = of("cargo");
    assert_eq!(cargo["identifier"], env!("CARGO_PKG_NAME"));
    assert_eq!(cargo["version"], VERSION);
    let oci = of("oci");
    assert!(
        oci["identifier"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/personio-mcp:{VERSION}"))
    );
    let mcpb = of("mcpb");
    let url = mcpb["identifier"].as_str().unwrap();
    let file = url.rsplit('/').next().unwrap();
    assert!(
        url.contains(&format!("/download/v{VERSION}/"))
            && file.starts_with(&format!("personio-mcp-{VERSION}-"))
            && file.ends_with(".mcpb"),
        "the mcpb URL names this version and package.sh's file name: {url}"
    );
    let sha = mcpb["fileSha256"].as_str().unwrap();
    assert!(sha.len() == 64 && sha.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));

    // Every variable server.json or the bundle sets is one the server reads ([env: …] in --help).
    let help = succeed("serve --help", Command::new(BIN).args(["serve", "--help"])).stdout;
    let help = String::from_utf8(help).unwrap();
    let mut vars: Vec<String> = manifest()["server"]["mcp_config"]["env"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for p in packages {
        for v in p["environmentVariables"].as_array().into_iter().flatten() {
            vars.push(v["name"].as_str().unwrap().to_string());
            // Only the secrets are secret, and each secret is marked.
            let secret = matches!(
                v["name"].as_str().unwrap(),
                "PERSONIO_CLIENT_SECRET" | "PERSONIO_MCP_AUTH_TOKENS"
            );
            assert_eq!(v["isSecret"], secret, "{v}");
        }
    }
    for var in vars {
        // PERSONIO_CLIENT_SECRET and PERSONIO_MCP_AUTH_TOKENS are read directly (never flags).
        if var == "PERSONIO_CLIENT_SECRET" || var == "PERSONIO_MCP_AUTH_TOKENS" {
            continue;
        }
        assert!(
            help.contains(&format!("[env: {var}=")),
            "{var} is not a setting of `personio-mcp serve`"
        );
    }
    let m = manifest();
    assert_eq!(m["user_config"]["client_secret"]["sensitive"], true);
    assert_eq!(m["user_config"]["enable_writes"]["default"], false);
    assert_eq!(
        m["user_config"]["base_url"]["default"],
        "https://api.personio.de"
    );
}

#[test]
fn mcpb_bundle_validates_unpacks_and_serves_the_sandbox_as_a_host_starts_it() {
    let cli = mcpb_cli();
    let tmp = tempfile::tempdir().unwrap();
    let (bundle, sha, server_json) = package(tmp.path());

    // The file and the hash package.sh reported and wrote into server.json are this file's.
    let name = bundle.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!("personio-mcp-{VERSION}-")) && name.ends_with(".mcpb"),
        "{name}"
    );
    let actual = hex::encode(Sha256::digest(std::fs::read(&bundle).unwrap()));
    assert_eq!(sha, actual);
    let mcpb_pkg = server_json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["registryType"] == "mcpb")
        .unwrap();
    if mcpb_pkg["identifier"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/{name}"))
    {
        assert_eq!(mcpb_pkg["fileSha256"], actual.as_str());
    }

    // Unpacked by the official CLI: a valid manifest for this one platform, an executable server.
    let ext = tmp.path().join("extension");
    succeed(
        "mcpb unpack",
        Command::new(&cli).arg("unpack").arg(&bundle).arg(&ext),
    );
    succeed(
        "mcpb validate",
        Command::new(&cli)
            .arg("validate")
            .arg(ext.join("manifest.json")),
    );
    let unpacked = read_json(&ext.join("manifest.json"));
    let platform = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        os => os,
    };
    assert_eq!(unpacked["compatibility"]["platforms"], json!([platform]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ext.join("server/personio-mcp"))
            .unwrap()
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "server binary is executable: {mode:o}");
    }

    // A user who filled in only the required settings (and the base URL of the sandbox).
    let (_sandbox, url) = start_sandbox();
    let config = resolve(
        &ext,
        json!({"client_id": "sandbox-client", "client_secret": "sandbox-secret", "base_url": url}),
    );
    let command = config["command"].as_str().unwrap();
    assert!(
        Path::new(command).starts_with(&ext),
        "${{__dirname}} became the extension dir: {command}"
    );
    assert_eq!(config["env"]["PERSONIO_MCP_ENABLE_WRITES"], "false");
    let mut server = launch(&config);
    let tools = server.request("tools/list", json!({}));
    assert_eq!(names(&tools["tools"]), names(&unpacked["tools"]));
    let prompts = server.request("prompts/list", json!({}));
    assert_eq!(names(&prompts["prompts"]), names(&unpacked["prompts"]));
    let found = server.request(
        "tools/call",
        json!({"name": "search_employee", "arguments": {"query": "mueller"}}),
    );
    assert_eq!(found["isError"], false, "{found}");
    assert!(
        found["structuredContent"].to_string().contains("Müller"),
        "{found}"
    );
    // Writes are off by default: the tool is listed but refuses.
    let someone = match first_id(&found["structuredContent"]).expect("an employee id in the result")
    {
        Value::String(id) => id,
        id => id.to_string(),
    };
    let refused = server.request(
        "tools/call",
        json!({"name": "create_time_off", "arguments": {
            "employee": someone, "time_off_type": "Vacation",
            "start_date": "2030-01-07", "end_date": "2030-01-07"}}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(refused.to_string().contains("WRITES_DISABLED"), "{refused}");
    drop(server);

    // The read-only switch reaches the server: the write tool is gone.
    let config = resolve(
        &ext,
        json!({"client_id": "sandbox-client", "client_secret": "sandbox-secret", "base_url": url,
               "enable_writes": true, "read_only": true}),
    );
    let mut server = launch(&config);
    let tools = names(&server.request("tools/list", json!({}))["tools"]);
    assert!(
        !tools.contains("create_time_off") && tools.contains("search_employee"),
        "{tools:?}"
    );
}

/// The container cannot be built here (no container registry is reachable for the base images), so
/// the Dockerfile is linted instead; `scripts/docker-smoke.sh` builds and probes it where one is.
#[test]
fn dockerfile_passes_hadolint_and_runs_as_a_non_root_user() {
    let hadolint = root().join(".tools/hadolint/bin/hadolint");
    assert!(
        hadolint.exists(),
        "hadolint is not installed at {}: run scripts/setup-packaging.sh (scripts/test.sh does)",
        hadolint.display()
    );
    succeed(
        "hadolint Dockerfile",
        Command::new(&hadolint)
            .arg("--failure-threshold")
            .arg("info")
            .arg(root().join("Dockerfile")),
    );
    let docker = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let last = |prefix: &str| {
        docker
            .lines()
            .rfind(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} line"))
            .to_string()
    };
    assert_eq!(last("USER "), "USER 10001:10001");
    assert_eq!(last("CMD "), r#"CMD ["serve", "--http", "0.0.0.0:8000"]"#);
    assert!(docker.contains("HEALTHCHECK") && docker.contains("GET /healthz"));
}

/// server.json is valid under the registry schema it names (vendored in tests/fixtures/registry).
#[test]
fn server_json_is_valid_under_the_registry_schema() {
    let s = read_json(&root().join("server.json"));
    let schema = read_json(&root().join("tests/fixtures/registry/server.schema.2025-12-11.json"));
    assert_eq!(
        s["$schema"], schema["$id"],
        "server.json names the vendored schema"
    );
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the registry schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&s)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "server.json:\n{}", errors.join("\n"));
    // The schema is not toothless: a name without a namespace is refused.
    let mut bad = s.clone();
    bad["name"] = json!("personio-mcp");
    assert!(!validator.is_valid(&bad));
}

/// The dist build's code layout (build.rs passes packaging/link-order to rust-lld) reaches the
/// container build and is a list the linker can use. Otherwise the failure is a broken `docker build`
/// (COPY of a file the build context leaves out) or silent: a line that is not a symbol name is
/// skipped, and the layout falls back to the default (~7 MiB more resident, BENCHMARKS.md "Session 9: code layout").
#[test]
fn the_dist_code_layout_reaches_the_container_build_and_names_only_symbols() {
    let list_path = "packaging/link-order/x86_64-unknown-linux-gnu.txt";
    let build = std::fs::read_to_string(root().join("build.rs")).unwrap();
    assert!(
        build.contains("packaging/link-order") && build.contains("x86_64-unknown-linux-gnu"),
        "build.rs no longer points at {list_path}"
    );
    let docker = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let copies = |what: &str| {
        docker
            .lines()
            .any(|l| l.starts_with("COPY ") && l.split_whitespace().any(|w| w == what))
    };
    assert!(copies("build.rs"), "the Dockerfile must copy build.rs");
    assert!(
        copies("packaging/link-order"),
        "the Dockerfile must copy packaging/link-order"
    );
    // The build context is an allow-list: what it leaves out, COPY cannot find.
    let context = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    for allowed in ["!build.rs", "!packaging/link-order/"] {
        assert!(
            context.lines().any(|l| l.trim() == allowed),
            ".dockerignore must let {allowed} into the build context"
        );
    }

    let list = std::fs::read_to_string(root().join(list_path)).unwrap();
    assert!(
        list.lines().next().is_some_and(|l| l.starts_with('#')),
        "the list starts with its header (how it was made)"
    );
    let names: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert!(
        names.len() > 1_000,
        "a stdio session runs well over 1,000 functions; the list has {}",
        names.len()
    );
    let bad: Vec<&&str> = names
        .iter()
        .filter(|n| {
            !(n.starts_with("_ZN")
                || n.starts_with("_R")
                || n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                || n.contains(char::is_whitespace)
        })
        .take(5)
        .collect();
    assert!(bad.is_empty(), "lines that are not symbol names: {bad:?}");
    let unique: BTreeSet<&&str> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "the list names a function twice");
}
