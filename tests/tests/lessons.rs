//! Every guided lesson, walked to completion as a visitor would: enter each step, check that its goal is
//! not met yet (and that time alone does not meet it), do what the step asks, and check that the goal is
//! met. A deep link into a later step must land in a scenario where that step works too.

use etcdplay_core::lesson::{self, guide, Lesson};
use etcdplay_core::{World, WorldConfig};

/// The page's default seed: lessons start from a fresh cluster built with it.
const SEED: u64 = 1;

fn fresh(lesson: &Lesson) -> World {
    World::new(WorldConfig::demo(lesson.members, SEED))
}

/// The same world, rebuilt by replay, so a step can be tried without the visitor's actions.
fn copy(world: &World, lesson: &Lesson) -> World {
    let mut again = World::replay(WorldConfig::demo(lesson.members, SEED), world.actions());
    again.advance_to(world.now_ms());
    again
}

fn walk(lesson: &Lesson) {
    let mut world = fresh(lesson);
    for (n, step) in lesson.steps.iter().enumerate() {
        let at = format!("{} step {}", lesson.id, n + 1);
        let start = guide::begin(&mut world, step);
        assert!(!step.goal.met(&world, &start), "{at}: goal met before anything happened");
        if !step.visitor.is_empty() {
            let mut idle = copy(&world, lesson);
            assert!(!guide::settle(&mut idle, step, &start), "{at}: goal met without the visitor doing anything");
        }
        guide::act(&mut world, step);
        assert!(guide::settle(&mut world, step, &start), "{at}: goal not met after {:?}", step.visitor);
    }
}

#[test]
fn every_lesson_can_be_completed() {
    let lessons = lesson::catalogue();
    assert_eq!(lessons.len(), 10);
    for l in &lessons {
        walk(l);
    }
}

#[test]
fn a_deep_link_lands_in_a_working_step() {
    for l in lesson::catalogue() {
        for n in [1, l.steps.len() - 1] {
            let mut world = fresh(&l);
            let start = guide::enter(&mut world, &l, n);
            let step = &l.steps[n];
            assert!(!step.goal.met(&world, &start), "{} step {}: met on arrival", l.id, n + 1);
            guide::act(&mut world, step);
            assert!(guide::settle(&mut world, step, &start), "{} step {}: not met after a deep link", l.id, n + 1);
        }
    }
}

#[test]
fn the_registry_lesson_lists_the_pods_it_preloaded() {
    let l = lesson::find("registry").expect("registry lesson");
    let mut world = fresh(&l);
    guide::enter(&mut world, &l, 0);
    let out = guide::apply(
        &mut world,
        etcdplay_core::Action::Etcdctl { line: "get /registry/pods --prefix --keys-only".to_string(), stdin: None },
    );
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    let keys: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        keys,
        [
            "/registry/pods/default/web-1",
            "/registry/pods/default/web-2",
            "/registry/pods/kube-system/coredns-7db6d8ff4d-x2v9k"
        ]
    );
}
