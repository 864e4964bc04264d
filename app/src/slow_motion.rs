//! The ring's slow motion: on a LAN a Raft message crosses its link in 1-3 ms, far less than a frame, so
//! at the default pace the messages in flight are almost never on screen and log replication cannot be
//! seen. Here every message the cluster sent is drawn crossing its link in [`CROSSING_MS`] of real time,
//! however fast it really arrived: the visitor sees each heartbeat and each MsgAppend go out and its
//! response come back. Nothing about time is bent: the clock, the in-flight count and the true dots (the
//! messages still on their way, drawn where they really are) stay exact, and the legend says these are
//! slow motion. A dot is a button that opens the inspector, like a true one.
//!
//! The core keeps the newest messages sent ([`PageView::recent_messages`](etcdplay_core::playground::page_view::PageView));
//! each is drawn from the tick that first sees it, by a CSS animation (the compositor moves it, not the
//! tick), and forgotten once it has crossed.

use crate::raft::{lane_point, message_class, message_label, Inspected};
use crate::sim::{now_real_ms, Sim};
use etcdplay_core::sim::view::MessageView;
use leptos::prelude::*;

/// How long a slow-motion dot takes to cross its link, in real milliseconds: long enough to follow
/// with the eye, short enough that a heartbeat's response is seen coming back before the next one.
pub const CROSSING_MS: f64 = 900.0;

/// The part of a link a slow-motion dot crosses (fractions from the sender's centre): from the sender's
/// card to the receiver's, over their edges.
const PATH: (f64, f64) = (0.3, 0.7);

/// The most slow-motion dots on the ring at once: one per direction of a link ([`admit`]), which seven
/// members electing (every member asking every other) can exceed.
pub const MAX_DOTS: usize = 24;

/// Whether the ring draws its slow motion (the legend's checkbox; on by default).
#[derive(Clone, Copy)]
pub struct SlowMotion(pub RwSignal<bool>);

/// One dot: the message, when the page first saw it (real ms), and its path in percent of the ring.
#[derive(Clone, Debug, PartialEq)]
struct Trail {
    message: MessageView,
    seen_at: f64,
    from: (f64, f64),
    to: (f64, f64),
}

/// Whether a message is a heartbeat or its response: the most frequent and least telling kind, which
/// gives its link up to anything else.
fn is_heartbeat(m: &MessageView) -> bool {
    m.kind.starts_with("MsgHeartbeat")
}

/// Adds `dot` to the dots crossing, if its link is free. A dot, once drawn, crosses its whole link: under
/// load a cluster sends more messages a tick than can be drawn, and letting the newest displace the rest
/// replaced every dot every tick, so that none was seen travelling (and the page rebuilt them all). So each
/// direction of a link carries one dot at a time, the rest of its messages are not drawn, and only a
/// message that is not a heartbeat may take the place of a heartbeat's dot (a MsgAppend is what the
/// visitor follows).
fn admit(trail: &mut Vec<Trail>, dot: Trail) {
    let same_link = |t: &Trail| t.message.from == dot.message.from && t.message.to == dot.message.to;
    match trail.iter().position(same_link) {
        None if trail.len() < MAX_DOTS => trail.push(dot),
        Some(i) if is_heartbeat(&trail[i].message) && !is_heartbeat(&dot.message) => {
            trail.remove(i);
            trail.push(dot);
        }
        _ => {}
    }
}

