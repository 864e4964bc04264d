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

/// The most slow-motion dots on the ring at once (the newest); at 100x the cluster sends thousands a
/// second and only a glimpse of them can be drawn.
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
                t.extend(fresh);
                let over = t.len().saturating_sub(MAX_DOTS);
                t.drain(..over);
            });
        });
    });
    view! {
        <For
            each=move || trail.get()
            key=|t| t.message.id
            children=move |t| {
                let label = format!("{} (slow motion)", message_label(&t.message));
                let message = t.message.clone();
                let id = message.id;
                let picked = Memo::new(move |_| inspected.0.with(|i| i.as_ref().is_some_and(|i| i.id == id)));
                view! {
                    <button
                        class=format!("{} msg-dot msg-trail", message_class(t.message.kind))
                        class:msg-picked=move || picked.get()
                        style=("--x0", format!("{:.2}%", t.from.0))
                        style=("--y0", format!("{:.2}%", t.from.1))
                        style=("--x1", format!("{:.2}%", t.to.0))
                        style=("--y1", format!("{:.2}%", t.to.1))
                        aria-label=label.clone()
                        title=label
                        on:click=move |_| inspected.0.set(Some(message.clone()))
                    ></button>
                }
            }
        />
    }
}
