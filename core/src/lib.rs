//! etcdplay's core: a deterministic simulated etcd cluster. Real Raft (raft-rs) replicates an etcd-faithful
//! MVCC store; an etcdctl-compatible console drives it. No browser types live here: the same code runs
//! natively (tests, the `etcdplay` binary) and in the page (wasm32).

pub mod cluster;
pub mod ctl;
pub mod disk;
pub mod lease;
pub mod lesson;
pub mod linearizability;
pub mod mvcc;
pub mod playground;
pub mod raftnode;
pub mod rng;
pub mod server;
pub mod sim;
pub mod snapshot;
pub mod trace;
pub mod version;

pub use ctl::Outcome;
pub use playground::action::{Action, TimedAction};
pub use playground::{World, WorldConfig};
pub use sim::NodeView;
pub use trace::{Event, Role};
pub mod golden;
pub mod kubernetes;
pub mod robustness;
pub mod script;
