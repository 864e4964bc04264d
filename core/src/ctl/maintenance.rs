//! Maintenance commands: `endpoint health`, `endpoint hashkv`, `defrag`, `alarm list|disarm` and
//! `move-leader`, each addressing members one endpoint at a time as etcdctl does.

use super::client::{unexpected, Ctx, Format};
use super::cluster::{sorted_members, target_endpoints};
use super::command::CtlError;
use super::exit;
use super::flags::{go_parse_uint, Flag, Kind};
use super::json::{self, Obj};
use super::table;
use crate::server::alarm::{AlarmAction, AlarmMember, AlarmType};
use crate::server::api::{RangeRequest, Request, Response, ResponseHeader};

pub const DEFRAG_FLAGS: &[Flag] = &[
    Flag::new("cluster", Kind::Bool, "false", "use all endpoints from the cluster member list"),
    Flag::new("data-dir", Kind::Str, "", "Optional. If present, defragments a data directory not in use by etcd."),
];

/// A simulated duration in Go's `time.Duration` notation (`4ms`, `5.001s`, `1m30s`).
pub fn go_duration(ms: u64) -> String {
    match ms {
        0 => "0s".to_string(),
        1..=999 => format!("{ms}ms"),
        1000..=59_999 => trim_fraction(format!("{}.{:03}", ms / 1000, ms % 1000)) + "s",
        _ => {
            let s = ms % 60_000;
            let secs = trim_fraction(format!("{}.{:03}", s / 1000, s % 1000));
            let (h, m) = (ms / 3_600_000, ms / 60_000 % 60);
            if h > 0 {
                format!("{h}h{m}m{secs}s")
            } else {
                format!("{m}m{secs}s")
            }
        }
    }
}

