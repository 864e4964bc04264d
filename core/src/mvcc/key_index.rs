//! The key index: for one key, every revision that touched it, grouped into generations.
//!
//! A generation is a key's life from creation to deletion. Deleting appends a tombstone revision to the
//! current generation and opens an empty one. For a key put at 1.0, 2.0, 3.0, deleted at 4.0, put again
//! at 5.0 and 6.0 (as etcd's key_index.go draws it):
//!
//! ```text
//! generations:
//!     {empty}                 <- the next life starts here
//!     {5.0, 6.0}              <- current life (version 2)
//!     {1.0, 2.0, 3.0, 4.0(t)} <- first life, ended by the tombstone 4.0
//! ```
//!
//! Compaction at revision N keeps, per generation still alive at N, the newest revision <= N, and drops
//! whole generations whose tombstone is <= N.

use super::revision::Revision;

/// One life of a key: its creation revision, its version count, and its revisions (last may be a tombstone).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generation {
    pub ver: i64,
    pub created: Revision,
    pub revs: Vec<Revision>,
}

impl Generation {
    fn is_empty(&self) -> bool {
        self.revs.is_empty()
    }

    /// Index of the newest revision with `main <= at_rev`, if any.
    fn newest_at_or_before(&self, at_rev: i64) -> Option<usize> {
        self.revs.iter().rposition(|r| r.main <= at_rev)
    }
}

/// The history of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyIndex {
    pub modified: Revision,
    pub generations: Vec<Generation>,
}

/// What the index knows about a key at some revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyAt {
    pub modified: Revision,
    pub created: Revision,
    pub version: i64,
}

impl Default for KeyIndex {
    fn default() -> Self {
        KeyIndex { modified: Revision::default(), generations: vec![Generation::default()] }
    }
}

impl KeyIndex {
    /// Records a put at `rev`.
    pub fn put(&mut self, rev: Revision) {
        assert!(rev > self.modified, "put at {rev:?} not after {:?}", self.modified);
        if self.generations.is_empty() {
            self.generations.push(Generation::default());
        }
        let g = self.generations.last_mut().expect("a generation exists");
        if g.revs.is_empty() {
            g.created = rev;
        }
        g.revs.push(rev);
        g.ver += 1;
        self.modified = rev;
    }

    /// Records a delete at `rev`: a tombstone ends the current generation. Returns false (and changes
    /// nothing) when the key is not live.
    pub fn tombstone(&mut self, rev: Revision) -> bool {
        match self.generations.last() {
            Some(g) if !g.is_empty() => {}
            _ => return false,
        }
        self.put(rev);
        self.generations.push(Generation::default());
        true
    }

    /// The key's state as of `at_rev`, or None if it did not exist then.
    pub fn get(&self, at_rev: i64) -> Option<KeyAt> {
        let g = self.find_generation(at_rev)?;
        let n = g.newest_at_or_before(at_rev)?;
        Some(KeyAt { modified: g.revs[n], created: g.created, version: g.ver - (g.revs.len() - n - 1) as i64 })
    }

    /// The generation that was live at `at_rev`, if the key existed then.
    fn find_generation(&self, at_rev: i64) -> Option<&Generation> {
        let last = self.generations.len().checked_sub(1)?;
        for (i, g) in self.generations.iter().enumerate().rev() {
            if g.is_empty() {
                continue;
            }
            if i != last {
                let tomb = g.revs[g.revs.len() - 1].main;
                if tomb <= at_rev {
                    return None;
                }
            }
            if g.revs[0].main <= at_rev {
                return Some(g);
            }
        }
        None
    }

