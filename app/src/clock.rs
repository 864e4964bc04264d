//! The simulated clock. Shown because every timeout in the cluster (heartbeats, elections, request
//! deadlines) runs on this clock, not the wall clock: it is what makes a run replayable from its seed.

use crate::sim::Sim;
use leptos::prelude::*;

/// Formats simulated milliseconds as `m:ss.mmm`.
pub fn format_sim_time(now_ms: u64) -> String {
    let minutes = now_ms / 60_000;
    let seconds = now_ms / 1_000 % 60;
    let millis = now_ms % 1_000;
    format!("{minutes}:{seconds:02}.{millis:03}")
}

/// Simulated time since the cluster booted, and the seed that makes it reproducible.
#[component]
pub fn Clock() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let now_ms = Memo::new(move |_| sim.snapshot.with(|s| s.now_ms));
    view! {
        <div class="clock">
            <span class="clock-label">"simulated time "</span>
            <time class="clock-value" role="timer" aria-label="Simulated time">{move || format_sim_time(now_ms.get())}</time>
            <span class="clock-seed">{format!(" · seed {}", sim.seed)}</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::format_sim_time;

    #[test]
    fn formats_minutes_seconds_millis() {
        assert_eq!(format_sim_time(0), "0:00.000");
        assert_eq!(format_sim_time(61_005), "1:01.005");
    }
}
