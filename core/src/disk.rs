//! A member's disk: its WAL (hard state and entries), its Raft snapshot and conf state. What the process
//! wrote is visible to it at once, as the page cache makes it, but survives a crash only once an fsync
//! has finished; each fsync takes the time the disk's profile draws (an NVMe drive, an SSD, a spinning
//! disk, or a custom slow disk). The MVCC store is rebuilt from the snapshot plus the log on restart, so
//! the disk is the only durable state a member has.

use crate::cluster::Member;
use crate::mvcc::versions::Versions;
use crate::rng::SimRng;
use crate::snapshot::SnapshotData;
use raft::prelude::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, StorageError};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// How long one fsync takes on a disk, uniform in `[min_us, max_us]` microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskProfile {
    pub min_us: u64,
    pub max_us: u64,
}

impl DiskProfile {
    /// A datacenter NVMe drive: fsync well under a millisecond (the default).
    pub const NVME: DiskProfile = DiskProfile { min_us: 100, max_us: 400 };
    /// A SATA SSD: about a millisecond or two.
    pub const SSD: DiskProfile = DiskProfile { min_us: 800, max_us: 2_500 };
    /// A 7200 rpm disk: around ten milliseconds, more than etcd's guidance of p99 under 10 ms.
    pub const HDD: DiskProfile = DiskProfile { min_us: 8_000, max_us: 25_000 };

    /// A named preset (`nvme`, `ssd`, `hdd`).
    pub fn preset(name: &str) -> Option<DiskProfile> {
        match name.to_ascii_lowercase().as_str() {
            "nvme" => Some(DiskProfile::NVME),
            "ssd" => Some(DiskProfile::SSD),
            "hdd" => Some(DiskProfile::HDD),
            _ => None,
        }
    }

    /// A disk whose fsync takes `latency_ms` ± `jitter_ms`.
    pub fn fixed(latency_ms: u64, jitter_ms: u64) -> DiskProfile {
        DiskProfile { min_us: latency_ms.saturating_sub(jitter_ms) * 1000, max_us: (latency_ms + jitter_ms) * 1000 }
    }

    /// The preset's name, or a description of a custom disk.
    pub fn describe(&self) -> String {
        match *self {
            DiskProfile::NVME => "NVMe".to_string(),
            DiskProfile::SSD => "SSD".to_string(),
            DiskProfile::HDD => "HDD".to_string(),
            p => format!("fsync {}-{} ms", p.min_us as f64 / 1000.0, p.max_us as f64 / 1000.0),
        }
    }
}

/// What writing takes besides the fsync's own latency: about 500 MB/s of sequential writes, so a batch of
/// large entries (Kubernetes objects near 1 MiB) visibly lengthens its fsync, and with it the backend
/// commit, which is timed like the last fsync. Small writes (a few KB) add nothing measurable.
pub const WRITE_US_PER_MIB: u64 = 2_000;

/// The bytes a batch of writes puts on the disk (entries' payloads and received snapshots).
fn written_bytes(batch: &[Write]) -> u64 {
    let bytes = |w: &Write| match w {
        Write::Append(entries) => entries.iter().map(|e| e.data.len()).sum(),
        Write::Install(snap) => snap.data.len(),
        _ => 0,
    };
    batch.iter().map(bytes).sum::<usize>() as u64
}

impl Default for DiskProfile {
    fn default() -> Self {
        DiskProfile::NVME
    }
}

/// One write to the WAL or the snapshot directory.
#[derive(Clone, Debug)]
pub enum Write {
    /// Entries from the leader or proposed here; they replace any conflicting suffix.
    Append(Vec<Entry>),
    HardState(HardState),
    ConfState(ConfState),
    /// A snapshot received from the leader: it replaces the whole log.
    Install(Snapshot),
    /// A snapshot of this member's own applied state (log compaction): its metadata, and the state
    /// itself, encoded only when a follower needs it sent. The log stays.
    SaveSnapshot(Snapshot, Rc<SnapshotData>),
    /// Drop entries before this index (they are covered by the saved snapshot).
    Compact(u64),
}

