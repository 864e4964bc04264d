//! `put`, `get` and `del`: argument handling, the request each builds, and their printers.

use super::client::{unexpected, Ctx, Format};
use super::command::CtlError;
use super::exit;
use super::flags::{Flag, Kind, Parsed};
use super::json::{self, Obj};
use crate::mvcc::KeyValue;
use crate::server::api::*;

pub const PUT_FLAGS: &[Flag] = &[
    Flag::new("ignore-lease", Kind::Bool, "false", "updates the key using its current lease"),
    Flag::new("ignore-value", Kind::Bool, "false", "updates the key using its current value"),
    Flag::new("lease", Kind::Str, "0", "lease ID (in hexadecimal) to attach to the key"),
    Flag::new("prev-kv", Kind::Bool, "false", "return the previous key-value pair before modification"),
];

pub const PUT_LONG: &str = "
Puts the given key into the store.

When <value> begins with '-', <value> is interpreted as a flag.
Insert '--' for workaround:

$ put <key> -- <value>
$ put -- <key> <value>

If <value> isn't given as a command line argument and '--ignore-value' is not specified,
this command tries to read the value from standard input.

If <lease> isn't given as a command line argument and '--ignore-lease' is not specified,
this command tries to read the value from standard input.

For example,
$ cat file | put <key>
will store the content of the file to <key>.
";

pub const GET_FLAGS: &[Flag] = &[
    Flag::new("consistency", Kind::Str, "l", "Linearizable(l) or Serializable(s)"),
    Flag::new(
        "from-key",
        Kind::Bool,
        "false",
        "Get keys that are greater than or equal to the given key using byte compare",
    ),
    Flag::new("keys-only", Kind::Bool, "false", "Get only the keys"),
    Flag::new("limit", Kind::Int, "0", "Maximum number of results"),
    Flag::new("order", Kind::Str, "", "Order of results; ASCEND or DESCEND (ASCEND by default)"),
    Flag::new("prefix", Kind::Bool, "false", "Get keys with matching prefix"),
    Flag::new("print-value-only", Kind::Bool, "false", "Only write values when using the \"simple\" output format"),
    Flag::new("rev", Kind::Int, "0", "Specify the kv revision"),
    Flag::new("sort-by", Kind::Str, "", "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION"),
];

pub const DEL_FLAGS: &[Flag] = &[
    Flag::new(
        "from-key",
        Kind::Bool,
        "false",
        "delete keys that are greater than or equal to the given key using byte compare",
    ),
    Flag::new("prefix", Kind::Bool, "false", "delete keys with matching prefix"),
    Flag::new("prev-kv", Kind::Bool, "false", "return deleted key-value pairs"),
];

pub use crate::mvcc::prefix_end;

/// Key and range end from `<key> [range_end]` and `--prefix`/`--from-key`, as clientv3's options set them.
pub(crate) fn key_range(key: &str, end: Option<&str>, prefix: bool, from_key: bool) -> (Vec<u8>, Vec<u8>) {
    let mut k = key.as_bytes().to_vec();
    if prefix {
        if k.is_empty() {
            return (vec![0], vec![0]);
        }
        let e = prefix_end(&k);
        return (k, e);
    }
    if from_key {
        if k.is_empty() {
            k = vec![0];
        }
        return (k, vec![0]);
    }
    (k, end.map(|e| e.as_bytes().to_vec()).unwrap_or_default())
}

/// A usage error: etcdctl prints it and exits 128 before sending anything.
fn bad_args(msg: &str) -> CtlError {
    CtlError::new(exit::BAD_ARGS, msg)
}

