//! `txn`: etcdctl 3.4's transaction command. Reads compares, success ops and failure ops from stdin
//! (each block ended by a blank line), sends one Txn request and prints the response.
//!
//! The input is parsed as etcdctl 3.4.23 parses it, quirks included: compares go through Go's
//! `fmt.Sscanf(rest, "%q) %s %q")`, op lines through etcdctl's `argify` regexp and then cobra's `put`,
//! `get` and `del` commands with their flags. Where etcdctl 3.4.23 crashes (a comparison operator it
//! does not know, any `lease(...)` compare, a single-quoted word its `argify` slices out of bounds, an
//! op asking for `--help`), this prints a clear error instead of Go's panic.

use super::client::{unexpected, Ctx, Format};
use super::command::CtlError;
use super::exit;
use super::flags::{self, go_parse_int, Flag, Kind};
use super::json::{self, Obj};
use super::kv::{self, fields_header, fields_kv, print_kv_to};
use crate::server::api::*;

pub const TXN_FLAGS: &[Flag] =
    &[Flag::new("interactive", Kind::Bool, "false", "Input transaction in interactive mode").short('i')];

/// Go's exit status after a panic; etcdctl exits with it where it crashes.
const PANIC_EXIT: i32 = 2;

pub fn txn(ctx: &mut Ctx) -> Result<(), CtlError> {
    let format = ctx.format()?;
    if !ctx.args().is_empty() {
        return Err(CtlError::new(exit::BAD_ARGS, "txn command does not accept argument"));
    }
    let interactive = ctx.flags.bool("interactive");
    let mut input = LineReader::new(ctx.stdin.unwrap_or(""));
    let prompt = |ctx: &mut Ctx, s: &str| {
        if interactive {
            ctx.println(s);
        }
    };
    prompt(ctx, "compares:");
    let compare =
        read_block(&mut input, |line| parse_compare(line).map_err(OpError::from)).map_err(|e| e.report(ctx))?;
    prompt(ctx, "success requests (get, put, del):");
    let success = read_block(&mut input, parse_op).map_err(|e| e.report(ctx))?;
    prompt(ctx, "failure requests (get, put, del):");
    let failure = read_block(&mut input, parse_op).map_err(|e| e.report(ctx))?;
    let Response::Txn(resp) = ctx.call(Request::Txn(TxnRequest { compare, success, failure }))? else {
        return Err(unexpected("txn answers a txn"));
    };
    let hex = ctx.hex();
    match format {
        Format::Simple => print_simple(&mut ctx.out.stdout, hex, &resp),
        Format::Json => ctx.println(&txn_json(&resp)),
        Format::Fields => print_fields(&mut ctx.out.stdout, &resp),
        Format::Table | Format::Protobuf => return Err(kv::unsupported(format)),
    }
    Ok(())
}

/// A txn input error: what etcdctl prints before exiting (cobra's usage of an op's command), then the error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpError {
    pub usage: String,
    pub err: CtlError,
}

impl From<CtlError> for OpError {
    fn from(err: CtlError) -> Self {
        OpError { usage: String::new(), err }
    }
}

impl OpError {
    fn report(self, ctx: &mut Ctx) -> CtlError {
        ctx.out.stderr.push_str(&self.usage);
        self.err
    }
}

fn invalid_input(msg: impl Into<String>) -> CtlError {
    CtlError::new(exit::INVALID_INPUT, msg)
}

/// Go's `bufio.Reader.ReadString('\n')` over stdin: a line without its newline at the end is an EOF.
struct LineReader<'a> {
    rest: &'a str,
}

impl<'a> LineReader<'a> {
    fn new(input: &'a str) -> LineReader<'a> {
        LineReader { rest: input }
    }

    fn read_line(&mut self) -> Result<&'a str, CtlError> {
        let Some(i) = self.rest.find('\n') else {
            self.rest = "";
            return Err(invalid_input("EOF"));
        };
        let (line, rest) = self.rest.split_at(i + 1);
        self.rest = rest;
        Ok(line)
    }
}

