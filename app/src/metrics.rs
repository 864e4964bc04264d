//! The Metrics panel: small live charts of what each member's `/metrics` would show (WAL fsync and
//! backend commit p99, peer round trip, leader changes, proposals, db size). The numbers come from the
//! core (`node.server.metrics` and `Server::gauges`); this module only samples them once a simulated
//! second and draws the last [`HISTORY_LEN`] samples, so the charts redraw once a second, not every frame.
//! Latency p99s are over the last [`WINDOW_MS`], as a dashboard's `histogram_quantile(0.99,
//! rate(..._bucket[30s]))` reads them, so a disk that was slow and is fast again shows it.

use crate::sim::Sim;
use etcdplay_core::server::metrics::Histogram;
use etcdplay_core::World;
use leptos::prelude::*;
use std::collections::VecDeque;

/// Samples kept per chart: two simulated minutes at one a second.
pub const HISTORY_LEN: usize = 120;

/// Simulated time between samples.
pub const SAMPLE_MS: u64 = 1_000;

/// The window latency p99s are computed over.
pub const WINDOW_MS: u64 = 30_000;

/// etcd's guidance for WAL fsync p99: under 10 ms is good, over 20 ms is bad.
pub const FSYNC_GOOD_MS: f64 = 10.0;
pub const FSYNC_BAD_MS: f64 = 20.0;

/// What one up member reported at one sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberSample {
    pub fsync_p99_ms: Option<f64>,
    pub commit_p99_ms: Option<f64>,
    /// The slowest peer's round-trip p99.
    pub rtt_p99_ms: Option<f64>,
    pub leader_changes: f64,
    pub committed: f64,
    pub applied: f64,
    pub pending: f64,
    pub failed: f64,
    pub db_kib: f64,
}

/// Every member at one simulated second; a down member (its metrics died with its process) is `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub at_ms: u64,
    pub members: Vec<(String, Option<MemberSample>)>,
}

/// The newest samples, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsHistory {
    pub samples: VecDeque<Sample>,
    /// Each member's latency histograms at each sample of the last [`WINDOW_MS`], oldest first.
    readings: VecDeque<Readings>,
}

/// One up member's latency histograms at one sample.
#[derive(Clone, Debug, PartialEq)]
struct Latencies {
    name: String,
    fsync: Histogram,
    commit: Histogram,
    rtt: Vec<(u64, Histogram)>,
}

/// Every up member's latency histograms at one sample.
#[derive(Clone, Debug, Default, PartialEq)]
struct Readings {
    at_ms: u64,
    members: Vec<Latencies>,
}

impl Readings {
    fn of(world: &World) -> Readings {
        let members = (0..world.members().len())
            .map(|i| world.node(i))
            .filter(|n| n.is_up())
            .map(|n| {
                let m = &n.server.metrics;
                Latencies {
                    name: n.name.clone(),
                    fsync: m.wal_fsync.clone(),
                    commit: m.backend_commit.clone(),
                    rtt: m.peer_rtt.iter().map(|(id, h)| (*id, h.clone())).collect(),
                }
            })
            .collect();
        Readings { at_ms: world.now_ms(), members }
    }

    fn member(&self, name: &str) -> Option<&Latencies> {
        self.members.iter().find(|m| m.name == name)
    }
}

impl MetricsHistory {
    /// Takes a sample if a simulated second has passed since the last one; returns whether it did.
    pub fn catch_up(&mut self, world: &World) -> bool {
        let now = world.now_ms();
        let last = self.samples.back().map(|s| s.at_ms);
        if last.is_some_and(|t| now < t) {
            // The clock went backwards: a new world. Start over.
            self.reset();
        }
        if self.samples.back().is_some_and(|s| now < s.at_ms + SAMPLE_MS) {
            return false;
        }
        while self.readings.front().is_some_and(|r| r.at_ms + WINDOW_MS < now) {
            self.readings.pop_front();
        }
        self.samples.push_back(sample_of(world, self.readings.front()));
        self.readings.push_back(Readings::of(world));
        if self.samples.len() > HISTORY_LEN {
            self.samples.pop_front();
        }
        true
    }