/// The put `etcdctl put` (and a txn's `put` op) sends, from its positional arguments and flags, with
/// etcdctl's argument checks (`getPutOp`). `stdin` is the value when only the key is given; a txn has
/// already read its stdin, so it passes `None`.
pub(crate) fn put_request(f: &Parsed, stdin: Option<&str>) -> Result<PutRequest, CtlError> {
    let needs = "put command needs 1 argument and input from stdin or 2 arguments";
    let args = &f.args;
    let Some(key) = args.first() else { return Err(bad_args(needs)) };
    let ignore_value = f.bool("ignore-value");
    if ignore_value && args.len() > 1 {
        return Err(bad_args("put command needs only 1 argument when 'ignore-value' is set"));
    }
    let value = match (ignore_value, args.get(1), stdin.filter(|s| !s.is_empty())) {
        (true, _, _) => String::new(),
        (false, Some(v), _) => v.clone(),
        (false, None, Some(s)) => s.to_string(),
        (false, None, None) => return Err(bad_args(needs)),
    };
    let lease = super::flags::go_parse_int(&f.str("lease"), 16)
        .map_err(|e| bad_args(&format!("bad lease ID ({e}), expecting ID in Hex")))?;
    Ok(PutRequest {
        key: key.clone().into_bytes(),
        value: value.into_bytes(),
        lease,
        prev_kv: f.bool("prev-kv"),
        ignore_value,
        ignore_lease: f.bool("ignore-lease"),
    })
}

/// `<key> [range_end]` with `--prefix`/`--from-key`, checked as etcdctl's `get` and `del` check them.
/// `--prefix` or `--from-key` with a range end is refused: it would otherwise widen or narrow what a
/// `del` removes.
fn checked_range(f: &Parsed, command: &str) -> Result<(Vec<u8>, Vec<u8>), CtlError> {
    let args = &f.args;
    let arity = format!("{command} command needs one argument as key and an optional argument as range_end");
    let Some(key) = args.first() else { return Err(bad_args(&arity)) };
    // `del` refuses extra arguments; `get` ignores what follows the range end.
    if command == "del" && args.len() > 2 {
        return Err(bad_args(&arity));
    }
    let (prefix, from_key) = (f.bool("prefix"), f.bool("from-key"));
    if prefix && from_key {
        return Err(bad_args("`--prefix` and `--from-key` cannot be set at the same time, choose one"));
    }
    if command == "get" {
        consistency(f)?;
    }
    if args.len() > 1 && (prefix || from_key) {
        return Err(bad_args("too many arguments, only accept one argument when `--prefix` or `--from-key` is set"));
    }
    Ok(key_range(key, args.get(1).map(String::as_str), prefix, from_key))
}

/// `--consistency`: true for serializable.
fn consistency(f: &Parsed) -> Result<bool, CtlError> {
    match f.str("consistency").as_str() {
        "l" => Ok(false),
        "s" => Ok(true),
        other => Err(CtlError::new(exit::BAD_FEATURE, format!("unknown consistency flag {other:?}"))),
    }
}

/// The range `etcdctl get` (and a txn's `get` op) sends, with etcdctl's checks in its order
/// (`getGetOp`): arguments, `--prefix` with `--from-key`, consistency, a range end with either, sort.
pub(crate) fn range_request(f: &Parsed) -> Result<RangeRequest, CtlError> {
    let (key, range_end) = checked_range(f, "get")?;
    let (sort_order, sort_target) = sort_options(&f.str("order"), &f.str("sort-by"))?;
    Ok(RangeRequest {
        sort_order,
        sort_target,
        key,
        range_end,
        limit: f.int("limit"),
        // etcdctl sends a revision only when it is positive.
        revision: f.int("rev").max(0),
        serializable: consistency(f)?,
        keys_only: f.bool("keys-only"),
        count_only: false,
        ..RangeRequest::default()
    })
}

/// The delete `etcdctl del` (and a txn's `del` op) sends, with etcdctl's checks (`getDelOp`).
pub(crate) fn delete_request(f: &Parsed) -> Result<DeleteRangeRequest, CtlError> {
    let (key, range_end) = checked_range(f, "del")?;
    Ok(DeleteRangeRequest { key, range_end, prev_kv: f.bool("prev-kv") })
}

