//! Command-line flags as etcdctl's cobra/pflag parse them: `--name=value`, `--name value`, `-x value`,
//! `-xvalue`, booleans without a value, `--` ending the flags, flags anywhere among the arguments.

use std::collections::BTreeMap;
use std::fmt;

/// The type of a flag's value, which decides whether it consumes the next argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Str,
    Int,
    Uint,
    Duration,
    StrSlice,
}

/// A flag a command accepts, with the default and usage text its help prints.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub kind: Kind,
    pub default: &'static str,
    pub usage: &'static str,
}

impl Flag {
    pub const fn new(long: &'static str, kind: Kind, default: &'static str, usage: &'static str) -> Flag {
        Flag { long, short: None, kind, default, usage }
    }

    pub const fn short(mut self, c: char) -> Flag {
        self.short = Some(c);
        self
    }

    /// How pflag names a flag in error messages.
    fn display_name(&self) -> String {
        match self.short {
            Some(s) => format!("-{s}, --{}", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// A flag parse error, with pflag's wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagError(pub String);

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parsed flags and positional arguments.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    values: BTreeMap<&'static str, String>,
    specs: BTreeMap<&'static str, Flag>,
    pub args: Vec<String>,
    /// How many positional arguments came before `--`, if it was given (cobra's `ArgsLenAtDash`).
    pub args_before_dash: Option<usize>,
}

/// Parses `argv` against the accepted flags.
pub fn parse(argv: &[String], flags: &[Flag]) -> Result<Parsed, FlagError> {
    let mut p = Parsed { specs: flags.iter().map(|f| (f.long, *f)).collect(), ..Default::default() };
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if a == "--" {
            p.args_before_dash = Some(p.args.len());
            p.args.extend(argv[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let flag =
                *flags.iter().find(|f| f.long == name).ok_or_else(|| FlagError(format!("unknown flag: --{name}")))?;
            let value = take_value(&flag, inline, argv, &mut i, || format!("flag needs an argument: --{name}"))?;
            p.set(&flag, value)?;
        } else if a.len() > 1 && a.starts_with('-') {
            let body = &a[1..];
            let c = body.chars().next().expect("non-empty");
            let rest = &body[c.len_utf8()..];
            let flag = *flags
                .iter()
                .find(|f| f.short == Some(c))
                .ok_or_else(|| FlagError(format!("unknown shorthand flag: '{c}' in -{body}")))?;
            let inline = match rest {
                "" => None,
                r => Some(r.strip_prefix('=').unwrap_or(r).to_string()),
            };
            let value =
                take_value(&flag, inline, argv, &mut i, || format!("flag needs an argument: '{c}' in -{body}"))?;
            p.set(&flag, value)?;
        } else {
            p.args.push(a.clone());
        }
    }
    Ok(p)
}

fn take_value(
    flag: &Flag,
    inline: Option<String>,
    argv: &[String],
    i: &mut usize,
    missing: impl Fn() -> String,
) -> Result<String, FlagError> {
    if let Some(v) = inline {
        return Ok(v);
    }
    if flag.kind == Kind::Bool {
        return Ok("true".into());
    }
    let v = argv.get(*i).ok_or_else(|| FlagError(missing()))?;
    *i += 1;
    Ok(v.clone())
}

impl Parsed {
    fn set(&mut self, flag: &Flag, value: String) -> Result<(), FlagError> {
        let bad =
            |err: &str| FlagError(format!("invalid argument {value:?} for {:?} flag: {err}", flag.display_name()));
        match flag.kind {
            Kind::Bool => {
                parse_bool(&value)
                    .ok_or_else(|| bad(&format!("strconv.ParseBool: parsing {value:?}: invalid syntax")))?;
            }
            Kind::Int => {
                value
                    .parse::<i64>()
                    .map_err(|_| bad(&format!("strconv.ParseInt: parsing {value:?}: invalid syntax")))?;
            }
            Kind::Uint => {
                value
                    .parse::<u64>()
                    .map_err(|_| bad(&format!("strconv.ParseUint: parsing {value:?}: invalid syntax")))?;
            }
            Kind::Duration => {
                parse_duration_ms(&value).ok_or_else(|| bad(&format!("time: invalid duration {value:?}")))?;
            }
            Kind::Str | Kind::StrSlice => {}
        }
        self.values.insert(flag.long, value);
        Ok(())
    }

    fn raw(&self, name: &str) -> &str {
        match self.values.get(name) {
            Some(v) => v,
            None => self.specs.get(name).map_or("", |f| f.default),
        }
    }

    /// True if the flag was given on the command line.
    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    pub fn bool(&self, name: &str) -> bool {
        parse_bool(self.raw(name)).unwrap_or(false)
    }

    pub fn str(&self, name: &str) -> String {
        self.raw(name).to_string()
    }

    pub fn int(&self, name: &str) -> i64 {
        self.raw(name).parse().unwrap_or(0)
    }

    pub fn duration_ms(&self, name: &str) -> u64 {
        parse_duration_ms(self.raw(name)).unwrap_or(0)
    }

    /// A comma-separated list flag (pflag's StringSlice); a default looks like `[a,b]`.
    pub fn list(&self, name: &str) -> Vec<String> {
        let raw = self.raw(name);
        let raw = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(raw);
        raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Parses a Go duration (`5s`, `1.5s`, `500ms`, `1m30s`) into milliseconds.
pub fn parse_duration_ms(s: &str) -> Option<u64> {
    if s == "0" {
        return Some(0);
    }
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-6,
            "us" | "µs" => 1e-3,
            "ms" => 1.0,
            "s" => 1e3,
            "m" => 60e3,
            "h" => 3600e3,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Some(total.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAGS: &[Flag] = &[
        Flag::new("prefix", Kind::Bool, "false", ""),
        Flag::new("limit", Kind::Int, "0", ""),
        Flag::new("write-out", Kind::Str, "simple", "").short('w'),
        Flag::new("command-timeout", Kind::Duration, "5s", ""),
        Flag::new("endpoints", Kind::StrSlice, "[127.0.0.1:2379]", ""),
    ];

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn parses_like_pflag() {
        let p = parse(&argv("get foo --prefix -w json --limit=3 bar -- -x"), FLAGS).unwrap();
        assert_eq!(p.args, vec!["get", "foo", "bar", "-x"]);
        assert!(p.bool("prefix"));
        assert_eq!((p.str("write-out"), p.int("limit")), ("json".to_string(), 3));
        assert_eq!(p.duration_ms("command-timeout"), 5000);
        assert_eq!(p.list("endpoints"), vec!["127.0.0.1:2379"]);
        let p = parse(&argv("-wfields --endpoints=a,b"), FLAGS).unwrap();
        assert_eq!(p.str("write-out"), "fields");
        assert_eq!(p.list("endpoints"), vec!["a", "b"]);
    }

    #[test]
    fn errors_as_pflag() {
        assert_eq!(parse(&argv("--bogus"), FLAGS).unwrap_err().0, "unknown flag: --bogus");
        assert_eq!(parse(&argv("-x"), FLAGS).unwrap_err().0, "unknown shorthand flag: 'x' in -x");
        assert_eq!(parse(&argv("--limit"), FLAGS).unwrap_err().0, "flag needs an argument: --limit");
        assert_eq!(
            parse(&argv("--limit=abc"), FLAGS).unwrap_err().0,
            r#"invalid argument "abc" for "--limit" flag: strconv.ParseInt: parsing "abc": invalid syntax"#
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration_ms("2s"), Some(2000));
        assert_eq!(parse_duration_ms("1m30s"), Some(90_000));
        assert_eq!(parse_duration_ms("1.5s"), Some(1500));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("5"), None);
        assert_eq!(parse_duration_ms("abc"), None);
    }
}

/// Go's `strconv.ParseInt(s, base, 64)`, with its error text (`strconv.ParseInt: parsing "x": invalid
/// syntax` or `...: value out of range`), since etcdctl prints that text inside its own errors.
pub fn go_parse_int(s: &str, base: u32) -> Result<i64, String> {
    let err = |why: &str| format!("strconv.ParseInt: parsing {s:?}: {why}");
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return Err(err("invalid syntax"));
    }
    let magnitude = u128::from_str_radix(digits, base).map_err(|_| err("value out of range"))?;
    let limit = if neg { 1u128 << 63 } else { (1u128 << 63) - 1 };
    if magnitude > limit {
        return Err(err("value out of range"));
    }
    Ok(if neg { (magnitude as i128).wrapping_neg() as i64 } else { magnitude as i64 })
}

/// Go's `strconv.ParseUint(s, base, 64)`, with its error text.
pub fn go_parse_uint(s: &str, base: u32) -> Result<u64, String> {
    let err = |why: &str| format!("strconv.ParseUint: parsing {s:?}: {why}");
    if s.is_empty() || !s.chars().all(|c| c.is_digit(base)) {
        return Err(err("invalid syntax"));
    }
    u64::from_str_radix(s, base).map_err(|_| err("value out of range"))
}

#[cfg(test)]
mod go_parse_tests {
    use super::go_parse_int;

    #[test]
    fn parses_and_fails_like_go() {
        assert_eq!(go_parse_int("1234abcd", 16), Ok(0x1234abcd));
        assert_eq!(go_parse_int("-10", 10), Ok(-10));
        assert_eq!(go_parse_int("zzz", 16).unwrap_err(), r#"strconv.ParseInt: parsing "zzz": invalid syntax"#);
        assert_eq!(
            go_parse_int("1658910201271379507", 16).unwrap_err(),
            r#"strconv.ParseInt: parsing "1658910201271379507": value out of range"#
        );
        assert!(go_parse_int("", 10).is_err());
    }
}