/// The slow-motion dots over the ring (`position(i, count)` is member `i`'s centre, in percent).
pub fn slow_motion_dots(
    sim: Sim,
    position: impl Fn(usize, usize) -> (f64, f64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let on = expect_context::<SlowMotion>().0;
    let inspected = expect_context::<Inspected>();
    let trail = RwSignal::new(Vec::<Trail>::new());
    let newest = StoredValue::new(None::<u64>);
    Effect::new(move |_| {
        let enabled = on.get();
        sim.snapshot.with(|s| {
            let now = now_real_ms();
            let count = s.nodes.len();
            let index = |name: &str| s.nodes.iter().position(|n| n.name == name);
            let last = newest.get_value();
            let fresh: Vec<Trail> = s
                .recent_messages
                .iter()
                .filter(|m| enabled && last.is_none_or(|l| m.id > l))
                .filter_map(|m| {
                    let (a, b) = (position(index(&m.from)?, count), position(index(&m.to)?, count));
                    Some(Trail {
                        message: m.clone(),
                        seen_at: now,
                        from: lane_point(a, b, PATH.0),
                        to: lane_point(a, b, PATH.1),
                    })
                })
                .collect();
            if let Some(m) = s.recent_messages.last() {
                newest.set_value(Some(m.id));
            }
            let crossing = |t: &Trail| enabled && now - t.seen_at < CROSSING_MS;
            if fresh.is_empty() && trail.with_untracked(|t| t.iter().all(crossing)) {
                return;
            }
            trail.update(|t| {
                t.retain(crossing);
                for dot in fresh {
                    admit(t, dot);
                }
            });
        });
    });
    view! {
        <For
            each=move || {
                let picked = inspected.0.with(|i| i.as_ref().map(|m| m.id));
                trail.with(|t| t.iter().map(|t| (t.clone(), picked == Some(t.message.id))).collect::<Vec<_>>())
            }
            // Plain elements, as the true dots are (see `message_dots`): a change of pick redraws the dot.
            key=|(t, picked)| (t.message.id, *picked)
            children=move |(t, picked)| {
                let label = format!("{} (slow motion)", message_label(&t.message));
                let message = t.message.clone();
                view! {
                    <span
                        class="msg-path"
                        style=("--dx", format!("{:.2}%", t.to.0 - t.from.0))
                        style=("--dy", format!("{:.2}%", t.to.1 - t.from.1))
                    >
                        <button
                            class=format!("{} msg-dot msg-trail", message_class(t.message.kind))
                            class:msg-picked=picked
                            style=("--x0", format!("{:.2}%", t.from.0))
                            style=("--y0", format!("{:.2}%", t.from.1))
                            aria-label=label.clone()
                            title=label
                            on:click=move |_| inspected.0.set(Some(message.clone()))
                        ></button>
                    </span>
                }
            }
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(id: u64, kind: &'static str, from: &str, to: &str) -> Trail {
        let message = MessageView {
            id,
            kind,
            from: from.into(),
            to: to.into(),
            term: 1,
            index: 0,
            log_term: 0,
            entries: 0,
            commit: 0,
            reject: false,
            sent_at_ms: 0,
            deliver_at_ms: 1,
        };
        Trail { message, seen_at: 0.0, from: (0.0, 0.0), to: (1.0, 1.0) }
    }

    fn ids(trail: &[Trail]) -> Vec<u64> {
        trail.iter().map(|t| t.message.id).collect()
    }

    #[test]
    fn a_link_carries_one_dot_and_an_append_takes_a_heartbeats_place() {
        let mut trail = Vec::new();
        admit(&mut trail, dot(1, "MsgHeartbeat", "etcd1", "etcd2"));
        admit(&mut trail, dot(2, "MsgHeartbeat", "etcd1", "etcd2"));
        admit(&mut trail, dot(3, "MsgHeartbeatResponse", "etcd2", "etcd1"));
        assert_eq!(ids(&trail), [1, 3], "the second heartbeat waits; the other direction is another lane");
        admit(&mut trail, dot(4, "MsgAppend", "etcd1", "etcd2"));
        admit(&mut trail, dot(5, "MsgAppend", "etcd1", "etcd2"));
        admit(&mut trail, dot(6, "MsgHeartbeat", "etcd1", "etcd2"));
        assert_eq!(ids(&trail), [3, 4], "the append replaced the heartbeat; nothing replaces the append");
    }

    #[test]
    fn no_more_than_max_dots() {
        let mut trail = Vec::new();
        for i in 0..100 {
            admit(&mut trail, dot(i, "MsgRequestVote", &format!("m{}", i % 10), &format!("m{}", i / 10)));
        }
        assert_eq!(trail.len(), MAX_DOTS);
    }
}