/// Reads lines up to a blank one, parsing each (etcdctl's `readCompares`/`readOps`).
fn read_block<T>(input: &mut LineReader<'_>, parse: impl Fn(&str) -> Result<T, OpError>) -> Result<Vec<T>, OpError> {
    let mut items = Vec::new();
    loop {
        let line = input.read_line()?.trim();
        if line.is_empty() {
            return Ok(items);
        }
        items.push(parse(line)?);
    }
}

/// Parses a compare line: `<target>("<key>") <op> "<value>"`, targets `ver`/`version`, `c`/`create`,
/// `m`/`mod`, `val`/`value` and `lease`, ops `=`, `!=`, `<`, `>`.
pub fn parse_compare(line: &str) -> Result<Compare, CtlError> {
    let Some((target, rest)) = line.split_once('(') else {
        return Err(invalid_input(format!("malformed comparison: {line}")));
    };
    let (key, op, val) = match scan_compare(rest) {
        Scanned { key: Some(k), op: Some(o), val: Some(v) } => (k, o, v),
        s => {
            let key = kv::go_quote(s.key.as_deref().unwrap_or_default());
            let val = kv::go_quote(s.val.as_deref().unwrap_or_default());
            let op = s.op.unwrap_or_default();
            return Err(invalid_input(format!("malformed comparison: {line}; got {target}({key}) {op} {val}")));
        }
    };
    let result = match op.as_str() {
        "=" => Some(CompareResult::Equal),
        "!=" => Some(CompareResult::NotEqual),
        ">" => Some(CompareResult::Greater),
        "<" => Some(CompareResult::Less),
        _ => None,
    };
    let number = || {
        let v = std::str::from_utf8(&val).ok().and_then(|s| go_parse_int(s, 10).ok());
        v.ok_or_else(|| invalid_input(format!("invalid txn compare request: {line}")))
    };
    let bad_op = || {
        CtlError::new(
            PANIC_EXIT,
            format!(
                "unknown comparison operator {op:?} in {line} (use =, !=, < or >; etcdctl 3.4.23 panics here with \"Unknown result op\")"
            ),
        )
    };
    let target = match target {
        "ver" | "version" => CompareTarget::Version(number()?),
        "c" | "create" => CompareTarget::Create(number()?),
        "m" | "mod" => CompareTarget::Mod(number()?),
        "val" | "value" => CompareTarget::Value(val),
        "lease" => {
            result.ok_or_else(bad_op)?;
            return Err(CtlError::new(
                PANIC_EXIT,
                format!("lease comparisons are not supported by etcdctl 3.4.23 (it panics with \"bad value\"): {line}"),
            ));
        }
        other => return Err(invalid_input(format!("malformed comparison: {line} (unknown target {other})"))),
    };
    let result = result.ok_or_else(bad_op)?;
    Ok(Compare { result, target, key, range_end: Vec::new() })
}

/// What `fmt.Sscanf(rest, "%q) %s %q", &key, &op, &val)` stored: each operand only if scanned.
#[derive(Debug, Default, PartialEq, Eq)]
struct Scanned {
    key: Option<Vec<u8>>,
    op: Option<String>,
    val: Option<Vec<u8>>,
}

/// Go's `fmt` scanner over the text after `(` of a compare line.
fn scan_compare(rest: &str) -> Scanned {
    let mut s = GoScan { chars: rest.chars().collect(), pos: 0 };
    let mut out = Scanned { key: s.quoted(), ..Scanned::default() };
    if out.key.is_none() || s.next() != Some(')') {
        return out;
    }
    // A space in the format needs at least one space in the input (or its end).
    match s.next() {
        Some(c) if is_go_space(c) => s.skip_space(),
        _ => return out,
    }
    s.skip_space();
    let op: String = s.chars[s.pos..].iter().take_while(|c| !is_go_space(**c)).collect();
    if op.is_empty() {
        return out;
    }
    s.pos += op.chars().count();
    out.op = Some(op);
    out.val = s.quoted();
    out
}

struct GoScan {
    chars: Vec<char>,
    pos: usize,
}

