//! etcd's Prometheus metrics for one member, under etcd 3.4's names, help texts and bucket boundaries, and
//! their text exposition as etcd's `/metrics` serves it (Go's `prometheus/client_golang` through
//! `expfmt`): families sorted by name, `# HELP` then `# TYPE`, a histogram's cumulative `_bucket` lines up
//! to `+Inf`, then `_sum` and `_count`, and numbers printed as Go's `strconv.FormatFloat(v, 'g', -1, 64)`.
//!
//! What a member observes while it runs (fsync and commit latencies, peer round trips, leader changes,
//! failed proposals) is kept in [`Metrics`]; what can be read off the member's state when it is scraped
//! (leadership, indexes, sizes, key and watcher counts) is passed in as [`Gauges`] so it is never stale.
//! Metrics live in the member's [`super::Server`], so a killed process loses them, as etcd's do.

use std::collections::BTreeMap;
use std::fmt::Write;

/// A value that only goes up (a Prometheus counter; Go keeps it as a float).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counter(f64);

impl Counter {
    pub fn inc(&mut self) {
        self.0 += 1.0;
    }

    /// Adds `v`; a negative `v` is ignored, as a counter cannot go down (Go's client panics instead).
    pub fn add(&mut self, v: f64) {
        if v > 0.0 {
            self.0 += v;
        }
    }

    pub fn get(&self) -> f64 {
        self.0
    }
}

/// A value that goes up and down (a Prometheus gauge).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Gauge(f64);

impl Gauge {
    pub fn set(&mut self, v: f64) {
        self.0 = v;
    }

    pub fn get(&self) -> f64 {
        self.0
    }
}

/// Bucket upper bounds `start, start*factor, ...` (`count` of them), computed by repeated multiplication
/// as `prometheus.ExponentialBuckets` does, so the floats (and how they print) are the same.
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Vec<f64> {
    let mut bounds = Vec::with_capacity(count);
    let mut next = start;
    for _ in 0..count {
        bounds.push(next);
        next *= factor;
    }
    bounds
}

/// `ExponentialBuckets(0.001, 2, 14)`: 1 ms to 8.192 s, etcd's WAL fsync and backend commit buckets.
pub fn disk_buckets() -> Vec<f64> {
    exponential_buckets(0.001, 2.0, 14)
}

/// `ExponentialBuckets(0.0001, 2, 16)`: 0.1 ms to 3.2768 s, etcd 3.4's peer round-trip buckets.
pub fn peer_rtt_buckets() -> Vec<f64> {
    exponential_buckets(0.0001, 2.0, 16)
}

/// A distribution of observations over fixed buckets (a Prometheus histogram).
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    upper_bounds: Vec<f64>,
    /// Observations per bucket (not cumulative); the extra last slot is above every bound (`+Inf`).
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    pub fn new(upper_bounds: Vec<f64>) -> Histogram {
        let counts = vec![0; upper_bounds.len() + 1];
        Histogram { upper_bounds, counts, sum: 0.0, count: 0 }
    }

    /// Records `v`: it falls in the first bucket whose upper bound is at least `v` (`le` is inclusive).
    pub fn observe(&mut self, v: f64) {
        let slot = self.upper_bounds.partition_point(|&b| b < v);
        self.counts[slot] += 1;
        self.sum += v;
        self.count += 1;
    }

    pub fn upper_bounds(&self) -> &[f64] {
        &self.upper_bounds
    }

    /// Observations at or below each upper bound, as the `_bucket` lines print them.
    pub fn cumulative(&self) -> Vec<u64> {
        let mut total = 0;
        self.counts[..self.upper_bounds.len()]
            .iter()
            .map(|c| {
                total += c;
                total
            })
            .collect()
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// What was observed after `earlier`, an older reading of the same histogram: the bucket counts'
    /// increase, as Prometheus's `rate()` over a window gives `histogram_quantile`. A histogram that
    /// started over since (its process restarted) counts from its start.
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        let restarted = earlier.upper_bounds != self.upper_bounds
            || earlier.count > self.count
            || earlier.counts.iter().zip(&self.counts).any(|(e, n)| e > n);
        if restarted {
            return self.clone();
        }
        Histogram {
            upper_bounds: self.upper_bounds.clone(),
            counts: self.counts.iter().zip(&earlier.counts).map(|(n, e)| n - e).collect(),
            sum: self.sum - earlier.sum,
            count: self.count - earlier.count,
        }
    }

    /// Estimates quantile `q` (0..=1) as Prometheus's `histogram_quantile` does: linear interpolation
    /// inside the bucket the rank falls in; above the last bound it answers that bound. None when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * self.count as f64;
        let mut below = 0u64;
        for (slot, &n) in self.counts.iter().enumerate() {
            if n > 0 && (below + n) as f64 >= rank {
                let Some(&upper) = self.upper_bounds.get(slot) else { return self.upper_bounds.last().copied() };
                let lower = if slot == 0 { 0.0 } else { self.upper_bounds[slot - 1] };
                return Some(lower + (upper - lower) * (rank - below as f64) / n as f64);
            }
            below += n;
        }
        self.upper_bounds.last().copied()
    }
}

