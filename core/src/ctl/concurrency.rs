//! `lock` and `elect`: clientv3's concurrency recipes, built as etcd builds them from a session lease,
//! a transaction and the key prefix. A contender puts `<name>/<lease>` if absent, then waits until no key
//! under `<name>/` has a smaller create revision; it holds the lock (or leadership) while its session
//! lease is kept alive, and deletes its key when stopped.

use super::client::{unexpected, Ctx, Format};
use super::command::CtlError;
use super::exit;
use super::flags::{Flag, Kind};
use super::kv::prefix_end;
use super::stream::Stream;
use super::Host;
use crate::mvcc::{KeyRange, KeyValue};
use crate::server::api::*;
use crate::sim::Cluster;

pub const LOCK_FLAGS: &[Flag] = &[Flag::new("ttl", Kind::Int, "10", "timeout for session")];
pub const ELECT_FLAGS: &[Flag] = &[Flag::new("listen", Kind::Bool, "false", "observation mode").short('l')];

/// clientv3's default session TTL, which `elect` uses.
const DEFAULT_SESSION_TTL_S: i64 = 60;

/// A contender for a lock or an election, once its key is written.
#[derive(Clone, Debug)]
pub struct Contender {
    pub key: Vec<u8>,
    pub lease: i64,
    pub ttl_s: i64,
    pub create_rev: i64,
    pub held: bool,
    pub next_keep_alive_ms: u64,
}

/// What a concurrency stream does.
#[derive(Clone, Debug)]
pub enum Recipe {
    /// Waiting for, then holding, a lock or leadership.
    Contend(Contender),
    /// `elect -l`: prints each new leader's key and proposal.
    Observe { prefix: Vec<u8>, last: Option<KeyValue> },
}

fn exec_refused(what: &str) -> CtlError {
    CtlError::new(
        exit::BAD_FEATURE,
        format!("etcdplay cannot run programs: `{what} <name> <command>` needs a shell, which the simulated cluster does not have"),
    )
}

pub fn lock(ctx: &mut Ctx) -> Result<(), CtlError> {
    let args = ctx.args().to_vec();
    let Some(name) = args.first() else {
        return Err(CtlError::new(
            exit::BAD_ARGS,
            "lock takes a lock name argument and an optional command to execute",
        ));
    };
    if args.len() > 1 {
        return Err(exec_refused("lock"));
    }
    let ttl = ctx.flags.int("ttl");
    contend(ctx, name, b"", ttl)
}

pub fn elect(ctx: &mut Ctx) -> Result<(), CtlError> {
    let args = ctx.args().to_vec();
    let listen = ctx.flags.bool("listen");
    let (name, proposal) = match args.as_slice() {
        [name] if listen => (name.clone(), None),
        [_] => return Err(CtlError::new(exit::BAD_ARGS, "no proposal argument but -l not set")),
        [name, proposal] => (name.clone(), Some(proposal.clone())),
        _ => {
            return Err(CtlError::new(
                exit::BAD_ARGS,
                "elect takes one election name argument and an optional proposal argument",
            ))
        }
    };
    match proposal {
        Some(p) if !listen => contend(ctx, &name, p.as_bytes(), DEFAULT_SESSION_TTL_S),
        _ => {
            let prefix = format!("{name}/").into_bytes();
            start(ctx, Recipe::Observe { prefix, last: None })
        }
    }
}

/// Grants the session lease and writes the contender's key, then leaves the waiting to a stream.
fn contend(ctx: &mut Ctx, name: &str, value: &[u8], ttl_s: i64) -> Result<(), CtlError> {
    let Response::LeaseGrant { id: lease, ttl_s, .. } = ctx.call(Request::LeaseGrant { id: 0, ttl_s })? else {
        return Err(unexpected("grant answers a grant"));
    };
    let key = format!("{name}/{lease:x}").into_bytes();
    let txn = TxnRequest {
        compare: vec![Compare {
            result: CompareResult::Equal,
            target: CompareTarget::Create(0),
            key: key.clone(),
            range_end: vec![],
        }],
        success: vec![RequestOp::Put(PutRequest {
            key: key.clone(),
            value: value.to_vec(),
            lease,
            ..Default::default()
        })],
        failure: vec![RequestOp::Range(RangeRequest { key: key.clone(), ..Default::default() })],
    };
    ctx.call(Request::Txn(txn))?;
    let get = Request::Range(RangeRequest { key: key.clone(), ..Default::default() });
    let Response::Range(r) = ctx.call(get)? else { return Err(unexpected("get answers a range")) };
    let create_rev = r.kvs.first().map_or(0, |kv| kv.create_revision);
    let now = ctx.world.now_ms();
    let c = Contender { key, lease, ttl_s, create_rev, held: false, next_keep_alive_ms: now + ttl_s as u64 * 1000 / 3 };
    start(ctx, Recipe::Contend(c))
}

