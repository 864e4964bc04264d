//! The Lessons panel: guided lessons through the etcd operations story, run in the live cluster. The
//! lessons, their setups and the checks that a step is done all live in `etcdplay_core::lesson`; this
//! panel only picks a lesson, asks the core to enter a step, shows the step's text and whether its goal is
//! met (read from the core on every published tick), and keeps the address at `?lesson=ID&step=N` so each
//! step has a link.
//!
//! Opening a lesson (from the list, a link, or Back) starts a fresh cluster of the lesson's size from the
//! page's seed and walks the earlier steps as a visitor would, so every step opens in a working scenario.
//! Next keeps the world as the visitor left it and runs the next step's setup.

use crate::link;
use crate::sim::Sim;
use etcdplay_core::lesson::{self, guide, Lesson, StepStart};
use leptos::prelude::*;

/// The lesson being followed.
#[derive(Clone, Debug)]
struct Open {
    lesson: Lesson,
    /// 0-based.
    step: usize,
    start: StepStart,
    /// The world's epoch when the step was entered: another epoch means the world was replaced (a new
    /// cluster size, a rewind) and the step's checks no longer apply to it.
    epoch: u64,
}

/// The panel's state, shared by its parts.
#[derive(Clone, Copy)]
struct Guide {
    sim: Sim,
    open: RwSignal<Option<Open>>,
    /// Whether the current step's goal has been met; once met it stays met.
    met: RwSignal<bool>,
    /// A message about the address (an unknown lesson in a link).
    notice: RwSignal<String>,
}

impl Guide {
    /// Opens `lesson` at `step` (0-based) on a fresh cluster, after walking the earlier steps.
    fn open(self, lesson: Lesson, step: usize) {
        let step = step.min(lesson.steps.len() - 1);
        self.sim.rebuild(lesson.members);
        // A lesson happens in running time: a clock left paused would leave the first step waiting.
        self.sim.playing.set(true);
        let start = self.sim.drive(|w| guide::enter(w, &lesson, step));
        self.show(lesson, step, start);
    }

    /// Goes on to the next step in the world as it is.
    fn next(self) {
        let Some(open) = self.open.get_untracked() else { return };
        let step = open.step + 1;
        let Some(next) = open.lesson.steps.get(step) else { return };
        let start = self.sim.drive(|w| guide::begin(w, next));
        self.show(open.lesson, step, start);
    }

    /// Does what the current step asks of the visitor.
    fn do_it(self) {
        let Some(open) = self.open.get_untracked() else { return };
        self.sim.drive(|w| guide::act(w, &open.lesson.steps[open.step]));
    }

    fn show(self, lesson: Lesson, step: usize, start: StepStart) {
        set_address(Some(link::lesson_query(lesson.id, step + 1)));
        self.notice.set(String::new());
        self.met.set(false);
        let epoch = self.sim.epoch.get_untracked();
        self.open.set(Some(Open { lesson, step, start, epoch }));
    }

    fn close(self) {
        set_address(None);
        self.met.set(false);
        self.open.set(None);
    }

    /// Checks the current step's goal against the world (cheap, read-only); latches once met.
    fn check(self) {
        if self.met.get_untracked() {
            return;
        }
        let epoch = self.sim.epoch.get_untracked();
        let met = self.open.with_untracked(|open| {
            let open = open.as_ref().filter(|o| o.epoch == epoch)?;
            self.sim.read_world(|w| open.lesson.steps[open.step].goal.met(w, &open.start))
        });
        if met == Some(true) {
            self.met.set(true);
        }
    }
}

/// Puts `?QUERY` (or no query) in the address bar without reloading or adding a history entry. A
/// `seed` the address already had stays, so the link rebuilds the same cluster.
fn set_address(query: Option<String>) {
    let Some(window) = web_sys::window() else { return };
    let path = window.location().pathname().unwrap_or_default();
    let search = window.location().search().unwrap_or_default();
    let seed = link::param(&search, "seed").map(|s| format!("seed={s}"));
    let query: Vec<String> = seed.into_iter().chain(query).collect();
    let url = if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// Text with `code` spans (marked with backticks in the lesson) as text and `<code>` nodes.
fn rich(text: &'static str) -> impl IntoView {
    lesson::spans(text)
        .into_iter()
        .map(|(code, s)| if code { view! { <code>{s}</code> }.into_any() } else { s.into_any() })
        .collect_view()
}

/// The panel: the list of lessons, or the open lesson's current step.
#[component]
pub fn Lessons() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let g = Guide { sim, open: RwSignal::new(None), met: RwSignal::new(false), notice: RwSignal::new(String::new()) };
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    if let Some((id, step)) = link::lesson_param(&search) {
        match lesson::find(id) {
            Some(l) => g.open(l, step - 1),
            None => g.notice.set(format!("There is no lesson named \"{id}\"; pick one below.")),
        }
    }
    Effect::new(move |_| {
        sim.snapshot.track();
        g.open.track();
        g.check();
    });
    let is_open = move || g.open.with(Option::is_some);
    view! {
        <section class="lessons" aria-labelledby="lessons-title">
            <h2 id="lessons-title" class="panel-title">"Lessons"</h2>
            <Show when=is_open fallback=move || view! { <LessonList g /> }>
                <StepView g />
            </Show>
        </section>
    }
}