/// What one member has observed since its process started.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// `etcd_disk_wal_fsync_duration_seconds`.
    pub wal_fsync: Histogram,
    /// `etcd_disk_backend_commit_duration_seconds`.
    pub backend_commit: Histogram,
    /// `etcd_network_peer_round_trip_time_seconds{To=...}`, by peer member ID.
    pub peer_rtt: BTreeMap<u64, Histogram>,
    /// `etcd_network_peer_sent_bytes_total{To=...}`, by peer member ID.
    pub peer_sent_bytes: BTreeMap<u64, Counter>,
    /// `etcd_network_peer_received_bytes_total{From=...}`, by peer member ID.
    pub peer_received_bytes: BTreeMap<u64, Counter>,
    /// `etcd_server_leader_changes_seen_total`.
    pub leader_changes: Counter,
    /// `etcd_server_proposals_failed_total`.
    pub proposals_failed: Counter,
    /// The leader last reported to [`Metrics::observe_leader`] (0: none), to count changes as etcd does.
    last_leader: u64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            wal_fsync: Histogram::new(disk_buckets()),
            backend_commit: Histogram::new(disk_buckets()),
            peer_rtt: BTreeMap::new(),
            peer_sent_bytes: BTreeMap::new(),
            peer_received_bytes: BTreeMap::new(),
            leader_changes: Counter::default(),
            proposals_failed: Counter::default(),
            last_leader: 0,
        }
    }
}

impl Metrics {
    /// One WAL fsync took `secs` (etcd observes every `fdatasync` of the WAL).
    pub fn observe_wal_fsync(&mut self, secs: f64) {
        self.wal_fsync.observe(secs);
    }

    /// One backend (bbolt) commit took `secs`.
    pub fn observe_backend_commit(&mut self, secs: f64) {
        self.backend_commit.observe(secs);
    }

    /// A round trip to peer `peer_id` took `secs` (etcd records its prober's smoothed RTT every 30 s).
    pub fn observe_peer_rtt(&mut self, peer_id: u64, secs: f64) {
        self.peer_rtt.entry(peer_id).or_insert_with(|| Histogram::new(peer_rtt_buckets())).observe(secs);
    }

    /// `bytes` of Raft messages were sent to peer `peer_id`.
    pub fn peer_sent(&mut self, peer_id: u64, bytes: u64) {
        self.peer_sent_bytes.entry(peer_id).or_default().add(bytes as f64);
    }

    /// `bytes` of Raft messages were received from peer `peer_id`.
    pub fn peer_received(&mut self, peer_id: u64, bytes: u64) {
        self.peer_received_bytes.entry(peer_id).or_default().add(bytes as f64);
    }

    /// Counts one leader change unconditionally; see [`Metrics::observe_leader`] for etcd's rule.
    pub fn leader_changed(&mut self) {
        self.leader_changes.inc();
    }

    /// Reports the leader this member now knows (0: none), e.g. from each Ready's soft state. Counts a
    /// change as etcd's raft loop does: a known leader different from the last one reported, so losing
    /// the leader and finding the same one again counts too.
    pub fn observe_leader(&mut self, leader_id: u64) {
        if leader_id != 0 && leader_id != self.last_leader {
            self.leader_changed();
        }
        self.last_leader = leader_id;
    }