impl GoScan {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        self.pos += usize::from(c.is_some());
        c
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| is_go_space(*c)) {
            self.pos += 1;
        }
    }

    /// `%q`: a double-quoted Go string (escapes decoded) or a back-quoted raw one.
    fn quoted(&mut self) -> Option<Vec<u8>> {
        self.skip_space();
        match self.next()? {
            '`' => {
                let mut raw = String::new();
                loop {
                    match self.next()? {
                        '`' => return Some(raw.into_bytes()),
                        c => raw.push(c),
                    }
                }
            }
            '"' => {
                let mut lit = String::from('"');
                loop {
                    let c = self.next()?;
                    lit.push(c);
                    if c == '\\' {
                        lit.push(self.next()?);
                    } else if c == '"' {
                        return go_unquote(&lit);
                    }
                }
            }
            _ => None,
        }
    }
}

/// Go's `unicode.IsSpace`, as its `fmt` scanner uses it.
fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Go's `strconv.Unquote` of a double-quoted literal (quotes included); `\x` and octal escapes give bytes.
pub fn go_unquote(lit: &str) -> Option<Vec<u8>> {
    let body = lit.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::new();
    let mut chars = body.chars();
    let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| Some(acc * 16 + chars.next()?.to_digit(16)?))
    };
    while let Some(c) = chars.next() {
        let mut buf = [0u8; 4];
        match c {
            '"' | '\n' => return None,
            '\\' => match chars.next()? {
                'a' => out.push(7),
                'b' => out.push(8),
                'f' => out.push(12),
                'n' => out.push(b'\n'),
                'r' => out.push(b'\r'),
                't' => out.push(b'\t'),
                'v' => out.push(11),
                '\\' => out.push(b'\\'),
                '"' => out.push(b'"'),
                'x' => out.push(hex(&mut chars, 2)? as u8),
                'u' => out.extend_from_slice(char::from_u32(hex(&mut chars, 4)?)?.encode_utf8(&mut buf).as_bytes()),
                'U' => out.extend_from_slice(char::from_u32(hex(&mut chars, 8)?)?.encode_utf8(&mut buf).as_bytes()),
                d @ '0'..='7' => {
                    let mut v = d.to_digit(8)?;
                    for _ in 0..2 {
                        v = v * 8 + chars.next()?.to_digit(8)?;
                    }
                    out.push(u8::try_from(v).ok()?);
                }
                _ => return None,
            },
            c => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    Some(out)
}

/// etcdctl's `argify`: the words of an op line, found with the regexp
/// `"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?`; a double-quoted word is unquoted as a Go string, a
/// single-quoted one is cut as etcdctl 3.4 cuts it: `word[1 : number_of_words-1]` (bytes), a bug that
/// keeps only part of the word, or crashes etcdctl when out of bounds.
pub fn argify(line: &str) -> Result<Vec<String>, CtlError> {
    let is_space = |c: char| matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ');
    let chars: Vec<char> = line.chars().collect();
    let mut words: Vec<(char, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let end = match chars[i] {
            '"' => {
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => break None,
                        Some('"') => break Some(j + 1),
                        Some('\\') if chars.get(j + 1).is_some_and(|c| *c != '\n') => j += 2,
                        Some('\\') => break None,
                        Some(_) => j += 1,
                    }
                }
            }
            '\'' => chars[i + 1..].iter().position(|c| *c == '\'').map(|p| i + 1 + p + 1),
            c if is_space(c) => None,
            _ => Some(chars[i..].iter().position(|c| is_space(*c)).map_or(chars.len(), |p| i + p)),
        };
        match end {
            Some(e) => {
                words.push((chars[start], chars[start..e].iter().collect()));
                i = e;
            }
            None => i += 1,
        }
    }
    let n = words.len();
    words
        .into_iter()
        .map(|(first, w)| match first {
            '"' => go_unquote(&w)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .ok_or_else(|| invalid_input("invalid syntax")),
            '\'' => match w.as_bytes().get(1..n.saturating_sub(1)).filter(|_| n >= 2) {
                Some(cut) => Ok(String::from_utf8_lossy(cut).into_owned()),
                None => Err(CtlError::new(
                    PANIC_EXIT,
                    format!(
                        "cannot take {w} apart: etcdctl 3.4.23 cuts a single-quoted word to bytes [1:{}] (the number of words less one) and panics when that is out of range",
                        n as i64 - 1
                    ),
                )),
            },
            _ => Ok(w),
        })
        .collect()
}

/// cobra's `Use` line of each command an op line may name.
const PUT_USE: &str = "put [options] <key> <value> (<value> can also be given from stdin)";
const GET_USE: &str = "get [options] <key> [range_end]";
const DEL_USE: &str = "del [options] <key> [range_end]";

