//! Watches: a stream of changes after a revision, replayed from history, until compaction removes it.

use super::{Do, Goal, Lesson, Step};

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "watches",
        title: "Watches",
        summary: "Watch a prefix, see changes arrive, replay history from a revision, and hit a compacted one.",
        members: 3,
        steps: vec![
            Step {
                text: "Start a watch on every key under /config: `watch /config --prefix`. It keeps running \
                       below the prompt, as if in a second terminal.",
                setup: vec![],
                goal: Goal::Watching { key: "/config" },
                waiting: "Waiting for you to run `watch /config --prefix`…",
                explain: "The watch is registered on one member and streams every change to a key in the range, \
                          in revision order. Kubernetes informers hold one watch like this per resource type.",
                visitor: vec![Do::Ctl("watch /config --prefix")],
            },
            Step {
                text: "Change a key in the range: `put /config/mode blue`, then `put /config/mode green`. Look \
                       at the watch's output.",
                setup: vec![],
                goal: Goal::All(vec![
                    Goal::Watching { key: "/config" },
                    Goal::Ran { pattern: "put /config/mode green", ok: true },
                ]),
                waiting: "Waiting for you to run `put /config/mode green` while the watch runs…",
                explain: "Each put arrived as a PUT event with the key and value, in order, once it committed. \
                          etcd's watch guarantees: ordered, never duplicated, never missed, and resumable from a \
                          revision.",
                visitor: vec![Do::Ctl("put /config/mode blue"), Do::Ctl("put /config/mode green")],
            },
            Step {
                text: "Resume from the past: `watch /config --prefix --rev=1` replays every change since \
                       revision 1 before the live ones. This is how a client that reconnects misses nothing.",
                setup: vec![],
                goal: Goal::Ran { pattern: "watch /config --prefix --rev", ok: true },
                waiting: "Waiting for you to run `watch /config --prefix --rev=1`…",
                explain: "The new watch printed both past PUTs at once: history up to the current revision comes \
                          from the store (an unsynced watcher catching up), then it joins the live ones.",
                visitor: vec![Do::Ctl("watch /config --prefix --rev=1")],
            },
            Step {
                text: "Compact away the history: `compaction <revision>` with the current revision (the `revision` \
                       in the header of `endpoint status -w json`). Then try `watch /config --prefix --rev=1` again.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Compacted, Goal::Ran { pattern: "watch /config --rev", ok: false }]),
                waiting: "Waiting for you to compact, then watch from revision 1 again…",
                explain: "The watch was cancelled: `required revision has been compacted`. A client that falls \
                          behind the compaction cannot resume; it must list again and watch from the list's \
                          revision. That is the 410 Gone (`too old resource version`) a Kubernetes informer \
                          answers with a relist.",
                visitor: vec![Do::CtlAtRevision("compaction {rev}"), Do::Ctl("watch /config --prefix --rev=1")],
            },
        ],
    }
}