/// The Raft state on a disk: hard state, conf state, the newest snapshot and the entries after it.
#[derive(Clone, Debug, Default)]
pub struct LogState {
    pub hard_state: HardState,
    pub conf_state: ConfState,
    pub snapshot: Snapshot,
    /// The state a self-saved snapshot holds (its `data` stays empty until it is sent).
    pub snapshot_state: Option<Rc<SnapshotData>>,
    /// Consecutive entries; the first may precede the snapshot (kept so slow followers catch up from
    /// the log rather than by snapshot, like etcd's `SnapshotCatchUpEntries`).
    pub entries: Vec<Entry>,
    garbage: Garbage,
}

/// What a log compaction or a newer snapshot replaced, freed a batch per write: freeing a
/// `--snapshot-count` of entries, or the history only an old snapshot still held, at once is a long task
/// in the page; etcd leaves both to Go's collector, which runs beside its apply loop. Garbage is not
/// state: a copy of the log starts without it.
#[derive(Debug, Default)]
struct Garbage {
    entries: Vec<Vec<Entry>>,
    histories: Vec<Versions>,
}

/// Entries, and chunks of a history (up to 1,024 versions each), freed per write to a log.
const ENTRIES_PER_WRITE: usize = 2_000;
const CHUNKS_PER_WRITE: usize = 2;

impl Clone for Garbage {
    fn clone(&self) -> Garbage {
        Garbage::default()
    }
}

impl Garbage {
    /// Keeps an old snapshot's state to free later, if nothing else holds it.
    fn put_state(&mut self, state: Rc<SnapshotData>) {
        if let Ok(data) = Rc::try_unwrap(state) {
            self.histories.push(data.versions);
        }
    }

    fn sweep(&mut self) {
        let mut budget = ENTRIES_PER_WRITE;
        while let Some(last) = self.entries.last_mut() {
            let n = budget.min(last.len());
            last.truncate(last.len() - n);
            budget -= n;
            if !last.is_empty() || budget == 0 {
                break;
            }
            self.entries.pop();
        }
        if let Some(last) = self.histories.last_mut() {
            if last.drop_chunks(CHUNKS_PER_WRITE) {
                self.histories.pop();
            }
        }
    }
}

impl LogState {
    fn snapshot_index(&self) -> u64 {
        self.snapshot.get_metadata().index
    }

    pub fn first_index(&self) -> u64 {
        self.entries.first().map_or(self.snapshot_index() + 1, |e| e.index)
    }

    pub fn last_index(&self) -> u64 {
        self.entries.last().map_or(self.snapshot_index(), |e| e.index)
    }

    fn apply(&mut self, write: Write) {
        self.garbage.sweep();
        match write {
            Write::Append(entries) => self.append(entries),
            Write::HardState(hs) => self.hard_state = hs,
            Write::ConfState(cs) => self.conf_state = cs,
            Write::Install(snap) => {
                let meta = snap.get_metadata();
                self.hard_state.term = self.hard_state.term.max(meta.term);
                self.hard_state.commit = self.hard_state.commit.max(meta.index);
                self.conf_state = meta.get_conf_state().clone();
                self.garbage.entries.push(std::mem::take(&mut self.entries));
                self.snapshot = snap;
                if let Some(old) = self.snapshot_state.take() {
                    self.garbage.put_state(old);
                }
            }
            Write::SaveSnapshot(snap, state) => {
                self.snapshot = snap;
                if let Some(old) = self.snapshot_state.replace(state) {
                    self.garbage.put_state(old);
                }
            }
            Write::Compact(index) => {
                let drop = self.entries.iter().take_while(|e| e.index < index).count();
                let kept = self.entries.split_off(drop);
                self.garbage.entries.push(std::mem::replace(&mut self.entries, kept));
            }
        }
    }

