//! The etcdctl command tree and its dispatch, with cobra's behaviour: the command path is found among the
//! positional words, unknown commands get suggestions, a group without a known subcommand prints its
//! help, flag errors print the usage, and errors exit with etcdctl's codes.

use super::client::Ctx;
use super::flags::{self, Flag, Kind};
use super::Host;
use super::{check, cluster, concurrency, exit, help, kv, lease, maintenance, snapshot, watch};
use crate::ctl::Outcome;

/// A failed command: etcdctl prints `Error: <msg>` and exits with `code`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtlError {
    pub code: i32,
    pub msg: String,
}

impl CtlError {
    pub fn new(code: i32, msg: impl Into<String>) -> CtlError {
        CtlError { code, msg: msg.into() }
    }
}

pub type RunFn = fn(&mut Ctx) -> Result<(), CtlError>;

/// One etcdctl command (a cobra command).
pub struct Command {
    pub name: &'static str,
    /// cobra's `Use`: the name followed by the argument synopsis.
    pub usage: &'static str,
    pub short: &'static str,
    pub long: &'static str,
    pub flags: &'static [Flag],
    /// Flags a group passes down to its subcommands (cobra's persistent flags).
    pub persistent_flags: &'static [Flag],
    pub run: Option<RunFn>,
    pub subcommands: &'static [Command],
    /// Other names cobra accepts for the command (`compact` for `compaction`).
    pub aliases: &'static [&'static str],
}

impl Command {
    const fn leaf(
        name: &'static str,
        usage: &'static str,
        short: &'static str,
        flags: &'static [Flag],
        run: RunFn,
    ) -> Command {
        Command {
            name,
            usage,
            short,
            long: "",
            flags,
            persistent_flags: &[],
            run: Some(run),
            subcommands: &[],
            aliases: &[],
        }
    }

    /// A command group: it only holds subcommands (and flags it passes down to them).
    const fn group(name: &'static str, short: &'static str, subcommands: &'static [Command]) -> Command {
        Command {
            name,
            usage: "",
            short,
            long: "",
            flags: &[],
            persistent_flags: &[],
            run: None,
            subcommands,
            aliases: &[],
        }
    }

    const fn usage(mut self, usage: &'static str) -> Command {
        self.usage = usage;
        self
    }

    const fn persistent(mut self, flags: &'static [Flag]) -> Command {
        self.persistent_flags = flags;
        self
    }

    const fn long(mut self, long: &'static str) -> Command {
        self.long = long;
        self
    }

    const fn aliases(mut self, aliases: &'static [&'static str]) -> Command {
        self.aliases = aliases;
        self
    }

    /// True if `word` names this command.
    fn is_named(&self, word: &str) -> bool {
        self.name == word || self.aliases.contains(&word)
    }
}

/// etcdctl's global flags, with the defaults and usage texts its help prints.
pub const GLOBAL_FLAGS: &[Flag] = &[
    Flag::new("cacert", Kind::Str, "", "verify certificates of TLS-enabled secure servers using this CA bundle"),
    Flag::new("cert", Kind::Str, "", "identify secure client using this TLS certificate file"),
    Flag::new("command-timeout", Kind::Duration, "5s", "timeout for short running command (excluding dial timeout)"),
    Flag::new("debug", Kind::Bool, "false", "enable client-side debug logging"),
    Flag::new("dial-timeout", Kind::Duration, "2s", "dial timeout for client connections"),
    Flag::new("discovery-srv", Kind::Str, "", "domain name to query for SRV records describing cluster endpoints")
        .short('d'),
    Flag::new("discovery-srv-name", Kind::Str, "", "service name to query when using DNS discovery"),
    Flag::new("endpoints", Kind::StrSlice, "[127.0.0.1:2379]", "gRPC endpoints"),
    Flag::new("hex", Kind::Bool, "false", "print byte strings as hex encoded strings"),
    Flag::new("insecure-discovery", Kind::Bool, "true", "accept insecure SRV records describing cluster endpoints"),
    Flag::new(
        "insecure-skip-tls-verify",
        Kind::Bool,
        "false",
        "skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)",
    ),
    Flag::new("insecure-transport", Kind::Bool, "true", "disable transport security for client connections"),
    Flag::new("keepalive-time", Kind::Duration, "2s", "keepalive time for client connections"),
    Flag::new("keepalive-timeout", Kind::Duration, "6s", "keepalive timeout for client connections"),
    Flag::new("key", Kind::Str, "", "identify secure client using this TLS key file"),
    Flag::new(
        "password",
        Kind::Str,
        "",
        "password for authentication (if this option is used, --user option shouldn't include password)",
    ),
    Flag::new("user", Kind::Str, "", "username[:password] for authentication (prompt if password is not supplied)"),
    Flag::new("write-out", Kind::Str, "simple", "set the output format (fields, json, protobuf, simple, table)")
        .short('w'),
];

