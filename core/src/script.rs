//! Scenario scripts: etcdctl lines and `@` directives run against a world, printed like a terminal
//! session. The same format drives the native `etcdplay script` command and the scenario tests.
//!
//! ```text
//! # comment
//! etcdctl put foo bar
//! etcdctl put stdinkey <<EOF
//! value from stdin
//! EOF
//! @kill etcd1 | @restart etcd1 | @partition etcd1 | etcd2 etcd3 | @heal | @advance 5s | @wait-leader
//! @quota 64KB   (every member's --quota-backend-bytes)
//! @link etcd1 etcd2 latency=50ms jitter=10ms loss=0.2 duplicate=0.1 reorder=0.1   (a bad link; @heal restores it)
//! @network lan | wan | congested | loopback   (the whole network's profile)
//! @unsafe-reads on | off   (members answer linearizable reads without ReadIndex: a teaching fault)
//! @start etcd4 [http://10.0.0.4:2379]   (launch a member announced by `etcdctl member add etcd4 ...`)
//! @pause etcd1 | @resume etcd1   (a stopped process, like a long GC pause)
//! @wipe etcd2   (delete etcd2's data dir; it must be removed and added again)
//! @disk etcd1 hdd | @disk etcd1 fsync=40ms jitter=10ms   (fsync latency: nvme, ssd, hdd or custom)
//! @load 500 [/prefix/]   (500 puts, one after another)   @events snapshot   (trace events containing it)
//! @auto-compaction periodic 1h | @auto-compaction revision 1000 | @auto-compaction off
//! @snapshot-count 100   (entries between snapshots; the Raft log is compacted behind each)
//! @start etcd1 --data-dir etcd1.etcd   (launch a member of the cluster `snapshot restore` wrote that dir for)
//! curl -s http://10.0.0.1:2379/metrics   (a member's HTTP endpoints: /metrics, /health, /version)
//! ```

use crate::ctl::flags::parse_duration_ms;
use crate::disk::DiskProfile;
use crate::playground::action::Action;
use crate::playground::World;
use crate::server::compactor::Mode;
use std::fmt::Write;

/// How long `@wait-leader` waits before it reports failure.
pub const WAIT_LEADER_LIMIT_MS: u64 = 30_000;

/// A script that cannot run: the line number and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub line: usize,
    pub msg: String,
}

/// Runs `script` against `world`; returns the transcript, or the first malformed line.
pub fn run(world: &mut World, script: &str) -> Result<String, ScriptError> {
    let lines: Vec<&str> = script.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |msg: String| ScriptError { line: lineno, msg };
        if let Some(rest) = line.strip_prefix("etcdctl") {
            let (cmd, stdin) = match rest.split_once("<<") {
                Some((cmd, tag)) => {
                    let tag = tag.trim();
                    let mut body = String::new();
                    loop {
                        let Some(l) = lines.get(i) else { return Err(err(format!("heredoc <<{tag} not closed"))) };
                        i += 1;
                        if l.trim() == tag {
                            break;
                        }
                        body.push_str(l);
                        body.push('\n');
                    }
                    (cmd.trim(), Some(body))
                }
                None => (rest.trim(), None),
            };
            let _ = writeln!(out, "$ {line}");
            let o = world.apply(Action::Etcdctl { line: cmd.to_string(), stdin });
            print_outcome(&mut out, &o);
        } else if crate::ctl::is_curl(line) {
            let _ = writeln!(out, "$ {line}");
            let o = world.apply(Action::Etcdctl { line: line.to_string(), stdin: None });
            print_outcome(&mut out, &o);
        } else if let Some(d) = line.strip_prefix('@') {
            let _ = writeln!(out, "$ {line}");
            let text = directive(world, d).map_err(err)?;
            out.push_str(&text);
        } else {
            return Err(err(format!("expected `etcdctl ...`, `curl ...`, `@directive` or `# comment`, got {line:?}")));
        }
    }
    Ok(out)
}

/// Appends what a command printed, and its exit status when it failed, as a terminal session shows it.
fn print_outcome(out: &mut String, o: &crate::ctl::Outcome) {
    out.push_str(&o.stdout);
    out.push_str(&o.stderr);
    if o.exit_code != 0 {
        let _ = writeln!(out, "[exit {}]", o.exit_code);
    }
}

/// `@start NAME [CLIENT_URL] [--data-dir DIR]`.
fn start_action(args: &[&str]) -> Result<Action, String> {
    let (data_dir, rest) = match args.iter().position(|w| *w == "--data-dir") {
        Some(p) if p + 1 < args.len() => {
            let mut rest = args.to_vec();
            let dir = rest.drain(p..p + 2).nth(1).map(str::to_string);
            (dir, rest)
        }
        Some(_) => return Err("--data-dir needs a directory".into()),
        None => (None, args.to_vec()),
    };
    match rest.as_slice() {
        [name] => Ok(Action::Start { member: name.to_string(), client_url: None, data_dir }),
        [name, url] => Ok(Action::Start { member: name.to_string(), client_url: Some(url.to_string()), data_dir }),
        _ => Err("@start takes a member name (announced by `member add`, or with --data-dir DIR a member of a \
                  restored cluster) and optionally its client URL"
            .into()),
    }
}

