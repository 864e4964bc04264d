//! The key index's map from each key to its [`KeyIndex`], kept in leaves that copies of the store share.
//!
//! A checkpoint of the world (see `playground::checkpoint`) copies every member's store. With 100k
//! Kubernetes objects a plain `BTreeMap` of key histories took 25-35 ms per member to copy, natively: a
//! checkpoint became a long task in the page. Here a copy clones one pointer per leaf of [`LEAF_KEYS`] keys;
//! a write then copies the leaf it changes (its keys' pointers) and the one history it changes, and only
//! while a copy still shares them, so the cost of a checkpoint follows what the world writes after it.

use super::key_index::KeyIndex;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// The most keys a leaf holds before it splits in two: small enough that the copy a write makes of a
/// shared leaf is cheap, large enough that a copy of the index is a few hundred pointers per 100k keys.
const LEAF_KEYS: usize = 256;

/// Each key's history behind its own pointer, so that copying a shared leaf (on the first write to it
/// after a checkpoint) copies 256 pointers, not 256 histories; the write then copies the one it changes.
type Leaf = BTreeMap<Arc<[u8]>, Arc<KeyIndex>>;

/// Keys to key histories, in key order.
#[derive(Clone, Debug)]
pub struct Index {
    /// Leaves by their lower bound: a leaf holds the keys from its bound up to the next leaf's. The
    /// first leaf's bound is the empty key, below every key, so every key has a leaf.
    leaves: BTreeMap<Arc<[u8]>, Arc<Leaf>>,
}

impl Default for Index {
    fn default() -> Self {
        Index { leaves: BTreeMap::from([(Arc::from(&[][..]), Arc::default())]) }
    }
}

impl Index {
    pub fn get(&self, key: &[u8]) -> Option<&KeyIndex> {
        self.slot(key).1.get(key).map(|h| &**h)
    }

    /// The indexed copy of `key` with its history: versions share that copy.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&Arc<[u8]>, &KeyIndex)> {
        self.slot(key).1.get_key_value(key).map(|(k, h)| (k, &**h))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.slot(key).1.contains_key(key)
    }

    /// The history of `key` to change; its leaf is copied first if a copy of the index shares it.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut KeyIndex> {
        let (_, leaf) = self.slot_mut(key);
        if !leaf.contains_key(key) {
            return None; // no leaf copied for a miss
        }
        Arc::make_mut(leaf).get_mut(key).map(Arc::make_mut)
    }

    pub fn insert(&mut self, key: Arc<[u8]>, history: KeyIndex) {
        let leaf = Arc::make_mut(self.slot_mut(&key).1);
        leaf.insert(key.clone(), Arc::new(history));
        let split = (leaf.len() > LEAF_KEYS).then(|| {
            let middle = leaf.keys().nth(leaf.len() / 2).expect("a full leaf has a middle").clone();
            let upper = leaf.split_off(&middle);
            (middle, upper)
        });
        if let Some((middle, upper)) = split {
            self.leaves.insert(middle, Arc::new(upper));
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<KeyIndex> {
        let (bound, leaf) = self.slot_mut(key);
        if !leaf.contains_key(key) {
            return None;
        }
        let removed = Arc::make_mut(leaf).remove(key).map(|h| Arc::try_unwrap(h).unwrap_or_else(|h| (*h).clone()));
        // An empty leaf goes, but the first: the one before it then holds its keys' range too.
        let emptied = (leaf.is_empty() && !bound.is_empty()).then(|| bound.clone());
        if let Some(bound) = emptied {
            self.leaves.remove(&bound);
        }
        removed
    }

    /// The keys within `bounds`, in order.
    pub fn range<'a>(
        &'a self,
        bounds: (Bound<&'a [u8]>, Bound<&'a [u8]>),
    ) -> impl Iterator<Item = (&'a Arc<[u8]>, &'a KeyIndex)> + 'a {
        let first: &[u8] = match bounds.0 {
            Bound::Included(k) | Bound::Excluded(k) => self.slot(k).0,
            Bound::Unbounded => &[],
        };
        let reaches = move |bound: &[u8]| match bounds.1 {
            Bound::Included(end) => bound <= end,
            Bound::Excluded(end) => bound < end,
            Bound::Unbounded => true,
        };
        self.leaves
            .range::<[u8], _>((Bound::Included(first), Bound::Unbounded))
            .take_while(move |(bound, _)| reaches(bound))
            .flat_map(move |(_, leaf)| leaf.range::<[u8], _>(bounds).map(|(k, h)| (k, &**h)))
    }

    /// Every key's history, in key order.
    pub fn values(&self) -> impl Iterator<Item = &KeyIndex> + '_ {
        self.leaves.values().flat_map(|leaf| leaf.values().map(|h| &**h))
    }

    /// Drops up to `leaves` leaves, the last first; true once none is left. For a copy nobody will read
    /// again (an evicted checkpoint): freeing 100k keys' histories at once took 5 ms a member natively.
    pub fn shed(&mut self, leaves: usize) -> bool {
        for _ in 0..leaves {
            if self.leaves.pop_last().is_none() {
                return true;
            }
        }
        self.leaves.is_empty()
    }

    /// The leaf that holds (or would hold) `key`, with its lower bound.
    fn slot(&self, key: &[u8]) -> (&Arc<[u8]>, &Arc<Leaf>) {
        self.leaves.range::<[u8], _>(up_to(key)).next_back().expect("every key has a leaf")
    }

    /// The same, to change: a caller copies the leaf (`Arc::make_mut`) only once it knows it will write.
    fn slot_mut(&mut self, key: &[u8]) -> (&Arc<[u8]>, &mut Arc<Leaf>) {
        self.leaves.range_mut::<[u8], _>(up_to(key)).next_back().expect("every key has a leaf")
    }
}