    /// A proposal failed: Raft did not take it, or its client stopped waiting before it applied.
    pub fn proposal_failed(&mut self) {
        self.proposals_failed.inc();
    }

    /// The Prometheus text exposition of every metric this member has, as `GET /metrics` answers.
    pub fn exposition(&self, g: &Gauges) -> String {
        let mut families = self.observed_families();
        families.extend(g.families());
        families.sort_by(|a, b| a.0.cmp(b.0));
        families.into_iter().map(|(_, text)| text).collect()
    }

    /// The families of what was observed; a labelled family appears only once it has a labelled child,
    /// as Go's `*Vec` collectors do.
    fn observed_families(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            histogram_family(WAL_FSYNC, &[(None, &self.wal_fsync)]),
            histogram_family(BACKEND_COMMIT, &[(None, &self.backend_commit)]),
            scalar_family(LEADER_CHANGES, &[(None, self.leader_changes.get())]),
            scalar_family(PROPOSALS_FAILED, &[(None, self.proposals_failed.get())]),
        ];
        if !self.peer_rtt.is_empty() {
            let children = by_peer(&self.peer_rtt, "To");
            let refs: Vec<(Option<(&str, &str)>, &Histogram)> =
                children.iter().map(|(l, v, h)| (Some((*l, v.as_str())), *h)).collect();
            out.push(histogram_family(PEER_RTT, &refs));
        }
        for (desc, map, label) in
            [(PEER_SENT, &self.peer_sent_bytes, "To"), (PEER_RECEIVED, &self.peer_received_bytes, "From")]
        {
            if !map.is_empty() {
                let children = by_peer(map, label);
                let refs: Vec<(Option<(&str, &str)>, f64)> =
                    children.iter().map(|(l, v, c)| (Some((*l, v.as_str())), c.get())).collect();
                out.push(scalar_family(desc, &refs));
            }
        }
        out
    }
}

/// Children of a per-peer family labelled `label` = the peer ID in hex (etcd's `types.ID` form), in the
/// order Go sorts them: by label value as a string.
fn by_peer<'a, T>(map: &'a BTreeMap<u64, T>, label: &'static str) -> Vec<(&'static str, String, &'a T)> {
    let mut v: Vec<_> = map.iter().map(|(id, m)| (label, format!("{id:x}"), m)).collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

/// What a scrape reads off the member's state at that moment (etcd's gauges and gauge functions).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gauges {
    /// The member's ID (`etcd_server_id{server_id=...}`).
    pub member_id: u64,
    pub has_leader: bool,
    pub is_leader: bool,
    pub is_learner: bool,
    /// The Raft commit index (etcd's `proposals_committed_total` is this index, a gauge).
    pub committed_index: u64,
    /// The applied index (etcd's `proposals_applied_total`).
    pub applied_index: u64,
    /// Proposals handed to Raft whose clients still wait.
    pub proposals_pending: u64,
    pub quota_backend_bytes: u64,
    pub db_total_size: u64,
    pub db_total_size_in_use: u64,
    /// Live keys (`etcd_debugging_mvcc_keys_total`).
    pub keys: u64,
    pub current_revision: i64,
    pub compact_revision: i64,
    pub watch_streams: u64,
    pub watchers: u64,
}

impl Gauges {
    fn families(&self) -> Vec<(&'static str, String)> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let id = format!("{:x}", self.member_id);
        let cluster_version = crate::version::API_VERSION;
        let plain = [
            (HAS_LEADER, flag(self.has_leader)),
            (IS_LEADER, flag(self.is_leader)),
            (IS_LEARNER, flag(self.is_learner)),
            (PROPOSALS_COMMITTED, self.committed_index as f64),
            (PROPOSALS_APPLIED, self.applied_index as f64),
            (PROPOSALS_PENDING, self.proposals_pending as f64),
            (QUOTA_BACKEND_BYTES, self.quota_backend_bytes as f64),
            (DB_TOTAL_SIZE, self.db_total_size as f64),
            (DB_TOTAL_SIZE_DEBUG, self.db_total_size as f64),
            (DB_TOTAL_SIZE_IN_USE, self.db_total_size_in_use as f64),
            (KEYS_TOTAL, self.keys as f64),
            (CURRENT_REVISION, self.current_revision as f64),
            (COMPACT_REVISION, self.compact_revision as f64),
            (WATCH_STREAMS, self.watch_streams as f64),
            (WATCHERS, self.watchers as f64),
        ];
        let mut out: Vec<_> = plain.iter().map(|(desc, v)| scalar_family(desc, &[(None, *v)])).collect();
        out.push(scalar_family(SERVER_ID, &[(Some(("server_id", id.as_str())), 1.0)]));
        out.push(scalar_family(SERVER_VERSION, &[(Some(("server_version", crate::version::VERSION)), 1.0)]));
        out.push(scalar_family(CLUSTER_VERSION, &[(Some(("cluster_version", cluster_version)), 1.0)]));
        out
    }
}

