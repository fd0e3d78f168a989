//! Runs the external text tools (djvulibre, poppler) with a time limit, an
//! output limit and captured stderr.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// Bytes of stderr stored for error messages. The rest is read and dropped, so
/// a tool that writes much to stderr never blocks on a full pipe.
const STDERR_KEPT_BYTES: usize = 64 * 1024;

/// Error of a tool run.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{tool} not found in PATH; install it (Debian package {package})")]
    NotFound { tool: String, package: &'static str },
    #[error("could not start {command}: {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("{command} timed out after {secs} s and was killed")]
    TimedOut { command: String, secs: u64 },
    #[error("{command} was cancelled and killed")]
    Cancelled { command: String },
    #[error("{command} wrote more than {max_bytes} bytes to stdout and was killed")]
    OutputTooLarge { command: String, max_bytes: usize },
    #[error("{command} exited with {status}: {stderr}")]
    Failed {
        command: String,
        /// Exit code; `None` when a signal ended the process.
        code: Option<i32>,
        status: String,
        /// Summary of stderr (see [`summarize_stderr`]).
        stderr: String,
    },
    #[error("reading the output of {command} failed: {source}")]
    Io { command: String, source: std::io::Error },
}

/// Output of a successful run.
#[derive(Debug)]
pub struct ToolOutput {
    pub stdout: Vec<u8>,
    /// Summary of stderr (see [`summarize_stderr`]), empty when there was none.
    /// Tools print warnings here even when they succeed.
    pub stderr: String,
}

/// Runs tools found in `PATH` with the same limits.
#[derive(Debug, Clone)]
pub struct ToolRunner {
    timeout: Duration,
    max_output_bytes: usize,
}

impl ToolRunner {
    pub fn new(timeout: Duration, max_output_bytes: usize) -> Self {
        ToolRunner {
            timeout,
            max_output_bytes,
        }
    }

    /// Runs `tool` with `args` and returns its stdout. The tool is killed when
    /// it outlives the timeout, writes more than the output limit, or `cancel` fires.
    /// A non-zero exit is [`ToolError::Failed`] with the tool's stderr.
    pub async fn run(
        &self,
        tool: &str,
        args: &[OsString],
        cancel: &CancellationToken,
    ) -> Result<ToolOutput, ToolError> {
        let program = resolve_binary(tool)?;
        let command = display_command(tool, args);
        debug!(command, "running tool");

        let mut child = Command::new(&program)
            .args(args)
            // Fixed locale: the same messages and the same UTF-8 output on every host.
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ToolError::Spawn {
                command: command.clone(),
                source,
            })?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");

        let outcome = {
            let io_error = |source| ToolError::Io {
                command: command.clone(),
                source,
            };
            let collect = async {
                // try_join stops reading stderr as soon as stdout is over the
                // limit: the tool then blocks on a full stdout pipe and would
                // never close stderr.
                let read_stdout = async {
                    read_limited(&mut stdout, self.max_output_bytes)
                        .await
                        .map_err(io_error)?
                        .ok_or_else(|| ToolError::OutputTooLarge {
                            command: command.clone(),
                            max_bytes: self.max_output_bytes,
                        })
                };
                let read_stderr = async { read_kept(&mut stderr, STDERR_KEPT_BYTES).await.map_err(io_error) };
                let (out, err) = tokio::try_join!(read_stdout, read_stderr)?;
                let status = child.wait().await.map_err(io_error)?;
                Ok((status, out, err))
            };
            tokio::select! {
                result = tokio::time::timeout(self.timeout, collect) => result
                    .unwrap_or_else(|_| Err(ToolError::TimedOut { command: command.clone(), secs: self.timeout.as_secs() })),
                () = cancel.cancelled() => Err(ToolError::Cancelled { command: command.clone() }),
            }
        };

        let (status, stdout, stderr) = match outcome {
            Ok(done) => done,
            Err(err) => {
                // The child may still run; kill it and reap it before returning.
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(err);
            }
        };
        let stderr = summarize_stderr(&String::from_utf8_lossy(&stderr));
        if !status.success() {
            let stderr = if stderr.is_empty() {
                "(no stderr output)".to_owned()
            } else {
                stderr
            };
            return Err(ToolError::Failed {
                command,
                code: status.code(),
                status: describe_status(status),
                stderr,
            });
        }
        Ok(ToolOutput { stdout, stderr })
    }
}

/// Reads everything, or returns `None` as soon as more than `max_bytes` arrived.
async fn read_limited<R: AsyncRead + Unpin>(reader: &mut R, max_bytes: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut limited = reader.take(max_bytes as u64 + 1);
    limited.read_to_end(&mut data).await?;
    Ok((data.len() <= max_bytes).then_some(data))
}

/// Reads everything and keeps the first `kept_bytes`.
async fn read_kept<R: AsyncRead + Unpin>(reader: &mut R, kept_bytes: usize) -> std::io::Result<Vec<u8>> {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            return Ok(kept);
        }
        let room = kept_bytes.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..read.min(room)]);
    }
}