    fn append(&mut self, mut entries: Vec<Entry>) {
        let floor = self.snapshot_index();
        let Some(first) = entries.iter().position(|e| e.index > floor) else { return };
        let start = entries[first].index;
        // The log's entries are consecutive: those before `start` are found by arithmetic, not a walk
        // over up to --snapshot-count entries on every append.
        let keep = self.entries.first().map_or(0, |e| start.saturating_sub(e.index) as usize).min(self.entries.len());
        debug_assert!(keep == 0 || self.entries[keep - 1].index < start, "the log is consecutive");
        debug_assert!(self.entries.get(keep).is_none_or(|e| e.index >= start), "the log is consecutive");
        self.entries.truncate(keep);
        self.entries.extend(entries.drain(first..));
    }
}

/// A disk's contents and its fsync queue.
#[derive(Clone, Debug, Default)]
pub struct DiskCore {
    /// What the process wrote: what Raft reads.
    pub written: LogState,
    /// What an fsync has made durable: what survives a crash.
    pub durable: LogState,
    /// Writes since the last fsync began.
    unsynced: Vec<Write>,
    /// Fsyncs under way, oldest first, each with the writes it makes durable.
    syncing: VecDeque<Vec<Write>>,
    /// When the disk is free again, in simulated microseconds (fsyncs run one at a time).
    busy_until_us: u64,
}

/// A handle on a disk that raft-rs reads through; it and the [`Disk`] share the same contents.
#[derive(Clone, Debug, Default)]
pub struct DiskStorage(Rc<RefCell<DiskCore>>);

impl raft::Storage for DiskStorage {
    fn initial_state(&self) -> raft::Result<RaftState> {
        let core = self.0.borrow();
        Ok(RaftState { hard_state: core.written.hard_state.clone(), conf_state: core.written.conf_state.clone() })
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        let core = self.0.borrow();
        let log = &core.written;
        if low < log.first_index() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > log.last_index() + 1 {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let offset = log.first_index();
        let mut out = log.entries[(low - offset) as usize..(high - offset) as usize].to_vec();
        raft::util::limit_size(&mut out, max_size.into());
        Ok(out)
    }

    fn term(&self, idx: u64) -> raft::Result<u64> {
        let core = self.0.borrow();
        let log = &core.written;
        let meta = log.snapshot.get_metadata();
        if idx == meta.index {
            return Ok(meta.term);
        }
        if idx < log.first_index() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        match log.entries.get((idx - log.first_index()) as usize) {
            Some(e) => Ok(e.term),
            None => Err(raft::Error::Store(StorageError::Unavailable)),
        }
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.0.borrow().written.first_index())
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.0.borrow().written.last_index())
    }

    fn snapshot(&self, request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        let core = self.0.borrow();
        let snap = &core.written.snapshot;
        if snap.get_metadata().index < request_index || snap.get_metadata().index == 0 {
            return Err(raft::Error::Store(StorageError::SnapshotTemporarilyUnavailable));
        }
        let mut snap = snap.clone();
        if let Some(state) = core.written.snapshot_state.as_ref().filter(|_| snap.data.is_empty()) {
            snap.set_data(state.encode().into());
        }
        Ok(snap)
    }
}

/// Durable storage of one member. The contents are shared with the [`DiskStorage`] handle the member's
/// Raft reads, so the disk outlives the process that writes to it: a restarted member opens the same disk.
#[derive(Clone, Debug)]
pub struct Disk {
    storage: DiskStorage,
    /// The members the cluster was bootstrapped with (etcd keeps them in its WAL metadata).
    pub bootstrap: Vec<Member>,
    /// The backend a restored member starts from (`snapshot restore`); the log applies on top of it.
    pub base: Option<Rc<SnapshotData>>,
    pub profile: DiskProfile,
    /// Set when the data dir was deleted (`@wipe`): nothing is left to start from.
    pub wiped: bool,
}

impl Disk {
    /// A fresh data dir for a member of a new cluster (`--initial-cluster-state new`).
    pub fn bootstrap(members: &[Member]) -> Disk {
        let voters: Vec<u64> = members.iter().filter(|m| !m.is_learner).map(|m| m.id).collect();
        let learners: Vec<u64> = members.iter().filter(|m| m.is_learner).map(|m| m.id).collect();
        Disk::with_conf_state(ConfState::from((voters, learners)), members.to_vec())
    }

