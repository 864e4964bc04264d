//! Cluster commands: `member list` and `endpoint status`, answered by members from their local state
//! (neither goes through Raft in etcd 3.4, so both work without quorum).

use super::client::{unexpected, Ctx, Format};
use super::command::CtlError;
use super::exit;
use super::flags::{go_parse_uint, Flag, Kind};
use super::json::{self, Obj};
use super::table;
use crate::cluster::Member;
use crate::server::api::ResponseHeader;
use crate::server::api::{Request, Response};
use crate::server::membership::MemberChange;

pub const MEMBER_LIST_LONG: &str =
    "When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.
The items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.
";

pub const ENDPOINT_STATUS_LONG: &str = "
When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
The items in the lists are endpoint, ID, version, db size, is leader, is learner, raft term, raft index, raft applied index, errors.
";

/// Members sorted by ID, as the member clientv3 talks to knows them (every configured member when
/// nothing answers).
pub(crate) fn sorted_members(ctx: &Ctx) -> Vec<Member> {
    match ctx.pick_member() {
        Some(i) => ctx.world.node(i).server.membership.list(),
        None => {
            let mut m = ctx.world.members().to_vec();
            m.sort_by_key(|m| m.id);
            m
        }
    }
}

pub const MEMBER_ADD_FLAGS: &[Flag] = &[
    Flag::new("learner", Kind::Bool, "false", "indicates if the new member is raft learner"),
    Flag::new("peer-urls", Kind::Str, "", "comma separated peer URLs for the new member."),
];
pub const MEMBER_UPDATE_FLAGS: &[Flag] =
    &[Flag::new("peer-urls", Kind::Str, "", "comma separated peer URLs for the updated member.")];

pub const MEMBER_PROMOTE_LONG: &str = "Promotes a non-voting learner member to a voting one in the cluster.";

/// Sends a membership change; returns the member concerned, all members after it, and the header.
fn change_members(ctx: &mut Ctx, change: MemberChange) -> Result<(ResponseHeader, Member, Vec<Member>), CtlError> {
    let id = change.member_id();
    match ctx.call(Request::Member(change))? {
        Response::Members { header, member, members } => {
            let member = member.unwrap_or(Member { id, ..Member::default() });
            Ok((header, member, members))
        }
        _ => Err(unexpected("membership changes answer with members")),
    }
}

fn member_id_arg(ctx: &Ctx) -> Result<u64, CtlError> {
    let [arg] = ctx.args() else { return Err(CtlError::new(exit::BAD_ARGS, "member ID is not provided")) };
    go_parse_uint(arg, 16)
        .map_err(|e| CtlError::new(exit::BAD_ARGS, format!("bad member ID arg ({e}), expecting ID in Hex")))
}

fn peer_urls(ctx: &Ctx) -> Result<Vec<String>, CtlError> {
    let urls = ctx.flags.str("peer-urls");
    if urls.is_empty() {
        return Err(CtlError::new(exit::BAD_ARGS, "member peer urls not provided"));
    }
    Ok(urls.split(',').map(String::from).collect())
}

pub fn member_add(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let args = ctx.args().to_vec();
    let Some(name) = args.first().cloned() else {
        return Err(CtlError::new(exit::BAD_ARGS, "member name not provided"));
    };
    if args.len() > 1 {
        let mut msg = "too many arguments".to_string();
        for a in args.iter().filter(|a| a.to_lowercase().starts_with("http")) {
            msg.push_str(&format!(", did you mean --peer-urls={a}"));
        }
        return Err(CtlError::new(exit::BAD_ARGS, msg));
    }
    let urls = peer_urls(ctx)?;
    let is_learner = ctx.flags.bool("learner");
    let new = Member { id: 0, name: String::new(), peer_urls: urls.clone(), client_urls: vec![], is_learner };
    let (header, member, members) = change_members(ctx, MemberChange::Add(new))?;
    ctx.world.announce_member(&name, member.id);
    print_change(ctx, format, "added to", &header, &member, &members)?;
    if format == Format::Simple {
        let conf: Vec<String> = members
            .iter()
            .flat_map(|m| {
                let n = if m.id == member.id { name.clone() } else { m.name.clone() };
                m.peer_urls.iter().map(move |u| format!("{n}={u}"))
            })
            .collect();
        ctx.println("");
        ctx.println(&format!("ETCD_NAME={}", json::quote(&name)));
        ctx.println(&format!("ETCD_INITIAL_CLUSTER={}", json::quote(&conf.join(","))));
        ctx.println(&format!("ETCD_INITIAL_ADVERTISE_PEER_URLS={}", json::quote(&urls.join(","))));
        ctx.println("ETCD_INITIAL_CLUSTER_STATE=\"existing\"");
    }
    Ok(())
}

