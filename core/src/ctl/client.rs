//! The client side of etcdctl: which endpoints to dial, the command timeout, the output format, and
//! sending requests to a member through the simulated network (clientv3's role).

use super::command::CtlError;
use super::exit;
use super::flags::Parsed;
use super::Host;
use crate::ctl::Outcome;
use crate::server::api::{Request, Response, ServerError};

/// `-w`: how results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Simple,
    Json,
    Fields,
    Table,
    Protobuf,
}

/// A running command: the world, its parsed flags and what it has printed so far.
/// A member answered a request with a response of another kind: a bug of ours, reported as an error
/// (naming what was expected) rather than a panic.
pub(crate) fn unexpected(expected: &str) -> CtlError {
    CtlError::new(exit::ERROR, format!("etcdplay bug: the answer does not fit the request ({expected})"))
}

pub struct Ctx<'a> {
    pub world: &'a mut dyn Host,
    pub flags: Parsed,
    pub stdin: Option<&'a str>,
    pub out: Outcome,
    /// A long-running command started by this one (watch, keep-alive), handed to the world.
    pub stream: Option<super::stream::Stream>,
    argv: &'a [String],
}

impl<'a> Ctx<'a> {
    pub fn new(world: &'a mut dyn Host, flags: Parsed, stdin: Option<&'a str>, argv: &'a [String]) -> Ctx<'a> {
        Ctx { world, flags, stdin, out: Outcome::default(), stream: None, argv }
    }

    /// The command line, for naming a stream.
    pub fn line(&self) -> String {
        self.argv.join(" ")
    }

    /// Positional arguments after the command path.
    pub fn args(&self) -> &[String] {
        &self.flags.args
    }

    pub fn println(&mut self, line: &str) {
        self.out.stdout.push_str(line);
        self.out.stdout.push('\n');
    }

    pub fn eprintln(&mut self, line: &str) {
        self.out.stderr.push_str(line);
        self.out.stderr.push('\n');
    }

    /// The output format; an unknown one is refused before anything is sent, as etcdctl does.
    pub fn format(&self) -> Result<Format, CtlError> {
        match self.flags.str("write-out").as_str() {
            "simple" => Ok(Format::Simple),
            "json" => Ok(Format::Json),
            "fields" => Ok(Format::Fields),
            "table" => Ok(Format::Table),
            "protobuf" => Ok(Format::Protobuf),
            _ => Err(CtlError::new(exit::BAD_FEATURE, "unsupported output format")),
        }
    }

    pub fn hex(&self) -> bool {
        self.flags.bool("hex")
    }

    pub fn timeout_ms(&self) -> u64 {
        self.flags.duration_ms("command-timeout")
    }

    /// `--endpoints` as given, or every member's client URL when the flag is absent (the playground's
    /// equivalent of `ETCDCTL_ENDPOINTS` pointing at the whole cluster).
    pub fn endpoints(&self) -> Vec<String> {
        if self.flags.is_set("endpoints") {
            self.flags.list("endpoints")
        } else {
            self.world.members().iter().filter_map(|m| m.client_urls.first().cloned()).collect()
        }
    }

    /// The member listening at `endpoint` (a client URL with or without scheme, or a member name).
    pub fn resolve(&self, endpoint: &str) -> Option<usize> {
        self.world.member_at(endpoint)
    }

    /// The member clientv3 would talk to: the first endpoint whose member is up. None if nothing answers.
    pub fn pick_member(&self) -> Option<usize> {
        self.endpoints().iter().filter_map(|e| self.resolve(e)).find(|&i| self.world.node(i).is_up())
    }

    /// What a client does when nothing answers at its endpoint: waits out the command timeout (the
    /// caller then reports `context deadline exceeded`).
    pub fn wait_out_timeout(&mut self) {
        let timeout = self.timeout_ms();
        self.world.advance(timeout);
    }

    /// Sends a request and waits for the answer within the command timeout.
    pub fn call(&mut self, request: Request) -> Result<Response, CtlError> {
        let timeout = self.timeout_ms();
        let result = match self.pick_member() {
            Some(i) => self.world.call(i, request, timeout),
            None => {
                // Nothing listening: the dial never succeeds and the command times out.
                self.world.advance(timeout);
                Err(ServerError::Unavailable)
            }
        };
        result.map_err(|e| CtlError::new(exit::ERROR, e.to_string()))
    }
}
