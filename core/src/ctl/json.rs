//! JSON as etcdctl's printer writes it: Go's `encoding/json` over the gRPC response structs, so fields in
//! declaration order, zero values omitted (`omitempty`), bytes as base64, and 64-bit integers exact
//! (never through a float, so IDs above 2^53 survive).

use crate::mvcc::KeyValue;
use crate::server::api::ResponseHeader;
use base64::Engine;

/// Builds one JSON object, field by field, in order.
#[derive(Default)]
pub struct Obj {
    body: String,
}

impl Obj {
    pub fn new() -> Obj {
        Obj::default()
    }

    fn key(&mut self, k: &str) {
        if !self.body.is_empty() {
            self.body.push(',');
        }
        self.body.push('"');
        self.body.push_str(k);
        self.body.push_str("\":");
    }

    /// Adds a raw JSON value.
    pub fn raw(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        self.body.push_str(v);
        self
    }

    /// Adds a number unless it is zero.
    pub fn num<N: PartialEq + Default + ToString>(self, k: &str, v: N) -> Obj {
        if v == N::default() {
            self
        } else {
            let s = v.to_string();
            self.raw(k, &s)
        }
    }

    /// Adds a number even when zero.
    pub fn num_always<N: ToString>(self, k: &str, v: N) -> Obj {
        let s = v.to_string();
        self.raw(k, &s)
    }

    /// Adds `true` unless false.
    pub fn flag(self, k: &str, v: bool) -> Obj {
        if v {
            self.raw(k, "true")
        } else {
            self
        }
    }

    /// Adds a string unless empty.
    pub fn str(self, k: &str, v: &str) -> Obj {
        if v.is_empty() {
            self
        } else {
            let s = quote(v);
            self.raw(k, &s)
        }
    }

    /// Adds bytes as base64 unless empty.
    pub fn bytes(self, k: &str, v: &[u8]) -> Obj {
        if v.is_empty() {
            self
        } else {
            let s = base64_str(v);
            self.raw(k, &s)
        }
    }

    /// Adds an array of objects unless empty.
    pub fn list(self, k: &str, items: Vec<String>) -> Obj {
        if items.is_empty() {
            self
        } else {
            let s = format!("[{}]", items.join(","));
            self.raw(k, &s)
        }
    }

    pub fn build(self) -> String {
        format!("{{{}}}", self.body)
    }
}

/// A JSON string literal, escaped as Go's encoding/json does (including its HTML-safe escapes).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Bytes as a JSON string of their base64, as encoding/json writes `[]byte`.
pub fn base64_str(v: &[u8]) -> String {
    format!("\"{}\"", base64::engine::general_purpose::STANDARD.encode(v))
}

pub fn header(h: &ResponseHeader) -> String {
    Obj::new()
        .num("cluster_id", h.cluster_id)
        .num("member_id", h.member_id)
        .num("revision", h.revision)
        .num("raft_term", h.raft_term)
        .build()
}

pub fn kv(kv: &KeyValue) -> String {
    Obj::new()
        .bytes("key", &kv.key)
        .num("create_revision", kv.create_revision)
        .num("mod_revision", kv.mod_revision)
        .num("version", kv.version)
        .bytes("value", &kv.value)
        .num("lease", kv.lease)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_u64_and_omitempty() {
        let h = ResponseHeader { cluster_id: 16814149510388483784, member_id: 1, revision: 0, raft_term: 2 };
        assert_eq!(header(&h), r#"{"cluster_id":16814149510388483784,"member_id":1,"raft_term":2}"#);
        assert_eq!(quote("a<b\"\n"), r#""a\u003cb\"\n""#);
    }
}