/// The leaves' bounds at or below `key`: the last of them is `key`'s leaf.
fn up_to(key: &[u8]) -> (Bound<&[u8]>, Bound<&[u8]>) {
    (Bound::Unbounded, Bound::Included(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::Revision;
    use rand::{Rng, SeedableRng};

    type Model = BTreeMap<Arc<[u8]>, KeyIndex>;

    fn history(main: i64) -> KeyIndex {
        let mut ki = KeyIndex::default();
        ki.put(Revision::new(main + 1, 0));
        ki
    }

    fn key(n: u32) -> Arc<[u8]> {
        Arc::from(format!("/registry/pods/{n:05}").as_bytes())
    }

    /// An evicted checkpoint's index is freed a few leaves at a time, and says when it is empty.
    #[test]
    fn sheds_a_few_leaves_at_a_time() {
        let mut index = Index::default();
        for n in 0..2_000 {
            index.insert(key(n), history(n.into()));
        }
        let leaves = index.leaves.len();
        assert!(leaves > 8, "{leaves} leaves");
        let mut calls = 1;
        while !index.shed(3) {
            calls += 1;
        }
        assert_eq!(calls, leaves.div_ceil(3));
        assert_eq!(index.values().count(), 0);
    }

    /// Inserts, removes and ranges against a plain `BTreeMap`, with copies taken along the way that must
    /// not change when the original does: leaves split, empty out and are shared.
    #[test]
    fn behaves_as_a_map_and_copies_stay_as_they_were() {
        let seed = 11;
        println!("seed {seed}");
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut index = Index::default();
        let mut model: Model = BTreeMap::new();
        let mut copies: Vec<(Index, Model)> = Vec::new();
        for step in 0..20_000 {
            let k = key(rng.gen_range(0..3_000));
            match rng.gen_range(0..10) {
                0..=5 => {
                    index.insert(k.clone(), history(step));
                    model.insert(k, history(step));
                }
                6..=7 => assert_eq!(index.remove(&k), model.remove(&k)),
                _ => {
                    let h = index.get_mut(&k).map(|ki| {
                        ki.put(Revision::new(step + 100_000, 0));
                        ki.clone()
                    });
                    if let Some(ki) = model.get_mut(&k) {
                        ki.put(Revision::new(step + 100_000, 0));
                    }
                    assert_eq!(h.as_ref(), model.get(&k));
                }
            }
            if step % 2_500 == 0 {
                copies.push((index.clone(), model.clone()));
            }
        }
        copies.push((index, model));
        for (index, model) in &copies {
            assert_eq!(index.values().count(), model.len());
            assert!(index.leaves.values().all(|l| l.len() <= LEAF_KEYS));
            assert!(index.leaves.iter().skip(1).all(|(_, l)| !l.is_empty()));
            let all: Vec<_> = index.range((Bound::Unbounded, Bound::Unbounded)).collect();
            assert_eq!(all, model.iter().collect::<Vec<_>>());
            assert!(index.values().eq(model.values()));
            for (a, b) in [(17, 1_500), (0, 3_000), (2_999, 3_100), (1_200, 1_201)] {
                let (a, b) = (key(a), key(b));
                for bounds in [
                    (Bound::Included(&a[..]), Bound::Excluded(&b[..])),
                    (Bound::Excluded(&a[..]), Bound::Included(&b[..])),
                    (Bound::Included(&a[..]), Bound::Unbounded),
                    (Bound::Unbounded, Bound::Excluded(&b[..])),
                ] {
                    let got: Vec<_> = index.range(bounds).map(|(k, _)| k.clone()).collect();
                    let want: Vec<_> = model.range::<[u8], _>(bounds).map(|(k, _)| k.clone()).collect();
                    assert_eq!(got, want);
                }
            }
            // Bounds on a leaf's own lower bound: the edges between leaves.
            for edge in index.leaves.keys().skip(1) {
                for bounds in [
                    (Bound::Unbounded, Bound::Included(&edge[..])),
                    (Bound::Unbounded, Bound::Excluded(&edge[..])),
                    (Bound::Excluded(&edge[..]), Bound::Unbounded),
                ] {
                    assert!(index.range(bounds).map(|(k, _)| k).eq(model.range::<[u8], _>(bounds).map(|(k, _)| k)));
                }
            }
            for n in (0..3_000).step_by(7) {
                let k = key(n);
                assert_eq!(index.get(&k), model.get(&k));
                assert_eq!(
                    index.get_key_value(&k).map(|(k, _)| k.clone()),
                    model.get_key_value(&k).map(|(k, _)| k.clone())
                );
            }
        }
    }
}