pub fn put(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let request = Request::Put(put_request(&ctx.flags, ctx.stdin)?);
    let Response::Put(resp) = ctx.call(request)? else { return Err(unexpected("put answers a put")) };
    let hex = ctx.hex();
    match format {
        Format::Simple => {
            ctx.println("OK");
            if let Some(kv) = &resp.prev_kv {
                print_kv(ctx, hex, false, kv);
            }
        }
        Format::Json => {
            let mut o = Obj::new().raw("header", &json::header(&resp.header));
            if let Some(kv) = &resp.prev_kv {
                o = o.raw("prev_kv", &json::kv(kv));
            }
            ctx.println(&o.build());
        }
        Format::Fields => {
            fields_header(&mut ctx.out.stdout, &resp.header);
            if let Some(kv) = &resp.prev_kv {
                fields_kv(&mut ctx.out.stdout, "Prev", kv);
            }
        }
        Format::Table | Format::Protobuf => return Err(unsupported(format)),
    }
    Ok(())
}

pub fn unsupported(format: Format) -> CtlError {
    let name = match format {
        Format::Table => "table",
        Format::Protobuf => "protobuf",
        Format::Simple => "simple",
        Format::Json => "json",
        Format::Fields => "fields",
    };
    CtlError::new(exit::BAD_FEATURE, format!("{name} not supported as output format"))
}

pub fn get(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let request = Request::Range(range_request(&ctx.flags)?);
    let Response::Range(resp) = ctx.call(request)? else { return Err(unexpected("get answers a range")) };
    let value_only = ctx.flags.bool("print-value-only");
    // etcdctl checks this once the answer is in, so a failed read reports its own error first.
    if value_only && format != Format::Simple {
        return Err(bad_args("print-value-only is only for `--write-out=simple`"));
    }
    let hex = ctx.hex();
    match format {
        Format::Simple => {
            for kv in &resp.kvs {
                print_kv(ctx, hex, value_only, kv);
            }
        }
        Format::Json => {
            let o = Obj::new()
                .raw("header", &json::header(&resp.header))
                .list("kvs", resp.kvs.iter().map(json::kv).collect())
                .flag("more", resp.more)
                .num("count", resp.count);
            ctx.println(&o.build());
        }
        Format::Fields => {
            fields_header(&mut ctx.out.stdout, &resp.header);
            for kv in &resp.kvs {
                fields_kv(&mut ctx.out.stdout, "", kv);
            }
            ctx.println(&format!("\"More\" : {}", resp.more));
            ctx.println(&format!("\"Count\" : {}", resp.count));
        }
        Format::Table | Format::Protobuf => return Err(unsupported(format)),
    }
    Ok(())
}

/// `--order` and `--sort-by` as clientv3's `WithSort` sends them: sorting by key ascending is the
/// server's natural order, so it is sent as no sort at all.
pub(crate) fn sort_options(order: &str, target: &str) -> Result<(SortOrder, SortTarget), CtlError> {
    let order = match order.to_uppercase().as_str() {
        "ASCEND" => SortOrder::Ascend,
        "DESCEND" => SortOrder::Descend,
        "" => SortOrder::None,
        _ => return Err(CtlError::new(exit::BAD_FEATURE, format!("bad sort order {order}"))),
    };
    let target = match target.to_uppercase().as_str() {
        "CREATE" => SortTarget::Create,
        "KEY" | "" => SortTarget::Key,
        "MODIFY" => SortTarget::Mod,
        "VALUE" => SortTarget::Value,
        "VERSION" => SortTarget::Version,
        _ => return Err(CtlError::new(exit::BAD_FEATURE, format!("bad sort target {target}"))),
    };
    let order = if target == SortTarget::Key && order == SortOrder::Ascend { SortOrder::None } else { order };
    Ok((order, target))
}

pub fn del(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    let request = Request::DeleteRange(delete_request(&ctx.flags)?);
    let Response::DeleteRange(resp) = ctx.call(request)? else { return Err(unexpected("del answers a delete")) };
    let hex = ctx.hex();
    match format {
        Format::Simple => {
            ctx.println(&resp.deleted.to_string());
            for kv in &resp.prev_kvs {
                print_kv(ctx, hex, false, kv);
            }
        }
        Format::Json => {
            let o = Obj::new()
                .raw("header", &json::header(&resp.header))
                .num("deleted", resp.deleted)
                .list("prev_kvs", resp.prev_kvs.iter().map(json::kv).collect());
            ctx.println(&o.build());
        }
        Format::Fields => {
            fields_header(&mut ctx.out.stdout, &resp.header);
            ctx.println(&format!("\"Deleted\" : {}", resp.deleted));
            for kv in &resp.prev_kvs {
                fields_kv(&mut ctx.out.stdout, "Prev", kv);
            }
        }
        Format::Table | Format::Protobuf => return Err(unsupported(format)),
    }
    Ok(())
}

