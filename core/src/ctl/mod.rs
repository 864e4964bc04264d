//! etcdctl 3.4: argv parsing with its flags and errors, the command tree, help texts, printers and exit
//! codes. Commands run against the simulated cluster through [`crate::sim::World::call`], so a console
//! line behaves as `etcdctl` against a real cluster would, in simulated time.

mod check;
pub mod client;
mod cluster;
pub mod command;
pub mod complete;
mod concurrency;
pub mod flags;
pub mod help;
pub mod json;
mod kv;
mod lease;
mod maintenance;
pub mod shell;
mod snapshot;
pub mod stream;
pub mod table;
pub mod tabwriter;
mod txn;
mod watch;

use crate::action::Outcome;
use crate::sim::World;

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

/// The version etcdctl reports; the simulated servers report the same.
pub const VERSION: &str = "3.4.23";
pub const API_VERSION: &str = "3.4";

/// Runs one console line (`put foo bar` or `etcdctl put foo bar`).
pub fn run_line(world: &mut World, line: &str, stdin: Option<&str>) -> Outcome {
    let mut argv = match shell::split(line) {
        Ok(a) => a,
        Err(e) => return Outcome::error(e.0, exit::BAD_ARGS),
    };
    if argv.first().map(String::as_str) == Some("etcdctl") {
        argv.remove(0);
    }
    run(world, &argv, stdin)
}

/// Runs etcdctl with `argv` (without the program name).
pub fn run(world: &mut World, argv: &[String], stdin: Option<&str>) -> Outcome {
    command::execute(world, argv, stdin)
}