    /// Every revision of this key newer than `since` (exclusive), in order, for watch catch-up.
    pub fn revisions_after(&self, since: i64) -> impl Iterator<Item = Revision> + '_ {
        self.generations.iter().flat_map(|g| g.revs.iter().copied()).filter(move |r| r.main > since)
    }

    /// Compacts history up to `at_rev`, adding to `dropped` the revisions that leave the store (in this
    /// key's order: the caller sorts them).
    pub fn compact(&mut self, at_rev: i64, dropped: &mut Vec<Revision>) {
        if self.generations.is_empty() {
            return;
        }
        let mut gen_idx = 0;
        while gen_idx < self.generations.len() - 1 {
            let g = &self.generations[gen_idx];
            if g.revs[g.revs.len() - 1].main > at_rev {
                break;
            }
            gen_idx += 1;
        }
        let is_last = gen_idx == self.generations.len() - 1;
        let g = &mut self.generations[gen_idx];
        if let Some(n) = g.newest_at_or_before(at_rev) {
            dropped.extend(g.revs.drain(..n));
            if g.revs.len() == 1 && !is_last {
                // Only the tombstone is left: the whole generation is history.
                gen_idx += 1;
            }
        }
        for g in self.generations.drain(..gen_idx) {
            dropped.extend(g.revs);
        }
    }

    /// Whether the key holds more than one revision (older ones, or a tombstone): a key written once has
    /// nothing a compaction could drop.
    pub fn has_history(&self) -> bool {
        self.generations.len() > 1 || self.generations.first().is_some_and(|g| g.revs.len() > 1)
    }

    /// True when nothing of the key remains (after compaction removed its last generation).
    pub fn is_empty(&self) -> bool {
        self.generations.len() == 1 && self.generations[0].is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(main: i64) -> Revision {
        Revision::new(main, 0)
    }

    /// The example of the module comment: two lives of one key.
    fn two_lives() -> KeyIndex {
        let mut ki = KeyIndex::default();
        ki.put(r(1));
        ki.put(r(2));
        ki.put(r(3));
        assert!(ki.tombstone(r(4)));
        ki.put(r(5));
        ki.put(r(6));
        ki
    }

    #[test]
    fn get_walks_generations() {
        let ki = two_lives();
        assert_eq!(ki.get(0), None);
        assert_eq!(ki.get(2), Some(KeyAt { modified: r(2), created: r(1), version: 2 }));
        assert_eq!(ki.get(3).map(|k| k.version), Some(3));
        assert_eq!(ki.get(4), None, "deleted at 4");
        assert_eq!(ki.get(5), Some(KeyAt { modified: r(5), created: r(5), version: 1 }));
        assert_eq!(ki.get(100), Some(KeyAt { modified: r(6), created: r(5), version: 2 }));
    }

    #[test]
    fn tombstone_of_dead_key_is_refused() {
        let mut ki = KeyIndex::default();
        assert!(!ki.tombstone(r(1)));
        ki.put(r(2));
        assert!(ki.tombstone(r(3)));
        assert!(!ki.tombstone(r(4)));
    }

    #[test]
    fn compaction_keeps_newest_per_generation() {
        let mut ki = two_lives();
        assert!(ki.has_history());
        let mut dropped = Vec::new();
        ki.compact(2, &mut dropped);
        assert_eq!(dropped, [r(1)]);
        assert_eq!(ki.generations[0].revs, vec![r(2), r(3), r(4)]);
        assert_eq!(ki.get(2).map(|k| k.version), Some(2), "version survives compaction");

        let mut dropped = Vec::new();
        ki.compact(4, &mut dropped);
        assert_eq!(dropped, [r(2), r(3), r(4)], "a generation ended by a tombstone <= 4 is gone");
        assert_eq!(ki.generations.len(), 1, "only the live generation (5, 6) remains");
        assert_eq!(ki.get(6).map(|k| k.version), Some(2));

        let mut dropped = Vec::new();
        ki.compact(6, &mut dropped);
        assert_eq!(dropped, [r(5)]);
        assert!(!ki.is_empty());
        assert!(!ki.has_history(), "only the newest revision is left");
    }

    #[test]
    fn compacting_a_deleted_key_empties_it() {
        let mut ki = KeyIndex::default();
        ki.put(r(2));
        ki.tombstone(r(3));
        let mut dropped = Vec::new();
        ki.compact(3, &mut dropped);
        assert!(ki.is_empty());
        assert_eq!(dropped, [r(2), r(3)]);
    }
}