/// Bytes as `--hex` prints them: `\x66\x6f\x6f`.
pub fn hex_escape(b: &[u8]) -> String {
    b.iter().map(|c| format!("\\x{c:02x}")).collect()
}

/// etcdctl's simple `printKV`: the key line (unless value-only), then the value line.
fn print_kv(ctx: &mut Ctx, hex: bool, value_only: bool, kv: &KeyValue) {
    print_kv_to(&mut ctx.out.stdout, hex, value_only, kv);
}

/// [`print_kv`] into any text.
pub fn print_kv_to(out: &mut String, hex: bool, value_only: bool, kv: &KeyValue) {
    let show = |b: &[u8]| if hex { hex_escape(b) } else { String::from_utf8_lossy(b).into_owned() };
    if !value_only {
        out.push_str(&show(&kv.key));
        out.push('\n');
    }
    out.push_str(&show(&kv.value));
    out.push('\n');
}

/// The fields printer's header lines.
pub fn fields_header(out: &mut String, h: &ResponseHeader) {
    out.push_str(&format!("\"ClusterID\" : {}\n", h.cluster_id));
    out.push_str(&format!("\"MemberID\" : {}\n", h.member_id));
    out.push_str(&format!("\"Revision\" : {}\n", h.revision));
    out.push_str(&format!("\"RaftTerm\" : {}\n", h.raft_term));
}

/// The fields printer's key-value lines, prefixed (`Prev`) for previous key-values.
pub fn fields_kv(out: &mut String, pfx: &str, kv: &KeyValue) {
    out.push_str(&format!("\"{pfx}Key\" : {}\n", go_quote(&kv.key)));
    out.push_str(&format!("\"{pfx}CreateRevision\" : {}\n", kv.create_revision));
    out.push_str(&format!("\"{pfx}ModRevision\" : {}\n", kv.mod_revision));
    out.push_str(&format!("\"{pfx}Version\" : {}\n", kv.version));
    out.push_str(&format!("\"{pfx}Value\" : {}\n", go_quote(&kv.value)));
    out.push_str(&format!("\"{pfx}Lease\" : {}\n", kv.lease));
}

/// Go's `%q` of a byte string: printable runes as is, the rest escaped.
pub fn go_quote(b: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\x0b' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

pub const COMPACTION_FLAGS: &[Flag] = &[Flag::new(
    "physical",
    Kind::Bool,
    "false",
    "'true' to wait for compaction to physically remove all old revisions",
)];

pub fn compaction(ctx: &mut Ctx) -> Result<(), CtlError> {
    let [arg] = ctx.args() else { return Err(CtlError::new(exit::BAD_ARGS, "compaction command needs 1 argument")) };
    let revision = super::flags::go_parse_int(arg, 10).map_err(|e| CtlError::new(exit::ERROR, e))?;
    let physical = ctx.flags.bool("physical");
    ctx.call(Request::Compaction { revision, physical })?;
    ctx.println(&format!("compacted revision {revision}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_as_clientv3() {
        assert_eq!(prefix_end(b"foo"), b"fop".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b"\xff"), vec![0]);
        assert_eq!(key_range("", None, true, false), (vec![0], vec![0]));
        assert_eq!(key_range("a", Some("c"), false, false), (b"a".to_vec(), b"c".to_vec()));
    }

    #[test]
    fn quoting_as_go() {
        assert_eq!(go_quote(b"bar6"), "\"bar6\"");
        assert_eq!(go_quote(b"a\nb\xff"), "\"a\\nb\\xff\"");
        assert_eq!(hex_escape(b"foo"), "\\x66\\x6f\\x6f");
    }
}
