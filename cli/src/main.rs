//! `etcdplay`: the playground's console in a terminal.
//!
//! - `etcdplay [--seed N] [--members 3|5]`: an interactive etcdctl console over a simulated cluster.
//! - `etcdplay script FILE`: runs a scenario script and prints its transcript.
//! - `etcdplay sim --seeds N [--first-seed S] [--duration-ms MS] [--clients N] [--no-membership]
//!   [--unsafe-reads] [--faults 3,17|none] [--no-shrink]`: robustness runs (random workload and faults, then
//!   linearizability, watch, Raft safety and hash checks); exits 0 only if every seed is clean. The first
//!   failing seed is shrunk to fewer faults, a shorter run and fewer clients, with a replay command.
//! - `etcdplay golden DIR [--out FILE] [--help-out FILE]`: replays an etcdctl reference directory.
//! - `etcdplay serve [--members N] [--seed S] [--speed X]`: the simulated cluster on the wire, speaking
//!   etcd's v3 gRPC API on 127.0.0.1:2379, :22379, :32379 (see [`serve`]); `--record FILE` writes the run's
//!   actions as they happen.
//! - `etcdplay replay FILE [--check]`: rebuilds a recorded served run and prints each member's revision and
//!   KV hash; `--check` runs the linearizability checker over what its wire clients sent and got.

mod record;
mod serve;

use etcdplay_core::{golden, script, Action, World, WorldConfig};
use std::io::{BufRead, Write};
use std::process::ExitCode;

