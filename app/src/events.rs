//! The event feed: what the cluster did, in plain words and simulated time ("0:03.212 etcd3 became leader
//! at term 2"), read from the world's trace. Only events not seen before are formatted and drawn, so the
//! feed costs nothing while the cluster is quiet.

use crate::clock::format_sim_time;
use crate::sim::Sim;
use etcdplay_core::trace::{Trace, TRACE_LIMIT};
use etcdplay_core::{Event, NodeView, Role};
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
    /// Each member's (role, term) as last told, by the trace or by the member views; empty until the
    /// first read.
    roles: Vec<(String, Role, u64)>,
}

impl EventFeed {
    /// Reads the events recorded since the last call, then the members' roles at `now_ms`; returns whether
    /// any line was added. Applied and Answered events are skipped: every write makes one Applied per
    /// member and every request an Answered (`check perf` makes thousands), which would flood out the
    /// elections and faults; the etcdctl command itself is still told.
    ///
    /// Role changes the trace did not report are narrated from the member views, stamped `now_ms`: the
    /// core's trace currently misses most of them (it compares roles around Ready handling, after the
    /// tick or message that changed them). Once the trace reports them, the views agree and add nothing.
    pub fn catch_up(&mut self, trace: &Trace, now_ms: u64, nodes: &[NodeView]) -> bool {
        let mut added = self.read_trace(trace);
        for node in nodes {
            let now = (node.role, node.term);
            match self.roles.iter_mut().find(|(name, ..)| *name == node.name) {
                Some((_, role, term)) if (*role, *term) == now => {}
                Some((_, role, term)) => {
                    (*role, *term) = now;
                    // A kill is already in the trace as such; "became down" would say it twice.
                    if node.role != Role::Down {
                        let event = Event::RoleChanged { member: node.name.clone(), role: node.role, term: node.term };
                        self.push(now_ms, &event);
                        added = true;
                    }
                }
                // Members as they boot are the starting point, not news.
                None => self.roles.push((node.name.clone(), node.role, node.term)),
            }
        }
        added
    }

    fn push(&mut self, at_ms: u64, event: &Event) {
        self.lines.push_back(FeedLine { seq: self.next_seq, time: format_sim_time(at_ms), text: event.to_string() });
        self.next_seq += 1;
        if self.lines.len() > FEED_LIMIT {
            self.lines.pop_front();
        }
    }

    /// Reads the trace records since the last call; returns whether any line was added.
    fn read_trace(&mut self, trace: &Trace) -> bool {
        let total = trace.total();
        if total <= self.seen_total {
            // A trace that went backwards belongs to a new world: start over.
            if total < self.seen_total {
                self.reset();
            }
            return false;
        }
        let retained = total.min(TRACE_LIMIT as u64);
        let new = (total - self.seen_total).min(retained);
        // Only the newest FEED_LIMIT lines can survive, so there is no point formatting older ones; reading
        // back from the end would need a double-ended iterator, so skip forward instead.
        let skip = (retained - new) as usize;
        let mut added = false;
        for record in trace.records().skip(skip) {
            match &record.event {
                Event::Applied { .. } | Event::Answered { .. } => continue,
                Event::RoleChanged { member, role, term } => {
                    match self.roles.iter_mut().find(|(name, ..)| name == member) {
                        Some(known) => (known.1, known.2) = (*role, *term),
                        None => self.roles.push((member.clone(), *role, *term)),
                    }
                }
                _ => {}
            }
            self.push(record.at_ms, &record.event);
            added = true;
        }
        self.seen_total = total;
        added
    }

    /// Forgets everything: the world was rebuilt and its trace starts again.
    pub fn reset(&mut self) {
        *self = EventFeed { next_seq: self.next_seq, ..EventFeed::default() };
    }
}

