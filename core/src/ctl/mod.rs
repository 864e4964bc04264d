//! etcdctl 3.4: argv parsing with its flags and errors, the command tree, help texts, printers and exit
//! codes. Commands run against the simulated cluster through [`crate::playground::World::call`], so a console
//! line behaves as `etcdctl` against a real cluster would, in simulated time.

mod check;
pub mod client;
mod cluster;
pub mod command;
pub mod complete;
mod concurrency;
pub mod curl;
pub mod flags;
pub mod help;
pub mod host;
pub mod json;
pub(crate) mod kv;
mod lease;
mod maintenance;
pub mod shell;
mod snapshot;
pub mod stream;
pub mod table;
pub mod tabwriter;
mod txn;
mod watch;

pub use host::Host;

/// etcdctl's exit codes (`cobrautl`).
pub mod exit {
    pub const ERROR: i32 = 1;
    pub const BAD_CONNECTION: i32 = 2;
    pub const INVALID_INPUT: i32 = 3;
    pub const BAD_FEATURE: i32 = 4;
    pub const INTERRUPTED: i32 = 5;
    pub const IO: i32 = 6;
    pub const BAD_ARGS: i32 = 128;
}

/// The exit status a shell reports for a command ended by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED_EXIT: i32 = 130;

/// What an action printed, like a process: stdout, stderr and exit code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    /// Set when the command keeps running (watch, keep-alive): its ID in the host's streams.
    pub stream: Option<u64>,
}

impl Outcome {
    pub fn error(msg: impl Into<String>, exit_code: i32) -> Outcome {
        Outcome { stdout: String::new(), stderr: format!("Error: {}\n", msg.into()), exit_code, stream: None }
    }
}

/// Runs one console line (`put foo bar` or `etcdctl put foo bar`, or `curl URL` against a member's HTTP
/// endpoints).
pub fn run_line(world: &mut dyn Host, line: &str, stdin: Option<&str>) -> Outcome {
    let (line, heredoc) = split_heredoc(line);
    let stdin = heredoc.as_deref().or(stdin);
    let mut argv = match shell::split(line) {
        Ok(a) => a,
        Err(e) => return Outcome::error(e.0, exit::BAD_ARGS),
    };
    if argv.first().map(String::as_str) == Some("curl") {
        return curl::run(world, &argv[1..]);
    }
    if argv.first().map(String::as_str) == Some("etcdctl") {
        argv.remove(0);
    }
    run(world, &argv, stdin)
}

/// A console line as a terminal shows it: etcdctl commands (typed with or without `etcdctl`) under
/// `etcdctl`, `curl` as typed.
pub fn echo_line(line: &str) -> String {
    let line = line.trim_start();
    if is_curl(line) {
        return line.to_string();
    }
    let bare = line.strip_prefix("etcdctl").filter(|r| r.is_empty() || r.starts_with(' ')).unwrap_or(line);
    format!("etcdctl {}", bare.trim_start()).trim_end().to_string()
}

/// True if `line` runs `curl` rather than etcdctl.
pub fn is_curl(line: &str) -> bool {
    line.split_whitespace().next() == Some("curl")
}

/// A multi-line console entry `txn <<EOF` + lines + `EOF` gives the command its stdin, as a shell
/// here-document does: returns the command line and the document (each line ending in a newline).
pub fn split_heredoc(text: &str) -> (&str, Option<String>) {
    let Some((first, rest)) = text.split_once('\n') else { return (text, None) };
    let Some((cmd, tag)) = first.split_once("<<") else { return (text, None) };
    let tag = tag.trim().trim_matches(|c| c == '\'' || c == '"');
    if tag.is_empty() {
        return (text, None);
    }
    let mut doc = String::new();
    for l in rest.lines() {
        if l.trim() == tag {
            break;
        }
        doc.push_str(l);
        doc.push('\n');
    }
    (cmd.trim_end(), Some(doc))
}

/// Runs etcdctl with `argv` (without the program name).
pub fn run(world: &mut dyn Host, argv: &[String], stdin: Option<&str>) -> Outcome {
    command::execute(world, argv, stdin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredocs_become_stdin() {
        let (cmd, doc) = split_heredoc("txn <<EOF\nvalue(\"k\") = \"v\"\n\nput k w\n\nEOF");
        assert_eq!(cmd, "txn");
        assert_eq!(doc.as_deref(), Some("value(\"k\") = \"v\"\n\nput k w\n\n"));
        assert_eq!(split_heredoc("put a b"), ("put a b", None));
    }

    #[test]
    fn echoes_lines_as_a_terminal_shows_them() {
        assert_eq!(echo_line("put a b"), "etcdctl put a b");
        assert_eq!(echo_line("etcdctl put a b"), "etcdctl put a b");
        assert_eq!(echo_line("curl -s http://10.0.0.1:2379/metrics"), "curl -s http://10.0.0.1:2379/metrics");
        assert!(is_curl("  curl x") && !is_curl("curlx") && !is_curl("etcdctl curl"));
    }
}
