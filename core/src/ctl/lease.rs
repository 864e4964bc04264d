//! `lease grant|revoke|timetolive|list|keep-alive`: etcdctl's lease commands and printers.

use super::client::{unexpected, Ctx, Format};
use super::command::CtlError;
use super::exit;
use super::flags::{go_parse_int, Flag, Kind};
use super::json::{self, Obj};
use crate::server::api::{Request, Response, ResponseHeader};

pub const TIMETOLIVE_FLAGS: &[Flag] = &[Flag::new("keys", Kind::Bool, "false", "Get keys attached to this lease")];
pub const KEEP_ALIVE_FLAGS: &[Flag] =
    &[Flag::new("once", Kind::Bool, "false", "Resets the keep-alive time to its original value and exits immediately")];

/// A lease ID argument, in hexadecimal as etcdctl requires.
fn lease_arg(arg: &str) -> Result<i64, CtlError> {
    go_parse_int(arg, 16)
        .map_err(|e| CtlError::new(exit::BAD_ARGS, format!("bad lease ID arg ({e}), expecting ID in Hex")))
}

/// JSON of clientv3's lease responses: the header's fields inline, then the response's own.
fn header_fields(h: &ResponseHeader) -> Obj {
    Obj::new()
        .num("cluster_id", h.cluster_id)
        .num("member_id", h.member_id)
        .num("revision", h.revision)
        .num("raft_term", h.raft_term)
}

fn no_table(format: Format) -> Result<(), CtlError> {
    match format {
        Format::Table | Format::Protobuf => Err(super::kv::unsupported(format)),
        _ => Ok(()),
    }
}

pub fn grant(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let [ttl] = ctx.args() else {
        return Err(CtlError::new(exit::BAD_ARGS, "lease grant command needs TTL argument"));
    };
    let ttl_s = go_parse_int(ttl, 10).map_err(|e| CtlError::new(exit::BAD_ARGS, format!("bad TTL ({e})")))?;
    let resp = ctx.call(Request::LeaseGrant { id: 0, ttl_s })?;
    let Response::LeaseGrant { header, id, ttl_s } = resp else { return Err(unexpected("grant answers a grant")) };
    no_table(format)?;
    match format {
        Format::Json => {
            let o = header_fields(&header).num_always("ID", id).num_always("TTL", ttl_s).raw("Error", "\"\"");
            ctx.println(&o.build());
        }
        Format::Fields => {
            super::kv::fields_header(&mut ctx.out.stdout, &header);
            ctx.println(&format!("\"ID\" : {id}"));
            ctx.println(&format!("\"TTL\" : {ttl_s}"));
        }
        _ => ctx.println(&format!("lease {id:016x} granted with TTL({ttl_s}s)")),
    }
    Ok(())
}

pub fn revoke(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let [arg] = ctx.args() else {
        return Err(CtlError::new(exit::BAD_ARGS, "lease revoke command needs 1 argument"));
    };
    let id = lease_arg(arg)?;
    let resp = ctx
        .call(Request::LeaseRevoke { id })
        .map_err(|e| CtlError::new(exit::ERROR, format!("failed to revoke lease ({})", e.msg)))?;
    let Response::LeaseRevoke { header } = resp else { return Err(unexpected("revoke answers a revoke")) };
    no_table(format)?;
    match format {
        Format::Json => ctx.println(&Obj::new().raw("header", &json::header(&header)).build()),
        Format::Fields => super::kv::fields_header(&mut ctx.out.stdout, &header),
        _ => ctx.println(&format!("lease {id:016x} revoked")),
    }
    Ok(())
}

