//! Auto-compaction, as etcd 3.4's `--auto-compaction-mode` runs it on the leader: `periodic` keeps a
//! retention period of history (sampling the revision every tenth of the period, at most hourly, and
//! compacting to the revision seen a period ago), `revision` keeps the newest N revisions (checking every
//! five minutes). Kubernetes clusters rely on one or the other, or on the API server compacting.

/// How often the revision compactor checks (etcd's `revInterval`).
pub const REVISION_CHECK_MS: u64 = 5 * 60 * 1000;
const HOUR_MS: u64 = 60 * 60 * 1000;
/// The periodic compactor samples the revision this many times per (capped) period.
const RETRY_DIVISOR: u64 = 10;

/// `--auto-compaction-mode` with its `--auto-compaction-retention`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// Keep this much history, in milliseconds.
    Periodic { retention_ms: u64 },
    /// Keep this many revisions.
    Revision { retention: i64 },
}

/// The compactor's state on one member; it acts only while the member leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compactor {
    pub mode: Mode,
    /// Revisions sampled, oldest first (periodic mode).
    revs: std::collections::VecDeque<i64>,
    next_check_ms: u64,
    last_success_ms: u64,
    /// Time since the last compaction before the next may run: the period at first, then the interval.
    wait_ms: u64,
    last_compacted: i64,
}

impl Compactor {
    pub fn new(mode: Mode, now_ms: u64) -> Compactor {
        let mut c = Compactor {
            mode,
            revs: Default::default(),
            next_check_ms: now_ms,
            last_success_ms: now_ms,
            wait_ms: 0,
            last_compacted: 0,
        };
        if let Mode::Periodic { retention_ms } = mode {
            c.wait_ms = retention_ms;
        } else {
            c.next_check_ms = now_ms + REVISION_CHECK_MS;
        }
        c
    }

    /// When the compactor wants to look again.
    pub fn next_check_ms(&self) -> u64 {
        self.next_check_ms
    }

    /// Called on the leader at `now_ms` with its current revision; returns a revision to compact to.
    pub fn poll(&mut self, now_ms: u64, current_rev: i64) -> Option<i64> {
        if now_ms < self.next_check_ms {
            return None;
        }
        match self.mode {
            Mode::Revision { retention } => {
                self.next_check_ms = now_ms + REVISION_CHECK_MS;
                let rev = current_rev - retention;
                self.compact_to(rev)
            }
            Mode::Periodic { retention_ms } => self.poll_periodic(now_ms, current_rev, retention_ms),
        }
    }

    fn poll_periodic(&mut self, now_ms: u64, current_rev: i64, retention_ms: u64) -> Option<i64> {
        let interval = retention_ms.min(HOUR_MS);
        let retry = (interval / RETRY_DIVISOR).max(1);
        let keep = (retention_ms / retry) as usize + 1;
        self.revs.push_back(current_rev);
        while self.revs.len() > keep {
            self.revs.pop_front();
        }
        self.next_check_ms = now_ms + retry;
        if now_ms - self.last_success_ms < self.wait_ms {
            return None;
        }
        self.wait_ms = interval;
        let rev = *self.revs.front()?;
        let out = self.compact_to(rev);
        if out.is_some() {
            self.last_success_ms = now_ms;
        }
        out
    }

    /// A revision worth compacting to: positive and not already compacted.
    fn compact_to(&mut self, rev: i64) -> Option<i64> {
        if rev <= 0 || rev <= self.last_compacted {
            return None;
        }
        self.last_compacted = rev;
        Some(rev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_mode_keeps_the_newest_revisions_every_five_minutes() {
        let mut c = Compactor::new(Mode::Revision { retention: 100 }, 0);
        assert_eq!(c.poll(1_000, 500), None, "not due yet");
        assert_eq!(c.poll(REVISION_CHECK_MS, 500), Some(400));
        assert_eq!(c.poll(2 * REVISION_CHECK_MS, 500), None, "nothing new to compact");
        assert_eq!(c.poll(3 * REVISION_CHECK_MS, 650), Some(550));
        assert_eq!(c.poll(4 * REVISION_CHECK_MS, 50), None, "below the retention");
    }

    #[test]
    fn periodic_mode_compacts_to_the_revision_seen_a_period_ago() {
        let minute = 60_000;
        let mut c = Compactor::new(Mode::Periodic { retention_ms: 10 * minute }, 0);
        let mut compacted = Vec::new();
        // One revision per second of traffic; the compactor looks every minute (a tenth of the period).
        for t in (0..=30 * minute).step_by(1_000) {
            if let Some(rev) = c.poll(t, (t / 1_000) as i64 + 1) {
                compacted.push((t / minute, rev));
            }
        }
        // The first compaction waits a whole period; then one per period, each a period behind.
        assert_eq!(compacted, vec![(10, 1), (20, 601), (30, 1201)]);
    }
}