/// Parses an op line (`put k v`, `get k --prefix`, `del k`) as etcdctl's `parseRequestUnion`.
pub fn parse_op(line: &str) -> Result<RequestOp, OpError> {
    let args = argify(line)?;
    if args.len() < 2 {
        return Err(invalid_input(format!("invalid txn compare request: {line}")).into());
    }
    let invalid = || invalid_input(format!("invalid txn request: {line}"));
    let name = command_word(&args).ok_or_else(invalid)?;
    let (use_line, cmd_flags) = match name {
        "put" => (PUT_USE, kv::PUT_FLAGS),
        "get" => (GET_USE, kv::GET_FLAGS),
        "del" => (DEL_USE, kv::DEL_FLAGS),
        _ => return Err(invalid().into()),
    };
    let mut rest = args.clone();
    rest.remove(args.iter().position(|a| a == name).expect("the command word is an argument"));
    let mut accepted = cmd_flags.to_vec();
    accepted.push(Flag::new("help", Kind::Bool, "false", "").short('h'));
    let f = match flags::parse(&rest, &accepted) {
        Ok(f) => f,
        Err(_) => return Err(OpError { usage: cobra_usage(name, use_line, &accepted), err: invalid() }),
    };
    if f.bool("help") {
        return Err(invalid_input(format!(
            "invalid txn request: {line} (etcdctl 3.4.23 prints the {name} help and then hangs here)"
        ))
        .into());
    }
    Ok(match name {
        // etcdctl reads a missing value from stdin, which its txn reader has already consumed.
        "put" => RequestOp::Put(kv::put_request(&f, None)?),
        "get" => RequestOp::Range(kv::range_request(&f)?),
        _ => RequestOp::DeleteRange(kv::delete_request(&f)?),
    })
}

/// The subcommand cobra finds on etcdctl's flagless txn root: the first word that is not a flag, where a
/// `--flag` or `-f` without `=` also swallows the next word (cobra's `stripFlags`).
fn command_word(args: &[String]) -> Option<&str> {
    let mut i = 0;
    while i < args.len() {
        let s = args[i].as_str();
        i += 1;
        if s == "--" {
            return None;
        }
        let takes_value = !s.contains('=') && (s.starts_with("--") || (s.starts_with('-') && s.len() == 2));
        if takes_value {
            if args.len() - i <= 1 {
                return None;
            }
            i += 1;
        } else if !s.is_empty() && !s.starts_with('-') {
            return Some(s);
        }
    }
    None
}

/// cobra's default usage of an op's command under etcdctl's nameless txn root (what it prints to stderr
/// when an op line has a bad flag), with pflag's flag table.
fn cobra_usage(name: &str, use_line: &str, flags: &[Flag]) -> String {
    let mut sorted = flags.to_vec();
    sorted.sort_by_key(|f| f.long);
    let rows: Vec<(String, String)> = sorted
        .iter()
        .map(|f| {
            let mut left = match f.short {
                Some(c) => format!("  -{c}, --{}", f.long),
                None => format!("      --{}", f.long),
            };
            match f.kind {
                Kind::Bool => {}
                Kind::Int => left.push_str(" int"),
                Kind::Uint => left.push_str(" uint"),
                Kind::Duration => left.push_str(" duration"),
                Kind::Str => left.push_str(" string"),
                Kind::StrSlice => left.push_str(" strings"),
            }
            let mut usage = if f.long == "help" { format!("help for {name}") } else { f.usage.to_string() };
            let zero = matches!(f.default, "" | "0" | "false" | "[]") && !(f.kind == Kind::Str && f.default == "0");
            if !zero {
                if f.kind == Kind::Str {
                    usage.push_str(&format!(" (default {:?})", f.default));
                } else {
                    usage.push_str(&format!(" (default {})", f.default));
                }
            }
            (left, usage)
        })
        .collect();
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let table: String = rows.iter().map(|(l, u)| format!("{l:width$}   {u}\n")).collect();
    format!("Usage:\n   {use_line} [flags]\n\nFlags:\n{}\n\n", table.trim_end())
}

