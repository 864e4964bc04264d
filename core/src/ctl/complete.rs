//! Tab completion for a console line, from the same command tree that runs it: the candidates for the
//! line's last word are subcommand names where a command is expected, `--flag` names of the command the
//! line has reached where the word starts with `-`, and output formats after `-w`/`--write-out`; `curl`
//! (the console's other command) as a line's first word.

use super::command::{Command, ROOT};
use super::flags::{Flag, Kind};

/// Values `--write-out` accepts.
const WRITE_OUT_FORMATS: [&str; 5] = ["fields", "json", "protobuf", "simple", "table"];

/// Every flag a command at `path` accepts, as the dispatcher does: its own, `--help`, and the persistent
/// flags of itself and its ancestors (the root's are etcdctl's global flags).
fn accepted_flags(path: &[&'static Command]) -> Vec<Flag> {
    let leaf = path.last().expect("a path starts at the root");
    let mut all: Vec<Flag> = leaf.flags.to_vec();
    all.push(Flag::new("help", Kind::Bool, "false", "").short('h'));
    for cmd in path.iter().rev() {
        all.extend_from_slice(cmd.persistent_flags);
    }
    all
}

/// The flag `word` names if it is a non-boolean flag without an inline value, so the next word is its value.
fn flag_taking_next(word: &str, path: &[&'static Command]) -> Option<Flag> {
    if word.contains('=') {
        return None;
    }
    let flags = accepted_flags(path);
    let found = match word.strip_prefix("--") {
        Some(name) => flags.into_iter().find(|f| f.long == name),
        None => {
            let mut chars = word[1..].chars();
            let c = chars.next();
            if chars.next().is_some() {
                return None; // `-wjson`: the value is attached
            }
            flags.into_iter().find(|f| f.short == c)
        }
    };
    found.filter(|f| f.kind != Kind::Bool)
}

/// Candidates for the value of `flag`, if they are a known set.
fn value_candidates(flag: &Flag, typed: &str, prefix: &str) -> Vec<String> {
    if flag.long != "write-out" {
        return Vec::new();
    }
    WRITE_OUT_FORMATS.iter().filter(|f| f.starts_with(typed)).map(|f| format!("{prefix}{f}")).collect()
}

/// Completion candidates for the last word of `line` (the empty word after a trailing space), each a whole
/// replacement for that word, sorted and without duplicates. A line may start with `etcdctl`.
pub fn complete(line: &str) -> Vec<String> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let last = if line.is_empty() || line.ends_with(char::is_whitespace) { "" } else { words.pop().unwrap_or("") };
    if words.first() == Some(&"curl") {
        return Vec::new(); // curl's URL is free text
    }
    // The console also runs `curl`, offered where a line's first word is typed.
    let offer_curl = words.is_empty() && "curl".starts_with(last);
    if words.first() == Some(&"etcdctl") {
        words.remove(0);
    }

    // Walk the words before the last one as the dispatcher would: flags (and their values) anywhere,
    // subcommand names until the first positional argument.
    let mut path: Vec<&'static Command> = vec![&ROOT];
    let mut positional = false;
    let mut pending_value: Option<Flag> = None;
    for word in words {
        if pending_value.take().is_some() {
            continue;
        }
        if word == "--" {
            return Vec::new(); // what follows is arguments (or watch's exec command), not etcdctl's
        }
        if word.len() > 1 && word.starts_with('-') {
            pending_value = flag_taking_next(word, &path);
            continue;
        }
        let cur = *path.last().expect("root");
        if !positional {
            if let Some(sub) = cur.subcommands.iter().find(|c| c.name == word || c.aliases.contains(&word)) {
                path.push(sub);
                continue;
            }
        }
        positional = true;
    }

    let mut out: Vec<String> = if let Some(flag) = pending_value {
        value_candidates(&flag, last, "")
    } else if let Some(name) = last.strip_prefix("--").filter(|n| n.contains('=')) {
        let (name, typed) = name.split_once('=').expect("contains '='");
        accepted_flags(&path)
            .iter()
            .find(|f| f.long == name)
            .map(|f| value_candidates(f, typed, &format!("--{name}=")))
            .unwrap_or_default()
    } else if last.starts_with('-') {
        // `-` lists every flag; `--pre` the long names it begins; `-w` is a whole short flag already.
        let typed = last.strip_prefix("--").or((last == "-").then_some(""));
        accepted_flags(&path)
            .iter()
            .filter(|f| typed.is_some_and(|t| f.long.starts_with(t)))
            .map(|f| format!("--{}", f.long))
            .collect()
    } else if !positional {
        let cur = *path.last().expect("root");
        cur.subcommands.iter().map(|c| c.name).filter(|n| n.starts_with(last)).map(String::from).collect()
    } else {
        Vec::new()
    };
    if offer_curl {
        out.push("curl".to_string());
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::complete;

    #[test]
    fn completes_root_commands() {
        assert_eq!(complete("ge"), ["get"]);
        assert_eq!(complete("etcdctl pu"), ["put"]);
        let all = complete("");
        assert!(all.contains(&"member".to_string()) && all.contains(&"watch".to_string()), "{all:?}");
        assert!(complete("m").iter().all(|c| c.starts_with('m')));
        assert!(complete("zzz").is_empty());
    }

    #[test]
    fn offers_curl_as_a_first_word_only() {
        assert_eq!(complete("cu"), ["curl"]);
        assert!(complete("").contains(&"curl".to_string()));
        assert!(complete("etcdctl c").iter().all(|c| c != "curl"), "curl is not an etcdctl command");
        assert!(complete("curl ").is_empty());
        assert!(complete("curl -s http").is_empty());
    }

    #[test]
    fn completes_subcommands_of_a_group() {
        assert_eq!(complete("member l"), ["list"]);
        assert_eq!(complete("endpoint st"), ["status"]);
        let lease = complete("lease ");
        for sub in ["grant", "keep-alive", "list", "revoke", "timetolive"] {
            assert!(lease.contains(&sub.to_string()), "{lease:?} lacks {sub}");
        }
        // Flags before the command path do not stop the walk.
        assert_eq!(complete("-w json member l"), ["list"]);
        assert_eq!(complete("--endpoints=a member l"), ["list"]);
    }

    #[test]
    fn completes_flags_of_the_command_reached() {
        assert_eq!(complete("get --pre"), ["--prefix"]);
        assert_eq!(complete("watch foo --pre"), ["--prefix", "--prev-kv"]);
        // Global flags apply everywhere, and --help too.
        assert_eq!(complete("get --write"), ["--write-out"]);
        assert_eq!(complete("--comm"), ["--command-timeout"]);
        assert_eq!(complete("put --he"), ["--help", "--hex"]);
        // Persistent flags of a group reach its subcommands.
        assert!(complete("endpoint status --").contains(&"--cluster".to_string()));
        assert!(!complete("get --").contains(&"--cluster".to_string()));
        let all = complete("get -");
        assert!(all.iter().all(|c| c.starts_with("--")) && all.contains(&"--keys-only".to_string()), "{all:?}");
    }

    #[test]
    fn completes_output_formats() {
        assert_eq!(complete("get foo -w j"), ["json"]);
        assert_eq!(complete("get foo --write-out t"), ["table"]);
        assert_eq!(complete("get foo --write-out=f"), ["--write-out=fields"]);
        assert_eq!(complete("get foo -w ").len(), 5);
    }

    #[test]
    fn no_commands_after_arguments() {
        assert!(complete("put foo ").is_empty());
        assert!(complete("get foo b").is_empty());
        assert!(complete("watch foo -- ec").is_empty());
        // A flag's value is not taken for a command name.
        assert_eq!(complete("--command-timeout 5s ge"), ["get"]);
    }
}