pub fn member_remove(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let id = member_id_arg(ctx)?;
    let (header, member, members) = change_members(ctx, MemberChange::Remove(id))?;
    print_change(ctx, format, "removed from", &header, &member, &members)
}

pub fn member_promote(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let id = member_id_arg(ctx)?;
    let (header, member, members) = change_members(ctx, MemberChange::Promote(id))?;
    print_change(ctx, format, "promoted in", &header, &member, &members)
}

pub fn member_update(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let id = member_id_arg(ctx)?;
    let peer_urls = peer_urls(ctx)?;
    let (header, member, members) = change_members(ctx, MemberChange::Update { id, peer_urls })?;
    print_change(ctx, format, "updated in", &header, &member, &members)
}

/// `Member <id> added to cluster <cid>` (IDs as `%16x`), or the response in the other formats.
fn print_change(
    ctx: &mut Ctx,
    format: Format,
    verb: &str,
    header: &ResponseHeader,
    member: &Member,
    members: &[Member],
) -> Result<(), CtlError> {
    match format {
        Format::Json => {
            let o = Obj::new()
                .raw("header", &json::header(header))
                .raw("member", &member_json(member))
                .list("members", members.iter().map(member_json).collect());
            ctx.println(&o.build());
        }
        Format::Fields => {
            super::kv::fields_header(&mut ctx.out.stdout, header);
            ctx.println(&format!("\"ID\" : {}", member.id));
        }
        Format::Table | Format::Protobuf => return Err(super::kv::unsupported(format)),
        Format::Simple => ctx.println(&format!("Member {:16x} {verb} cluster {:16x}", member.id, header.cluster_id)),
    }
    Ok(())
}

pub fn member_list(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let Response::Members { header, members, .. } = ctx.call(Request::MemberList)? else {
        return Err(unexpected("member list answers with members"));
    };
    match format {
        Format::Simple => {
            for m in &members {
                let row = member_row(m);
                ctx.println(&row.join(", "));
            }
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = members.iter().map(member_row).collect();
            let t = table::render(&["ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"], &rows);
            ctx.out.stdout.push_str(&t);
        }
        Format::Json => {
            let list = members.iter().map(member_json).collect();
            let o = Obj::new().raw("header", &json::header(&header)).list("members", list);
            ctx.println(&o.build());
        }
        Format::Fields => {
            super::kv::fields_header(&mut ctx.out.stdout, &header);
            for m in &members {
                ctx.println(&format!("\"ID\" : {}", m.id));
                ctx.println(&format!("\"Name\" : {}", json::quote(&m.name)));
                for u in &m.peer_urls {
                    ctx.println(&format!("\"PeerURL\" : {}", json::quote(u)));
                }
                for u in &m.client_urls {
                    ctx.println(&format!("\"ClientURL\" : {}", json::quote(u)));
                }
                ctx.println(&format!("\"IsLearner\" : {}", m.is_learner));
                ctx.println("");
            }
        }
        Format::Protobuf => return Err(CtlError::new(exit::BAD_FEATURE, "protobuf not supported as output format")),
    }
    Ok(())
}

fn member_row(m: &Member) -> Vec<String> {
    let status = if m.name.is_empty() { "unstarted" } else { "started" };
    vec![
        format!("{:x}", m.id),
        status.to_string(),
        m.name.clone(),
        m.peer_urls.join(","),
        m.client_urls.join(","),
        m.is_learner.to_string(),
    ]
}

fn member_json(m: &Member) -> String {
    let urls = |u: &[String]| format!("[{}]", u.iter().map(|s| json::quote(s)).collect::<Vec<_>>().join(","));
    Obj::new()
        .num("ID", m.id)
        .str("name", &m.name)
        .raw("peerURLs", &urls(&m.peer_urls))
        .raw("clientURLs", &urls(&m.client_urls))
        .flag("isLearner", m.is_learner)
        .build()
}

/// What a member reports in a Status RPC.
struct Status {
    endpoint: String,
    header: ResponseHeader,
    db_size: u64,
    db_size_in_use: u64,
    leader: u64,
    raft_index: u64,
    raft_term: u64,
    raft_applied_index: u64,
    is_learner: bool,
    errors: Vec<String>,
}

/// The endpoints `endpoint` commands address: `--endpoints`, or with `--cluster` every member's client URLs.
pub(crate) fn target_endpoints(ctx: &Ctx) -> Vec<String> {
    if ctx.flags.bool("cluster") {
        sorted_members(ctx).iter().flat_map(|m| m.client_urls.clone()).collect()
    } else {
        ctx.endpoints()
    }
}

