//! Guided lessons: the etcd operations story told in the live cluster. A lesson is a list of steps; each
//! step sets up a scenario with ordinary [`Action`]s (so it is recorded and replayable like anything a
//! visitor does), asks the visitor to act, checks against the world that they did ([`Goal`]), and then
//! explains what happened.
//!
//! The catalogue is plain data; [`guide`] enters a step (its setup, after the earlier steps have been
//! walked through, so a deep link lands in a working scenario) and performs what a visitor would do (the
//! page's "Do it for me" button and the native tests use it).

mod backup;
mod compaction;
mod election;
pub mod goal;
pub mod guide;
mod latency;
mod registry;
mod replication;
mod revisions;
mod sizing;
mod terms;
mod watches;

use crate::playground::action::Action;
pub use goal::{Goal, StepStart};
pub use guide::Do;

/// One lesson: a slug for links (`?lesson=<id>`), a title, the cluster size it runs on, and its steps.
#[derive(Clone, Debug)]
pub struct Lesson {
    pub id: &'static str,
    pub title: &'static str,
    /// One sentence on what the lesson teaches, shown in the list.
    pub summary: &'static str,
    /// Members of the fresh cluster the lesson starts from.
    pub members: usize,
    pub steps: Vec<Step>,
}

/// One step: what to look at or do, the scenario it needs, how to tell it is done, and why it went so.
#[derive(Clone, Debug)]
pub struct Step {
    /// What to look at and what to do. Plain text; `code` is marked with backticks (see [`spans`]).
    pub text: &'static str,
    /// Applied when the step is entered.
    pub setup: Vec<Action>,
    pub goal: Goal,
    /// The status line while the goal is not met ("Waiting for you to kill the leader…").
    pub waiting: &'static str,
    /// Shown once the goal is met: what happened and why, in etcd's terms.
    pub explain: &'static str,
    /// What a visitor does to meet the goal.
    pub visitor: Vec<Do>,
}

/// Every lesson, in the order of the etcd operations story.
pub fn catalogue() -> Vec<Lesson> {
    vec![
        election::lesson(),
        replication::lesson(),
        terms::lesson(),
        registry::lesson(),
        revisions::lesson(),
        watches::lesson(),
        backup::lesson(),
        compaction::lesson(),
        latency::lesson(),
        sizing::lesson(),
    ]
}

/// The lesson with this id.
pub fn find(id: &str) -> Option<Lesson> {
    catalogue().into_iter().find(|l| l.id == id)
}

/// A step's text cut into runs of prose (`false`) and code (`true`), at backticks. An unmatched backtick
/// leaves the rest as code, which is what a reader would expect from a typo.
pub fn spans(text: &str) -> Vec<(bool, &str)> {
    text.split('`').enumerate().filter(|(_, s)| !s.is_empty()).map(|(i, s)| (i % 2 == 1, s)).collect()
}

/// An `etcdctl` line, as a setup runs it.
fn ctl(line: &str) -> Action {
    Action::Etcdctl { line: line.to_string(), stdin: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn lesson_ids_are_unique_slugs() {
        let lessons = catalogue();
        let ids: BTreeSet<&str> = lessons.iter().map(|l| l.id).collect();
        assert_eq!(ids.len(), lessons.len(), "duplicate lesson id");
        assert_eq!(lessons.len(), 10);
        for id in ids {
            assert!(id.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{id} is not a slug");
            assert_eq!(find(id).map(|l| l.id), Some(id));
        }
    }

    #[test]
    fn every_step_has_text_a_status_and_an_explanation() {
        for lesson in catalogue() {
            assert!((3..=6).contains(&lesson.steps.len()), "{} has {} steps", lesson.id, lesson.steps.len());
            assert!(!lesson.title.is_empty() && !lesson.summary.is_empty());
            for (n, step) in lesson.steps.iter().enumerate() {
                let at = format!("{} step {}", lesson.id, n + 1);
                assert!(!step.text.trim().is_empty(), "{at} has no text");
                assert!(!step.waiting.trim().is_empty(), "{at} has no status");
                assert!(!step.explain.trim().is_empty(), "{at} has no explanation");
                assert!(!step.visitor.is_empty() || step.goal.needs_no_visitor(), "{at}: nothing to do");
                assert_eq!(step.text.matches('`').count() % 2, 0, "{at}: unmatched backtick");
                assert_eq!(step.explain.matches('`').count() % 2, 0, "{at}: unmatched backtick");
            }
        }
    }

    #[test]
    fn spans_split_code_from_prose() {
        assert_eq!(spans("Run `get foo` now"), vec![(false, "Run "), (true, "get foo"), (false, " now")]);
        assert_eq!(spans("`a`"), vec![(true, "a")]);
        assert_eq!(spans("no code"), vec![(false, "no code")]);
    }
}
