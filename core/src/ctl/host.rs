//! What the console needs of the playground it runs in. etcdctl is a client: it reads the cluster it
//! talks to (a `Host` derefs to the [`Cluster`]), waits in simulated time for answers (while the
//! playground's other clients go on running), and uses the machine around it: files, the data dirs
//! `snapshot restore` writes, the members `member add` announces, and its own running streams. It never
//! sees the playground itself, so the console sits below it.

use super::stream::Stream;
use crate::server::api::{Request, ServerError, ServerResult};
use crate::sim::{Cluster, RestoredDir};
use std::collections::BTreeMap;
use std::ops::DerefMut;

pub trait Host: DerefMut<Target = Cluster> {
    /// Sends a request to member `member` and waits at most `timeout_ms` of simulated time for the answer.
    fn call(&mut self, member: usize, request: Request, timeout_ms: u64) -> ServerResult;
    /// Runs the next moment if it comes no later than `limit_ms`; false if nothing does.
    fn run_next_event(&mut self, limit_ms: u64) -> bool;
    /// Lets `ms` of simulated time pass.
    fn advance(&mut self, ms: u64);
    /// Lets simulated time pass up to `target_ms`.
    fn advance_to(&mut self, target_ms: u64);
    /// Transfers leadership from leader `member` to `target` and waits until it leads.
    fn move_leader(&mut self, member: usize, target: u64, timeout_ms: u64) -> Result<(), ServerError>;
    fn write_file(&mut self, path: &str, bytes: Vec<u8>);
    fn read_file(&self, path: &str) -> Option<&[u8]>;
    fn restored_dir(&self, path: &str) -> Option<&RestoredDir>;
    fn create_restored_dir(&mut self, path: &str, dir: RestoredDir);
    /// Remembers the name `member add` gave a new member, so it can be started by name.
    fn announce_member(&mut self, name: &str, id: u64);
    /// Hands a long-running command to the playground, which polls it; returns its ID.
    fn start_stream(&mut self, stream: Stream) -> u64;
    /// The running commands, by ID (`/metrics` counts their watchers).
    fn streams(&self) -> &BTreeMap<u64, Stream>;
}
