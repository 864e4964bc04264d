//! The etcdctl console: a prompt that runs one command line against the simulated cluster and a log of
//! what it printed. Output is always rendered as text nodes, never as HTML, because keys and values are
//! whatever the visitor typed.
//!
//! Commands that keep running (`watch`, `lease keep-alive`) behave as if started in a second terminal:
//! their output appears as simulated time passes, the prompt stays free for more commands, and Ctrl-C (or
//! the command's Stop button) ends them.

use crate::sim::{RunningStream, Sim};
use etcdplay_core::ctl::complete::complete;
use etcdplay_core::ctl::echo_line;
use etcdplay_core::Action;
use leptos::ev::KeyboardEvent;
use leptos::html::{Div, Input};
use leptos::prelude::*;

/// Most lines the log keeps; older ones scroll away for good, like a terminal's scrollback.
const LOG_LIMIT_LINES: usize = 1_000;

/// Most command lines remembered for the arrow keys.
const HISTORY_LIMIT: usize = 200;

/// Commands worth trying first, shown under the prompt.
const HINTS: [&str; 6] = ["put foo bar", "get foo", "watch foo", "member list", "endpoint status", "help"];

/// First line of the log, so an empty console says what it is for.
const GREETING: &str = "etcdctl talks to the simulated cluster: type a command below, or pick one.";

/// Said once a command keeps running, so that the visitor knows how to end it.
const RUNNING_NOTE: &str = "(keeps running as the cluster changes: Ctrl-C or its Stop button ends it)";

/// What kind of output a log line is; decides how it is styled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    /// The echoed command, `$ etcdctl ...`, or `^C`.
    Command,
    Stdout,
    Stderr,
    /// Output of a command that keeps running, printed as simulated time passes.
    Live,
    /// The console's own remarks, such as the greeting.
    Note,
}

/// One line of console output; `seq` keys it so that appending never re-renders earlier lines. The text
/// is shared: the log's list is copied on every new line, and a full scrollback copied its 1,000 strings.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LogLine {
    seq: u64,
    stream: Stream,
    text: std::sync::Arc<str>,
}

/// The console's own state: log lines and command history, with the walk position in it.
#[derive(Debug, Default)]
struct Scrollback {
    lines: Vec<LogLine>,
    next_seq: u64,
}

impl Scrollback {
    fn push(&mut self, stream: Stream, text: &str) {
        self.lines.push(LogLine { seq: self.next_seq, stream, text: text.into() });
        self.next_seq += 1;
        if self.lines.len() > LOG_LIMIT_LINES {
            let excess = self.lines.len() - LOG_LIMIT_LINES;
            self.lines.drain(..excess);
        }
    }

