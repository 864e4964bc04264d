//! The Time bar: pause, step, speed, rewind and a link to the run. Everything here drives the world through
//! [`Sim`]: the simulated clock is the only clock the cluster has, so pausing it freezes every timeout,
//! and since a run is its seed plus its timed actions, rewinding and sharing are both replays.

use crate::link::query_of;
use crate::sim::Sim;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

/// Speeds on offer: slow enough to watch a single heartbeat, fast enough to see minutes of compaction.
const SPEEDS: [(&str, f64); 7] =
    [("0.01x", 0.01), ("0.1x", 0.1), ("0.5x", 0.5), ("1x", 1.0), ("2x", 2.0), ("10x", 10.0), ("100x", 100.0)];

/// How far the Back buttons rewind, in simulated milliseconds.
const BACK_STEPS_MS: [u64; 2] = [1_000, 10_000];

/// The keyboard shortcuts, as the bar lists them.
const SHORTCUTS: &str = "Keys: Space play/pause · \".\" or \"s\" step";

/// Play/Pause, Step, Speed, Back 1 s / 10 s, Copy link. `notice` says how the page started when that is worth
/// saying: replayed from a link, or a damaged link refused.
#[component]
pub fn TimeBar(notice: String) -> impl IntoView {
    let sim = expect_context::<Sim>();
    if sim.live.is_some() {
        return LiveBar().into_any();
    }
    let status = RwSignal::new(notice);
    let link = RwSignal::new(String::new());
    install_shortcuts(sim);
    view! {
        <section class="time-bar" aria-label="Time">
            <button class="time-play" on:click=move |_| toggle(sim)>
                {move || if sim.playing.get() { "Pause" } else { "Play" }}
            </button>
            <button on:click=move |_| sim.step()>"Step"</button>
            <SpeedPicker />
            {BACK_STEPS_MS
                .iter()
                .map(|&ms| {
                    let label = format!("Back {} s", ms / 1_000);
                    view! { <button on:click=move |_| sim.rewind(ms)>{label}</button> }
                })
                .collect_view()}
            <button on:click=move |_| copy_link(sim, link, status)>"Copy link"</button>
            <input
                class="time-link"
                readonly
                aria-label="Link to this run"
                placeholder="Copy link puts the run's address here"
                prop:value=move || link.get()
            />
            <span class="time-keys">{SHORTCUTS}</span>
            <p class="time-status" role="status">{move || status.get()}</p>
            <p class="time-pace" role="status">{move || sim.pace_note.get()}</p>
        </section>
    }
    .into_any()
}

/// The live page's bar: time belongs to the server, so there is nothing to pause, step or rewind; it
/// says what the page follows and what it last heard.
#[component]
fn LiveBar() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let members = Memo::new(move |_| {
        sim.snapshot.with(|s| s.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>().join(", "))
    });
    view! {
        <section class="time-bar live" aria-label="Time">
            <p class="time-live">
                <strong>"Live"</strong>
                {move || {
                    format!(
                        ": following etcdplay serve ({}; seed {}, {}x). Real etcdctl and clients drive it from a \
                         terminal; what you do here happens there too.",
                        members.get(),
                        sim.seed,
                        sim.speed.get()
                    )
                }}
            </p>
            <p class="time-status" role="status">{move || sim.live_note.get()}</p>
        </section>
    }
}

/// The speed selector; the clock applies the new speed from its next tick.
#[component]
fn SpeedPicker() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let on_change = move |ev| {
        if let Some(&(_, speed)) = SPEEDS.iter().find(|(label, _)| *label == event_target_value(&ev)) {
            sim.speed.set(speed);
        }
    };
    view! {
        <label for="time-speed">"Speed"</label>
        <select id="time-speed" on:change=on_change>
            {SPEEDS
                .iter()
                .map(|&(label, speed)| {
                    view! {
                        <option value=label prop:selected=move || sim.speed.get() == speed>
                            {label}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

fn toggle(sim: Sim) {
    sim.playing.update(|playing| *playing = !*playing);
}

/// Space plays or pauses, "." or "s" steps, unless the key goes to a control (the console's input, a select,
/// a button Space would press) or comes with a modifier (browser shortcuts).
fn install_shortcuts(sim: Sim) {
    let _ = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || targets_a_control(&ev) {
            return;
        }
        match ev.key().as_str() {
            " " => toggle(sim),
            "." | "s" => sim.step(),
            _ => return,
        }
        ev.prevent_default();
    });
}

fn targets_a_control(ev: &KeyboardEvent) -> bool {
    let Some(element) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else { return false };
    matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT" | "BUTTON" | "A")
        || element.is_content_editable()
}

/// Puts the current run's address in the link field and, where the browser allows it, on the clipboard.
fn copy_link(sim: Sim, link: RwSignal<String>, status: RwSignal<String>) {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    let base = format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default());
    let run = sim.run_link();
    let url = format!("{base}?{}", query_of(&run));
    link.set(url.clone());
    status.set(format!(
        "Link to this run at {} ({} actions).",
        crate::clock::format_sim_time(run.at_ms),
        run.actions.len()
    ));
    let copied = window.navigator().clipboard().write_text(&url);
    wasm_bindgen_futures::spawn_local(async move {
        if wasm_bindgen_futures::JsFuture::from(copied).await.is_ok() {
            status.update(|s| s.push_str(" Copied to the clipboard."));
        }
    });
}