impl super::Server {
    /// Writes this member handed to Raft and still answers when they apply (etcd's pending proposals);
    /// proposals Raft has not taken yet (no leader) are not pending in etcd's sense.
    pub fn proposals_pending(&self) -> u64 {
        self.waiting.keys().filter(|id| !self.unproposed.contains_key(id)).count() as u64
    }

    /// The gauges a scrape reads off this server. What only the process or the world knows (leadership,
    /// the commit index, watchers) is left at zero for the caller to fill in.
    pub fn gauges(&self, member_id: u64) -> Gauges {
        Gauges {
            member_id,
            is_learner: self.membership.get(member_id).is_some_and(|m| m.is_learner),
            applied_index: self.applied_index,
            proposals_pending: self.proposals_pending(),
            quota_backend_bytes: self.quota_bytes,
            db_total_size: self.db_size(),
            db_total_size_in_use: self.db_size_in_use(),
            keys: self.store.key_count() as u64,
            current_revision: self.store.current_rev(),
            compact_revision: self.store.compact_rev(),
            ..Gauges::default()
        }
    }
}

/// A metric family's name, help text (etcd's, verbatim) and type.
struct Desc {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
}

const fn desc(name: &'static str, kind: &'static str, help: &'static str) -> Desc {
    Desc { name, help, kind }
}

const WAL_FSYNC: &Desc =
    &desc("etcd_disk_wal_fsync_duration_seconds", "histogram", "The latency distributions of fsync called by WAL.");
const BACKEND_COMMIT: &Desc = &desc(
    "etcd_disk_backend_commit_duration_seconds",
    "histogram",
    "The latency distributions of commit called by backend.",
);
const PEER_RTT: &Desc =
    &desc("etcd_network_peer_round_trip_time_seconds", "histogram", "Round-Trip-Time histogram between peers");
const PEER_SENT: &Desc =
    &desc("etcd_network_peer_sent_bytes_total", "counter", "The total number of bytes sent to peers.");
const PEER_RECEIVED: &Desc =
    &desc("etcd_network_peer_received_bytes_total", "counter", "The total number of bytes received from peers.");
const LEADER_CHANGES: &Desc =
    &desc("etcd_server_leader_changes_seen_total", "counter", "The number of leader changes seen.");
const PROPOSALS_FAILED: &Desc =
    &desc("etcd_server_proposals_failed_total", "counter", "The total number of failed proposals seen.");
const HAS_LEADER: &Desc =
    &desc("etcd_server_has_leader", "gauge", "Whether or not a leader exists. 1 is existence, 0 is not.");
const IS_LEADER: &Desc =
    &desc("etcd_server_is_leader", "gauge", "Whether or not this member is a leader. 1 if is, 0 otherwise.");
const IS_LEARNER: &Desc =
    &desc("etcd_server_is_learner", "gauge", "Whether or not this member is a learner. 1 if is, 0 otherwise.");
const PROPOSALS_COMMITTED: &Desc =
    &desc("etcd_server_proposals_committed_total", "gauge", "The total number of consensus proposals committed.");
const PROPOSALS_APPLIED: &Desc =
    &desc("etcd_server_proposals_applied_total", "gauge", "The total number of consensus proposals applied.");
const PROPOSALS_PENDING: &Desc =
    &desc("etcd_server_proposals_pending", "gauge", "The current number of pending proposals to commit.");