/// The simple printer: SUCCESS or FAILURE, then each op's response after a blank line, as put, get and
/// del print theirs.
fn print_simple(out: &mut String, hex: bool, r: &TxnResponse) {
    out.push_str(if r.succeeded { "SUCCESS\n" } else { "FAILURE\n" });
    for op in &r.responses {
        out.push('\n');
        match op {
            ResponseOp::DeleteRange(d) => {
                out.push_str(&format!("{}\n", d.deleted));
                d.prev_kvs.iter().for_each(|kv| print_kv_to(out, hex, false, kv));
            }
            ResponseOp::Put(p) => {
                out.push_str("OK\n");
                p.prev_kv.iter().for_each(|kv| print_kv_to(out, hex, false, kv));
            }
            ResponseOp::Range(g) => g.kvs.iter().for_each(|kv| print_kv_to(out, hex, false, kv)),
        }
    }
}

/// The fields printer: the txn's header and `Succeeded`, then each response as put, get and del print it.
fn print_fields(out: &mut String, r: &TxnResponse) {
    fields_header(out, &r.header);
    out.push_str(&format!("\"Succeeded\" : {}\n", r.succeeded));
    for op in &r.responses {
        match op {
            ResponseOp::DeleteRange(d) => {
                fields_header(out, &d.header);
                out.push_str(&format!("\"Deleted\" : {}\n", d.deleted));
                d.prev_kvs.iter().for_each(|kv| fields_kv(out, "Prev", kv));
            }
            ResponseOp::Put(p) => {
                fields_header(out, &p.header);
                p.prev_kv.iter().for_each(|kv| fields_kv(out, "Prev", kv));
            }
            ResponseOp::Range(g) => {
                fields_header(out, &g.header);
                g.kvs.iter().for_each(|kv| fields_kv(out, "", kv));
                out.push_str(&format!("\"More\" : {}\n", g.more));
                out.push_str(&format!("\"Count\" : {}\n", g.count));
            }
        }
    }
}

