//! The etcdctl console: a prompt that runs one command line against the simulated cluster and a log of
//! what it printed. Output is always rendered as text nodes, never as HTML, because keys and values are
//! whatever the visitor typed.

use crate::sim::Sim;
use etcdplay_core::Action;
use leptos::ev::KeyboardEvent;
use leptos::html::{Div, Input};
use leptos::prelude::*;

/// Most lines the log keeps; older ones scroll away for good, like a terminal's scrollback.
const LOG_LIMIT_LINES: usize = 1_000;

/// Most command lines remembered for the arrow keys.
const HISTORY_LIMIT: usize = 200;

/// Commands worth trying first, shown under the prompt.
const HINTS: [&str; 5] = ["put foo bar", "get foo", "del foo", "member list", "endpoint status"];

/// First line of the log, so an empty console says what it is for.
const GREETING: &str = "etcdctl talks to the simulated cluster: type a command below, or pick one.";

/// Which stream a log line came from; decides how it is styled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    /// The echoed command, `$ etcdctl ...`.
    Command,
    Stdout,
    Stderr,
    /// The console's own remarks, such as the greeting.
    Note,
}

/// One line of console output; `seq` keys it so that appending never re-renders earlier lines.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LogLine {
    seq: u64,
    stream: Stream,
    text: String,
}

/// The console's own state: log lines and command history, with the walk position in it.
#[derive(Debug, Default)]
struct Scrollback {
    lines: Vec<LogLine>,
    next_seq: u64,
}

impl Scrollback {
    fn push(&mut self, stream: Stream, text: &str) {
        self.lines.push(LogLine { seq: self.next_seq, stream, text: text.to_string() });
        self.next_seq += 1;
        if self.lines.len() > LOG_LIMIT_LINES {
            let excess = self.lines.len() - LOG_LIMIT_LINES;
            self.lines.drain(..excess);
        }
    }

    /// Appends a stream's text one line per entry; a trailing newline does not make an empty line.
    fn push_text(&mut self, stream: Stream, text: &str) {
        if text.is_empty() {
            return;
        }
        for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            self.push(stream, line);
        }
    }
}

/// Command history walked with the arrow keys, like a shell's.
#[derive(Debug, Default)]
struct History {
    entries: Vec<String>,
    /// Position while walking: `None` means at the fresh prompt below the newest entry.
    cursor: Option<usize>,
}

impl History {
    fn record(&mut self, line: &str) {
        if self.entries.last().map(String::as_str) != Some(line) {
            self.entries.push(line.to_string());
            if self.entries.len() > HISTORY_LIMIT {
                self.entries.remove(0);
            }
        }
        self.cursor = None;
    }

    /// One step back in time (arrow up); stays on the oldest entry.
    fn older(&mut self) -> Option<String> {
        let at = match self.cursor {
            None => self.entries.len().checked_sub(1)?,
            Some(i) => i.saturating_sub(1),
        };
        self.cursor = Some(at);
        self.entries.get(at).cloned()
    }

    /// One step forward (arrow down); past the newest entry returns to an empty prompt.
    fn newer(&mut self) -> Option<String> {
        let i = self.cursor?;
        if i + 1 < self.entries.len() {
            self.cursor = Some(i + 1);
            self.entries.get(i + 1).cloned()
        } else {
            self.cursor = None;
            Some(String::new())
        }
    }
}

/// The prompt and its output log.
#[component]
pub fn Console() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let scrollback = RwSignal::new(Scrollback::default());
    scrollback.update(|s| s.push(Stream::Note, GREETING));
    let history = StoredValue::new(History::default());
    let (line, set_line) = signal(String::new());
    let log_ref = NodeRef::<Div>::new();
    let input_ref = NodeRef::<Input>::new();
    // A hint fills the prompt and hands focus back to it, so Enter runs it at once.
    let use_hint = move |hint: &str| {
        set_line.set(hint.to_string());
        if let Some(input) = input_ref.get_untracked() {
            let _ = input.focus();
        }
    };

    let run = move |input: String| {
        let input = input.trim().to_string();
        if input.is_empty() {
            return;
        }
        history.update_value(|h| h.record(&input));
        let shown = input.strip_prefix("etcdctl ").unwrap_or(&input).trim_start().to_string();
        let outcome = sim.apply(Action::Etcdctl { line: input.clone(), stdin: None });
        scrollback.update(|s| {
            s.push(Stream::Command, &format!("$ etcdctl {shown}"));
            s.push_text(Stream::Stdout, &outcome.stdout);
            s.push_text(Stream::Stderr, &outcome.stderr);
        });
        // Keep the newest output in view once it has been drawn.
        request_animation_frame(move || {
            if let Some(log) = log_ref.get_untracked() {
                log.set_scroll_top(log.scroll_height());
            }
        });
    };

    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            run(line.get_untracked());
            set_line.set(String::new());
        }
        "ArrowUp" => {
            ev.prevent_default();
            if let Some(previous) = history.try_update_value(|h| h.older()).flatten() {
                set_line.set(previous);
            }
        }
        "ArrowDown" => {
            ev.prevent_default();
            if let Some(next) = history.try_update_value(|h| h.newer()).flatten() {
                set_line.set(next);
            }
        }
        _ => {}
    };

    view! {
        <section class="console" aria-label="console">
            <div class="log" role="log" aria-live="polite" aria-label="etcdctl output" node_ref=log_ref>
                <For
                    each=move || scrollback.with(|s| s.lines.clone())
                    key=|l| l.seq
                    children=|l| {
                        let class = match l.stream {
                            Stream::Command => "line cmd",
                            Stream::Stdout => "line out",
                            Stream::Stderr => "line err",
                            Stream::Note => "line note",
                        };
                        view! { <div class=class>{l.text}</div> }
                    }
                />
            </div>
            <label class="prompt">
                <span class="prompt-sign" aria-hidden="true">"$ etcdctl"</span>
                <input
                    type="text"
                    aria-label="etcdctl"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    placeholder="put foo bar"
                    node_ref=input_ref
                    prop:value=line
                    on:input=move |ev| set_line.set(event_target_value(&ev))
                    on:keydown=on_keydown
                />
            </label>
            <p class="hints">
                "Try "
                {HINTS
                    .iter()
                    .map(|h| {
                        view! {
                            <button
                                class="hint"
                                type="button"
                                on:click=move |_| use_hint(h)
                            >
                                {*h}
                            </button>
                        }
                    })
                    .collect_view()}
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_walks_back_and_forth() {
        let mut h = History::default();
        h.record("put a 1");
        h.record("get a");
        assert_eq!(h.older().as_deref(), Some("get a"));
        assert_eq!(h.older().as_deref(), Some("put a 1"));
        assert_eq!(h.older().as_deref(), Some("put a 1"));
        assert_eq!(h.newer().as_deref(), Some("get a"));
        assert_eq!(h.newer().as_deref(), Some(""));
        assert_eq!(h.newer(), None);
    }

    #[test]
    fn scrollback_splits_lines_and_stays_bounded() {
        let mut s = Scrollback::default();
        s.push_text(Stream::Stdout, "foo\nbar\n");
        s.push_text(Stream::Stderr, "");
        assert_eq!(s.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["foo", "bar"]);
        for i in 0..LOG_LIMIT_LINES + 5 {
            s.push(Stream::Stdout, &i.to_string());
        }
        assert_eq!(s.lines.len(), LOG_LIMIT_LINES);
        assert_eq!(s.lines.last().map(|l| l.text.clone()), Some((LOG_LIMIT_LINES + 4).to_string()));
    }
}