    /// An empty data dir that knows the cluster's configuration (a member joining an existing cluster).
    pub fn with_conf_state(conf_state: ConfState, bootstrap: Vec<Member>) -> Disk {
        let log = LogState { conf_state, ..Default::default() };
        let core = DiskCore { written: log.clone(), durable: log, ..Default::default() };
        Disk {
            storage: DiskStorage(Rc::new(RefCell::new(core))),
            bootstrap,
            base: None,
            profile: DiskProfile::default(),
            wiped: false,
        }
    }

    /// This data dir with a restored backend to start from.
    pub fn with_base(mut self, base: Option<Rc<SnapshotData>>) -> Disk {
        self.base = base;
        self
    }

    /// A separate disk with the same contents and fsyncs under way, for a copy of the world (a
    /// checkpoint): `clone` shares the contents, as a restarted process shares its disk.
    pub fn fork(&self) -> Disk {
        let core = self.storage.0.borrow().clone();
        Disk { storage: DiskStorage(Rc::new(RefCell::new(core))), ..self.clone() }
    }

    /// The handle raft-rs reads through.
    pub fn storage(&self) -> DiskStorage {
        self.storage.clone()
    }

    /// Reads the disk's contents.
    pub fn core(&self) -> std::cell::Ref<'_, DiskCore> {
        self.storage.0.borrow()
    }

    /// Writes to the page cache: visible at once, durable after the next fsync.
    pub fn write(&mut self, write: Write) {
        let mut core = self.storage.0.borrow_mut();
        core.written.apply(write.clone());
        core.unsynced.push(write);
    }

    /// Starts an fsync of everything written so far. Returns how long it takes (µs: the profile's draw
    /// plus [`WRITE_US_PER_MIB`] for the bytes written) and when it finishes (simulated ms); fsyncs queue
    /// behind each other.
    pub fn begin_fsync(&mut self, now_ms: u64, rng: &mut SimRng) -> (u64, u64) {
        let mut took_us = rng.range(self.profile.min_us, self.profile.max_us + 1);
        let mut core = self.storage.0.borrow_mut();
        let batch = std::mem::take(&mut core.unsynced);
        took_us += written_bytes(&batch) * WRITE_US_PER_MIB / (1 << 20);
        core.syncing.push_back(batch);
        core.busy_until_us = core.busy_until_us.max(now_ms * 1000) + took_us;
        (took_us, core.busy_until_us / 1000)
    }

    /// The oldest fsync under way has finished: its writes survive a crash from now on.
    pub fn finish_fsync(&mut self) {
        let mut core = self.storage.0.borrow_mut();
        if let Some(batch) = core.syncing.pop_front() {
            for w in batch {
                core.durable.apply(w);
            }
        }
    }

    /// The process died: whatever was not fsynced is gone.
    pub fn crash(&mut self) {
        let mut core = self.storage.0.borrow_mut();
        core.written = core.durable.clone();
        core.unsynced.clear();
        core.syncing.clear();
    }

    /// The data dir was deleted.
    pub fn wipe(&mut self) {
        *self.storage.0.borrow_mut() = DiskCore::default();
        self.base = None;
        self.wiped = true;
    }

    pub fn hard_state(&self) -> HardState {
        self.core().written.hard_state.clone()
    }

    pub fn conf_state(&self) -> ConfState {
        self.core().written.conf_state.clone()
    }

    pub fn last_index(&self) -> u64 {
        self.core().written.last_index()
    }

    pub fn first_index(&self) -> u64 {
        self.core().written.first_index()
    }

    /// The newest Raft snapshot's index and the state it holds (None when the log was never compacted).
    pub fn snapshot_state(&self) -> (u64, Option<Rc<SnapshotData>>) {
        let core = self.core();
        let log = &core.written;
        let state = match &log.snapshot_state {
            Some(state) => Some(state.clone()),
            None => SnapshotData::decode(&log.snapshot.data).ok().map(Rc::new),
        };
        (log.snapshot.get_metadata().index, state)
    }

    /// Entries written but not yet durable (lost if the member crashes now).
    pub fn unsynced_entries(&self) -> u64 {
        let core = self.core();
        core.written.last_index().saturating_sub(core.durable.last_index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::Storage;

    fn entry(index: u64, term: u64) -> Entry {
        Entry { index, term, ..Default::default() }
    }

    fn disk() -> Disk {
        Disk::with_conf_state(ConfState::from((vec![1], vec![])), vec![])
    }

    #[test]
    fn a_crash_loses_what_was_not_fsynced() {
        let mut d = disk();
        let mut rng = SimRng::new(1);
        d.write(Write::Append(vec![entry(1, 1), entry(2, 1)]));
        let (_, _due) = d.begin_fsync(0, &mut rng);
        d.finish_fsync();
        d.write(Write::Append(vec![entry(3, 1)]));
        assert_eq!(d.last_index(), 3);
        assert_eq!(d.unsynced_entries(), 1);
        d.crash();
        assert_eq!(d.last_index(), 2);
    }

    #[test]
    fn fsyncs_queue_behind_each_other() {
        let mut d = disk();
        d.profile = DiskProfile::fixed(10, 0);
        let mut rng = SimRng::new(1);
        assert_eq!(d.begin_fsync(5, &mut rng), (10_000, 15));
        assert_eq!(d.begin_fsync(5, &mut rng), (10_000, 25));
        assert_eq!(d.begin_fsync(100, &mut rng), (10_000, 110));
    }

    #[test]
    fn a_large_write_takes_longer_to_fsync() {
        let mut d = disk();
        d.profile = DiskProfile::fixed(1, 0);
        let mut rng = SimRng::new(1);
        let mut big = entry(1, 1);
        big.data = vec![b'x'; 1 << 20].into();
        d.write(Write::Append(vec![big]));
        assert_eq!(d.begin_fsync(0, &mut rng).0, 1_000 + WRITE_US_PER_MIB, "1 MiB written");
        d.write(Write::Append(vec![entry(2, 1)]));
        assert_eq!(d.begin_fsync(0, &mut rng).0, 1_000, "an empty entry adds nothing");
    }

    #[test]
    fn conflicting_entries_replace_the_suffix_and_compaction_keeps_the_rest() {
        let mut d = disk();
        d.write(Write::Append((1..=5).map(|i| entry(i, 1)).collect()));
        d.write(Write::Append(vec![entry(4, 2)]));
        assert_eq!(d.last_index(), 4);
        assert_eq!(d.storage().term(4), Ok(2));
        let mut snap = Snapshot::default();
        snap.mut_metadata().index = 3;
        snap.mut_metadata().term = 1;
        d.write(Write::SaveSnapshot(snap, Rc::new(crate::snapshot::tests::sample())));
        d.write(Write::Compact(3));
        assert_eq!(d.first_index(), 3);
        assert_eq!(d.storage().term(2), Err(raft::Error::Store(StorageError::Compacted)));
        assert_eq!(d.storage().entries(3, 5, None, GetEntriesContext::empty(false)).map(|e| e.len()), Ok(2));
        let sent = d.storage().snapshot(0, 2).expect("a snapshot to send");
        assert_eq!(sent.get_metadata().index, 3);
        assert_eq!(SnapshotData::decode(&sent.data), Ok(crate::snapshot::tests::sample()), "encoded when sent");
    }

    #[test]
    fn an_installed_snapshot_replaces_the_log() {
        let mut d = disk();
        d.write(Write::Append((1..=3).map(|i| entry(i, 1)).collect()));
        let mut snap = Snapshot::default();
        snap.mut_metadata().index = 10;
        snap.mut_metadata().term = 2;
        d.write(Write::Install(snap));
        assert_eq!((d.first_index(), d.last_index()), (11, 10));
        assert_eq!(d.hard_state().commit, 10);
        assert_eq!(d.storage().term(10), Ok(2));
    }
}