/// The feed, newest at the bottom; it follows new events unless the visitor has scrolled up to read.
#[component]
pub fn Events() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let list_ref = NodeRef::<Div>::new();
    // Stick to the bottom only if the visitor was already there before the new lines arrived.
    Effect::new(move |_| {
        sim.events.track();
        if let Some(list) = list_ref.get_untracked() {
            let near_bottom = list.scroll_height() - list.scroll_top() - list.client_height() < 48;
            if near_bottom {
                request_animation_frame(move || list.set_scroll_top(list.scroll_height()));
            }
        }
    });

    view! {
        <section class="events" aria-labelledby="events-title">
            <h2 id="events-title" class="panel-title">"Events"</h2>
            <div class="event-list" role="log" aria-label="Events" node_ref=list_ref>
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
    use etcdplay_core::Role;

    fn role(member: &str, term: u64) -> Event {
        Event::RoleChanged { member: member.to_string(), role: Role::Leader, term }
    }

    fn view(name: &str, role: Role, term: u64) -> NodeView {
        NodeView {
            name: name.to_string(),
            id: 1,
            role,
            term,
            commit_index: 0,
            applied_index: 0,
            up: role != Role::Down,
            leader_id: 0,
            revision: 1,
        }
    }

    #[test]
    fn reads_only_new_events_and_skips_applied() {
        let mut trace = Trace::default();
        let mut feed = EventFeed::default();
        trace.push(3_212, role("etcd3", 2));
        trace.push(3_300, Event::Applied { member: "etcd1".into(), index: 1, revision: 1 });
        trace.push(3_300, Event::Answered { request: 1, member: "etcd1".into(), outcome: "ok".into() });
        assert!(feed.catch_up(&trace, 3_300, &[]));
        assert!(!feed.catch_up(&trace, 3_350, &[]));
        assert_eq!(feed.lines.len(), 1);
        assert_eq!(feed.lines[0].time, "0:03.212");
        assert_eq!(feed.lines[0].text, "etcd3 became leader at term 2");
        trace.push(4_000, Event::Killed { member: "etcd3".into() });
        assert!(feed.catch_up(&trace, 4_000, &[]));
        assert_eq!(feed.lines.iter().map(|l| l.seq).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn keeps_the_newest_lines() {
        let mut trace = Trace::default();
        let mut feed = EventFeed::default();
        for t in 0..(TRACE_LIMIT as u64 + 500) {
            trace.push(t, role("etcd1", t));
        }
        feed.catch_up(&trace, 0, &[]);
        assert_eq!(feed.lines.len(), FEED_LIMIT);
        let newest = TRACE_LIMIT as u64 + 499;
        assert_eq!(feed.lines.back().map(|l| l.text.clone()), Some(format!("etcd1 became leader at term {newest}")));
        // A fresh trace (a rebuilt world) starts the feed over.
        feed.catch_up(&Trace::default(), 0, &[]);
        assert!(feed.lines.is_empty());
    }

    #[test]
    fn narrates_role_changes_the_trace_missed_once() {
        let mut trace = Trace::default();
        let mut feed = EventFeed::default();
        let boot = [view("etcd1", Role::Follower, 0), view("etcd2", Role::Follower, 0)];
        assert!(!feed.catch_up(&trace, 0, &boot), "the boot state is not news");
        let elected = [view("etcd1", Role::Leader, 1), view("etcd2", Role::Follower, 1)];
        assert!(feed.catch_up(&trace, 1_150, &elected));
        let texts: Vec<String> = feed.lines.iter().map(|l| format!("{} {}", l.time, l.text)).collect();
        assert_eq!(texts, ["0:01.150 etcd1 became leader at term 1", "0:01.150 etcd2 became follower at term 1"]);
        // A role change the trace reports is not told twice, and a kill does not read "became down".
        trace.push(2_000, Event::Killed { member: "etcd1".into() });
        trace.push(2_900, role("etcd2", 2));
        let after = [view("etcd1", Role::Down, 1), view("etcd2", Role::Leader, 2)];
        assert!(feed.catch_up(&trace, 2_950, &after));
        let texts: Vec<&str> = feed.lines.iter().skip(2).map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["etcd1 was killed", "etcd2 became leader at term 2"]);
    }

    #[test]
    fn a_real_cluster_elects_in_the_feed() {
        let mut world = etcdplay_core::World::new(etcdplay_core::WorldConfig::demo(3, 1));
        let mut feed = EventFeed::default();
        for _ in 0..100 {
            world.advance(50);
            feed.catch_up(world.trace(), world.now_ms(), &world.nodes());
        }
        assert!(feed.lines.iter().any(|l| l.text.ends_with("became leader at term 1")), "{:?}", feed.lines);
    }
}