fn trim_fraction(s: String) -> String {
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The result of one health check.
struct Health {
    endpoint: String,
    healthy: bool,
    took: String,
    error: String,
}

/// Checks one endpoint as etcdctl does: a linearizable get of the key `health` must succeed.
fn check_health(ctx: &mut Ctx, endpoint: &str) -> Health {
    let timeout = ctx.timeout_ms();
    let start = ctx.world.now_ms();
    let request = Request::Range(RangeRequest { key: b"health".to_vec(), ..Default::default() });
    let result = match ctx.resolve(endpoint) {
        Some(i) => ctx.world.call(i, request, timeout).map(|_| ()).map_err(|e| e.to_string()),
        None => {
            ctx.world.advance(timeout);
            Err("context deadline exceeded".to_string())
        }
    };
    let took = go_duration(ctx.world.now_ms() - start);
    let alarmed = ctx.resolve(endpoint).is_some_and(|i| ctx.world.node(i).server.alarms.no_space());
    let result = result.and_then(|()| if alarmed { Err("Active Alarm(s): NOSPACE".to_string()) } else { Ok(()) });
    match result {
        Ok(()) => Health { endpoint: endpoint.to_string(), healthy: true, took, error: String::new() },
        Err(e) => Health { endpoint: endpoint.to_string(), healthy: false, took, error: e },
    }
}

pub fn endpoint_health(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let checks: Vec<Health> = target_endpoints(ctx).iter().map(|ep| check_health(ctx, ep)).collect();
    match format {
        Format::Json => {
            let items: Vec<String> = checks
                .iter()
                .map(|h| {
                    Obj::new()
                        .str("endpoint", &h.endpoint)
                        .raw("health", if h.healthy { "true" } else { "false" })
                        .str("took", &h.took)
                        .str("error", &h.error)
                        .build()
                })
                .collect();
            ctx.println(&format!("[{}]", items.join(",")));
        }
        Format::Fields => {
            for h in &checks {
                ctx.println(&format!("\"Endpoint\" : {}", json::quote(&h.endpoint)));
                ctx.println(&format!("\"Health\" : {}", h.healthy));
                ctx.println(&format!("\"Took\" : {}", h.took));
                ctx.println(&format!("\"Error\" : {}", h.error));
                ctx.println("");
            }
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = checks
                .iter()
                .map(|h| vec![h.endpoint.clone(), h.healthy.to_string(), h.took.clone(), h.error.clone()])
                .collect();
            ctx.out.stdout.push_str(&table::render(&["ENDPOINT", "HEALTH", "TOOK", "ERROR"], &rows));
        }
        _ => {
            for h in &checks {
                let line = if h.healthy {
                    format!("{} is healthy: successfully committed proposal: took = {}", h.endpoint, h.took)
                } else {
                    format!("{} is unhealthy: failed to commit proposal: {}", h.endpoint, h.error)
                };
                ctx.eprintln(&line);
            }
        }
    }
    if checks.iter().any(|h| !h.healthy) {
        return Err(CtlError::new(exit::ERROR, "unhealthy cluster"));
    }
    Ok(())
}

pub fn endpoint_hashkv(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let mut rows: Vec<(String, ResponseHeader, u32, i64)> = Vec::new();
    let mut failed = false;
    for ep in target_endpoints(ctx) {
        let member = ctx.resolve(&ep).filter(|&i| ctx.world.node(i).is_up());
        let timeout = ctx.timeout_ms();
        match member.map(|i| ctx.world.call(i, Request::HashKv { revision: 0 }, timeout)) {
            Some(Ok(Response::HashKv { header, hash, compact_revision })) => {
                rows.push((ep, header, hash, compact_revision))
            }
            _ => {
                ctx.wait_out_timeout();
                ctx.eprintln(&format!("Failed to get the hash of endpoint {ep} (context deadline exceeded)"));
                failed = true;
            }
        }
    }
    match format {
        Format::Json => {
            let items: Vec<String> = rows
                .iter()
                .map(|(ep, h, hash, compact)| {
                    let inner = Obj::new()
                        .raw("header", &json::header(h))
                        .num("hash", *hash)
                        .num("compact_revision", *compact)
                        .build();
                    Obj::new().str("Endpoint", ep).raw("HashKV", &inner).build()
                })
                .collect();
            ctx.println(&format!("[{}]", items.join(",")));
        }
        Format::Fields => {
            for (ep, h, hash, compact) in &rows {
                super::kv::fields_header(&mut ctx.out.stdout, h);
                ctx.println(&format!("\"Endpoint\" : {}", json::quote(ep)));
                ctx.println(&format!("\"Hash\" : {hash}"));
                ctx.println(&format!("\"CompactRevision\" : {compact}"));
                ctx.println("");
            }
        }
        Format::Table => {
            let cells: Vec<Vec<String>> =
                rows.iter().map(|(ep, _, hash, _)| vec![ep.clone(), hash.to_string()]).collect();
            ctx.out.stdout.push_str(&table::render(&["ENDPOINT", "HASH"], &cells));
        }
        _ => {
            for (ep, _, hash, _) in &rows {
                ctx.println(&format!("{ep}, {hash}"));
            }
        }
    }
    if failed {
        return Err(CtlError::new(exit::ERROR, "context deadline exceeded"));
    }
    Ok(())
}

pub fn defrag(ctx: &mut Ctx) -> Result<(), CtlError> {
    let endpoints = if ctx.flags.bool("cluster") {
        sorted_members(ctx).iter().flat_map(|m| m.client_urls.clone()).collect()
    } else {
        ctx.endpoints()
    };
    let mut failed = false;
    for ep in endpoints {
        match ctx.resolve(&ep).filter(|&i| ctx.world.node(i).is_up()) {
            Some(i) => {
                ctx.world.defragment(i);
                ctx.println(&format!("Finished defragmenting etcd member[{ep}]"));
            }
            None => {
                ctx.wait_out_timeout();
                ctx.eprintln(&format!("Failed to defragment etcd member[{ep}] (context deadline exceeded)"));
                failed = true;
            }
        }
    }
    if failed {
        ctx.out.exit_code = exit::ERROR;
    }
    Ok(())
}

fn print_alarms(ctx: &mut Ctx, alarms: &[AlarmMember]) {
    for a in alarms {
        ctx.println(&format!("memberID:{} alarm:{}", a.member_id, a.alarm));
    }
}

fn list_alarms(ctx: &mut Ctx) -> Result<Vec<AlarmMember>, CtlError> {
    let get = AlarmMember { member_id: 0, alarm: AlarmType::NoSpace };
    match ctx.call(Request::Alarm { action: AlarmAction::Get, alarm: get })? {
        Response::Alarm { alarms, .. } => Ok(alarms),
        _ => Err(unexpected("alarm requests answer with alarms")),
    }
}

/// `alarm list`: the cluster's active alarms.
pub fn alarm_list(ctx: &mut Ctx) -> Result<(), CtlError> {
    ctx.format()?;
    let alarms = list_alarms(ctx)?;
    print_alarms(ctx, &alarms);
    Ok(())
}

/// `alarm disarm`: clears every active alarm (clientv3 lists them, then deactivates each).
pub fn alarm_disarm(ctx: &mut Ctx) -> Result<(), CtlError> {
    ctx.format()?;
    let mut cleared = Vec::new();
    for a in list_alarms(ctx)? {
        if let Response::Alarm { alarms, .. } =
            ctx.call(Request::Alarm { action: AlarmAction::Deactivate, alarm: a })?
        {
            cleared.extend(alarms);
        }
    }
    print_alarms(ctx, &cleared);
    Ok(())
}

pub fn move_leader(ctx: &mut Ctx) -> Result<(), CtlError> {
    let [arg] = ctx.args() else { return Err(CtlError::new(exit::BAD_ARGS, "move-leader command needs 1 argument")) };
    let target = go_parse_uint(arg, 16).map_err(|e| CtlError::new(exit::BAD_ARGS, e))?;
    let endpoints = ctx.endpoints();
    let leader = endpoints.iter().filter_map(|e| ctx.resolve(e)).find(|&i| {
        let n = ctx.world.node(i);
        n.is_up() && n.leader_id() == n.id
    });
    let Some(l) = leader else {
        let given = format!("[{}]", endpoints.join(" "));
        return Err(CtlError::new(exit::BAD_ARGS, format!("no leader endpoint given at {given}")));
    };
    let from = ctx.world.node(l).id;
    let timeout = ctx.timeout_ms();
    ctx.world.move_leader(l, target, timeout).map_err(|e| CtlError::new(exit::ERROR, e.to_string()))?;
    ctx.println(&format!("Leadership transferred from {from:x} to {target:x}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_go_prints_them() {
        assert_eq!(go_duration(4), "4ms");
        assert_eq!(go_duration(5000), "5s");
        assert_eq!(go_duration(5001), "5.001s");
        assert_eq!(go_duration(90_000), "1m30s");
    }
}