const QUOTA_BACKEND_BYTES: &Desc =
    &desc("etcd_server_quota_backend_bytes", "gauge", "Current backend storage quota size in bytes.");
const SERVER_ID: &Desc = &desc(
    "etcd_server_id",
    "gauge",
    "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
);
const SERVER_VERSION: &Desc = &desc(
    "etcd_server_version",
    "gauge",
    "Which version is running. 1 for 'server_version' label with current version.",
);
const CLUSTER_VERSION: &Desc = &desc(
    "etcd_cluster_version",
    "gauge",
    "Which version is running. 1 for 'cluster_version' label with current cluster version",
);
const DB_TOTAL_SIZE: &Desc = &desc(
    "etcd_mvcc_db_total_size_in_bytes",
    "gauge",
    "Total size of the underlying database physically allocated in bytes.",
);
const DB_TOTAL_SIZE_DEBUG: &Desc = &desc(
    "etcd_debugging_mvcc_db_total_size_in_bytes",
    "gauge",
    "Total size of the underlying database physically allocated in bytes.",
);
const DB_TOTAL_SIZE_IN_USE: &Desc = &desc(
    "etcd_mvcc_db_total_size_in_use_in_bytes",
    "gauge",
    "Total size of the underlying database logically in use in bytes.",
);
const KEYS_TOTAL: &Desc = &desc("etcd_debugging_mvcc_keys_total", "gauge", "Total number of keys.");
const CURRENT_REVISION: &Desc =
    &desc("etcd_debugging_mvcc_current_revision", "gauge", "The current revision of store.");
const COMPACT_REVISION: &Desc =
    &desc("etcd_debugging_mvcc_compact_revision", "gauge", "The revision of the last compaction in store.");
const WATCH_STREAMS: &Desc = &desc("etcd_debugging_mvcc_watch_stream_total", "gauge", "Total number of watch streams.");
const WATCHERS: &Desc = &desc("etcd_debugging_mvcc_watcher_total", "gauge", "Total number of watchers.");

/// One label pair of a child metric (`To="8e9e05c52164694d"`); None for an unlabelled metric.
type Label<'a> = Option<(&'a str, &'a str)>;

/// A counter or gauge family: its header and one line per child.
fn scalar_family(d: &Desc, children: &[(Label<'_>, f64)]) -> (&'static str, String) {
    let mut text = header(d);
    for (label, value) in children {
        sample(&mut text, d.name, "", *label, None, *value);
    }
    (d.name, text)
}

/// A histogram family: per child, the cumulative buckets, `+Inf` (every observation), `_sum`, `_count`.
fn histogram_family(d: &Desc, children: &[(Label<'_>, &Histogram)]) -> (&'static str, String) {
    let mut text = header(d);
    for (label, h) in children {
        for (bound, n) in h.upper_bounds().iter().zip(h.cumulative()) {
            sample(&mut text, d.name, "_bucket", *label, Some(*bound), n as f64);
        }
        sample(&mut text, d.name, "_bucket", *label, Some(f64::INFINITY), h.count() as f64);
        sample(&mut text, d.name, "_sum", *label, None, h.sum());
        sample(&mut text, d.name, "_count", *label, None, h.count() as f64);
    }
    (d.name, text)
}

fn header(d: &Desc) -> String {
    format!("# HELP {} {}\n# TYPE {} {}\n", d.name, escape(d.help, false), d.name, d.kind)
}

/// One sample line: name, suffix, labels (the child's, then `le` for a bucket), value.
fn sample(out: &mut String, name: &str, suffix: &str, label: Label<'_>, le: Option<f64>, value: f64) {
    out.push_str(name);
    out.push_str(suffix);
    let mut pairs: Vec<String> = label.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v, true))).collect();
    pairs.extend(le.map(|b| format!("le=\"{}\"", go_float(b))));
    if !pairs.is_empty() {
        let _ = write!(out, "{{{}}}", pairs.join(","));
    }
    let _ = writeln!(out, " {}", go_float(value));
}

/// The text format's escaping: backslash and newline always, the double quote inside label values.
fn escape(s: &str, quote: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// A float as Go's `strconv.FormatFloat(f, 'g', -1, 64)` prints it (shortest digits that read back as
/// `f`; exponent form when the decimal exponent is below -4 or at least 6, with a signed two-digit
/// exponent), with the text format's spellings of infinities and NaN: `0.001`, `0.0001`, `5e-05`, `1e+06`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return "0".to_string();
    }
    // Rust's `{:e}` prints the same shortest round-trip digits: `d.ddde-4`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponents are integers");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs());
    }
    format!("{sign}{}", plain_decimal(&digits, exp))
}