    pub fn reset(&mut self) {
        self.samples.clear();
        self.readings.clear();
    }
}

/// p99 of a histogram, in milliseconds.
fn p99_ms(h: &Histogram) -> Option<f64> {
    h.quantile(0.99).map(|s| s * 1000.0)
}

/// Reads every member's metrics and gauges now; latency p99s over what was observed since `window_start`
/// (everything, without one).
fn sample_of(world: &World, window_start: Option<&Readings>) -> Sample {
    let members = (0..world.members().len())
        .map(|i| {
            let node = world.node(i);
            let sample = node.is_up().then(|| {
                let m = &node.server.metrics;
                let g = node.server.gauges(node.id);
                let start = window_start.and_then(|w| w.member(&node.name));
                let since = |h: &Histogram, old: Option<&Histogram>| old.map_or_else(|| h.clone(), |o| h.since(o));
                let peer_since = |(id, h): (&u64, &Histogram)| {
                    let old = start.and_then(|s| s.rtt.iter().find(|(p, _)| p == id)).map(|(_, o)| o);
                    since(h, old)
                };
                MemberSample {
                    fsync_p99_ms: p99_ms(&since(&m.wal_fsync, start.map(|s| &s.fsync))),
                    commit_p99_ms: p99_ms(&since(&m.backend_commit, start.map(|s| &s.commit))),
                    rtt_p99_ms: m.peer_rtt.iter().map(peer_since).filter_map(|h| p99_ms(&h)).reduce(f64::max),
                    leader_changes: m.leader_changes.get(),
                    committed: node.commit_index() as f64,
                    applied: g.applied_index as f64,
                    pending: g.proposals_pending as f64,
                    failed: m.proposals_failed.get(),
                    db_kib: g.db_total_size as f64 / 1024.0,
                }
            });
            (node.name.clone(), sample)
        })
        .collect();
    Sample { at_ms: world.now_ms(), members }
}

/// One chart: its title, unit, how to read its value from a sample, and guidance lines to draw.
struct ChartSpec {
    title: &'static str,
    unit: &'static str,
    value: fn(&MemberSample) -> Option<f64>,
    /// (value, class) horizontal lines, e.g. etcd's fsync guidance.
    guides: &'static [(f64, &'static str)],
}

const CHARTS: [ChartSpec; 9] = [
    ChartSpec {
        title: "WAL fsync duration p99",
        unit: "ms",
        value: |s| s.fsync_p99_ms,
        guides: &[(FSYNC_GOOD_MS, "guide-good"), (FSYNC_BAD_MS, "guide-bad")],
    },
    ChartSpec { title: "Backend commit duration p99", unit: "ms", value: |s| s.commit_p99_ms, guides: &[] },
    ChartSpec { title: "Peer round-trip time p99", unit: "ms", value: |s| s.rtt_p99_ms, guides: &[] },
    ChartSpec { title: "Leader changes seen", unit: "", value: |s| Some(s.leader_changes), guides: &[] },
    ChartSpec { title: "Proposals committed", unit: "", value: |s| Some(s.committed), guides: &[] },
    ChartSpec { title: "Proposals applied", unit: "", value: |s| Some(s.applied), guides: &[] },
    ChartSpec { title: "Proposals pending", unit: "", value: |s| Some(s.pending), guides: &[] },
    ChartSpec { title: "Proposals failed", unit: "", value: |s| Some(s.failed), guides: &[] },
    ChartSpec { title: "DB size", unit: "KiB", value: |s| Some(s.db_kib), guides: &[] },
];

/// Chart drawing box (SVG user units).
const WIDTH: f64 = 240.0;
const HEIGHT: f64 = 80.0;