/// The member's answer to a Status request, or None when nothing answers at `endpoint`.
fn status_of(ctx: &mut Ctx, endpoint: &str) -> Option<Status> {
    let i = ctx.resolve(endpoint).filter(|&i| ctx.world.node(i).is_up())?;
    let timeout = ctx.timeout_ms();
    let Ok(Response::Status(s)) = ctx.world.call(i, Request::Status, timeout) else { return None };
    Some(Status {
        endpoint: endpoint.to_string(),
        header: s.header,
        db_size: s.db_size,
        db_size_in_use: s.db_size_in_use,
        leader: s.leader,
        raft_index: s.raft_index,
        raft_term: s.raft_term,
        raft_applied_index: s.raft_applied_index,
        is_learner: s.is_learner,
        errors: s.errors,
    })
}

pub fn endpoint_status(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let mut statuses = Vec::new();
    let mut failed = false;
    for ep in target_endpoints(ctx) {
        match status_of(ctx, &ep) {
            Some(s) => statuses.push(s),
            None => {
                ctx.wait_out_timeout();
                ctx.eprintln(&format!("Failed to get the status of endpoint {ep} (context deadline exceeded)"));
                failed = true;
            }
        }
    }
    match format {
        Format::Simple => {
            for s in &statuses {
                let row = status_row(s);
                ctx.println(&row.join(", "));
            }
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = statuses.iter().map(status_row).collect();
            let headers = [
                "ENDPOINT",
                "ID",
                "VERSION",
                "DB SIZE",
                "IS LEADER",
                "IS LEARNER",
                "RAFT TERM",
                "RAFT INDEX",
                "RAFT APPLIED INDEX",
                "ERRORS",
            ];
            ctx.out.stdout.push_str(&table::render(&headers, &rows));
        }
        Format::Json => {
            let items: Vec<String> = statuses.iter().map(status_json).collect();
            ctx.println(&format!("[{}]", items.join(",")));
        }
        Format::Fields => {
            for s in &statuses {
                super::kv::fields_header(&mut ctx.out.stdout, &s.header);
                ctx.println(&format!("\"Version\" : {}", json::quote(crate::version::VERSION)));
                ctx.println(&format!("\"DBSize\" : {}", s.db_size));
                ctx.println(&format!("\"Leader\" : {}", s.leader));
                ctx.println(&format!("\"IsLearner\" : {}", s.is_learner));
                ctx.println(&format!("\"RaftIndex\" : {}", s.raft_index));
                ctx.println(&format!("\"RaftTerm\" : {}", s.raft_term));
                ctx.println(&format!("\"RaftAppliedIndex\" : {}", s.raft_applied_index));
                ctx.println(&format!("\"Errors\" : {:?}", s.errors));
                ctx.println(&format!("\"Endpoint\" : {}", json::quote(&s.endpoint)));
                ctx.println("");
            }
        }
        Format::Protobuf => return Err(CtlError::new(exit::BAD_FEATURE, "protobuf not supported as output format")),
    }
    if failed {
        ctx.out.exit_code = exit::ERROR;
    }
    Ok(())
}

fn status_row(s: &Status) -> Vec<String> {
    vec![
        s.endpoint.clone(),
        format!("{:x}", s.header.member_id),
        crate::version::VERSION.to_string(),
        humanize_bytes(s.db_size),
        (s.leader == s.header.member_id).to_string(),
        s.is_learner.to_string(),
        s.raft_term.to_string(),
        s.raft_index.to_string(),
        s.raft_applied_index.to_string(),
        s.errors.join(", "),
    ]
}

fn status_json(s: &Status) -> String {
    let status = Obj::new()
        .raw("header", &json::header(&s.header))
        .str("version", crate::version::VERSION)
        .num("dbSize", s.db_size)
        .num("leader", s.leader)
        .num("raftIndex", s.raft_index)
        .num("raftTerm", s.raft_term)
        .num("raftAppliedIndex", s.raft_applied_index)
        .list("errors", s.errors.iter().map(|e| json::quote(e)).collect())
        .num("dbSizeInUse", s.db_size_in_use)
        .flag("isLearner", s.is_learner)
        .build();
    Obj::new().str("Endpoint", &s.endpoint).raw("Status", &status).build()
}

/// go-humanize's `Bytes`: SI units, one decimal below 10.
pub fn humanize_bytes(n: u64) -> String {
    if n < 10 {
        return format!("{n} B");
    }
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let e = ((n as f64).ln() / 1000f64.ln()).floor() as usize;
    let e = e.min(UNITS.len() - 1);
    let val = ((n as f64) / 1000f64.powi(e as i32) * 10.0 + 0.5).floor() / 10.0;
    if val < 10.0 {
        format!("{val:.1} {}", UNITS[e])
    } else {
        format!("{val:.0} {}", UNITS[e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanize_as_go() {
        assert_eq!(humanize_bytes(24576), "25 kB");
        assert_eq!(humanize_bytes(20480), "20 kB");
        assert_eq!(humanize_bytes(22020096), "22 MB");
        assert_eq!(humanize_bytes(5), "5 B");
        assert_eq!(humanize_bytes(1500), "1.5 kB");
    }
}
