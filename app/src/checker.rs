//! The History check panel: the linearizability checker of the robustness runs, run on the visitor's own
//! requests, and the unsafe teaching mode that makes it fail. The check itself lives in core
//! ([`etcdplay_core::linearizability::session`]); this panel only asks for it when the history changed.

use crate::sim::Sim;
use etcdplay_core::linearizability::session::{SessionCheck, SessionVerdict};
use etcdplay_core::Action;
use leptos::prelude::*;

/// The panel: the verdict, the offending operations when there are any, the keys left out, and the
/// unsafe-mode switch.
#[component]
pub fn HistoryCheck() -> impl IntoView {
    let sim = expect_context::<Sim>();
    // Re-read the history's version on every published snapshot; the check below only re-runs when it moved.
    let version = Memo::new(move |_| {
        sim.snapshot.track();
        sim.read_world(|w| (w.session_history().map(|h| h.version()), w.unsafe_reads())).unwrap_or_default()
    });
    let check = Memo::new(move |_| {
        version.track();
        sim.read_world(|w| w.session_history().map(|h| h.check())).flatten()
    });
    let unsafe_on = Memo::new(move |_| version.get().1);
    let line = move || check.with(|c| c.as_ref().map(SessionCheck::verdict_line).unwrap_or_default());
    let bad =
        move || check.with(|c| matches!(c, Some(SessionCheck { verdict: SessionVerdict::NotLinearizable { .. }, .. })));
    let offending = move || {
        check.with(|c| match c {
            Some(SessionCheck { verdict: SessionVerdict::NotLinearizable { ops, .. }, .. }) => ops.clone(),
            _ => Vec::new(),
        })
    };
    let skipped = move || {
        check.with(|c| {
            c.as_ref()
                .map(|c| c.skipped.iter().map(|(k, why)| format!("{k} ({why})")).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        })
    };
    let toggle = move |ev: leptos::ev::Event| {
        sim.act(Action::UnsafeReads { on: event_target_checked(&ev) }, drop);
    };
    view! {
        <section class="history-check" aria-labelledby="history-check-title">
            <h2 id="history-check-title" class="panel-title">"History check"</h2>
            <p class="hint">
                "etcd promises linearizable reads: once a write has returned, every read sees it. "
                "The robustness checker replays every get, put and del you sent and looks for an order that explains them all."
            </p>
            <p class="verdict" class:bad=bad role="status" aria-live="polite">{line}</p>
            <Show when=bad>
                <p>"No order explains these operations (each with when it was sent and answered):"</p>
                <ol class="offending" aria-label="Offending operations">
                    <For each=offending key=|op| op.clone() let:op>
                        <li>{op}</li>
                    </For>
                </ol>
            </Show>
            <Show when=move || !skipped().is_empty()>
                <p class="hint">"Not checked: " {skipped}</p>
            </Show>
            <label class="unsafe">
                <input type="checkbox" prop:checked=move || unsafe_on.get() on:change=toggle />
                " Unsafe mode: serve linearizable reads without ReadIndex (etcd never does this)"
            </label>
            <Show when=move || unsafe_on.get()>
                <p class="warning">
                    "UNSAFE: an isolated or deposed leader now answers reads from its own store. "
                    "Isolate the leader, write through the others, then read from the old leader with "
                    <code>"get KEY --endpoints=etcdN"</code> "."
                </p>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcdplay_core::{World, WorldConfig};

    #[test]
    fn a_fresh_session_is_linearizable_and_counts_its_operations() {
        let mut world = World::new(WorldConfig::demo(3, 1).with_history());
        world.wait_for_leader(10_000);
        world.apply(Action::Etcdctl { line: "put a 1".into(), stdin: None });
        world.apply(Action::Etcdctl { line: "get a".into(), stdin: None });
        let check = world.session_history().expect("recorded").check();
        assert_eq!(check.verdict_line(), "history linearizable: yes (2 operations on 1 key)");
    }
}
