//! The event feed: what the cluster did, in plain words and simulated time ("0:03.212 etcd3 became leader
//! at term 2"), read from the world's trace. Only events not seen before are formatted and drawn, so the
//! feed costs nothing while the cluster is quiet.

use crate::clock::format_sim_time;
use crate::sim::Sim;
use etcdplay_core::trace::Trace;
use etcdplay_core::Event;
use leptos::html::Div;
use leptos::prelude::*;
use std::collections::VecDeque;

/// Most events the feed shows; older ones drop off the top.
pub const FEED_LIMIT: usize = 50;

/// One line of the feed; `seq` keys it so appending never re-renders earlier lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedLine {
    pub seq: u64,
    pub time: String,
    pub text: String,
}

/// The newest events, and how far into the trace they have been read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFeed {
    pub lines: VecDeque<FeedLine>,
    /// `Trace::total()` when last read: everything before it has been considered.
    seen_total: u64,
    next_seq: u64,
}

impl EventFeed {
    /// Reads the events recorded since the last call; returns whether any line was added. Applied and
    /// Answered events are skipped: every write makes one Applied per member and every request an
    /// Answered (`check perf` makes thousands), which would flood out the elections and faults; the
    /// etcdctl command itself is still told.
    pub fn catch_up(&mut self, trace: &Trace) -> bool {
        let total = trace.total();
        if total < self.seen_total {
            // A trace that went backwards belongs to a new world: start over.
            self.reset();
        }
        let mut added = false;
        for record in trace.records_since(self.seen_total) {
            if matches!(record.event, Event::Applied { .. } | Event::Answered { .. }) {
                continue;
            }
            self.push(record.at_ms, &record.event);
            added = true;
        }
        self.seen_total = total;
        added
    }

    fn push(&mut self, at_ms: u64, event: &Event) {
        self.lines.push_back(FeedLine { seq: self.next_seq, time: format_sim_time(at_ms), text: event.to_string() });
        self.next_seq += 1;
        if self.lines.len() > FEED_LIMIT {
            self.lines.pop_front();
        }
    }

    /// Forgets everything: the world was rebuilt and its trace starts again.
    pub fn reset(&mut self) {
        *self = EventFeed { next_seq: self.next_seq, ..EventFeed::default() };
    }
}

/// How close to the bottom (in pixels) still counts as reading the newest line.
const STICK_SLACK_PX: i32 = 24;

/// The feed, newest at the bottom; it follows new events unless the visitor has scrolled up to read.
#[component]
pub fn Events() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let list_ref = NodeRef::<Div>::new();
    // Whether to follow new lines, decided by where the visitor last left the scrollbar. Measuring when
    // lines arrive is too late: by then they are rendered, and a burst taller than the slack would look
    // like the visitor scrolled up, leaving the feed stuck above the newest line.
    let follow = StoredValue::new(true);
    let on_scroll = move |_| {
        if let Some(list) = list_ref.get_untracked() {
            follow.set_value(list.scroll_height() - list.scroll_top() - list.client_height() <= STICK_SLACK_PX);
        }
    };
    Effect::new(move |_| {
        sim.events.track();
        if follow.get_value() {
            // After the new lines are laid out.
            request_animation_frame(move || {
                if let Some(list) = list_ref.get_untracked() {
                    list.set_scroll_top(list.scroll_height());
                }
            });
        }
    });

    view! {
        <section class="events" aria-labelledby="events-title">
            <h2 id="events-title" class="panel-title">"Events"</h2>
            <div class="event-list" role="log" aria-label="Events" node_ref=list_ref on:scroll=on_scroll>
                <For
                    each=move || sim.events.with(|f| f.lines.iter().cloned().collect::<Vec<_>>())
                    key=|l| l.seq
                    children=|l| {
                        view! {
                            <div class="event">
                                <span class="event-time">{l.time}</span>
                                " "
                                <span class="event-text">{l.text}</span>
                            </div>
                        }
                    }
                />
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcdplay_core::trace::TRACE_LIMIT;
    use etcdplay_core::Role;

    fn role(member: &str, term: u64) -> Event {
        Event::RoleChanged { member: member.to_string(), role: Role::Leader, term }
    }

    #[test]
    fn reads_only_new_events_and_skips_applied() {
        let mut trace = Trace::default();
        let mut feed = EventFeed::default();
        trace.push(3_212, role("etcd3", 2));
        trace.push(3_300, Event::Applied { member: "etcd1".into(), index: 1, revision: 1 });
        trace.push(3_300, Event::Answered { request: 1, member: "etcd1".into(), outcome: "ok".into() });
        assert!(feed.catch_up(&trace));
        assert!(!feed.catch_up(&trace));
        assert_eq!(feed.lines.len(), 1);
        assert_eq!(feed.lines[0].time, "0:03.212");
        assert_eq!(feed.lines[0].text, "etcd3 became leader at term 2");
        trace.push(4_000, Event::Killed { member: "etcd3".into() });
        assert!(feed.catch_up(&trace));
        assert_eq!(feed.lines.iter().map(|l| l.seq).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn keeps_the_newest_lines() {
        let mut trace = Trace::default();
        let mut feed = EventFeed::default();
        for t in 0..(TRACE_LIMIT as u64 + 500) {
            trace.push(t, role("etcd1", t));
        }
        feed.catch_up(&trace);
        assert_eq!(feed.lines.len(), FEED_LIMIT);
        let newest = TRACE_LIMIT as u64 + 499;
        assert_eq!(feed.lines.back().map(|l| l.text.clone()), Some(format!("etcd1 became leader at term {newest}")));
        // A fresh trace (a rebuilt world) starts the feed over.
        feed.catch_up(&Trace::default());
        assert!(feed.lines.is_empty());
    }

    #[test]
    fn a_real_cluster_elects_in_the_feed() {
        let mut world = etcdplay_core::World::new(etcdplay_core::WorldConfig::demo(3, 1));
        let mut feed = EventFeed::default();
        for _ in 0..100 {
            world.advance(50);
            feed.catch_up(world.trace());
        }
        assert!(feed.lines.iter().any(|l| l.text.ends_with("became leader at term 1")), "{:?}", feed.lines);
    }
}