/// The root command.
pub static ROOT: Command = Command {
    name: "etcdctl",
    usage: "etcdctl",
    short: "A simple command line client for etcd3.",
    long: "",
    flags: &[],
    persistent_flags: GLOBAL_FLAGS,
    run: None,
    aliases: &[],
    subcommands: &[
        Command::group(
            "alarm",
            "Alarm related commands",
            &[
                Command::leaf("disarm", "disarm", "Disarms all alarms", &[], maintenance::alarm_disarm),
                Command::leaf("list", "list", "Lists all alarms", &[], maintenance::alarm_list),
            ],
        )
        .usage("alarm <subcommand>"),
        Command::leaf(
            "del",
            "del [options] <key> [range_end]",
            "Removes the specified key or range of keys [key, range_end)",
            kv::DEL_FLAGS,
            kv::del,
        ),
        Command::group(
            "endpoint",
            "Endpoint related commands",
            &[
                Command::leaf(
                    "hashkv",
                    "hashkv",
                    "Prints the KV history hash for each endpoint in --endpoints",
                    &[Flag::new("rev", Kind::Int, "0", "maximum revision to hash (default: all revisions)")],
                    maintenance::endpoint_hashkv,
                ),
                Command::leaf(
                    "health",
                    "health",
                    "Checks the healthiness of endpoints specified in `--endpoints` flag",
                    &[],
                    maintenance::endpoint_health,
                ),
                Command::leaf(
                    "status",
                    "status",
                    "Prints out the status of endpoints specified in `--endpoints` flag",
                    &[],
                    cluster::endpoint_status,
                )
                .long(cluster::ENDPOINT_STATUS_LONG),
            ],
        )
        .usage("endpoint <subcommand>")
        .persistent(&[Flag::new(
            "cluster",
            Kind::Bool,
            "false",
            "use all endpoints from the cluster member list",
        )]),
        Command::group(
            "check",
            "commands for checking properties of the etcd cluster",
            &[Command::leaf(
                "perf",
                "perf [options]",
                "Check the performance of the etcd cluster",
                check::PERF_FLAGS,
                check::perf,
            )],
        )
        .usage("check <subcommand>"),
        Command::leaf(
            "compaction",
            "compaction [options] <revision>",
            "Compacts the event history in etcd",
            kv::COMPACTION_FLAGS,
            kv::compaction,
        )
        .aliases(&["compact"]),
        Command::leaf(
            "defrag",
            "defrag",
            "Defragments the storage of the etcd members with given endpoints",
            maintenance::DEFRAG_FLAGS,
            maintenance::defrag,
        ),
        Command::leaf(
            "elect",
            "elect <election-name> [proposal]",
            "Observes and participates in leader election",
            concurrency::ELECT_FLAGS,
            concurrency::elect,
        ),
        Command::leaf(
            "get",
            "get [options] <key> [range_end]",
            "Gets the key or a range of keys",
            kv::GET_FLAGS,
            kv::get,
        ),
        Command::group(
            "lease",
            "Lease related commands",
            &[
                Command::leaf("grant", "grant <ttl>", "Creates leases", &[], lease::grant),
                Command::leaf(
                    "keep-alive",
                    "keep-alive [options] <leaseID>",
                    "Keeps leases alive (renew)",
                    lease::KEEP_ALIVE_FLAGS,
                    lease::keep_alive,
                ),
                Command::leaf("list", "list", "List all active leases", &[], lease::list),
                Command::leaf("revoke", "revoke <leaseID>", "Revokes leases", &[], lease::revoke),
                Command::leaf(
                    "timetolive",
                    "timetolive <leaseID> [options]",
                    "Get lease information",
                    lease::TIMETOLIVE_FLAGS,
                    lease::timetolive,
                ),
            ],
        )
        .usage("lease <subcommand>"),
        Command::leaf(
            "lock",
            "lock <lockname> [exec-command arg1 arg2 ...]",
            "Acquires a named lock",
            concurrency::LOCK_FLAGS,
            concurrency::lock,
        ),
        Command::group(
            "member",
            "Membership related commands",
            &[
                Command::leaf(
                    "add",
                    "add <memberName> [options]",
                    "Adds a member into the cluster",
                    cluster::MEMBER_ADD_FLAGS,
                    cluster::member_add,
                ),
                Command::leaf("list", "list", "Lists all members in the cluster", &[], cluster::member_list)
                    .long(cluster::MEMBER_LIST_LONG),
                Command::leaf(
                    "promote",
                    "promote <memberID>",
                    "Promotes a non-voting member in the cluster",
                    &[],
                    cluster::member_promote,
                )
                .long(cluster::MEMBER_PROMOTE_LONG),
                Command::leaf(
                    "remove",
                    "remove <memberID>",
                    "Removes a member from the cluster",
                    &[],
                    cluster::member_remove,
                ),
                Command::leaf(
                    "update",
                    "update <memberID> [options]",
                    "Updates a member in the cluster",
                    cluster::MEMBER_UPDATE_FLAGS,
                    cluster::member_update,
                ),
            ],
        )
        .usage("member <subcommand>"),
        Command::leaf(
            "move-leader",
            "move-leader <transferee-member-id>",
            "Transfers leadership to another etcd cluster member.",
            &[],
            maintenance::move_leader,
        ),
        Command::leaf(
            "put",
            "put [options] <key> <value> (<value> can also be given from stdin)",
            "Puts the given key into the store",
            kv::PUT_FLAGS,
            kv::put,
        )
        .long(kv::PUT_LONG),
        Command::leaf(
            "txn",
            "txn [options]",
            "Txn processes all the requests in one transaction",
            super::txn::TXN_FLAGS,
            super::txn::txn,
        ),
        Command::group(
            "snapshot",
            "Manages etcd node snapshots",
            &[
                Command::leaf(
                    "restore",
                    "restore <filename> [options]",
                    "Restores an etcd member snapshot to an etcd directory",
                    snapshot::RESTORE_FLAGS,
                    snapshot::restore,
                ),
                Command::leaf(
                    "save",
                    "save <filename>",
                    "Stores an etcd node backend snapshot to a given file",
                    &[],
                    snapshot::save,
                ),
                Command::leaf(
                    "status",
                    "status <filename>",
                    "Gets backend snapshot status of a given file",
                    &[],
                    snapshot::status,
                ),
            ],
        )
        .usage("snapshot <subcommand>"),
        Command::leaf("version", "version", "Prints the version of etcdctl", &[], version),
        Command::leaf(
            "watch",
            "watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]",
            "Watches events stream on keys or prefixes",
            watch::WATCH_FLAGS,
            watch::watch,
        ),
    ],
};