/// Finds `tool` in `PATH`.
fn resolve_binary(tool: &str) -> Result<PathBuf, ToolError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| ToolError::NotFound {
            tool: tool.to_owned(),
            package: debian_package(tool),
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

fn debian_package(tool: &str) -> &'static str {
    match tool {
        "djvutxt" | "djvused" | "djvudump" | "ddjvu" => "djvulibre-bin",
        "pdftotext" | "pdfinfo" | "pdftoppm" => "poppler-utils",
        _ => "unknown",
    }
}

fn display_command(tool: &str, args: &[OsString]) -> String {
    let mut command = tool.to_owned();
    for arg in args {
        command.push(' ');
        command.push_str(&arg.to_string_lossy());
    }
    command
}

fn describe_status(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("status {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => status.to_string(),
    }
}

/// Shortens stderr to one line for an error message, empty when there was
/// none. Blank lines are dropped and consecutive repeated lines are counted
/// once. A long output keeps its first 4 and last 3 lines, which is where
/// djvulibre and poppler put the cause.
pub fn summarize_stderr(stderr: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in stderr.lines().map(str::trim).filter(|line| !line.is_empty()) {
        if lines.last() != Some(&line) {
            lines.push(line);
        }
    }
    if lines.len() <= 8 {
        return lines.join(" | ");
    }
    let omitted = lines.len() - 7;
    format!(
        "{} | ... {omitted} more lines ... | {}",
        lines[..4].join(" | "),
        lines[lines.len() - 3..].join(" | ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner() -> ToolRunner {
        ToolRunner::new(Duration::from_secs(10), 1024)
    }

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[tokio::test]
    async fn run_returns_stdout() {
        let output = runner()
            .run(
                "sh",
                &args(&["-c", "printf 'a\\nb'; echo warn >&2"]),
                &CancellationToken::new(),
            )
            .await
            .unwrap();

        assert_eq!(output.stdout, b"a\nb");
        assert_eq!(output.stderr, "warn");
    }

    #[tokio::test]
    async fn run_reports_exit_status_and_stderr() {
        let err = runner()
            .run(
                "sh",
                &args(&["-c", "echo 'bad file' >&2; exit 10"]),
                &CancellationToken::new(),
            )
            .await
            .unwrap_err();

        match &err {
            ToolError::Failed {
                command, code, stderr, ..
            } => {
                assert_eq!(command, "sh -c echo 'bad file' >&2; exit 10");
                assert_eq!(*code, Some(10));
                assert_eq!(stderr, "bad file");
            }
            other => panic!("expected Failed, got {other}"),
        }
        assert!(err.to_string().contains("exited with status 10: bad file"), "{err}");
    }

    #[tokio::test]
    async fn run_kills_on_timeout() {
        let runner = ToolRunner::new(Duration::from_millis(300), 1024);
        let err = runner
            .run("sleep", &args(&["30"]), &CancellationToken::new())
            .await
            .unwrap_err();

        assert!(matches!(err, ToolError::TimedOut { .. }), "{err}");
    }

    #[tokio::test]
    async fn run_kills_on_cancel() {
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            trigger.cancel();
        });
        let err = runner().run("sleep", &args(&["30"]), &cancel).await.unwrap_err();

        assert!(matches!(err, ToolError::Cancelled { .. }), "{err}");
    }

    #[tokio::test]
    async fn run_limits_stdout() {
        // `yes` writes forever, so the run must end on the limit, not on exit.
        let err = runner().run("yes", &[], &CancellationToken::new()).await.unwrap_err();

        assert!(
            matches!(err, ToolError::OutputTooLarge { max_bytes: 1024, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn run_drains_long_stderr() {
        // 1 MB of stderr would fill the pipe and block the tool if it were not read.
        let script = "head -c 1000000 /dev/zero | tr '\\0' 'x' >&2; echo done";
        let output = runner()
            .run("sh", &args(&["-c", script]), &CancellationToken::new())
            .await
            .unwrap();

        assert_eq!(output.stdout, b"done\n");
    }

    #[tokio::test]
    async fn run_names_missing_tool() {
        let err = runner()
            .run("phetools-no-such-tool", &[], &CancellationToken::new())
            .await
            .unwrap_err();

        assert!(matches!(err, ToolError::NotFound { .. }), "{err}");
    }

    #[test]
    fn stderr_summary_keeps_head_and_tail() {
        let stderr: String = (1..=20)
            .map(|i| format!("Syntax Error ({i}): Illegal character\n"))
            .collect();
        let summary = summarize_stderr(&format!("{stderr}Syntax Error: Couldn't read xref table\n"));

        assert!(
            summary.starts_with("Syntax Error (1): Illegal character | Syntax Error (2)"),
            "{summary}"
        );
        assert!(summary.contains("... 14 more lines ..."), "{summary}");
        assert!(
            summary.ends_with("Syntax Error (20): Illegal character | Syntax Error: Couldn't read xref table"),
            "{summary}"
        );
    }

    #[test]
    fn stderr_summary_counts_repeats_once() {
        let summary = summarize_stderr("Syntax Error: Couldn't find trailer dictionary\nSyntax Error: Couldn't find trailer dictionary\nSyntax Error: Couldn't read xref table\n");

        assert_eq!(
            summary,
            "Syntax Error: Couldn't find trailer dictionary | Syntax Error: Couldn't read xref table"
        );
    }
}
