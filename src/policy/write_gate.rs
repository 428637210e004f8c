//! Whether this server writes at all. A language model may retry, misread a date or be talked
//! into acting for someone else, and Personio cannot undo an approval by API, so writes are off
//! unless an administrator turned them on, and even then each needs a human "yes" (see
//! `confirmations`) unless the server runs for trusted automation.

use crate::error::{Error, ErrorCode, Result};

/// Whether the write tools exist and may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Listed, but every call answers WRITES_DISABLED with how to enable writes (the default).
    #[default]
    Disabled,
    /// Not even listed (`--read-only`): every tool without `readOnlyHint` is hidden.
    Hidden,
    /// Writes allowed, after confirmation (`--enable-writes`).
    Enabled,
}

/// The write settings of a server.
#[derive(Debug, Clone, Default)]
pub struct WritePolicy {
    pub mode: WriteMode,
    /// Skip human confirmation: for trusted automation only (`--no-confirm`).
    pub skip_confirmation: bool,
    /// HR callers may ask for `auto_approve` (`--allow-auto-approve`).
    pub allow_auto_approve: bool,
}

impl WritePolicy {
    /// Reads only, or reads and confirmed writes.
    pub fn enabled(on: bool) -> WritePolicy {
        WritePolicy {
            mode: if on {
                WriteMode::Enabled
            } else {
                WriteMode::Disabled
            },
            ..WritePolicy::default()
        }
    }

    /// WRITES_DISABLED unless writes are enabled.
    pub fn check_enabled(&self) -> Result<()> {
        match self.mode {
            WriteMode::Enabled => Ok(()),
            _ => Err(Error::new(ErrorCode::WritesDisabled, "writes are disabled on this server")
                .with_hint(
                    "An administrator can start the server with --enable-writes (or PERSONIO_MCP_ENABLE_WRITES=true). \
Until then, make the change in Personio directly.",
                )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_explains_how_to_enable_writes() {
        let e = WritePolicy::default().check_enabled().unwrap_err();
        assert_eq!(e.code, ErrorCode::WritesDisabled);
        assert!(e.hint.unwrap().contains("--enable-writes"));
        assert!(WritePolicy::enabled(true).check_enabled().is_ok());
    }
}