    /// Empties the log; keys keep counting up so that no new line reuses a drawn one's key.
    fn clear(&mut self) {
        self.lines.clear();
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

/// What Tab does to `line` given the candidates for its last word: the new line, and whether to list the
/// candidates. One candidate completes the word (and adds a space); several extend it by their common
/// prefix and are listed, as a shell does.
fn tab_complete(line: &str, candidates: &[String]) -> (String, bool) {
    let word_start = line.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let (before, word) = line.split_at(word_start);
    match candidates {
        [] => (line.to_string(), false),
        [only] => (format!("{before}{only} "), false),
        [first, rest @ ..] => {
            let common = rest.iter().fold(first.as_str(), |acc, c| {
                let n = acc.chars().zip(c.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
                &acc[..n]
            });
            let extended = if common.len() > word.len() { format!("{before}{common}") } else { line.to_string() };
            (extended, true)
        }
    }
}

/// Lines per chunk of the log. The log is drawn in chunks, each skipped by the browser while it is scrolled
/// out of sight (`content-visibility: auto`): a full scrollback (1,000 lines and their copy buttons) made
/// every new line's frame paint them all, two thirds of a tick's frame with 100k objects loaded. Per line,
/// the browser's visibility checks of 1,000 elements cost as much as they saved.
const CHUNK_LINES: u64 = 50;

/// The chunks (by number: `seq / CHUNK_LINES`) that hold `lines`, oldest first.
fn chunks_of(lines: &[LogLine]) -> Vec<u64> {
    match (lines.first(), lines.last()) {
        (Some(first), Some(last)) => (first.seq / CHUNK_LINES..=last.seq / CHUNK_LINES).collect(),
        _ => Vec::new(),
    }
}

/// The lines of chunk `chunk` (lines are in `seq` order).
fn lines_in_chunk(lines: &[LogLine], chunk: u64) -> &[LogLine] {
    let start = lines.partition_point(|l| l.seq < chunk * CHUNK_LINES);
    let end = lines.partition_point(|l| l.seq < (chunk + 1) * CHUNK_LINES);
    &lines[start..end]
}

/// What the log shows under the command line `seq`, up to the next command: the text its copy button
/// puts on the clipboard, one line each, as a terminal's selection would give it.
fn output_after(lines: &[LogLine], seq: u64) -> String {
    let out: Vec<&str> = lines
        .iter()
        .skip_while(|l| l.seq != seq)
        .skip(1)
        .take_while(|l| l.stream != Stream::Command)
        .map(|l| &*l.text)
        .collect();
    out.iter().map(|l| format!("{l}\n")).collect()
}

/// Puts `text` on the clipboard and, once the browser has, marks command `seq`'s button as copied.
fn copy_output(text: String, copied: RwSignal<Option<u64>>, seq: u64) {
    let Some(window) = web_sys::window() else { return };
    let done = window.navigator().clipboard().write_text(&text);
    wasm_bindgen_futures::spawn_local(async move {
        if wasm_bindgen_futures::JsFuture::from(done).await.is_ok() {
            copied.set(Some(seq));
        }
    });
}

/// The note printed when a running command ends.
fn exit_note(line: &str, exit_code: i32) -> String {
    format!("{line} exited with status {exit_code}")
}

/// The prompt and its output log.
#[component]
pub fn Console() -> impl IntoView {
    let sim = expect_context::<Sim>();
    let scrollback = RwSignal::new(Scrollback::default());
    // The command whose output was copied last, for the button's "copied" mark.
    let copied = RwSignal::new(None::<u64>);
    scrollback.update(|s| s.push(Stream::Note, GREETING));
    let history = StoredValue::new(History::default());
    let (line, set_line) = signal(String::new());
    let log_ref = NodeRef::<Div>::new();
    let input_ref = NodeRef::<Input>::new();
    let focus_prompt = move || {
        if let Some(input) = input_ref.get_untracked() {
            let _ = input.focus();
        }
    };
    // A hint fills the prompt and hands focus back to it, so Enter runs it at once.
    let use_hint = move |hint: &str| {
        set_line.set(hint.to_string());
        focus_prompt();
    };
    // Keep the newest output in view once it has been drawn.
    let scroll_to_end = move || {
        request_animation_frame(move || {
            if let Some(log) = log_ref.get_untracked() {
                log.set_scroll_top(log.scroll_height());
            }
        });
    };
    let running = Memo::new(move |_| sim.snapshot.with(|s| s.streams.clone()));

    // What running commands printed, drained as it arrives (after every clock tick and every action).
    Effect::new(move |_| {
        sim.stream_output.track();
        let chunks = sim.stream_output.try_update_untracked(std::mem::take).unwrap_or_default();
        if chunks.is_empty() {
            return;
        }
        scrollback.update(|s| {
            for chunk in &chunks {
                s.push_text(Stream::Live, &chunk.outcome.stdout);
                s.push_text(Stream::Stderr, &chunk.outcome.stderr);
                if chunk.finished {
                    s.push(Stream::Note, &exit_note(&chunk.line, chunk.outcome.exit_code));
                }
            }
        });
        scroll_to_end();
    });

    // A rebuilt cluster starts with a clean console (the command history stays, as a shell's would).
    Effect::watch(
        move || sim.epoch.get(),
        move |_, _, _| {
            scrollback.update(|s| {
                s.clear();
                s.push(Stream::Note, &sim.origin.get_untracked());
                s.push(Stream::Note, GREETING);
            });
        },
        false,
    );

    // A here-document being typed (`txn <<EOF`, then lines, then `EOF`): its tag and the text so far.
    let heredoc = StoredValue::new(None::<(String, String)>);
    let execute = move |input: String, echo: bool| {
        // etcdctl commands are echoed under `etcdctl` (typed with or without it), `curl` as typed. The echo
        // goes with the outcome: on the live page that comes once the served cluster took the line, and
        // outcomes come in the order the lines were typed.
        let echoed = echo.then(|| format!("$ {}", echo_line(&input)));
        sim.act(Action::Etcdctl { line: input, stdin: None }, move |outcome| {
            scrollback.update(|s| {
                if let Some(echoed) = &echoed {
                    s.push(Stream::Command, echoed);
                }
                s.push_text(Stream::Stdout, &outcome.stdout);
                s.push_text(Stream::Stderr, &outcome.stderr);
                if outcome.stream.is_some() {
                    s.push(Stream::Note, RUNNING_NOTE);
                }
            });
            scroll_to_end();
        });
    };
    let run = move |input: String| {
        // Inside a here-document every line counts, blank ones too (txn separates its parts with them).
        if let Some((tag, mut text)) = heredoc.get_value() {
            scrollback.update(|s| s.push(Stream::Command, &format!("> {input}")));
            text.push('\n');
            text.push_str(&input);
            if input.trim() == tag {
                heredoc.set_value(None);
                execute(text, false);
            } else {
                heredoc.set_value(Some((tag, text)));
            }
            scroll_to_end();
            return;
        }
        let input = input.trim().to_string();
        if input.is_empty() {
            return;
        }
        history.update_value(|h| h.record(&input));
        if let Some(tag) = heredoc_tag(&input) {
            scrollback.update(|s| s.push(Stream::Command, &format!("$ {}", echo_line(&input))));
            heredoc.set_value(Some((tag, input)));
            scroll_to_end();
            return;
        }
        execute(input, true);
    };

    // Ctrl-C for one running command: `^C`, whatever it printed last, and its exit status (130).
    let interrupt = move |stream: RunningStream| {
        sim.act(Action::Interrupt { stream: stream.id }, move |outcome| {
            scrollback.update(|s| {
                s.push(Stream::Command, "^C");
                s.push_text(Stream::Live, &outcome.stdout);
                s.push_text(Stream::Stderr, &outcome.stderr);
                s.push(Stream::Note, &exit_note(&stream.line, outcome.exit_code));
            });
            scroll_to_end();
        });
    };

    // Ctrl-C at the prompt ends the newest running command; with none running it abandons the typed line.
    let ctrl_c = move || {
        if let Some(newest) = running.with_untracked(|r| r.last().cloned()) {
            interrupt(newest);
        } else {
            let typed = line.get_untracked();
            scrollback.update(|s| s.push(Stream::Command, &format!("$ etcdctl {typed}^C")));
            set_line.set(String::new());
            scroll_to_end();
        }
    };

    let on_tab = move || {
        let current = line.get_untracked();
        let candidates = complete(&current);
        let (completed, list) = tab_complete(&current, &candidates);
        if list {
            scrollback.update(|s| s.push(Stream::Note, &candidates.join("  ")));
            scroll_to_end();
        }
        set_line.set(completed);
    };

    // True if part of the prompt's text is selected, so that Ctrl-C should copy it rather than interrupt.
    let has_selection = move || {
        input_ref.get_untracked().is_some_and(
            |input| matches!((input.selection_start(), input.selection_end()), (Ok(Some(a)), Ok(Some(b))) if a != b),
        )
    };

    let on_keydown = move |ev: KeyboardEvent| {
        let key = ev.key();
        if ev.ctrl_key() && !ev.alt_key() && !ev.meta_key() {
            if key.eq_ignore_ascii_case("c") && !has_selection() {
                ev.prevent_default();
                ctrl_c();
            } else if key.eq_ignore_ascii_case("l") {
                // Also keeps the browser from jumping to its address bar.
                ev.prevent_default();
                scrollback.update(Scrollback::clear);
            }
            return;
        }
        match key.as_str() {
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
            // At an empty prompt Tab still moves focus on, so keyboard users are never trapped here.
            "Tab" if !ev.shift_key() && !line.get_untracked().trim().is_empty() => {
                ev.prevent_default();
                on_tab();
            }
            _ => {}
        }
    };

    let line_view = move |l: LogLine| {
        let class = match l.stream {
            Stream::Command => "line cmd",
            Stream::Stdout => "line out",
            Stream::Stderr => "line err",
            Stream::Live => "line live",
            Stream::Note => "line note",
        };
        if l.stream != Stream::Command || !l.text.starts_with("$ ") {
            return view! { <div class=class>{l.text}</div> }.into_any();
        }
        // The button has no text of its own (its label is drawn by CSS), so the log reads as a terminal's
        // would, command lines included.
        let label = format!("Copy the output of {}", l.text);
        let seq = l.seq;
        let on_copy = move |_| copy_output(scrollback.with_untracked(|s| output_after(&s.lines, seq)), copied, seq);
        let copy_class = move || if copied.get() == Some(seq) { "copy copied" } else { "copy" };
        view! {
            <div class=class>
                {l.text}
                <button class=copy_class type="button" aria-label=label on:click=on_copy></button>
            </div>
        }
        .into_any()
    };
    let chunks = Memo::new(move |_| scrollback.with(|s| chunks_of(&s.lines)));
    view! {
        <section class="console" aria-label="console">
            <div class="log" role="log" aria-live="polite" aria-label="etcdctl output" node_ref=log_ref>
                <For
                    each=move || chunks.get()
                    key=|c| *c
                    children=move |c| {
                        view! {
                            <div class="log-chunk">
                                <For
                                    each=move || scrollback.with(|s| lines_in_chunk(&s.lines, c).to_vec())
                                    key=|l| l.seq
                                    children=line_view
                                />
                            </div>
                        }
                    }
                />
            </div>
            <Show when=move || running.with(|r| !r.is_empty())>
                <ul class="running" aria-label="Running commands">
                    <For
                        each=move || running.get()
                        key=|s| s.id
                        children=move |stream| {
                            let label = format!("Stop {}", stream.line);
                            let line = stream.line.clone();
                            view! {
                                <li class="running-item">
                                    <span class="running-dot" aria-hidden="true"></span>
                                    <code class="running-line">{line}</code>
                                    <button
                                        class="running-stop"
                                        type="button"
                                        aria-label=label
                                        on:click=move |_| {
                                            interrupt(stream.clone());
                                            focus_prompt();
                                        }
                                    >
                                        "Stop"
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
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
                            <button class="hint" type="button" on:click=move |_| use_hint(h)>
                                {*h}
                            </button>
                        }
                    })
                    .collect_view()}
                <span class="keys">
                    <kbd>"Tab"</kbd>" completes · "<kbd>"Ctrl-C"</kbd>" stops a watch · "<kbd>"Ctrl-L"</kbd>
                    " clears"
                </span>
            </p>
        </section>
    }
}

/// The tag of a here-document a line opens (`txn <<EOF` opens one ending at a line `EOF`), as a shell
/// reads it: the lines that follow are the command's stdin.
fn heredoc_tag(line: &str) -> Option<String> {
    let (_, tag) = line.rsplit_once("<<")?;
    let tag = tag.trim().trim_matches(|c| c == '\'' || c == '"');
    (!tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then(|| tag.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_commands_output_is_the_lines_up_to_the_next_command() {
        let mut s = Scrollback::default();
        s.push(Stream::Command, "$ etcdctl get a");
        s.push_text(Stream::Stdout, "a\n1\n");
        s.push(Stream::Stderr, "warning");
        s.push(Stream::Command, "$ etcdctl put b 2");
        s.push(Stream::Stdout, "OK");
        assert_eq!(output_after(&s.lines, 0), "a\n1\nwarning\n");
        assert_eq!(output_after(&s.lines, 4), "OK\n");
        assert_eq!(output_after(&s.lines, 99), "");
    }

    use super::*;

    #[test]
    fn here_documents_are_recognised() {
        assert_eq!(heredoc_tag("txn <<EOF").as_deref(), Some("EOF"));
        assert_eq!(heredoc_tag("put k <<'END'").as_deref(), Some("END"));
        assert_eq!(heredoc_tag("put k v"), None);
        assert_eq!(heredoc_tag("put k <<"), None);
    }

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
    fn the_log_is_drawn_in_chunks_of_consecutive_lines() {
        let mut s = Scrollback::default();
        for i in 0..(CHUNK_LINES * 2 + 3) {
            s.push(Stream::Stdout, &i.to_string());
        }
        s.lines.drain(..5);
        assert_eq!(chunks_of(&s.lines), [0, 1, 2]);
        let texts = |c| lines_in_chunk(&s.lines, c).iter().map(|l| l.text.to_string()).collect::<Vec<_>>();
        assert_eq!(texts(0).first().map(String::as_str), Some("5"));
        assert_eq!(texts(1).len() as u64, CHUNK_LINES);
        assert_eq!(texts(2), ["100", "101", "102"]);
        assert!(chunks_of(&[]).is_empty());
    }

    #[test]
    fn scrollback_splits_lines_and_stays_bounded() {
        let mut s = Scrollback::default();
        s.push_text(Stream::Stdout, "foo\nbar\n");
        s.push_text(Stream::Stderr, "");
        assert_eq!(s.lines.iter().map(|l| &*l.text).collect::<Vec<_>>(), ["foo", "bar"]);
        for i in 0..LOG_LIMIT_LINES + 5 {
            s.push(Stream::Stdout, &i.to_string());
        }
        assert_eq!(s.lines.len(), LOG_LIMIT_LINES);
        assert_eq!(s.lines.last().map(|l| l.text.to_string()), Some((LOG_LIMIT_LINES + 4).to_string()));
        let next = s.next_seq;
        s.clear();
        s.push(Stream::Note, "fresh");
        assert_eq!(s.lines.iter().map(|l| l.seq).collect::<Vec<_>>(), [next]);
    }

    #[test]
    fn tab_completes_one_and_lists_several() {
        let c = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(tab_complete("ge", &c(&["get"])), ("get ".to_string(), false));
        assert_eq!(tab_complete("member l", &c(&["list"])), ("member list ".to_string(), false));
        assert_eq!(
            tab_complete("watch foo --pre", &c(&["--prefix", "--prev-kv"])),
            ("watch foo --pre".to_string(), true)
        );
        assert_eq!(tab_complete("lease ", &c(&["keep-alive", "key"])), ("lease ke".to_string(), true));
        assert_eq!(tab_complete("put foo ", &[]), ("put foo ".to_string(), false));
    }
}
