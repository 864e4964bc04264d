//! `snapshot save|status|restore`: a member's backend to a file in the world's simulated file system,
//! the file's status, and a new data dir built from it for a new cluster (new cluster ID, the snapshot's
//! revisions, nothing written after it).

use super::client::{Ctx, Format};
use super::command::CtlError;
use super::exit;
use super::flags::{Flag, Kind};
use super::json::Obj;
use super::table;
use crate::cluster::{cluster_id, member_id, Member};
use crate::server::api::{Request, Response};
use crate::sim::RestoredDir;
use crate::snapshot::SnapshotData;

pub const RESTORE_FLAGS: &[Flag] = &[
    Flag::new("data-dir", Kind::Str, "", "Path to the data directory"),
    Flag::new(
        "initial-advertise-peer-urls",
        Kind::Str,
        "http://localhost:2380",
        "List of this member's peer URLs to advertise to the rest of the cluster",
    ),
    Flag::new(
        "initial-cluster",
        Kind::Str,
        "default=http://localhost:2380",
        "Initial cluster configuration for restore bootstrap",
    ),
    Flag::new(
        "initial-cluster-token",
        Kind::Str,
        "etcd-cluster",
        "Initial cluster token for the etcd cluster during restore bootstrap",
    ),
    Flag::new("name", Kind::Str, "default", "Human-readable name for this member"),
    Flag::new(
        "skip-hash-check",
        Kind::Bool,
        "false",
        "Ignore snapshot integrity hash value (required if copied from data directory)",
    ),
    Flag::new("wal-dir", Kind::Str, "", "Path to the WAL directory (use --data-dir if none given)"),
];

pub fn save(ctx: &mut Ctx) -> Result<(), CtlError> {
    let [path] = ctx.args() else { return Err(CtlError::new(exit::BAD_ARGS, "snapshot save expects one argument")) };
    let path = path.clone();
    let endpoints = ctx.endpoints();
    if endpoints.len() != 1 {
        let msg = format!("snapshot must be requested to one selected node, not multiple [{}]", endpoints.join(" "));
        return Err(CtlError::new(exit::INTERRUPTED, msg));
    }
    let Some(i) = ctx.resolve(&endpoints[0]).filter(|&i| ctx.world.node(i).is_up()) else {
        ctx.wait_out_timeout();
        return Err(CtlError::new(exit::INTERRUPTED, "context deadline exceeded"));
    };
    let timeout = ctx.timeout_ms();
    let data = match ctx.world.call(i, Request::Snapshot, timeout) {
        Ok(Response::Snapshot { data, .. }) => data,
        Ok(_) => return Err(CtlError::new(exit::ERROR, "the member answered a snapshot request with something else")),
        Err(e) => return Err(CtlError::new(exit::INTERRUPTED, e.to_string())),
    };
    ctx.world.write_file(&path, data);
    ctx.println(&format!("Snapshot saved at {path}"));
    Ok(())
}

/// Reads and verifies a snapshot file; `verb` names the failing system call as Go's error would.
fn read_snapshot(ctx: &Ctx, path: &str, verb: &str) -> Result<SnapshotData, CtlError> {
    let bytes = ctx
        .world
        .read_file(path)
        .ok_or_else(|| CtlError::new(exit::ERROR, format!("{verb} {path}: no such file or directory")))?;
    SnapshotData::decode(bytes).map_err(|e| CtlError::new(exit::ERROR, format!("{path}: {e}")))
}

pub fn status(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let [path] = ctx.args() else {
        return Err(CtlError::new(exit::BAD_ARGS, "snapshot status requires exactly one argument"));
    };
    let data = read_snapshot(ctx, &path.clone(), "stat")?;
    let hash = data.hash().map_err(|e| CtlError::new(exit::ERROR, e.to_string()))?;
    let (rev, keys, size) = (data.current_rev, data.total_keys(), data.db_size);
    match format {
        Format::Json => {
            let o = Obj::new().num("hash", hash).num("revision", rev).num("totalKey", keys).num("totalSize", size);
            ctx.println(&o.build());
        }
        Format::Fields => {
            ctx.println(&format!("\"Hash\" : {hash}"));
            ctx.println(&format!("\"Revision\" : {rev}"));
            ctx.println(&format!("\"Keys\" : {keys}"));
            ctx.println(&format!("\"Size\" : {size}"));
        }
        Format::Table => {
            let row =
                vec![format!("{hash:x}"), rev.to_string(), keys.to_string(), super::cluster::humanize_bytes(size)];
            ctx.out.stdout.push_str(&table::render(&["HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"], &[row]));
        }
        _ => ctx.println(&format!("{hash:x}, {rev}, {keys}, {}", super::cluster::humanize_bytes(size))),
    }
    Ok(())
}

/// `name=url,name=url` as etcd parses `--initial-cluster`.
fn parse_initial_cluster(s: &str) -> Result<Vec<(String, String)>, CtlError> {
    s.split(',')
        .map(|pair| match pair.split_once('=') {
            Some((n, u)) if !n.is_empty() && !u.is_empty() => Ok((n.to_string(), u.to_string())),
            _ => Err(CtlError::new(exit::ERROR, format!("invalid --initial-cluster entry {pair:?}"))),
        })
        .collect()
}

pub fn restore(ctx: &mut Ctx) -> Result<(), CtlError> {
    let [path] = ctx.args() else {
        return Err(CtlError::new(exit::BAD_ARGS, "snapshot restore requires exactly one argument"));
    };
    let path = path.clone();
    let name = ctx.flags.str("name");
    let data_dir = match ctx.flags.str("data-dir") {
        d if d.is_empty() => format!("{name}.etcd"),
        d => d,
    };
    if ctx.world.restored_dir(&data_dir).is_some() {
        return Err(CtlError::new(exit::ERROR, format!("data-dir {data_dir:?} exists")));
    }
    let token = ctx.flags.str("initial-cluster-token");
    let cluster = parse_initial_cluster(&ctx.flags.str("initial-cluster"))?;
    let advertised = ctx.flags.str("initial-advertise-peer-urls");
    if !cluster.iter().any(|(n, u)| *n == name && *u == advertised) {
        return Err(CtlError::new(
            exit::ERROR,
            format!("--initial-cluster has no entry {name}={advertised} for this member (check --name and --initial-advertise-peer-urls)"),
        ));
    }
    let data = read_snapshot(ctx, &path, "open")?;
    let members: Vec<Member> = cluster
        .iter()
        .map(|(n, u)| Member {
            id: member_id(std::slice::from_ref(u), &token),
            name: n.clone(),
            peer_urls: vec![u.clone()],
            client_urls: vec![],
            is_learner: false,
        })
        .collect();
    let ids: Vec<u64> = members.iter().map(|m| m.id).collect();
    let dir = RestoredDir { name, token, cluster_id: cluster_id(&ids), members, snapshot: data };
    ctx.world.create_restored_dir(&data_dir, dir);
    Ok(())
}