/// Every lesson, each with a button that starts it.
#[component]
fn LessonList(g: Guide) -> impl IntoView {
    view! {
        <p class="lessons-intro">
            "Guided tours of etcd in this live cluster. Each step sets up a scenario, asks you to act, checks that you did, and explains what happened. Starting one boots a fresh cluster."
        </p>
        <Show when=move || g.notice.with(|n| !n.is_empty())>
            <p class="lessons-notice" role="alert">{move || g.notice.get()}</p>
        </Show>
        <ol class="lesson-list">
            {lesson::catalogue()
                .into_iter()
                .map(|l| {
                    let (title, summary) = (l.title, l.summary);
                    view! {
                        <li>
                            <button class="lesson-start" on:click=move |_| g.open(l.clone(), 0)>
                                {title}
                            </button>
                            <span class="lesson-summary">{summary}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// The open lesson's current step: where we are, what to do, the status, and the way on.
#[component]
fn StepView(g: Guide) -> impl IntoView {
    let current = move || g.open.get();
    let replaced = move || g.open.with(|o| o.as_ref().is_some_and(|o| o.epoch != g.sim.epoch.get()));
    let heading =
        move || current().map(|o| format!("{}: step {} of {}", o.lesson.title, o.step + 1, o.lesson.steps.len()));
    let text = move || current().map(|o| rich(o.lesson.steps[o.step].text));
    let status = move || {
        let o = current()?;
        let step = &o.lesson.steps[o.step];
        Some(if replaced() {
            view! { "The cluster was replaced (a new size or a rewind), so this step's scenario is gone: press Restart step." }
                .into_any()
        } else if g.met.get() {
            view! { <strong>"Done: "</strong> {rich(step.explain)} }.into_any()
        } else {
            rich(step.waiting).into_any()
        })
    };
    let last = move || g.open.with(|o| o.as_ref().is_some_and(|o| o.step + 1 == o.lesson.steps.len()));
    let complete = move || g.met.get() && last() && !replaced();
    let href = move || current().map(|o| format!("?{}", link::lesson_query(o.lesson.id, o.step + 1)));
    let back = move |_| {
        if let Some(o) = g.open.get_untracked() {
            g.open(o.lesson, o.step.saturating_sub(1));
        }
    };
    let restart = move |_| {
        if let Some(o) = g.open.get_untracked() {
            g.open(o.lesson, o.step);
        }
    };
    view! {
        <div class="lesson" class:lesson-done=move || g.met.get()>
            <div class="lesson-head">
                <h3 class="lesson-title">{heading}</h3>
                <button class="lesson-button" on:click=move |_| g.close()>"All lessons"</button>
            </div>
            <p class="lesson-text">{text}</p>
            <p class="lesson-status" role="status" aria-live="polite" aria-label="Lesson status">{status}</p>
            <Show when=complete>
                <CompleteNote g />
            </Show>
            <div class="lesson-nav">
                <button
                    class="lesson-button"
                    title="Opens the previous step on a fresh cluster"
                    disabled=move || g.open.with(|o| o.as_ref().is_none_or(|o| o.step == 0))
                    on:click=back
                >
                    "Back"
                </button>
                <button class="lesson-button" disabled=move || g.met.get() || replaced() on:click=move |_| g.do_it()>
                    "Do it for me"
                </button>
                <Show when=replaced>
                    <button class="lesson-button" on:click=restart>"Restart step"</button>
                </Show>
                <button
                    class="lesson-button lesson-next"
                    disabled=move || !g.met.get() || last() || replaced()
                    on:click=move |_| g.next()
                >
                    "Next"
                </button>
                <a class="lesson-link" href=href>"Link to this step"</a>
            </div>
        </div>
    }
}

/// Shown once the last step is done: the lesson is complete; on to the next one.
#[component]
fn CompleteNote(g: Guide) -> impl IntoView {
    let following = move || {
        let id = g.open.with(|o| o.as_ref().map(|o| o.lesson.id))?;
        let all = lesson::catalogue();
        let at = all.iter().position(|l| l.id == id)?;
        all.into_iter().nth(at + 1)
    };
    view! {
        <p class="lesson-complete">"Lesson complete."</p>
        {move || {
            following()
                .map(|l| {
                    let label = format!("Next lesson: {}", l.title);
                    view! {
                        <button class="lesson-button" on:click=move |_| g.open(l.clone(), 0)>
                            {label}
                        </button>
                    }
                })
        }}
    }
}
