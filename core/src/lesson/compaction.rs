//! Compaction and defragmentation: compaction drops old revisions, defrag gives the space back.

use super::{ctl, Do, Goal, Lesson, Step};
use crate::playground::action::Action;

/// Versions of one key the lesson writes, so there is history worth compacting.
const VERSIONS: usize = 40;

/// Bytes of each version: enough to see the database grow, small enough that a link to the run (which
/// carries every action) stays short.
const VALUE_BYTES: usize = 500;

fn history() -> Vec<Action> {
    let value = "x".repeat(VALUE_BYTES);
    (1..=VERSIONS).map(|i| ctl(&format!("put /app/state v{i}-{value}"))).collect()
}

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "compaction-defrag",
        title: "Compaction and defragmentation",
        summary: "Compact away old revisions, see that the file does not shrink, and defragment it.",
        members: 3,
        steps: vec![
            Step {
                text: "The setup wrote 40 versions of /app/state, 500 bytes each. MVCC keeps every one of them. Look \
                       at the database: `endpoint status -w table` shows its DB SIZE; `endpoint status -w json` also \
                       shows the store's `revision` in its header.",
                setup: history(),
                goal: Goal::Ran { pattern: "endpoint status", ok: true },
                waiting: "Waiting for you to run `endpoint status -w table`…",
                explain: "One key, but 40 versions of it in the backend. Left alone, the history grows until it \
                          hits `--quota-backend-bytes` (2 GB by default) and etcd raises the NOSPACE alarm, \
                          refusing writes. Kubernetes' API server compacts every 5 minutes for this reason.",
                visitor: vec![Do::Ctl("endpoint status -w table")],
            },
            Step {
                text: "Compact the history up to the current revision: `compaction <revision>`, with the `revision` \
                       from `endpoint status -w json`. Then try `get /app/state --rev=2`.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Compacted, Goal::Ran { pattern: "compaction", ok: true }]),
                waiting: "Waiting for you to run `compaction <current revision>`…",
                explain: "Every version older than the compaction revision is gone (except each key's latest): \
                          `--rev=2` now fails with `required revision has been compacted`. But run `endpoint \
                          status` again: DB SIZE did not shrink. Compaction frees pages inside the bbolt file; \
                          it does not return them to the file system.",
                visitor: vec![Do::CtlAtRevision("compaction {rev}")],
            },
            Step {
                text: "Give the space back: `defrag`. Then `endpoint status -w table` once more.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Ran { pattern: "defrag", ok: true }, Goal::Defragmented]),
                waiting: "Waiting for you to run `defrag`…",
                explain: "Defragmentation rewrote each member's file without the free pages, and DB SIZE dropped \
                          to what is in use. A member is blocked while it defragments, so in production run it \
                          one member at a time (`--endpoints`), followed by `alarm disarm` if NOSPACE had fired.",
                visitor: vec![Do::Ctl("defrag")],
            },
        ],
    }
}
