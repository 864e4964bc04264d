//! `check perf`: etcdctl's write benchmark, run against the simulated cluster in simulated time. Clients
//! put 1 KiB values under a prefix at the load's rate for 60 s, keeping at most the load's number of
//! requests in flight; throughput, slowest request and standard deviation decide PASS or FAIL exactly
//! as etcdctl does, so slow simulated disks or networks fail it as they would a real cluster.

use super::client::{unexpected, Ctx};
use super::command::CtlError;
use super::exit;
use super::flags::{Flag, Kind};
use super::kv::prefix_end;
use crate::server::api::*;
use std::collections::BTreeMap;
use std::fmt::Write;

pub const PERF_FLAGS: &[Flag] = &[
    Flag::new("auto-compact", Kind::Bool, "false", "Compact storage with last revision after test is finished."),
    Flag::new("auto-defrag", Kind::Bool, "false", "Defragment storage after test is finished."),
    Flag::new(
        "load",
        Kind::Str,
        "s",
        "The performance check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge)",
    ),
    Flag::new("prefix", Kind::Str, "/etcdctl-check-perf/", "The prefix for writing the performance check's keys."),
];

/// etcdctl's workload models: (writes per second, concurrent clients).
fn load(name: &str) -> Option<(u64, usize)> {
    match name {
        "s" => Some((150, 50)),
        "m" => Some((1000, 200)),
        "l" => Some((8000, 500)),
        "xl" => Some((15000, 1000)),
        _ => None,
    }
}

const DURATION_S: u64 = 60;
const VALUE_BYTES: usize = 1024;

pub fn perf(ctx: &mut Ctx) -> Result<(), CtlError> {
    let load_name = ctx.flags.str("load");
    let (limit, clients) =
        load(&load_name).ok_or_else(|| CtlError::new(exit::BAD_FEATURE, format!("unknown load option {load_name}")))?;
    let prefix = ctx.flags.str("prefix").into_bytes();
    let Some(m) = ctx.pick_member() else {
        ctx.wait_out_timeout();
        return Err(CtlError::new(exit::ERROR, "context deadline exceeded"));
    };
    let probe = RangeRequest { key: prefix.clone(), range_end: prefix_end(&prefix), limit: 1, ..Default::default() };
    if let Response::Range(r) = ctx.call(Request::Range(probe))? {
        if !r.kvs.is_empty() {
            let p = String::from_utf8_lossy(&prefix).into_owned();
            return Err(CtlError::new(
                exit::INVALID_INPUT,
                format!("prefix {p:?} has keys. Delete with etcdctl del --prefix {p} first"),
            ));
        }
    }
    let latencies = run_load(ctx, m, &prefix, limit, clients);
    report(ctx, &latencies, limit)?;
    let del = Request::DeleteRange(DeleteRangeRequest {
        key: prefix.clone(),
        range_end: prefix_end(&prefix),
        prev_kv: false,
    });
    let Response::DeleteRange(d) = ctx.call(del)? else { return Err(unexpected("delete answers a delete")) };
    if ctx.flags.bool("auto-compact") {
        ctx.call(Request::Compaction { revision: d.header.revision, physical: false })?;
    }
    if ctx.flags.bool("auto-defrag") {
        for i in ctx.endpoints().iter().filter_map(|e| ctx.resolve(e)).collect::<Vec<_>>() {
            ctx.world.defragment(i);
        }
    }
    Ok(())
}

/// Issues puts at `limit` per second for the duration with at most `clients` in flight; returns each
/// request's latency in ms (failed requests are left out, as etcdctl counts them as errors).
fn run_load(ctx: &mut Ctx, m: usize, prefix: &[u8], limit: u64, clients: usize) -> Vec<u64> {
    let start = ctx.world.now_ms();
    let end = start + DURATION_S * 1000;
    let mut in_flight: BTreeMap<u64, u64> = BTreeMap::new();
    let mut latencies = Vec::with_capacity((limit * DURATION_S) as usize);
    let mut issued: u64 = 0;
    let mut next_second = 1;
    let value = vec![b'x'; VALUE_BYTES];
    loop {
        let now = ctx.world.now_ms();
        let due = ((now - start) * limit / 1000 + 1).min(limit * DURATION_S);
        while issued < due && in_flight.len() < clients && now < end {
            let key = [prefix, format!("{issued:016}").as_bytes()].concat();
            let put = Request::Put(PutRequest { key, value: value.clone(), ..Default::default() });
            if let Ok(id) = ctx.world.submit(m, put) {
                in_flight.insert(id, now);
            }
            issued += 1;
        }
        let done: Vec<u64> = in_flight.keys().copied().filter(|id| ctx.world.has_answer(*id)).collect();
        for id in done {
            let sent = in_flight.remove(&id).expect("in flight");
            if let Some(Ok(_)) = ctx.world.take_answer(id) {
                latencies.push(ctx.world.now_ms() - sent);
            }
        }
        while now >= start + next_second * 1000 && next_second <= DURATION_S {
            let pct = next_second as f64 * 100.0 / DURATION_S as f64;
            let _ = write!(ctx.out.stdout, "\r {next_second} / {DURATION_S} {pct:>7.2}%");
            next_second += 1;
        }
        if now >= end && (in_flight.is_empty() || now >= end + ctx.timeout_ms()) {
            break;
        }
        let next_issue = start + (issued * 1000).div_ceil(limit);
        let limit_ms = if now < end { next_issue.max(now + 1).min(end) } else { end + ctx.timeout_ms() };
        if !ctx.world.run_next_event(limit_ms) {
            ctx.world.advance_to(limit_ms);
        }
    }
    ctx.out.stdout.push_str(&format!(" {}\n", super::maintenance::go_duration(DURATION_S * 1000)));
    latencies
}

/// etcdctl's verdict: throughput above 90% of the load, slowest under 0.5 s, stddev under 0.1 s.
fn report(ctx: &mut Ctx, latencies: &[u64], limit: u64) -> Result<(), CtlError> {
    let n = latencies.len().max(1) as f64;
    let rps = latencies.len() as f64 / DURATION_S as f64;
    let secs: Vec<f64> = latencies.iter().map(|&ms| ms as f64 / 1000.0).collect();
    let mean = secs.iter().sum::<f64>() / n;
    let slowest = secs.iter().copied().fold(0.0, f64::max);
    let stddev = (secs.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    let mut ok = true;
    if rps / limit as f64 <= 0.9 {
        ctx.println(&format!("FAIL: Throughput too low: {} writes/s", rps as u64 + 1));
        ok = false;
    } else {
        ctx.println(&format!("PASS: Throughput is {} writes/s", rps as u64 + 1));
    }
    if slowest > 0.5 {
        ctx.println(&format!("Slowest request took too long: {slowest:.6}s"));
        ok = false;
    } else {
        ctx.println(&format!("PASS: Slowest request took {slowest:.6}s"));
    }
    if stddev > 0.1 {
        ctx.println(&format!("Stddev too high: {stddev:.6}s"));
        ok = false;
    } else {
        ctx.println(&format!("PASS: Stddev is {stddev:.6}s"));
    }
    if ok {
        ctx.println("PASS");
        Ok(())
    } else {
        ctx.println("FAIL");
        ctx.out.exit_code = exit::ERROR;
        Ok(())
    }
}
