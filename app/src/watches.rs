//! The Watches panel: every live watcher of the running `watch` commands, on the member serving it, with
//! its range, start revision, whether it is synced or still catching up, and the events it delivered.
//! Each row names the console stream that owns it; the console's Stop button (or Ctrl-C) ends it. What
//! is shown comes from the core's [`WatchesView`](etcdplay_core::playground::watches_view::WatchesView).

use crate::sim::Sim;
use etcdplay_core::playground::watches_view::WatcherView;
use leptos::prelude::*;

/// The most watchers the snapshot carries each tick.
pub const MAX_WATCHERS: usize = 50;

fn state(w: &WatcherView) -> &'static str {
    if w.synced {
        "synced"
    } else {
        "unsynced"
    }
}

fn member(w: &WatcherView) -> String {
    w.member.clone().unwrap_or_else(|| "no member up".to_string())
}

/// "watch 0 on etcd2: foo from revision 5, synced, 1 event (stream 1: watch foo)".
pub fn watcher_summary(w: &WatcherView) -> String {
    let events = if w.events == 1 { "1 event".to_string() } else { format!("{} events", w.events) };
    let prev = if w.prev_kv { ", with previous values" } else { "" };
    format!(
        "watch {} on {}: {} from revision {}{prev}, {}, {events} (stream {}: {})",
        w.watch_id,
        member(w),
        w.range,
        w.start_rev,
        state(w),
        w.stream,
        w.command
    )
}

fn watcher_row(w: &WatcherView) -> impl IntoView {
    view! {
        <tr aria-label=watcher_summary(w)>
            <th scope="row" class="watch-member">{member(w)}</th>
            <td class="watch-range">{w.range.clone()}</td>
            <td class="watch-rev">{w.start_rev}</td>
            <td>{if w.prev_kv { "prev-kv" } else { "" }}</td>
            <td class=if w.synced { "watch-synced" } else { "watch-unsynced" }>{state(w)}</td>
            <td class="watch-events">{w.events}</td>
            <td class="watch-stream">
                <span class="watch-stream-id">{format!("#{} ", w.stream)}</span>
                <code>{w.command.clone()}</code>
            </td>
        </tr>
    }
}

#[component]
pub fn Watches() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let watches = Memo::new(move |_| sim.snapshot.with(|s| s.watches.clone()));
    let table = move || {
        watches.with(|v| {
            if v.watchers.is_empty() {
                return view! { <p class="watches-empty">"No watchers. Start one with: watch foo"</p> }.into_any();
            }
            let more = v.total.saturating_sub(v.watchers.len());
            view! {
                <table class="watches-table" aria-label="Watchers">
                    <thead>
                        <tr>
                            <th scope="col">"member"</th>
                            <th scope="col">"key or range"</th>
                            <th scope="col">"from rev"</th>
                            <th scope="col">"options"</th>
                            <th scope="col">"state"</th>
                            <th scope="col">"events"</th>
                            <th scope="col">"console stream"</th>
                        </tr>
                    </thead>
                    <tbody>{v.watchers.iter().map(watcher_row).collect_view()}</tbody>
                </table>
                {(more > 0).then(|| view! { <p class="watches-more">{format!("and {more} more watchers")}</p> })}
                <p class="watches-hint">"Stop a watch with its Stop button under the console, or Ctrl-C at the prompt."</p>
            }
            .into_any()
        })
    };
    view! {
        <section class="watches" aria-labelledby="watches-title">
            <h2 id="watches-title" class="panel-title">"Watches"</h2>
            <div class="watches-body">{table}</div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watcher_reads_as_one_sentence() {
        let mut w = WatcherView {
            stream: 1,
            command: "watch foo".into(),
            member: Some("etcd2".into()),
            watch_id: 0,
            range: "foo".into(),
            start_rev: 5,
            prev_kv: false,
            synced: true,
            events: 1,
        };
        assert_eq!(watcher_summary(&w), "watch 0 on etcd2: foo from revision 5, synced, 1 event (stream 1: watch foo)");
        w.member = None;
        w.synced = false;
        w.prev_kv = true;
        w.events = 3;
        assert_eq!(
            watcher_summary(&w),
            "watch 0 on no member up: foo from revision 5, with previous values, unsynced, 3 events (stream 1: watch foo)"
        );
    }
}
