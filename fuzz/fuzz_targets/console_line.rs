//! Any bytes as an etcdctl console line (and, after the first newline, its stdin) on a fresh one-member
//! cluster: nothing may panic, and the cluster must still answer a put afterwards.
#![no_main]

use etcdplay_core::{Action, World, WorldConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (line, stdin) = match text.split_once('\n') {
        Some((line, rest)) => (line.to_string(), Some(rest.to_string())),
        None => (text.to_string(), None),
    };
    let mut world = World::new(WorldConfig::demo(1, 1));
    world.wait_for_leader(10_000);
    world.apply(Action::Etcdctl { line, stdin });
    for id in world.streams().keys().copied().collect::<Vec<_>>() {
        world.stop_stream(id, 130);
    }
    world.advance(100);
    let after = world.apply(Action::Etcdctl { line: "put after-fuzz ok".into(), stdin: None });
    // A command may legitimately fill the quota or remove the member; otherwise the put must succeed.
    assert!(after.exit_code == 0 || !after.stderr.is_empty(), "a failed put says why");
});
