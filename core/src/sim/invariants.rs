//! Invariants the cluster asserts where state changes hands, in debug builds (every test and robustness
//! seed runs them; the page and the release binary skip the work): at most one leader per term, and,
//! while a member's process runs, its term, applied index and store revision never go back. A restart
//! may rebuild the store at an older applied index (it replays from its snapshot), so each member's
//! watermarks start over whenever its process starts.

use std::collections::BTreeMap;

/// How many recent terms keep their leader on record (older terms cannot get a new leader anyway).
const TERMS_KEPT: usize = 1_024;

#[derive(Clone, Debug, Default)]
pub(super) struct Invariants {
    /// The member that led each recent term.
    leader_of_term: BTreeMap<u64, u64>,
    /// Per member index: (term, applied index, revision) seen since its process last started.
    running: Vec<Option<(u64, u64, i64)>>,
}

/// What one member looks like now.
pub(super) struct Observed {
    pub id: u64,
    pub leads: bool,
    pub term: u64,
    pub applied: u64,
    pub revision: i64,
}

impl Invariants {
    /// Checks member `i` against what was seen of it before, then remembers it.
    pub(super) fn observe(&mut self, i: usize, now: Observed) {
        if !cfg!(debug_assertions) {
            return;
        }
        if now.leads {
            let leader = *self.leader_of_term.entry(now.term).or_insert(now.id);
            assert_eq!(leader, now.id, "two leaders in term {}: {:x} and {:x}", now.term, leader, now.id);
            while self.leader_of_term.len() > TERMS_KEPT {
                self.leader_of_term.pop_first();
            }
        }
        if self.running.len() <= i {
            self.running.resize(i + 1, None);
        }
        if let Some((term, applied, revision)) = self.running[i] {
            assert!(now.term >= term, "member {:x}: term went back from {term} to {}", now.id, now.term);
            assert!(
                now.applied >= applied,
                "member {:x}: applied index went back from {applied} to {}",
                now.id,
                now.applied
            );
            assert!(
                now.revision >= revision,
                "member {:x}: revision went back from {revision} to {}",
                now.id,
                now.revision
            );
        }
        self.running[i] = Some((now.term, now.applied, now.revision));
    }

    /// Member `i`'s process stopped or started (or was replaced): its watermarks start over.
    pub(super) fn restarted(&mut self, i: usize) {
        if let Some(slot) = self.running.get_mut(i) {
            *slot = None;
        }
    }

    /// The running cluster was replaced by another (a restored one): its terms are its own.
    pub(super) fn replaced(&mut self) {
        *self = Invariants::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(id: u64, leads: bool, term: u64, applied: u64) -> Observed {
        Observed { id, leads, term, applied, revision: applied as i64 }
    }

    #[test]
    #[should_panic(expected = "two leaders in term 3")]
    fn two_leaders_in_one_term_are_caught() {
        let mut inv = Invariants::default();
        inv.observe(0, seen(1, true, 3, 10));
        inv.observe(1, seen(2, true, 3, 10));
    }

    #[test]
    #[should_panic(expected = "applied index went back")]
    fn a_running_member_cannot_unapply() {
        let mut inv = Invariants::default();
        inv.observe(0, seen(1, false, 3, 10));
        inv.observe(0, seen(1, false, 3, 9));
    }

    #[test]
    fn a_restart_starts_the_watermarks_over() {
        let mut inv = Invariants::default();
        inv.observe(0, seen(1, true, 3, 10));
        inv.restarted(0);
        inv.observe(0, seen(1, false, 3, 4));
        inv.observe(1, seen(2, true, 4, 12));
        inv.replaced();
        inv.observe(0, seen(9, true, 2, 1));
    }
}
