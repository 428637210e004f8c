//! stdin and stdout as the runtime's own non-blocking pipes or sockets.
//!
//! `tokio::io::stdin()`/`stdout()` do every read and write on the blocking thread pool: each
//! message crosses threads twice on the way in and twice on the way out, which cost 100–450 µs
//! per call (raw JSON-RPC p50 before and after, BENCHMARKS.md) — as much as the tool itself. MCP
//! hosts start the server with pipes (Python's `subprocess`) or socket pairs (libuv/Node: Claude
//! Desktop, VS Code, Cursor, the Inspector), and both can be driven by epoll on the runtime
//! thread. Anything else (a terminal, a file, `/dev/null`) keeps tokio's blocking versions.
//!
//! The descriptors are duplicated, so fd 0 and 1 stay open for the process's lifetime; the
//! duplicates share the open file description, so fd 0 and 1 become non-blocking too. Nothing
//! else in a `serve` process reads stdin or writes stdout (logs go to stderr).

use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

/// What the stdio transport reads.
pub type Input = Pin<Box<dyn AsyncRead + Send>>;
/// What the stdio transport writes.
pub type Output = Pin<Box<dyn AsyncWrite + Send>>;

#[cfg(unix)]
pub use native::{input, output};

/// stdin (tokio's blocking version: no pipe or socket readiness here).
#[cfg(not(unix))]
pub fn input() -> Input {
    Box::pin(tokio::io::stdin())
}

/// stdout (tokio's blocking version: no pipe or socket readiness here).
#[cfg(not(unix))]
pub fn output() -> Output {
    Box::pin(tokio::io::stdout())
}

#[cfg(unix)]
mod native {
    use std::fs::File;
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::fs::FileTypeExt;

    use super::{Input, Output};

    enum Kind {
        Pipe,
        Socket,
        Other,
    }

    fn duplicate(fd: impl AsFd) -> Option<(File, Kind)> {
        let file = File::from(fd.as_fd().try_clone_to_owned().ok()?);
        let ty = file.metadata().ok()?.file_type();
        let kind = if ty.is_fifo() {
            Kind::Pipe
        } else if ty.is_socket() {
            Kind::Socket
        } else {
            Kind::Other
        };
        Some((file, kind))
    }

    fn socket(file: File) -> Option<tokio::net::UnixStream> {
        let stream = std::os::unix::net::UnixStream::from(OwnedFd::from(file));
        stream.set_nonblocking(true).ok()?;
        tokio::net::UnixStream::from_std(stream).ok()
    }

    /// stdin, read by the runtime itself where it is a pipe or a socket.
    pub fn input() -> Input {
        let native: Option<Input> = match duplicate(std::io::stdin()) {
            Some((file, Kind::Pipe)) => tokio::net::unix::pipe::Receiver::from_file(file)
                .ok()
                .map(|r| Box::pin(r) as Input),
            Some((file, Kind::Socket)) => socket(file).map(|s| Box::pin(s) as Input),
            _ => None,
        };
        native.unwrap_or_else(|| Box::pin(tokio::io::stdin()))
    }

    /// stdout, written by the runtime itself where it is a pipe or a socket.
    pub fn output() -> Output {
        let native: Option<Output> = match duplicate(std::io::stdout()) {
            Some((file, Kind::Pipe)) => tokio::net::unix::pipe::Sender::from_file(file)
                .ok()
                .map(|w| Box::pin(w) as Output),
            Some((file, Kind::Socket)) => socket(file).map(|s| Box::pin(s) as Output),
            _ => None,
        };
        native.unwrap_or_else(|| Box::pin(tokio::io::stdout()))
    }
}