struct Opts {
    seed: u64,
    members: usize,
    out: Option<String>,
    help_out: Option<String>,
    positional: Vec<String>,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts { seed: 1, members: 3, out: None, help_out: None, positional: Vec::new() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--seed" => o.seed = value("--seed")?.parse().map_err(|_| "--seed takes a number")?,
            "--members" => o.members = value("--members")?.parse().map_err(|_| "--members takes a number")?,
            "--out" => o.out = Some(value("--out")?),
            "--help-out" => o.help_out = Some(value("--help-out")?),
            _ => o.positional.push(a.clone()),
        }
    }
    if !(1..=7).contains(&o.members) {
        return Err("--members must be between 1 and 7".into());
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return match serve::ServeOptions::parse(&args[1..]).and_then(serve::run) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        };
    }
    if args.first().map(String::as_str) == Some("replay") {
        let check = args.iter().skip(2).any(|a| a == "--check");
        return match args.get(1).map(|path| record::replay(path, check)) {
            Some(Ok(text)) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Some(Err(e)) => fail(&e),
            None => fail("usage: etcdplay replay FILE [--check] (a recording of `etcdplay serve --record FILE`)"),
        };
    }
    let opts = match parse_opts(&args) {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    let result = match opts.positional.first().map(String::as_str) {
        None => repl(&opts),
        Some("script") => run_script(&opts),
        Some("golden") => run_golden(&opts),
        Some("sim") => run_sim(&opts),
        Some(other) => Err(format!(
            "unknown command {other:?}; usage: etcdplay [script FILE | golden DIR | sim --seeds N [--first-seed S] | serve [--members N]] [--seed N] [--members N]"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("etcdplay: {msg}");
    ExitCode::from(2)
}

fn repl(opts: &Opts) -> Result<(), String> {
    let mut world = World::new(WorldConfig::demo(opts.members, opts.seed));
    world.wait_for_leader(script::WAIT_LEADER_LIMIT_MS);
    println!(
        "etcdplay: {} members, seed {}. Type etcdctl commands (put foo bar, get foo, member list),",
        opts.members, opts.seed
    );
    println!("or @kill NAME, @restart NAME, @partition A | B C, @heal, @advance 5s, @wait-leader. Ctrl-D quits.");
    let stdin = std::io::stdin();
    loop {
        print!("etcdctl> ");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            println!();
            return Ok(());
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let text = if line.starts_with('@') || line.starts_with('#') {
            script::run(&mut world, line).unwrap_or_else(|e| format!("error: {}\n", e.msg))
        } else {
            let o = world.apply(Action::Etcdctl { line: line.to_string(), stdin: None });
            format!("{}{}", o.stdout, o.stderr)
        };
        print!("{}", text.strip_prefix(&format!("$ {line}\n")).unwrap_or(&text));
    }
}

fn run_script(opts: &Opts) -> Result<(), String> {
    let file = opts.positional.get(1).ok_or("usage: etcdplay script FILE")?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let mut world = World::new(WorldConfig::demo(opts.members, opts.seed));
    let out = script::run(&mut world, &text).map_err(|e| format!("{file}:{}: {}", e.line, e.msg))?;
    print!("{out}");
    Ok(())
}

fn run_golden(opts: &Opts) -> Result<(), String> {
    let dir = opts.positional.get(1).ok_or("usage: etcdplay golden DIR [--out FILE] [--help-out FILE]")?;
    let read = |name: &str| std::fs::read_to_string(format!("{dir}/{name}")).map_err(|e| format!("{dir}/{name}: {e}"));
    let lines = golden::replay(&read("cluster.json")?, &read("cases.jsonl")?, opts.seed).map_err(|e| e.0)?;
    write_lines(opts.out.as_deref(), &lines)?;
    if let Some(path) = &opts.help_out {
        let help = golden::replay_help(&read("help.jsonl")?, opts.seed).map_err(|e| e.0)?;
        write_lines(Some(path), &help)?;
    }
    Ok(())
}

fn write_lines(path: Option<&str>, lines: &[String]) -> Result<(), String> {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| format!("{p}: {e}")),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// `--faults 3,17` (fault numbers in the draw order) or `--faults none`.
fn fault_list(text: &str) -> Result<std::collections::BTreeSet<u64>, String> {
    if text == "none" {
        return Ok(Default::default());
    }
    text.split(',')
        .map(|n| n.parse().map_err(|_| format!("--faults takes numbers like 3,17 or none, not {text:?}")))
        .collect()
}

/// Shrinks the first failing seed and prints the smallest run that still fails.
fn print_shrunk(seed: u64, cfg: &etcdplay_core::robustness::Config) {
    let started = std::time::Instant::now();
    let Some(s) = etcdplay_core::robustness::shrink::shrink(seed, cfg, 200) else { return };
    println!(
        "  shrunk in {} runs ({:.1} s): {} of {} faults, {} s of workload, {} clients still fail:",
        s.runs,
        started.elapsed().as_secs_f64(),
        s.report.fault_log.len(),
        s.original_faults,
        s.config.duration_ms / 1_000,
        s.config.clients
    );
    for (n, at, what) in &s.report.fault_log {
        println!("    fault {n} at {at} ms: {what}");
    }
    for v in s.report.violations.iter().take(3) {
        println!("    {}", v.lines().next().unwrap_or_default());
    }
    println!("  replay the shrunk run: {}", s.report.replay_command());
}

fn run_sim(opts: &Opts) -> Result<(), String> {
    let mut seeds = 100u64;
    let mut first = 1u64;
    let mut shrink = true;
    let mut cfg = etcdplay_core::robustness::Config { members: opts.members, ..Default::default() };
    let mut it = opts.positional.iter().skip(1);
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            it.next().and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} takes a number"))
        };
        match a.as_str() {
            "--seeds" => seeds = num("--seeds")?,
            "--first-seed" => first = num("--first-seed")?,
            "--duration-ms" => cfg.duration_ms = num("--duration-ms")?,
            "--clients" => cfg.clients = num("--clients")? as usize,
            "--membership" => cfg.membership = true,
            "--no-membership" => cfg.membership = false,
            "--unsafe-reads" => cfg.unsafe_reads = true,
            "--no-shrink" => shrink = false,
            "--faults" => cfg.faults = Some(fault_list(it.next().map(String::as_str).unwrap_or(""))?),
            other => return Err(format!("sim: unknown argument {other:?}")),
        }
    }
    let started = std::time::Instant::now();
    let mut summary = etcdplay_core::robustness::Summary::default();
    for seed in first..first + seeds {
        let r = etcdplay_core::robustness::run_seed(seed, &cfg);
        summary.add(&r);
        let ops: u64 = r.ops.values().sum();
        let faults: u64 = r.faults.values().sum();
        let verdict =
            if r.violations.is_empty() { "ok".to_string() } else { format!("FAILED ({})", r.violations.len()) };
        println!(
            "seed {seed}: {verdict}, {ops} ops, {faults} faults, {:.1} s simulated, trace {:016x} [{}/{} in {:.1} s]",
            r.sim_ms as f64 / 1000.0,
            r.fingerprint,
            seed - first + 1,
            seeds,
            started.elapsed().as_secs_f64()
        );
        for v in &r.violations {
            println!("  {v}");
        }
        if !r.violations.is_empty() {
            println!("  last events:");
            for line in &r.trace_tail {
                println!("    {line}");
            }
            println!("  replay: {}", r.replay_command());
            if shrink && summary.failed_seeds.len() == 1 {
                print_shrunk(seed, &cfg);
            }
        }
    }
    println!("{summary}");
    println!("time: {:.1} s", started.elapsed().as_secs_f64());
    if summary.failed_seeds.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {seeds} seeds failed: {:?}", summary.failed_seeds.len(), summary.failed_seeds))
    }
}