/// `digits` (d.ddd) times 10^`exp`, written without an exponent.
fn plain_decimal(digits: &str, exp: i32) -> String {
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        return format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize));
    }
    let point = point as usize;
    if digits.len() <= point {
        return format!("{digits}{}", "0".repeat(point - digits.len()));
    }
    format!("{}.{}", &digits[..point], &digits[point..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_forgets_what_came_before_it() {
        let mut h = Histogram::new(vec![0.01, 0.1, 1.0]);
        for _ in 0..100 {
            h.observe(0.5);
        }
        let earlier = h.clone();
        for _ in 0..10 {
            h.observe(0.005);
        }
        let window = h.since(&earlier);
        assert_eq!(window.count(), 10);
        assert!(window.quantile(0.99).unwrap() <= 0.01, "only the fast fsyncs are in the window");
        assert!(h.quantile(0.99).unwrap() > 0.1, "the cumulative p99 still remembers the slow ones");
        let restarted = Histogram::new(vec![0.01, 0.1, 1.0]);
        assert_eq!(restarted.since(&earlier).count(), 0, "a restarted member counts from its start");
    }

    #[test]
    fn quantile_interpolates_within_the_bucket() {
        let mut h = Histogram::new(disk_buckets());
        assert_eq!(h.quantile(0.99), None);
        for _ in 0..100 {
            h.observe(0.0015);
        }
        // Every observation is in (1 ms, 2 ms]: p50 is halfway through it.
        assert!((h.quantile(0.5).unwrap() - 0.0015).abs() < 1e-9);
        h.observe(100.0);
        assert_eq!(h.quantile(1.0), Some(8.192));
    }

    #[test]
    fn floats_print_as_go_does() {
        let cases = [
            (0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (0.001, "0.001"),
            (0.0001, "0.0001"),
            (0.0002, "0.0002"),
            (0.00005, "5e-05"),
            (8.192, "8.192"),
            (3.2768, "3.2768"),
            (123.5, "123.5"),
            (100000.0, "100000"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (2097152.0, "2.097152e+06"),
            (20480.0, "20480"),
            (2147483648.0, "2.147483648e+09"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (-0.25, "-0.25"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (f, want) in cases {
            assert_eq!(go_float(f), want, "{f:e}");
        }
    }

    #[test]
    fn buckets_are_etcds() {
        let disk: Vec<String> = disk_buckets().into_iter().map(go_float).collect();
        assert_eq!(
            disk,
            [
                "0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512", "1.024",
                "2.048", "4.096", "8.192"
            ]
        );
        let rtt: Vec<String> = peer_rtt_buckets().into_iter().map(go_float).collect();
        assert_eq!(rtt.len(), 16);
        assert_eq!(rtt.first().map(String::as_str), Some("0.0001"));
        assert_eq!(rtt[1..4], ["0.0002", "0.0004", "0.0008"]);
        assert_eq!(rtt.last().map(String::as_str), Some("3.2768"));
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_inclusive() {
        let mut h = Histogram::new(vec![0.001, 0.002, 0.004]);
        for v in [0.0005, 0.001, 0.003, 0.5] {
            h.observe(v);
        }
        assert_eq!(h.cumulative(), [2, 2, 3], "an observation equal to a bound is in that bucket");
        assert_eq!((h.count(), h.sum()), (4, 0.0005 + 0.001 + 0.003 + 0.5));
    }

    #[test]
    fn histogram_exposition() {
        let mut m = Metrics::default();
        m.observe_wal_fsync(0.0015);
        m.observe_wal_fsync(0.003);
        let text = m.exposition(&Gauges::default());
        let expected =
            "# HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL.\n\
            # TYPE etcd_disk_wal_fsync_duration_seconds histogram\n\
            etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.001\"} 0\n\
            etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.002\"} 1\n\
            etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.004\"} 2\n\
            etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.008\"} 2\n";
        assert!(text.contains(expected), "{text}");
        let tail = "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"8.192\"} 2\n\
            etcd_disk_wal_fsync_duration_seconds_bucket{le=\"+Inf\"} 2\n\
            etcd_disk_wal_fsync_duration_seconds_sum 0.0045000000000000005\n\
            etcd_disk_wal_fsync_duration_seconds_count 2\n";
        assert!(text.contains(tail), "{text}");
    }

    #[test]
    fn peer_families_are_labelled_by_hex_id_in_string_order() {
        let mut m = Metrics::default();
        let text = m.exposition(&Gauges::default());
        assert!(!text.contains("etcd_network_peer"), "no peer seen yet, no family: {text}");
        m.observe_peer_rtt(0x8e9e05c52164694d, 0.0003);
        m.observe_peer_rtt(0xfd422379fda50e48, 0.00005);
        m.observe_peer_rtt(0x91bc3c398fb3c146, 0.0002);
        m.peer_sent(0x8e9e05c52164694d, 120);
        m.peer_received(0x91bc3c398fb3c146, 64);
        let text = m.exposition(&Gauges::default());
        let rtt = |to: &str, le: &str, n: u64| {
            format!("etcd_network_peer_round_trip_time_seconds_bucket{{To=\"{to}\",le=\"{le}\"}} {n}\n")
        };
        assert!(text.contains(&rtt("8e9e05c52164694d", "0.0002", 0)), "{text}");
        assert!(text.contains(&rtt("8e9e05c52164694d", "0.0004", 1)), "{text}");
        assert!(text.contains(&rtt("fd422379fda50e48", "0.0001", 1)), "{text}");
        let order: Vec<usize> = ["To=\"8e9e", "To=\"91bc", "To=\"fd42"].iter().map(|p| text.find(p).unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "children sorted by label value: {text}");
        assert!(text.contains("etcd_network_peer_sent_bytes_total{To=\"8e9e05c52164694d\"} 120\n"), "{text}");
        assert!(text.contains("etcd_network_peer_received_bytes_total{From=\"91bc3c398fb3c146\"} 64\n"), "{text}");
    }

    #[test]
    fn leader_changes_count_as_etcd_does() {
        let mut m = Metrics::default();
        for lead in [0, 5, 5, 0, 5, 7, 7] {
            m.observe_leader(lead);
        }
        assert_eq!(m.leader_changes.get(), 3.0, "5 found, 5 found again after none, then 7");
    }

    #[test]
    fn gauges_and_families_in_name_order() {
        let g = Gauges {
            member_id: 0x8e9e05c52164694d,
            has_leader: true,
            committed_index: 12,
            applied_index: 12,
            db_total_size: 2_097_152,
            keys: 3,
            ..Gauges::default()
        };
        let mut m = Metrics::default();
        m.proposal_failed();
        let text = m.exposition(&g);
        for line in [
            "# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not.\n\
             # TYPE etcd_server_has_leader gauge\netcd_server_has_leader 1\n",
            "etcd_server_is_leader 0\n",
            "# TYPE etcd_server_proposals_applied_total gauge\netcd_server_proposals_applied_total 12\n",
            "# TYPE etcd_server_proposals_failed_total counter\netcd_server_proposals_failed_total 1\n",
            "etcd_mvcc_db_total_size_in_bytes 2.097152e+06\n",
            "etcd_debugging_mvcc_keys_total 3\n",
            "etcd_server_id{server_id=\"8e9e05c52164694d\"} 1\n",
            "etcd_server_version{server_version=\"3.4.23\"} 1\n",
            "etcd_cluster_version{cluster_version=\"3.4\"} 1\n",
        ] {
            assert!(text.contains(line), "{line:?} missing in:\n{text}");
        }
        let names: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(text.lines().all(|l| l.starts_with('#') || l.starts_with("etcd_")), "{text}");
    }

    #[test]
    fn help_and_label_values_are_escaped() {
        assert_eq!(escape("a\\b\n\"c\"", true), "a\\\\b\\n\\\"c\\\"");
        assert_eq!(escape("\"c\"", false), "\"c\"");
    }
}
