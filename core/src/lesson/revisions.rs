//! Revisions and MVCC: one revision counter for the whole keyspace, and every version kept until
//! compaction.

use super::{Do, Goal, Lesson, Step};

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "revisions",
        title: "Revisions and MVCC",
        summary: "See the cluster-wide revision move with every write, and read a key as it was in the past.",
        members: 3,
        steps: vec![
            Step {
                text: "A fresh cluster is at revision 1. Write a key: `put counter 1`, then look at its \
                       metadata with `get counter -w json`.",
                setup: vec![],
                goal: Goal::All(vec![
                    Goal::Ran { pattern: "put counter 1", ok: true },
                    Goal::Ran { pattern: "get counter", ok: true },
                ]),
                waiting: "Waiting for you to run `put counter 1` and `get counter -w json`…",
                explain: "The header's `revision` is the store's revision: 2, because this was the first write. \
                          The key has `create_revision` 2, `mod_revision` 2 and `version` 1 (its own count of \
                          changes).",
                visitor: vec![Do::Ctl("put counter 1"), Do::Ctl("get counter -w json")],
            },
            Step {
                text: "Write twice more: `put counter 2`, then a different key, `put other x`. Then `endpoint status \
                       -w json`: every member's header shows the same `revision`.",
                setup: vec![],
                goal: Goal::All(vec![
                    Goal::Ran { pattern: "put counter 2", ok: true },
                    Goal::Ran { pattern: "put other", ok: true },
                ]),
                waiting: "Waiting for you to run `put counter 2` and `put other x`…",
                explain: "Each write took the next revision, whichever key it touched: revisions are \
                          cluster-wide, one counter for the whole keyspace, and every member shows the same one. \
                          `counter` is at version 2 with `mod_revision` 3; `other` was created at revision 4.",
                visitor: vec![Do::Ctl("put counter 2"), Do::Ctl("put other x")],
            },
            Step {
                text: "MVCC keeps old versions. Read `counter` as it was at revision 2: `get counter --rev=2`.",
                setup: vec![],
                goal: Goal::Ran { pattern: "get counter --rev", ok: true },
                waiting: "Waiting for you to run `get counter --rev=2`…",
                explain: "etcd answered with the value of revision 2, `1`: every write adds a version instead of \
                          overwriting, so any revision not yet compacted can be read. Kubernetes watches and \
                          consistent lists rely on this.",
                visitor: vec![Do::Ctl("get counter --rev=2")],
            },
            Step {
                text: "Delete it: `del counter`. Then try `get counter` and `get counter --rev=3`.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Ran { pattern: "del counter", ok: true }, Goal::KeyGone { key: "counter" }]),
                waiting: "Waiting for you to run `del counter`…",
                explain: "The delete took a revision of its own and wrote a tombstone: `get counter` finds \
                          nothing now, while `--rev=3` still returns `2`. Old versions and tombstones stay until \
                          a compaction removes them; the compaction lesson shows that.",
                visitor: vec![Do::Ctl("del counter"), Do::Ctl("get counter --rev=3")],
            },
        ],
    }
}
