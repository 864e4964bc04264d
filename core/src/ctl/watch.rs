//! `watch`: key, range or prefix, from a revision, with `--prev-kv`, interactive `-i`; printed as
//! etcdctl's simple/json/fields printers print watch responses.

use super::client::{Ctx, Format};
use super::command::CtlError;
use super::exit;
use super::flags::{Flag, Kind};
use super::json::{self, Obj};
use super::kv::{fields_header, fields_kv, key_range, print_kv_to};
use super::stream::Stream;
use crate::ctl::Outcome;
use crate::mvcc::KeyRange;
use crate::server::api::ResponseHeader;
use crate::server::watch::{EventType, Poll, WatchEvent, Watcher};
use crate::sim::Cluster;

pub const WATCH_FLAGS: &[Flag] = &[
    Flag::new("interactive", Kind::Bool, "false", "Interactive mode").short('i'),
    Flag::new("prefix", Kind::Bool, "false", "Watch on a prefix if prefix is set"),
    Flag::new("prev-kv", Kind::Bool, "false", "get the previous key-value pair before the event happens"),
    Flag::new("progress-notify", Kind::Bool, "false", "get periodic watch progress notification from server"),
    Flag::new("rev", Kind::Int, "0", "Revision to start watching"),
];

/// A watch request: what `watch KEY [RANGE_END] --prefix --rev --prev-kv` asks for.
struct Spec {
    range: KeyRange,
    rev: i64,
    prev_kv: bool,
}

fn spec_from(args: &[String], prefix: bool, rev: i64, prev_kv: bool) -> Result<Spec, CtlError> {
    let (key, end) = match args {
        [key] => (key, None),
        [key, end] => (key, Some(end.as_str())),
        _ => return Err(CtlError::new(exit::BAD_ARGS, "bad number of arguments")),
    };
    if prefix && end.is_some() {
        return Err(CtlError::new(exit::BAD_ARGS, "`range_end` and `--prefix` are mutually exclusive"));
    }
    let (k, e) = key_range(key, end, prefix, false);
    Ok(Spec { range: KeyRange::new(&k, &e), rev, prev_kv })
}

/// Parses an interactive `watch ...` line (the same flags as the command).
fn spec_from_line(line: &str) -> Result<Spec, CtlError> {
    let words = super::shell::split(line).map_err(|e| CtlError::new(exit::INVALID_INPUT, e.0))?;
    if words.first().map(String::as_str) != Some("watch") {
        return Err(CtlError::new(exit::BAD_ARGS, "args[0] must be 'watch' for interactive calls"));
    }
    let p = super::flags::parse(&words[1..], WATCH_FLAGS)
        .map_err(|e| CtlError::new(exit::INVALID_INPUT, format!("Invalid command {line:?} ({e})")))?;
    spec_from(&p.args, p.bool("prefix"), p.int("rev"), p.bool("prev-kv"))
}

