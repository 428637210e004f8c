//! The audit log: one JSON line per tool call, append-only, size-capped with one rotation.
//!
//! It records who called which tool, on which employees (ids HMAC-hashed with a configured key, so
//! the log alone does not say whom a call concerned), which fields were returned, and for writes a
//! digest of the request and the outcome. It never records personal values: no names, no dates of
//! absences, no comments, no balances.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::principal::Principal;

/// One line of the log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub timestamp: String,
    /// The caller's email and role, or "local-operator".
    pub principal: String,
    pub role: String,
    pub tool: String,
    /// HMAC-SHA256 (hex, first 16 bytes) of each target employee id.
    pub targets: Vec<String>,
    /// Field names present in the result (never their values).
    pub fields: Vec<String>,
    /// `ok` or the error code.
    pub outcome: String,
    /// Writes: HMAC-SHA256 of the request with the audit key (see [`AuditLog::keyed_digest`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_digest: Option<String>,
    /// Writes: the resulting status (pending, approved, confirmation_required, declined...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_status: Option<String>,
}

struct Sink {
    file: File,
    written: u64,
}

/// An open audit log.
pub struct AuditLog {
    path: PathBuf,
    max_bytes: u64,
    key: Vec<u8>,
    sink: Mutex<Option<Sink>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn open(path: &PathBuf) -> std::io::Result<Sink> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    // Who called what about whom is itself sensitive: owner-only from the first byte.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    let written = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(Sink { file, written })
}

impl AuditLog {
    /// Opens (creates) the log. `key` hashes employee ids; without one a random key is used and
    /// hashes cannot be correlated across restarts.
    pub fn open(path: PathBuf, max_bytes: u64, key: Option<Vec<u8>>) -> std::io::Result<AuditLog> {
        let sink = open(&path)?;
        let key = key.unwrap_or_else(|| {
            let mut k = uuid::Uuid::new_v4().as_bytes().to_vec();
            k.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            k
        });
        Ok(AuditLog {
            path,
            max_bytes: max_bytes.max(1024),
            key,
            sink: Mutex::new(Some(sink)),
        })
    }

    /// The keyed hash of an employee id as it appears in the log.
    pub fn hash_id(&self, id: i64) -> String {
        match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(id.to_string().as_bytes());
                hex::encode(&mac.finalize().into_bytes()[..16])
            }
            Err(_) => "unhashable".into(),
        }
    }

    /// HMAC-SHA256 (hex) of a write request's canonical JSON, keyed like the target hashes: a
    /// plain hash of such low-variety fields could be reversed by trying every request.
    pub fn keyed_digest(&self, request: &serde_json::Value) -> String {
        match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(b"write|");
                mac.update(
                    serde_json::to_string(request)
                        .unwrap_or_default()
                        .as_bytes(),
                );
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => "unhashable".into(),
        }
    }

    pub fn principal_fields(principal: Option<&Principal>) -> (String, String) {
        match principal {
            Some(p) => (p.email.clone(), p.role.as_str().into()),
            None => ("local-operator".into(), "hr".into()),
        }
    }

    /// Appends one event; rotates to `<path>.1` when the size cap is reached. Failures are logged
    /// (to stderr via tracing), never turned into tool errors.
    pub fn record(&self, event: &AuditEvent) {
        let Ok(mut line) = serde_json::to_vec(event) else {
            return;
        };
        line.push(b'\n');
        let mut guard = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        if guard
            .as_ref()
            .is_some_and(|s| s.written + line.len() as u64 > self.max_bytes)
        {
            *guard = None;
            let rotated = self.path.with_extension(match self.path.extension() {
                Some(ext) => format!("{}.1", ext.to_string_lossy()),
                None => "1".into(),
            });
            if let Err(e) = std::fs::rename(&self.path, &rotated) {
                tracing::error!(error = %e, "audit log rotation failed");
            }
        }
        if guard.is_none() {
            match open(&self.path) {
                Ok(s) => *guard = Some(s),
                Err(e) => {
                    tracing::error!(error = %e, "audit log cannot be opened");
                    return;
                }
            }
        }
        if let Some(sink) = guard.as_mut() {
            match sink.file.write_all(&line).and_then(|_| sink.file.flush()) {
                Ok(()) => sink.written += line.len() as u64,
                Err(e) => tracing::error!(error = %e, "audit log write failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> AuditEvent {
        AuditEvent {
            timestamp: "2026-11-22T10:00:00Z".into(),
            principal: "a@x".into(),
            role: "hr".into(),
            tool: format!("tool{n}"),
            targets: vec![],
            fields: vec![],
            outcome: "ok".into(),
            write_digest: None,
            write_status: None,
        }
    }

    #[test]
    fn appends_lines_and_rotates_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(path.clone(), 1024, Some(vec![7; 32])).unwrap();
        for n in 0..40 {
            log.record(&event(n));
        }
        let current = std::fs::read_to_string(&path).unwrap();
        let rotated = std::fs::read_to_string(dir.path().join("audit.jsonl.1")).unwrap();
        assert!(current.len() <= 1024 && rotated.len() <= 1024);
        for line in current.lines().chain(rotated.lines()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["principal"], "a@x");
        }
        assert_eq!(log.hash_id(5), log.hash_id(5));
        assert_ne!(log.hash_id(5), log.hash_id(6));
        assert_eq!(log.hash_id(5).len(), 32);
    }
}
