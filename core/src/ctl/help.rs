//! Help texts rendered from the command tree with etcdctl's usage template (NAME, USAGE, VERSION,
//! COMMANDS, DESCRIPTION, OPTIONS, GLOBAL OPTIONS), aligned by its tabwriter, so `--help`, flag errors and
//! command groups print what etcdctl prints.

use super::command::{Command, GLOBAL_FLAGS};
use super::flags::{Flag, Kind};
use super::tabwriter;

/// etcdctl 3.4 root commands this playground does not implement yet; known so that they get a clear
/// message instead of "unknown command".
pub const OTHER_COMMANDS: &[&str] =
    &["auth", "check", "completion", "elect", "lock", "make-mirror", "migrate", "role", "snapshot", "user"];

/// Leaf commands of etcdctl 3.4 the playground does not have yet, with their short descriptions, so the
/// root help lists every command etcdctl has. Entries whose top-level command exists in the tree are
/// skipped, so implementing a command never lists it twice.
const OTHER_LEAVES: &[(&str, &str)] = &[
    ("auth disable", "Disables authentication"),
    ("auth enable", "Enables authentication"),
    ("check datascale", "Check the memory usage of holding data for different workloads on a given server endpoint."),
    ("check perf", "Check the performance of the etcd cluster"),
    ("completion bash", "Generate the autocompletion script for bash"),
    ("completion fish", "Generate the autocompletion script for fish"),
    ("completion powershell", "Generate the autocompletion script for powershell"),
    ("completion zsh", "Generate the autocompletion script for zsh"),
    ("elect", "Observes and participates in leader election"),
    ("lock", "Acquires a named lock"),
    ("make-mirror", "Makes a mirror at the destination etcd cluster"),
    ("migrate", "Migrates keys in a v2 store to a mvcc store"),
    ("role add", "Adds a new role"),
    ("role delete", "Deletes a role"),
    ("role get", "Gets detailed information of a role"),
    ("role grant-permission", "Grants a key to a role"),
    ("role list", "Lists all roles"),
    ("role revoke-permission", "Revokes a key from a role"),
    ("snapshot restore", "Restores an etcd member snapshot to an etcd directory"),
    ("snapshot save", "Stores an etcd node backend snapshot to a given file"),
    ("snapshot status", "Gets backend snapshot status of a given file"),
    ("txn", "Txn processes all the requests in one transaction"),
    ("user add", "Adds a new user"),
    ("user delete", "Deletes a user"),
    ("user get", "Gets detailed information of a user"),
    ("user grant-role", "Grants a role to a user"),
    ("user list", "Lists all users"),
    ("user passwd", "Changes password of user"),
    ("user revoke-role", "Revokes a role from a user"),
];

/// One flag as etcdctl's `etcdFlagUsages` prints it: `  -w, --write-out="simple"\tusage`.
fn flag_line(f: &Flag) -> String {
    let mut s = match f.short {
        Some(c) => format!("  -{c}, --{}", f.long),
        None => format!("      --{}", f.long),
    };
    match f.kind {
        Kind::Bool => s.push_str(&format!("[={}]", f.default)),
        Kind::Str => s.push_str(&format!("={:?}", f.default)),
        _ => s.push_str(&format!("={}", f.default)),
    }
    s.push('\t');
    s.push_str(f.usage);
    s.push('\n');
    s
}

fn flag_block(mut flags: Vec<Flag>) -> String {
    flags.sort_by_key(|f| f.long);
    flags.iter().map(flag_line).collect()
}

/// The command's name as its help shows it: `put`, `member list`.
fn display_name(path: &[&Command]) -> String {
    path.iter().skip(1).map(|c| c.name).collect::<Vec<_>>().join(" ")
}

/// Leaf commands under `cmd`, with their paths, as the root help lists them.
fn leaves(cmd: &Command, prefix: &str, out: &mut Vec<(String, &'static str)>) {
    for sub in cmd.subcommands {
        let name = if prefix.is_empty() { sub.name.to_string() } else { format!("{prefix} {}", sub.name) };
        if sub.subcommands.is_empty() {
            out.push((name, sub.short));
        } else {
            leaves(sub, &name, out);
        }
    }
}

/// The usage text of the command at the end of `path` (root first).
pub fn usage(path: &[&'static Command]) -> String {
    let cmd = *path.last().expect("a path has a leaf");
    let is_root = path.len() == 1;
    let mut s = String::from("NAME:\n");
    let name = if is_root { cmd.name.to_string() } else { display_name(path) };
    s.push_str(&format!("\t{name} - {}\n\n", cmd.short));
    let parents = path[..path.len() - 1].iter().map(|c| c.name).collect::<Vec<_>>().join(" ");
    let use_line = if is_root { cmd.usage.to_string() } else { format!("{parents} {}", cmd.usage) };
    s.push_str(&format!("USAGE:\n\t{use_line} [flags]\n"));
    if is_root {
        s.push_str(&format!("\nVERSION:\n\t{}\n", crate::version::VERSION));
    }
    if !cmd.subcommands.is_empty() {
        s.push_str(&format!("\nAPI VERSION:\n\t{}\n", crate::version::API_VERSION));
        s.push_str("\n\nCOMMANDS:\n");
        let mut listed = Vec::new();
        if is_root {
            leaves(cmd, "", &mut listed);
            listed.push(("help".to_string(), "Help about any command"));
            let implemented: Vec<String> = listed.iter().map(|(p, _)| p.clone()).collect();
            let others = OTHER_LEAVES.iter().filter(|(p, _)| !implemented.iter().any(|i| i == p));
            listed.extend(others.map(|(p, s)| (p.to_string(), *s)));
            listed.sort();
        } else {
            listed = cmd.subcommands.iter().map(|c| (c.name.to_string(), c.short)).collect();
            listed.sort();
        }
        for (n, short) in listed {
            s.push_str(&format!("\t{n}\t{short}\n"));
        }
    }
    if !cmd.long.is_empty() {
        s.push_str("\nDESCRIPTION:\n");
        for line in cmd.long.trim_matches('\n').split('\n') {
            s.push_str(&format!("\t{line}\n"));
        }
    }
    let help = Flag::new("help", Kind::Bool, "false", "").short('h');
    let help_usage = format!("help for {}", cmd.name);
    let mut local: Vec<Flag> = cmd.flags.iter().chain(cmd.persistent_flags.iter()).copied().collect();
    local.push(help);
    let mut local_text = flag_block(local);
    local_text = local_text.replace("\t\n", &format!("\t{help_usage}\n"));
    s.push_str("\nOPTIONS:\n");
    s.push_str(&local_text);
    if !is_root {
        let inherited: Vec<Flag> =
            path[..path.len() - 1].iter().flat_map(|c| c.persistent_flags.iter().copied()).collect();
        debug_assert!(inherited.len() >= GLOBAL_FLAGS.len());
        s.push_str("\nGLOBAL OPTIONS:\n");
        s.push_str(&flag_block(inherited));
    }
    s.push('\n');
    tabwriter::align(&s)
}