fn start(ctx: &mut Ctx, recipe: Recipe) -> Result<(), CtlError> {
    let endpoints: Vec<usize> = ctx.endpoints().iter().filter_map(|e| ctx.resolve(e)).collect();
    let mut stream = Stream::concurrency(ctx.line(), endpoints, Format::Simple, ctx.hex(), recipe);
    stream.poll(ctx.world);
    ctx.stream = Some(stream);
    Ok(())
}

/// The key under `prefix` with the smallest create revision on member `m`: the lock holder or leader.
fn first_contender(world: &Cluster, m: usize, prefix: &[u8]) -> Option<KeyValue> {
    let range = KeyRange::Span(prefix.to_vec(), prefix_end(prefix));
    let kvs = world.node(m).server.store.range(&range, 0, 0).ok()?.kvs;
    kvs.into_iter().min_by_key(|kv| kv.create_revision)
}

/// Advances a recipe on member `m`; returns what to print and whether the session ended.
pub fn poll(world: &mut Cluster, m: usize, recipe: &mut Recipe, hex: bool) -> (String, bool) {
    let mut out = String::new();
    match recipe {
        Recipe::Observe { prefix, last } => {
            let now = first_contender(world, m, prefix);
            if now.is_some()
                && now.as_ref().map(|kv| (&kv.key, kv.mod_revision))
                    != last.as_ref().map(|kv| (&kv.key, kv.mod_revision))
            {
                if let Some(kv) = &now {
                    super::kv::print_kv_to(&mut out, hex, false, kv);
                }
                *last = now;
            }
            (out, false)
        }
        Recipe::Contend(c) => {
            if world.now_ms() >= c.next_keep_alive_ms {
                match world.serve_by_leader(m, &Request::LeaseKeepAlive { id: c.lease }) {
                    Some(Err(ServerError::LeaseNotFound)) => return (out, true),
                    Some(_) => c.next_keep_alive_ms = world.now_ms() + c.ttl_s as u64 * 1000 / 3,
                    None => c.next_keep_alive_ms = world.now_ms() + 500,
                }
            }
            if !c.held {
                let name_end = c.key.iter().rposition(|b| *b == b'/').map_or(0, |i| i + 1);
                let holder = first_contender(world, m, &c.key[..name_end]);
                if holder.as_ref().is_some_and(|kv| kv.key == c.key) {
                    c.held = true;
                    if let Some(kv) = holder {
                        super::kv::print_kv_to(&mut out, hex, false, &kv);
                    }
                }
            }
            (out, false)
        }
    }
}

/// When a recipe next needs the clock (its session keep-alive).
pub fn wake_ms(recipe: &Recipe) -> Option<u64> {
    match recipe {
        Recipe::Contend(c) => Some(c.next_keep_alive_ms),
        Recipe::Observe { .. } => None,
    }
}

/// Unlocks or resigns, as etcdctl does on SIGINT/SIGTERM: deletes the key and revokes the session.
pub fn release(world: &mut dyn Host, m: usize, recipe: &Recipe) {
    if let Recipe::Contend(c) = recipe {
        let timeout = 5_000;
        let del = Request::DeleteRange(DeleteRangeRequest { key: c.key.clone(), ..Default::default() });
        let _ = world.call(m, del, timeout);
        let _ = world.call(m, Request::LeaseRevoke { id: c.lease }, timeout);
    }
}
