//! The Leases panel: the leases the leader's lessor holds, each with its granted TTL, a countdown bar on
//! the simulated clock and its attached keys. Everything shown comes from the core's
//! [`LeasesView`](etcdplay_core::sim::leases_view::LeasesView), copied into the snapshot every tick.

use crate::sim::Sim;
use etcdplay_core::sim::leases_view::{LeaseView, LeasesView};
use leptos::prelude::*;

/// The most leases the snapshot carries each tick.
pub const MAX_LEASES: usize = 50;
/// The most keys listed per lease.
pub const MAX_LEASE_KEYS: usize = 10;

/// "lease 694d7a2b1e2c6f05: 23 of 60 s left, 2 keys", what the row says to a screen reader.
pub fn lease_summary(l: &LeaseView) -> String {
    let keys = if l.key_count == 1 { "1 key".to_string() } else { format!("{} keys", l.key_count) };
    let paused = if l.remaining_ms.is_none() { " (not counting down: no leader)" } else { "" };
    format!("lease {}: {} of {} s left{paused}, {keys}", l.id_hex, l.remaining_s, l.granted_ttl_s)
}

/// How much of its TTL a lease has left, from 0 to 1; full while nobody counts it down.
pub fn remaining_fraction(l: &LeaseView) -> f64 {
    let granted_ms = (l.granted_ttl_s.max(1) as f64) * 1000.0;
    l.remaining_ms.map_or(1.0, |ms| (ms as f64 / granted_ms).clamp(0.0, 1.0))
}

/// The attached keys as one line: "a, b, c" or "a, b and 8 more".
pub fn keys_text(l: &LeaseView) -> String {
    if l.key_count == 0 {
        return "none".to_string();
    }
    let shown = l.keys.join(", ");
    match l.key_count.saturating_sub(l.keys.len()) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// Whose lessor the panel shows, in words.
fn source_text(v: &LeasesView) -> String {
    match (&v.member, v.primary) {
        (Some(m), true) => format!("From {m}'s lessor: the leader's, the one that expires leases."),
        (Some(m), false) => format!("From {m}'s lessor (a follower's copy)."),
        (None, _) => String::new(),
    }
}

/// One lease's row, kept in the DOM while the lease lives; its cells follow the countdown.
fn lease_row(leases: Memo<LeasesView>, id: i64) -> impl IntoView {
    let lease = Memo::new(move |_| leases.with(|v| v.leases.iter().find(|l| l.id == id).cloned()));
    let text = move |f: fn(&LeaseView) -> String| move || lease.with(|l| l.as_ref().map(f).unwrap_or_default());
    let still = move || lease.with(|l| l.as_ref().is_some_and(|l| l.remaining_ms.is_none()));
    view! {
        <tr aria-label=text(lease_summary)>
            <th scope="row" class="lease-id">{text(|l| l.id_hex.clone())}</th>
            <td class="lease-ttl">{text(|l| format!("{} s", l.granted_ttl_s))}</td>
            <td class="lease-remaining">
                <span class="lease-remaining-text">{text(|l| format!("{} s", l.remaining_s))}</span>
                <span class="lease-bar" class:lease-bar-still=still aria-hidden="true">
                    <span
                        class="lease-bar-fill"
                        style:width=text(|l| format!("{:.1}%", remaining_fraction(l) * 100.0))
                    ></span>
                </span>
            </td>
            <td class="lease-keys">{text(keys_text)}</td>
        </tr>
    }
}

#[component]
pub fn Leases() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let leases = Memo::new(move |_| sim.snapshot.with(|s| s.leases.clone()));
    let ids = Memo::new(move |_| leases.with(|v| v.leases.iter().map(|l| l.id).collect::<Vec<_>>()));
    let more = move || {
        leases.with(|v| {
            let more = v.total.saturating_sub(v.leases.len());
            (more > 0).then(|| view! { <p class="leases-more">{format!("and {more} more leases")}</p> })
        })
    };
    view! {
        <section class="leases" aria-labelledby="leases-title">
            <h2 id="leases-title" class="panel-title">"Leases"</h2>
            <div class="leases-body">
                <p class="leases-source">{move || leases.with(source_text)}</p>
                {move || leases.with(|v| v.note().map(|n| view! { <p class="leases-note" role="note">{n}</p> }))}
                <Show
                    when=move || ids.with(|ids| !ids.is_empty())
                    fallback=|| view! { <p class="leases-empty">"No leases. Grant one with: lease grant 30"</p> }
                >
                    <table class="leases-table" aria-label="Leases">
                        <thead>
                            <tr>
                                <th scope="col">"ID"</th>
                                <th scope="col">"TTL"</th>
                                <th scope="col">"remaining"</th>
                                <th scope="col">"keys"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || ids.get() key=|id| *id children=move |id| lease_row(leases, id) />
                        </tbody>
                    </table>
                    {more}
                </Show>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(remaining_ms: Option<u64>, keys: &[&str], key_count: usize) -> LeaseView {
        LeaseView {
            id: 0x694d7a2b1e2c6f05,
            id_hex: "694d7a2b1e2c6f05".into(),
            granted_ttl_s: 60,
            remaining_s: remaining_ms.map_or(60, |ms| ms.div_ceil(1000) as i64),
            remaining_ms,
            keys: keys.iter().map(|k| k.to_string()).collect(),
            key_count,
        }
    }

    #[test]
    fn a_lease_reads_as_text_and_a_bar() {
        let l = lease(Some(22_500), &["a", "b"], 2);
        assert_eq!(lease_summary(&l), "lease 694d7a2b1e2c6f05: 23 of 60 s left, 2 keys");
        assert_eq!(remaining_fraction(&l), 0.375);
        assert_eq!(keys_text(&l), "a, b");
        let still = lease(None, &["a"], 12);
        assert_eq!(
            lease_summary(&still),
            "lease 694d7a2b1e2c6f05: 60 of 60 s left (not counting down: no leader), 12 keys"
        );
        assert_eq!(remaining_fraction(&still), 1.0);
        assert_eq!(keys_text(&still), "a and 11 more");
        assert_eq!(keys_text(&lease(Some(0), &[], 0)), "none");
        assert_eq!(remaining_fraction(&lease(Some(0), &[], 0)), 0.0);
    }
}