const HELP_FLAG_USAGE: &str = "help for ";

fn version(ctx: &mut Ctx) -> Result<(), CtlError> {
    ctx.println(&format!("etcdctl version: {}", crate::version::VERSION));
    ctx.println(&format!("API version: {}", crate::version::API_VERSION));
    Ok(())
}

/// Flags a command accepts: its own, its ancestors' persistent flags, and `--help`.
fn accepted_flags(path: &[&'static Command]) -> Vec<Flag> {
    let leaf = path.last().expect("a path has a leaf");
    let mut all: Vec<Flag> = leaf.flags.to_vec();
    all.push(Flag::new("help", Kind::Bool, "false", HELP_FLAG_USAGE).short('h'));
    for cmd in path.iter().rev() {
        all.extend_from_slice(cmd.persistent_flags);
    }
    all
}

/// Why no command path could be found.
enum FindError {
    Unknown(String),
    /// An etcdctl command this playground does not have yet.
    NotImplemented(&'static str),
}

/// Finds the command path among the positional words of `argv`; returns it and argv without the path words.
fn find(argv: &[String]) -> Result<(Vec<&'static Command>, Vec<String>), FindError> {
    let mut path: Vec<&'static Command> = vec![&ROOT];
    let mut rest = Vec::new();
    let mut i = 0;
    let mut descending = true;
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if a == "--" {
            rest.extend(argv[i - 1..].iter().cloned());
            break;
        }
        if a.starts_with('-') && a.len() > 1 {
            rest.push(a.clone());
            if takes_separate_value(a, &path) {
                if let Some(v) = argv.get(i) {
                    rest.push(v.clone());
                    i += 1;
                }
            }
            continue;
        }
        let cur = *path.last().expect("root");
        if descending && !cur.subcommands.is_empty() {
            if let Some(sub) = cur.subcommands.iter().find(|c| c.is_named(a)) {
                path.push(sub);
                continue;
            }
            if path.len() == 1 {
                return Err(match help::OTHER_COMMANDS.iter().find(|c| **c == a) {
                    Some(name) => FindError::NotImplemented(name),
                    None => FindError::Unknown(unknown_command(a)),
                });
            }
        }
        descending = false;
        rest.push(a.clone());
    }
    Ok((path, rest))
}

/// True if `arg` is a non-boolean flag written without `=`, so the next word is its value.
fn takes_separate_value(arg: &str, path: &[&'static Command]) -> bool {
    if arg.contains('=') {
        return false;
    }
    let flags = accepted_flags(path);
    let found = match arg.strip_prefix("--") {
        Some(name) => flags.iter().find(|f| f.long == name),
        None => {
            let c = arg[1..].chars().next();
            if arg.len() > 2 {
                return false;
            }
            flags.iter().find(|f| f.short == c)
        }
    };
    found.is_some_and(|f| f.kind != Kind::Bool)
}

/// cobra's message for an unknown command, with its "Did you mean this?" suggestions.
fn unknown_command(typed: &str) -> String {
    let mut msg = format!("unknown command {typed:?} for \"etcdctl\"");
    let names = ROOT.subcommands.iter().map(|c| c.name).chain(help::OTHER_COMMANDS.iter().copied()).chain(["help"]);
    let mut suggestions: Vec<&str> = names
        .filter(|n| {
            let t = typed.to_lowercase();
            levenshtein(&t, &n.to_lowercase()) <= 2 || n.to_lowercase().starts_with(&t)
        })
        .collect();
    suggestions.sort_unstable();
    if !suggestions.is_empty() {
        msg.push_str("\n\nDid you mean this?\n");
        for s in suggestions {
            msg.push('\t');
            msg.push_str(s);
            msg.push('\n');
        }
    }
    msg
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Runs etcdctl's argv against the world.
pub fn execute(world: &mut dyn Host, argv: &[String], stdin: Option<&str>) -> Outcome {
    if let Some(pos) = argv.iter().position(|a| !a.starts_with('-')).filter(|&p| argv[p] == "help") {
        // cobra's `help [command]`: the usage of the named command (the root's when none).
        let rest: Vec<String> = argv[pos + 1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
        if let Ok((path, _)) = find(&rest) {
            return Outcome { stdout: help::usage(&path), ..Outcome::default() };
        }
    }
    let (path, rest) = match find(argv) {
        Ok(found) => found,
        Err(FindError::NotImplemented(name)) => {
            return Outcome::error(format!("etcdplay does not implement \"{name}\" yet"), exit::ERROR)
        }
        Err(FindError::Unknown(msg)) => {
            return Outcome {
                stream: None,
                stdout: String::new(),
                stderr: format!("Error: {msg}\nRun 'etcdctl --help' for usage.\nError: {msg}\n"),
                exit_code: exit::ERROR,
            }
        }
    };
    let leaf = *path.last().expect("root at least");
    let parsed = match flags::parse(&rest, &accepted_flags(&path)) {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                stream: None,
                stdout: help::usage(&path),
                stderr: format!("Error: {e}\n\nError: {e}\n"),
                exit_code: exit::ERROR,
            }
        }
    };
    let Some(run) = leaf.run.filter(|_| !parsed.bool("help")) else {
        return Outcome { stdout: help::usage(&path), ..Outcome::default() };
    };
    let mut ctx = Ctx::new(world, parsed, stdin, argv);
    if let Err(e) = run(&mut ctx) {
        ctx.out.stderr.push_str(&format!("Error: {}\n", e.msg));
        ctx.out.exit_code = e.code;
    }
    let mut out = ctx.out;
    if let Some(mut stream) = ctx.stream {
        let first = stream.take_output();
        out.stdout.push_str(&first.stdout);
        out.stderr.push_str(&first.stderr);
        if stream.finished {
            out.exit_code = first.exit_code;
        } else {
            out.stream = Some(ctx.world.start_stream(stream));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_as_cobra() {
        assert_eq!(unknown_command("foo"), "unknown command \"foo\" for \"etcdctl\"");
        assert_eq!(unknown_command("gett"), "unknown command \"gett\" for \"etcdctl\"\n\nDid you mean this?\n\tget\n");
    }

    #[test]
    fn finds_path_past_flags() {
        let argv: Vec<String> = ["-w", "json", "member", "list", "--hex"].iter().map(|s| s.to_string()).collect();
        let Ok((path, rest)) = find(&argv) else { panic!("member list is a command") };
        assert_eq!(path.iter().map(|c| c.name).collect::<Vec<_>>(), vec!["etcdctl", "member", "list"]);
        assert_eq!(rest, vec!["-w", "json", "--hex"]);
    }
}