pub fn timetolive(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let [arg] = ctx.args() else {
        return Err(CtlError::new(exit::BAD_ARGS, "lease timetolive command needs lease ID as argument"));
    };
    let id = lease_arg(arg)?;
    let with_keys = ctx.flags.bool("keys");
    let resp = ctx.call(Request::LeaseTimeToLive { id, keys: with_keys })?;
    let Response::LeaseTimeToLive { header, id, ttl_s, granted_ttl_s, keys } = resp else {
        return Err(unexpected("timetolive answers a timetolive"));
    };
    no_table(format)?;
    match format {
        Format::Json => {
            let keys_json = if keys.is_empty() {
                "null".to_string()
            } else {
                let items: Vec<String> = keys.iter().map(|k| json::base64_str(k)).collect();
                format!("[{}]", items.join(","))
            };
            let o = header_fields(&header)
                .num_always("id", id)
                .num_always("ttl", ttl_s)
                .num_always("granted-ttl", granted_ttl_s)
                .raw("keys", &keys_json);
            ctx.println(&o.build());
        }
        Format::Fields => {
            super::kv::fields_header(&mut ctx.out.stdout, &header);
            ctx.println(&format!("\"ID\" : {id}"));
            ctx.println(&format!("\"TTL\" : {ttl_s}"));
            ctx.println(&format!("\"GrantedTTL\" : {granted_ttl_s}"));
            for k in &keys {
                ctx.println(&format!("\"Key\" : {}", super::kv::go_quote(k)));
            }
        }
        _ if granted_ttl_s == 0 && ttl_s == -1 => ctx.println(&format!("lease {id:016x} already expired")),
        _ => {
            let mut line = format!("lease {id:016x} granted with TTL({granted_ttl_s}s), remaining({ttl_s}s)");
            if with_keys {
                let names: Vec<String> = keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
                line.push_str(&format!(", attached keys([{}])", names.join(" ")));
            }
            ctx.println(&line);
        }
    }
    Ok(())
}

pub fn list(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let resp = ctx.call(Request::LeaseLeases)?;
    let Response::LeaseLeases { header, leases } = resp else { return Err(unexpected("list answers a list")) };
    no_table(format)?;
    match format {
        Format::Json => {
            let items: Vec<String> = leases.iter().map(|id| format!("{{\"id\":{id}}}")).collect();
            let o = header_fields(&header).raw("leases", &format!("[{}]", items.join(",")));
            ctx.println(&o.build());
        }
        Format::Fields => {
            super::kv::fields_header(&mut ctx.out.stdout, &header);
            for id in &leases {
                ctx.println(&format!("\"ID\" : {id}"));
            }
        }
        _ => {
            ctx.println(&format!("found {} leases", leases.len()));
            for id in &leases {
                ctx.println(&format!("{id:016x}"));
            }
        }
    }
    Ok(())
}

pub fn keep_alive(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let [arg] = ctx.args() else {
        return Err(CtlError::new(exit::BAD_ARGS, "lease keep-alive command needs lease ID as argument"));
    };
    let id = lease_arg(arg)?;
    no_table(format)?;
    if !ctx.flags.bool("once") {
        let endpoints: Vec<usize> = ctx.endpoints().iter().filter_map(|e| ctx.resolve(e)).collect();
        let mut stream = super::stream::Stream::keep_alive(ctx.line(), endpoints, format, id);
        stream.poll(ctx.world);
        ctx.stream = Some(stream);
        return Ok(());
    }
    let resp = ctx.call(Request::LeaseKeepAlive { id }).map_err(|e| CtlError::new(exit::BAD_CONNECTION, e.msg))?;
    let Response::LeaseKeepAlive { header, id, ttl_s } = resp else {
        return Err(unexpected("keep-alive answers a keep-alive"));
    };
    let text = keep_alive_text(format, &header, id, ttl_s);
    ctx.out.stdout.push_str(&text);
    Ok(())
}

/// One keep-alive response as etcdctl prints it.
pub fn keep_alive_text(format: Format, header: &ResponseHeader, id: i64, ttl_s: i64) -> String {
    match format {
        Format::Json => header_fields(header).num_always("ID", id).num_always("TTL", ttl_s).build() + "\n",
        Format::Fields => {
            let mut s = String::new();
            super::kv::fields_header(&mut s, header);
            s + &format!("\"ID\" : {id}\n\"TTL\" : {ttl_s}\n")
        }
        _ => format!("lease {id:016x} keepalived with TTL({ttl_s})\n"),
    }
}