pub fn watch(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let args = ctx.args().to_vec();
    let before_dash = ctx.flags.args_before_dash.unwrap_or(args.len());
    if before_dash < args.len() {
        if before_dash == args.len() {
            return Err(CtlError::new(exit::BAD_ARGS, "bad number of arguments (found separator --, but no commands)"));
        }
        return Err(CtlError::new(
            exit::BAD_FEATURE,
            "etcdplay cannot run programs: `watch ... -- <command>` needs a shell, which the simulated cluster does not have",
        ));
    }
    let mut specs = Vec::new();
    let interactive = ctx.flags.bool("interactive");
    let mut progress_requests = 0;
    if interactive {
        for line in ctx.stdin.unwrap_or_default().lines().map(str::trim).filter(|l| !l.is_empty()) {
            if line == "progress" {
                // A progress request makes the server report the revision the watch stream has reached.
                progress_requests += 1;
            } else if line.starts_with("watch") {
                specs.push(spec_from_line(line)?);
            } else {
                ctx.eprintln(&format!("Invalid command {line} (only support watch)"));
            }
        }
    } else {
        specs.push(spec_from(&args, ctx.flags.bool("prefix"), ctx.flags.int("rev"), ctx.flags.bool("prev-kv"))?);
    }
    let endpoints: Vec<usize> = ctx.endpoints().iter().filter_map(|e| ctx.resolve(e)).collect();
    let Some(m) = ctx.pick_member() else {
        ctx.wait_out_timeout();
        return Err(CtlError::new(exit::ERROR, "context deadline exceeded"));
    };
    let store = &ctx.world.node(m).server.store;
    let watchers =
        specs.into_iter().enumerate().map(|(i, s)| Watcher::new(i as i64, s.range, s.rev, s.prev_kv, store)).collect();
    let mut stream = Stream::watch(ctx.line(), endpoints, format, ctx.hex(), watchers);
    stream.poll(ctx.world);
    let revision = ctx.world.node(m).server.store.current_rev();
    for _ in 0..progress_requests {
        stream.out.stdout.push_str(&format!("progress notify: {revision}\n"));
    }
    if interactive {
        // A console has no terminal to keep reading from: stdin ends after the given lines.
        stream.out.stderr.push_str("Error: Error reading watch request line: EOF\n");
        stream.finish(exit::INVALID_INPUT);
    }
    ctx.stream = Some(stream);
    Ok(())
}

/// Polls the watchers on member `m` and prints their events. Returns true if the server cancelled.
pub fn poll_watchers(
    world: &Cluster,
    m: usize,
    watchers: &mut [Watcher],
    format: Format,
    hex: bool,
    out: &mut Outcome,
) -> bool {
    let node = world.node(m);
    for w in watchers.iter_mut().filter(|w| !w.canceled) {
        match w.poll(&node.server.store) {
            Poll::Events { events, .. } if events.is_empty() => {}
            Poll::Events { revision, events } => {
                let header = ResponseHeader { revision, ..world.header(m) };
                print_response(out, format, hex, &header, &events);
            }
            Poll::Compacted { .. } => {
                out.stderr.push_str(
                    "watch was canceled (etcdserver: mvcc: required revision has been compacted)\n\
                     Error: watch is canceled by the server\n",
                );
                return true;
            }
        }
    }
    false
}

fn print_response(out: &mut Outcome, format: Format, hex: bool, header: &ResponseHeader, events: &[WatchEvent]) {
    let mut lines = Outcome::default();
    match format {
        Format::Json => {
            let evs: Vec<String> = events.iter().map(event_json).collect();
            let o = Obj::new()
                .raw("Header", &json::header(header))
                .raw("Events", &format!("[{}]", evs.join(",")))
                .num_always("CompactRevision", 0)
                .raw("Canceled", "false")
                .raw("Created", "false");
            lines.stdout = o.build() + "\n";
        }
        Format::Fields => {
            fields_header(&mut lines.stdout, header);
            for e in events {
                lines.stdout.push_str(&format!("\"Type\" : {}\n", e.kind));
                if let Some(p) = &e.prev_kv {
                    fields_kv(&mut lines.stdout, "Prev", p);
                }
                fields_kv(&mut lines.stdout, "", &e.kv);
            }
        }
        _ => {
            for e in events {
                lines.stdout.push_str(&format!("{}\n", e.kind));
                if let Some(p) = &e.prev_kv {
                    print_kv_to(&mut lines.stdout, hex, false, p);
                }
                print_kv_to(&mut lines.stdout, hex, false, &e.kv);
            }
        }
    }
    out.stdout.push_str(&lines.stdout);
}

fn event_json(e: &WatchEvent) -> String {
    let mut o = Obj::new();
    if e.kind == EventType::Delete {
        o = o.num("type", 1);
    }
    o = o.raw("kv", &json::kv(&e.kv));
    if let Some(p) = &e.prev_kv {
        o = o.raw("prev_kv", &json::kv(p));
    }
    o.build()
}
