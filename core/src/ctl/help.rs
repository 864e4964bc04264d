//! Help texts rendered from the command tree with etcdctl's usage template (NAME, USAGE, VERSION,
//! COMMANDS, DESCRIPTION, OPTIONS, GLOBAL OPTIONS), aligned by its tabwriter, so `--help`, flag errors and
//! command groups print what etcdctl prints.

use super::command::{Command, GLOBAL_FLAGS};
use super::flags::{Flag, Kind};
use super::tabwriter;

/// etcdctl 3.4 root commands this playground does not implement yet; known so that they get a clear
/// message instead of "unknown command".
pub const OTHER_COMMANDS: &[&str] =
    &["auth", "check", "completion", "elect", "lock", "make-mirror", "migrate", "role", "snapshot", "txn", "user"];

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
        s.push_str(&format!("\nVERSION:\n\t{}\n", super::VERSION));
    }
    if !cmd.subcommands.is_empty() {
        s.push_str(&format!("\nAPI VERSION:\n\t{}\n", super::API_VERSION));
        s.push_str("\n\nCOMMANDS:\n");
        let mut listed = Vec::new();
        if is_root {
            leaves(cmd, "", &mut listed);
            listed.push(("help".to_string(), "Help about any command"));
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