/// `TxnResponse` as Go's encoding/json writes it: the `response` oneof is the Go field `Response` holding
/// a wrapper named after the variant (`ResponsePut`, `ResponseRange`, `ResponseDeleteRange`).
fn txn_json(r: &TxnResponse) -> String {
    let responses = r
        .responses
        .iter()
        .map(|op| {
            let (name, body) = match op {
                ResponseOp::Put(p) => {
                    let mut o = Obj::new().raw("header", &json::header(&p.header));
                    if let Some(kv) = &p.prev_kv {
                        o = o.raw("prev_kv", &json::kv(kv));
                    }
                    ("ResponsePut", o)
                }
                ResponseOp::Range(g) => (
                    "ResponseRange",
                    Obj::new()
                        .raw("header", &json::header(&g.header))
                        .list("kvs", g.kvs.iter().map(json::kv).collect())
                        .flag("more", g.more)
                        .num("count", g.count),
                ),
                ResponseOp::DeleteRange(d) => (
                    "ResponseDeleteRange",
                    Obj::new()
                        .raw("header", &json::header(&d.header))
                        .num("deleted", d.deleted)
                        .list("prev_kvs", d.prev_kvs.iter().map(json::kv).collect()),
                ),
            };
            let wrapper = Obj::new().raw(name, &body.build()).build();
            Obj::new().raw("Response", &wrapper).build()
        })
        .collect();
    Obj::new()
        .raw("header", &json::header(&r.header))
        .flag("succeeded", r.succeeded)
        .list("responses", responses)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        argify(line).unwrap()
    }

    #[test]
    fn compares_parse_as_etcdctl() {
        let c = parse_compare(r#"mod("txnkey") > "0""#).unwrap();
        assert_eq!(
            (c.key.as_slice(), c.result, c.target),
            (&b"txnkey"[..], CompareResult::Greater, CompareTarget::Mod(0))
        );
        let c = parse_compare(r#"val("k\x41") != "a b""#).unwrap();
        assert_eq!((c.key.as_slice(), c.target), (&b"kA"[..], CompareTarget::Value(b"a b".to_vec())));
        assert_eq!(parse_compare(r#"c("k") < "-3""#).unwrap().target, CompareTarget::Create(-3));
        assert_eq!(parse_compare("ver(`k`)   =   `5`").unwrap().target, CompareTarget::Version(5));
        let err = |line: &str| parse_compare(line).unwrap_err();
        assert_eq!(
            err("value(txnkey) == 16"),
            invalid_input(r#"malformed comparison: value(txnkey) == 16; got value("")  """#)
        );
        assert_eq!(err(r#"value("k") == 16"#).msg, r#"malformed comparison: value("k") == 16; got value("k") == """#);
        assert_eq!(err(r#"value("k")="1""#).msg, r#"malformed comparison: value("k")="1"; got value("k")  """#);
        assert_eq!(err(r#"value("k")"#).msg, r#"malformed comparison: value("k"); got value("k")  """#);
        assert_eq!(err("nothing").msg, "malformed comparison: nothing");
        assert_eq!(
            err(r#"foo("txnkey") = "16""#),
            invalid_input(r#"malformed comparison: foo("txnkey") = "16" (unknown target foo)"#)
        );
        assert_eq!(
            err(r#"version("txnkey") = "abc""#),
            invalid_input(r#"invalid txn compare request: version("txnkey") = "abc""#)
        );
        // etcdctl 3.4.23 panics on these; the exit code stays Go's.
        assert_eq!(err(r#"value("txnkey") ~ "16""#).code, PANIC_EXIT);
        assert_eq!(err(r#"lease("txnkey") = "0""#).code, PANIC_EXIT);
        // A bad number wins over a bad operator, as etcdctl parses the number first.
        assert_eq!(err(r#"version("k") ~ "x""#).code, exit::INVALID_INPUT);
    }

    #[test]
    fn argify_as_etcdctl() {
        assert_eq!(
            words(r#"put txnkey2 "quoted value with spaces""#),
            vec!["put", "txnkey2", "quoted value with spaces"]
        );
        assert_eq!(words(r#"put k "a\"b\n""#), vec!["put", "k", "a\"b\n"]);
        assert_eq!(words(r#"put k "unclosed"#), vec!["put", "k", "unclosed"]);
        assert_eq!(words("  get   k\t--prefix "), vec!["get", "k", "--prefix"]);
        // etcdctl 3.4 cuts single-quoted words by the number of words.
        assert_eq!(words("put k 'v'"), vec!["put", "k", "v"]);
        assert_eq!(words("put k 'hello world'"), vec!["put", "k", "h"]);
        assert_eq!(argify("'a'").unwrap_err().code, PANIC_EXIT);
        assert_eq!(argify(r#"put k "\q""#).unwrap_err(), invalid_input("invalid syntax"));
    }

    #[test]
    fn ops_parse_with_the_commands_flags() {
        let op = parse_op("put k v --prev-kv --lease=1f").unwrap();
        let RequestOp::Put(p) = op else { panic!() };
        assert_eq!((p.key.as_slice(), p.value.as_slice(), p.lease, p.prev_kv), (&b"k"[..], &b"v"[..], 31, true));
        let RequestOp::Range(g) = parse_op("get txnkey --prefix --limit 2 --order=descend").unwrap() else { panic!() };
        assert_eq!((g.range_end.as_slice(), g.limit, g.sort_order), (&b"txnkez"[..], 2, SortOrder::Descend));
        let RequestOp::DeleteRange(d) = parse_op("del a --from-key").unwrap() else { panic!() };
        assert_eq!((d.key.as_slice(), d.range_end.as_slice()), (&b"a"[..], &b"\0"[..]));
        let err = |line: &str| parse_op(line).unwrap_err();
        assert_eq!(err("update a b"), invalid_input("invalid txn request: update a b").into());
        assert_eq!(err("get"), invalid_input("invalid txn compare request: get").into());
        assert_eq!(
            err("put onlykey"),
            CtlError::new(exit::BAD_ARGS, "put command needs 1 argument and input from stdin or 2 arguments").into()
        );
        assert_eq!(err("del a b c").err.code, exit::BAD_ARGS);
        assert_eq!(err("get a b --prefix").err.code, exit::BAD_ARGS);
        assert_eq!(err("get a --sort-by=size").err, CtlError::new(exit::BAD_FEATURE, "bad sort target size"));
        let bad_flag = err("put --bogus a b");
        assert_eq!(bad_flag.err, invalid_input("invalid txn request: put --bogus a b"));
        assert_eq!(
            bad_flag.usage,
            "Usage:\n   put [options] <key> <value> (<value> can also be given from stdin) [flags]\n\nFlags:\n\
             \x20 -h, --help           help for put\n\
             \x20     --ignore-lease   updates the key using its current lease\n\
             \x20     --ignore-value   updates the key using its current value\n\
             \x20     --lease string   lease ID (in hexadecimal) to attach to the key (default \"0\")\n\
             \x20     --prev-kv        return the previous key-value pair before modification\n\n"
        );
    }

    #[test]
    fn stdin_blocks_and_eof() {
        let mut r = LineReader::new("value(\"k\") = \"1\"\n\nput k 2\n\nget k\n\n");
        let cmps = read_block(&mut r, |l| parse_compare(l).map_err(OpError::from)).unwrap();
        assert_eq!(cmps.len(), 1);
        assert_eq!(read_block(&mut r, parse_op).unwrap().len(), 1);
        assert_eq!(read_block(&mut r, parse_op).unwrap().len(), 1);
        let mut r = LineReader::new("\nput k 2");
        assert!(read_block(&mut r, parse_op).unwrap().is_empty());
        assert_eq!(read_block(&mut r, parse_op).unwrap_err(), invalid_input("EOF").into());
        assert_eq!(read_block(&mut LineReader::new(""), parse_op).unwrap_err(), invalid_input("EOF").into());
    }

    #[test]
    fn runs_through_the_cluster() {
        use crate::playground::{World, WorldConfig};
        let mut w = World::new(WorldConfig::demo(3, 1));
        w.wait_for_leader(10_000).expect("a leader");
        let run = |w: &mut World, line: &str, stdin: &str| super::super::run_line(w, line, Some(stdin));
        assert_eq!(run(&mut w, "put a 1", "").exit_code, 0);
        let rev = |w: &World| (0..3).map(|i| w.node(i).server.store.current_rev()).collect::<Vec<_>>();
        let before = rev(&w)[0];
        let o = run(&mut w, "txn -i", "value(\"a\") = \"1\"\n\nput a 2\nput b 3 --prev-kv\nget a\n\nput a never\n\n");
        assert_eq!(
            (o.stdout.as_str(), o.stderr.as_str(), o.exit_code),
            (
                "compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\nSUCCESS\n\nOK\n\nOK\n\na\n2\n",
                "",
                0
            )
        );
        w.advance(100);
        assert_eq!(rev(&w), vec![before + 1; 3], "one revision for the whole txn, on every member");
        let o = run(&mut w, "txn", "\nput a 1\nput a 2\n\n\n");
        assert_eq!((o.stderr.as_str(), o.exit_code), ("Error: etcdserver: duplicate key given in txn request\n", 1));
        let o = run(&mut w, "txn -w table", "\nput a 5\n\n\n");
        assert_eq!((o.stderr.as_str(), o.exit_code), ("Error: table not supported as output format\n", 4));
        assert_eq!(run(&mut w, "get a --print-value-only", "").stdout, "5\n", "applied before the format error");
        let o = run(&mut w, "txn -i", "");
        assert_eq!((o.stdout.as_str(), o.stderr.as_str(), o.exit_code), ("compares:\n", "Error: EOF\n", 3));
    }

    #[test]
    fn json_as_go() {
        let h = |revision| ResponseHeader { revision, ..Default::default() };
        let r = TxnResponse {
            header: ResponseHeader { cluster_id: 1, member_id: 2, revision: 32, raft_term: 2 },
            succeeded: true,
            responses: vec![
                ResponseOp::Put(PutResponse { header: h(32), prev_kv: None }),
                ResponseOp::Range(RangeResponse { header: h(32), ..Default::default() }),
            ],
        };
        assert_eq!(
            txn_json(&r),
            r#"{"header":{"cluster_id":1,"member_id":2,"revision":32,"raft_term":2},"succeeded":true,"responses":[{"Response":{"ResponsePut":{"header":{"revision":32}}}},{"Response":{"ResponseRange":{"header":{"revision":32}}}}]}"#
        );
        let failed = TxnResponse { header: h(5), ..Default::default() };
        assert_eq!(txn_json(&failed), r#"{"header":{"revision":5}}"#);
    }
}
