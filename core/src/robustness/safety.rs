//! Raft safety asserted while the run goes on: at most one leader per term, and nothing committed is lost
//! (a member's commit index and store revision never go backwards while it stays up; a restart rebuilds
//! the store from disk, so the watch starts again there).

use crate::playground::World;
use crate::trace::Role;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Safety {
    leaders: BTreeMap<u64, u64>,
    /// Per member while up: (commit index, store revision).
    seen: Vec<Option<(u64, i64)>>,
    pub checks: u64,
    pub violations: Vec<String>,
}

impl Safety {
    pub fn observe(&mut self, world: &World) {
        let n = world.members().len();
        self.seen.resize(n, None);
        for i in 0..n {
            let node = world.node(i);
            self.checks += 1;
            if !node.is_up() {
                self.seen[i] = None;
                continue;
            }
            if node.role() == Role::Leader {
                let leader = *self.leaders.entry(node.term()).or_insert(node.id);
                if leader != node.id && self.violations.len() < 5 {
                    self.violations.push(format!(
                        "election safety: two leaders in term {}: {:x} and {:x} ({} ms)",
                        node.term(),
                        leader,
                        node.id,
                        world.now_ms()
                    ));
                }
            }
            let now = (node.commit_index(), node.server.store.current_rev());
            if let Some(before) = self.seen[i] {
                if (now.0 < before.0 || now.1 < before.1) && self.violations.len() < 5 {
                    self.violations.push(format!(
                        "{} went back from (commit {}, revision {}) to (commit {}, revision {}) while up ({} ms)",
                        node.name,
                        before.0,
                        before.1,
                        now.0,
                        now.1,
                        world.now_ms()
                    ));
                }
            }
            self.seen[i] = Some(now);
        }
    }
}