/// What a chart draws: one path per member, guide lines, and the text alternative.
#[derive(Clone, Debug, Default, PartialEq)]
struct ChartData {
    /// (member index for the colour, SVG path).
    paths: Vec<(usize, String)>,
    /// (y in SVG units, class).
    guides: Vec<(f64, &'static str)>,
    /// The latest value per member, e.g. "etcd1 302.1 ms (bad), etcd2 0.3 ms (good), etcd3 down".
    summary: String,
}

/// Lays out a chart from the history: x is the sample's place among the last [`HISTORY_LEN`], y is scaled
/// to the largest value (or guide line) so every series fits.
fn chart_data(spec: &ChartSpec, history: &MetricsHistory) -> ChartData {
    let names: Vec<String> =
        history.samples.back().map(|s| s.members.iter().map(|(n, _)| n.clone()).collect()).unwrap_or_default();
    let series: Vec<Vec<Option<f64>>> = names.iter().map(|name| series_of(spec, history, name)).collect();
    let top =
        series.iter().flatten().flatten().copied().chain(spec.guides.iter().map(|g| g.0 * 1.25)).fold(1.0, f64::max);
    let y = |v: f64| HEIGHT - v / top * (HEIGHT - 4.0);
    let paths = series.iter().enumerate().map(|(i, s)| (i, path_of(s, &y))).collect();
    let guides = spec.guides.iter().map(|&(v, class)| (y(v), class)).collect();
    let latest = series.iter().map(|s| s.last().copied().flatten());
    let summary = names.iter().zip(latest).map(|(n, v)| describe(spec, n, v)).collect::<Vec<_>>().join(", ");
    ChartData { paths, guides, summary }
}

/// One member's values over the history (None where it was down or had nothing to report).
fn series_of(spec: &ChartSpec, history: &MetricsHistory, name: &str) -> Vec<Option<f64>> {
    let value =
        |s: &Sample| s.members.iter().find(|(n, _)| n == name).and_then(|(_, m)| m.as_ref()).and_then(spec.value);
    history.samples.iter().map(value).collect()
}

/// An SVG path through the points, right-aligned to the newest; a gap (None) lifts the pen.
fn path_of(values: &[Option<f64>], y: &impl Fn(f64) -> f64) -> String {
    let step = WIDTH / (HISTORY_LEN - 1) as f64;
    let start = HISTORY_LEN.saturating_sub(values.len());
    let mut d = String::new();
    let mut pen_down = false;
    for (k, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let cmd = if pen_down { 'L' } else { 'M' };
                d.push_str(&format!("{cmd}{:.1} {:.1} ", (start + k) as f64 * step, y(*v)));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// "etcd1 302.1 ms (bad)": a member's latest value as the text alternative reads it.
fn describe(spec: &ChartSpec, name: &str, value: Option<f64>) -> String {
    let Some(v) = value else { return format!("{name} no data") };
    let number = if spec.unit.is_empty() { format!("{v:.0}") } else { format!("{v:.1} {}", spec.unit) };
    let verdict = match spec.guides {
        [] => "",
        _ if v < FSYNC_GOOD_MS => " (good)",
        _ if v > FSYNC_BAD_MS => " (bad)",
        _ => " (fair)",
    };
    format!("{name} {number}{verdict}")
}

/// The panel: one small chart per metric, each with its latest values as text.
#[component]
pub fn Metrics() -> impl IntoView {
    let sim = expect_context::<Sim>();
    // Which colour is which member; the captions name them too, so the legend is hidden from readers.
    let names = Memo::new(move |_| {
        sim.metrics.with(|h| h.samples.back().map(|s| s.members.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()))
    });
    let legend = move || {
        names
            .get()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                view! { <li><span class=format!("swatch series-{}", i % 7)></span>{name}</li> }
            })
            .collect_view()
    };
    view! {
        <section class="metrics" aria-labelledby="metrics-title">
            <h2 id="metrics-title" class="panel-title">"Metrics"</h2>
            <p class="hint">
                "Latency p99s are over the last 30 simulated seconds, as a dashboard's "
                <code>"histogram_quantile(0.99, rate(..._bucket[30s]))"</code>
                " shows them: a disk that was slow and is fast again drops back within half a minute."
            </p>
            <ul class="chart-legend" aria-hidden="true">{legend}</ul>
            <div class="chart-grid">
                {(0..CHARTS.len()).map(|k| view! { <Chart index=k /> }).collect_view()}
            </div>
        </section>
    }
}

/// One chart; it recomputes only when a new sample arrives.
#[component]
fn Chart(index: usize) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let spec = &CHARTS[index];
    let data = Memo::new(move |_| sim.metrics.with(|h| chart_data(&CHARTS[index], h)));
    let title_id = format!("chart-title-{index}");
    let labelled_by = title_id.clone();
    let view_box = format!("0 0 {WIDTH} {HEIGHT}");
    view! {
        <figure class="chart" aria-labelledby=labelled_by>
            <figcaption id=title_id class="chart-title">{spec.title}</figcaption>
            <svg class="chart-plot" viewBox=view_box preserveAspectRatio="none" aria-hidden="true">
                {move || {
                    data.with(|d| {
                        let guides = d.guides.iter().map(|&(y, class)| {
                            view! { <line class=format!("guide {class}") x1="0" y1=y x2=WIDTH y2=y></line> }
                        });
                        let paths = d.paths.iter().map(|(i, p)| {
                            view! { <path class=format!("series series-{}", i % 7) d=p.clone()></path> }
                        });
                        (guides.collect_view(), paths.collect_view())
                    })
                }}
            </svg>
            <p class="chart-values">{move || data.with(|d| d.summary.clone())}</p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_once_a_second_and_keeps_two_minutes() {
        let mut world = World::new(etcdplay_core::WorldConfig::demo(3, 1));
        let mut history = MetricsHistory::default();
        for _ in 0..3_000 {
            world.advance(50);
            history.catch_up(&world);
        }
        assert_eq!(history.samples.len(), HISTORY_LEN);
        let data = chart_data(&CHARTS[3], &history);
        assert_eq!(data.paths.len(), 3);
        assert!(data.summary.starts_with("etcd1 "), "{}", data.summary);
    }

    /// A slow disk made fast again: the windowed p99 comes back under 10 ms once the slow fsyncs are more
    /// than 30 s old, where a cumulative p99 would stay high for as long as they are 1% of all fsyncs.
    #[test]
    fn the_fsync_p99_recovers_after_the_disk_does() {
        let mut world = World::new(etcdplay_core::WorldConfig::demo(3, 1));
        let mut history = MetricsHistory::default();
        let run = |world: &mut World, history: &mut MetricsHistory, secs: u64| {
            for i in 0..secs * 20 {
                world.advance(50);
                if i % 4 == 0 {
                    world.apply(etcdplay_core::Action::Etcdctl { line: format!("put k{i} v"), stdin: None });
                }
                history.catch_up(world);
            }
        };
        run(&mut world, &mut history, 5);
        let disk = |min_us| etcdplay_core::Action::Disk { member: "etcd1".into(), min_us, max_us: min_us + 1 };
        world.apply(disk(30_000));
        run(&mut world, &mut history, 20);
        let fsync = |h: &MetricsHistory| h.samples.back().unwrap().members[0].1.as_ref().unwrap().fsync_p99_ms.unwrap();
        assert!(fsync(&history) > FSYNC_BAD_MS, "slow: {}", fsync(&history));
        world.apply(disk(200));
        run(&mut world, &mut history, 40);
        assert!(fsync(&history) < FSYNC_GOOD_MS, "fast again: {}", fsync(&history));
    }

    #[test]
    fn fsync_values_carry_the_guidance_verdict() {
        assert_eq!(describe(&CHARTS[0], "etcd1", Some(302.14)), "etcd1 302.1 ms (bad)");
        assert_eq!(describe(&CHARTS[0], "etcd2", Some(0.3)), "etcd2 0.3 ms (good)");
        assert_eq!(describe(&CHARTS[4], "etcd3", Some(12.0)), "etcd3 12");
        assert_eq!(describe(&CHARTS[4], "etcd3", None), "etcd3 no data");
    }

    #[test]
    fn a_gap_lifts_the_pen() {
        let d = path_of(&[Some(1.0), None, Some(2.0)], &|v| v);
        assert_eq!(d.matches('M').count(), 2);
        assert!(!d.contains('L'));
    }
}