/// `@disk NAME nvme|ssd|hdd` or `@disk NAME fsync=30ms [jitter=5ms]`.
fn disk_action(args: &[&str]) -> Result<Action, String> {
    let usage = || "@disk takes a member and nvme, ssd, hdd or fsync=30ms [jitter=5ms]".to_string();
    let [name, opts @ ..] = args else { return Err(usage()) };
    let profile = match opts {
        [preset] if DiskProfile::preset(preset).is_some() => DiskProfile::preset(preset),
        _ => {
            let (mut fsync, mut jitter) = (None, 0);
            for opt in opts {
                let bad = || format!("bad @disk option {opt:?}");
                match opt.split_once('=') {
                    Some(("fsync", v)) => fsync = Some(parse_duration_ms(v).ok_or_else(bad)?),
                    Some(("jitter", v)) => jitter = parse_duration_ms(v).ok_or_else(bad)?,
                    _ => return Err(bad()),
                }
            }
            fsync.map(|ms| DiskProfile::fixed(ms, jitter))
        }
    };
    let p = profile.ok_or_else(usage)?;
    Ok(Action::Disk { member: name.to_string(), min_us: p.min_us, max_us: p.max_us })
}

/// `@load N [PREFIX]`: N puts of 100-byte values to PREFIX0000.. (default `/load/`), one after another,
/// as a benchmark client would; prints how many succeeded.
fn load(world: &mut World, args: &[&str]) -> Result<String, String> {
    let (n, prefix) = match args {
        [n] => (n, "/load/"),
        [n, prefix] => (n, *prefix),
        _ => return Err("@load takes a number of puts and optionally a key prefix".into()),
    };
    let n: u64 = n.parse().map_err(|_| format!("bad count {n:?}"))?;
    let value = "v".repeat(100);
    let ok = (0..n)
        .filter(|i| {
            world.apply(Action::Etcdctl { line: format!("put {prefix}{i:04} {value}"), stdin: None }).exit_code == 0
        })
        .count();
    Ok(format!("{ok} of {n} puts succeeded\n"))
}

/// `@auto-compaction periodic 1h | revision 1000 | off`, as etcd's `--auto-compaction-mode` and
/// `--auto-compaction-retention` (a bare number of hours in periodic mode, as etcd accepts).
fn compaction_mode(args: &[&str]) -> Result<Option<Mode>, String> {
    let bad = || "@auto-compaction takes `periodic DURATION`, `revision N` or `off`".to_string();
    match args {
        ["off"] => Ok(None),
        ["periodic", r] => {
            let ms = match r.parse::<u64>() {
                Ok(hours) => hours.checked_mul(3_600_000),
                Err(_) => parse_duration_ms(r),
            };
            let retention_ms = ms.filter(|&ms| ms > 0).ok_or_else(bad)?;
            Ok(Some(Mode::Periodic { retention_ms }))
        }
        ["revision", n] => {
            let retention = n.parse().ok().filter(|&n: &i64| n > 0).ok_or_else(bad)?;
            Ok(Some(Mode::Revision { retention }))
        }
        _ => Err(bad()),
    }
}

/// The single argument of a directive.
fn one_word(words: &[&str]) -> Result<String, String> {
    match words {
        [_, w] => Ok(w.to_string()),
        _ => Err(format!("@{} takes one argument", words[0])),
    }
}

/// Runs one `@` directive; returns what it prints.
fn directive(world: &mut World, d: &str) -> Result<String, String> {
    let words: Vec<&str> = d.split_whitespace().collect();
    let one = |words: &[&str]| match words {
        [_, name] if world.member_index(name).is_some() => Ok(name.to_string()),
        [_, name] => Err(format!("no member named {name:?}")),
        _ => Err(format!("@{} takes one member name", words[0])),
    };
    let outcome = match words.first().copied() {
        Some("kill") => world.apply(Action::Kill { member: one(&words)? }),
        Some("restart") => world.apply(Action::Restart { member: one(&words)? }),
        Some("start") => world.apply(start_action(&words[1..])?),
        Some("pause") => world.apply(Action::Pause { member: one(&words)? }),
        Some("resume") => world.apply(Action::Resume { member: one(&words)? }),
        Some("wipe") => world.apply(Action::Wipe { member: one(&words)? }),
        Some("disk") => world.apply(disk_action(&words[1..])?),
        Some("auto-compaction") => world.apply(Action::AutoCompaction { mode: compaction_mode(&words[1..])? }),
        Some("snapshot-count") => {
            let [_, n] = words.as_slice() else { return Err("@snapshot-count takes a number of entries".into()) };
            let count = n.parse().map_err(|_| format!("bad count {n:?}"))?;
            world.apply(Action::SnapshotCount { count })
        }
        Some("load") => return load(world, &words[1..]),
        Some("events") => {
            let filter = words[1..].join(" ");
            let lines: Vec<String> = world
                .trace()
                .records()
                .map(|r| format!("[{:>7.3}s] {}", r.at_ms as f64 / 1000.0, r.event))
                .filter(|l| l.contains(&filter))
                .collect();
            return Ok(lines.iter().map(|l| format!("{l}\n")).collect());
        }
        Some("network") => world.apply(Action::Network { profile: one_word(&words)? }),
        Some("unsafe-reads") => match one_word(&words)?.as_str() {
            "on" => world.apply(Action::UnsafeReads { on: true }),
            "off" => world.apply(Action::UnsafeReads { on: false }),
            other => return Err(format!("@unsafe-reads takes on or off, not {other:?}")),
        },
        Some("heal") => world.apply(Action::Heal),
        Some("partition") => {
            let groups: Vec<Vec<String>> =
                words[1..].split(|w| *w == "|").map(|g| g.iter().map(|s| s.to_string()).collect()).collect();
            if groups.len() < 2 || groups.iter().any(Vec::is_empty) {
                return Err("@partition needs groups separated by |, e.g. @partition etcd1 | etcd2 etcd3".into());
            }
            world.apply(Action::Partition { groups })
        }
        Some("link") => {
            let [_, a, b, opts @ ..] = words.as_slice() else {
                return Err(
                    "@link takes two members and options, e.g. @link etcd1 etcd2 latency=50ms jitter=10ms loss=0.2"
                        .into(),
                );
            };
            let (mut latency_ms, mut jitter_ms) = (0, 0);
            let (mut loss_per_mille, mut duplicate_per_mille, mut reorder_per_mille) = (0, 0, 0);
            for opt in opts {
                let bad = || format!("bad @link option {opt:?}");
                let chance = |v: &str| {
                    v.parse().ok().filter(|l| (0.0..=1.0).contains(l)).map(|p: f64| (p * 1000.0).round() as u32)
                };
                match opt.split_once('=') {
                    Some(("latency", v)) => latency_ms = parse_duration_ms(v).ok_or_else(bad)?,
                    Some(("jitter", v)) => jitter_ms = parse_duration_ms(v).ok_or_else(bad)?,
                    Some(("loss", v)) => loss_per_mille = chance(v).ok_or_else(bad)?,
                    Some(("duplicate", v)) => duplicate_per_mille = chance(v).ok_or_else(bad)?,
                    Some(("reorder", v)) => reorder_per_mille = chance(v).ok_or_else(bad)?,
                    _ => return Err(bad()),
                }
            }
            let (a, b) = (a.to_string(), b.to_string());
            world.apply(Action::Link {
                a,
                b,
                latency_ms,
                jitter_ms,
                loss_per_mille,
                duplicate_per_mille,
                reorder_per_mille,
            })
        }
        Some("quota") => {
            let [_, size] = words.as_slice() else { return Err("@quota takes a size, e.g. 64KB or 2GB".into()) };
            let bytes = parse_size(size).ok_or_else(|| format!("bad size {size:?}"))?;
            world.apply(Action::SetQuota { bytes })
        }
        Some("advance") => {
            let [_, d] = words.as_slice() else { return Err("@advance takes a duration, e.g. 5s".into()) };
            let ms = parse_duration_ms(d).ok_or_else(|| format!("bad duration {d:?}"))?;
            world.advance(ms);
            return Ok(String::new());
        }
        Some("wait-leader") => {
            return match world.wait_for_leader(WAIT_LEADER_LIMIT_MS) {
                Some(i) => Ok(format!("leader: {} (term {})\n", world.members()[i].name, world.node(i).term())),
                None => Ok("no leader\n".to_string()),
            };
        }
        _ => return Err(format!("unknown directive @{d}")),
    };
    // A directive the world refuses (restarting a wiped member) prints its error like a command does;
    // the script goes on, as an operator's session would.
    if outcome.exit_code != 0 {
        return Ok(format!("{}[exit {}]\n", outcome.stderr, outcome.exit_code));
    }
    Ok(String::new())
}

/// A byte size: `1024`, `64KB`, `16MB`, `2GB` (powers of 1024, as etcd's quota is usually given).
fn parse_size(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..split].parse().ok()?;
    let unit: u64 = match s[split..].to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" | "KIB" => 1 << 10,
        "MB" | "MIB" => 1 << 20,
        "GB" | "GIB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::WorldConfig;

    #[test]
    fn runs_commands_and_directives() {
        let mut w = World::new(WorldConfig::demo(3, 1));
        let script = "# a comment\n@wait-leader\netcdctl put foo bar\netcdctl put k <<EOF\nfrom stdin\nEOF\netcdctl get k\netcdctl frob\n";
        let out = run(&mut w, script).unwrap();
        assert!(out.contains("$ etcdctl put foo bar\nOK\n"), "{out}");
        assert!(out.contains("$ etcdctl get k\nk\nfrom stdin\n\n"), "{out}");
        assert!(out.contains("[exit 1]"), "{out}");
    }

    #[test]
    fn reports_bad_lines() {
        let mut w = World::new(WorldConfig::demo(3, 1));
        assert_eq!(run(&mut w, "\n@frob").unwrap_err().line, 2);
        assert!(run(&mut w, "ls -l").is_err());
        assert!(run(&mut w, "@kill nobody").is_err());
    }
}
