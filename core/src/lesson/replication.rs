//! Log replication and quorum: a write is committed once a majority has it on disk.

use super::{Do, Goal, Lesson, Step};

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "log-replication",
        title: "Log replication and quorum",
        summary: "Write through the leader, lose one member and keep writing, lose two and watch writes stop.",
        members: 3,
        steps: vec![
            Step {
                text: "Write a key: type `put greeting hello` in the console. The leader appends the entry to \
                       its log, sends it to both followers (MsgAppend), and commits it once a quorum has it on \
                       disk.",
                setup: vec![],
                goal: Goal::All(vec![
                    Goal::Ran { pattern: "put greeting hello", ok: true },
                    Goal::KeyOnAll { key: "greeting", value: "hello" },
                ]),
                waiting: "Waiting for you to run `put greeting hello`…",
                explain: "`OK` came back once 2 of 3 members (the quorum, floor(3/2)+1) had the entry in their \
                          WAL. Every member then applied it to its store, which is why `greeting` now reads \
                          `hello` on all three. The Raft panel shows the entry at the same index on every log.",
                visitor: vec![Do::Ctl("put greeting hello")],
            },
            Step {
                text: "Now follow one write on the ring. Type `put greeting again` and watch the links: a \
                       MsgAppend dot (blue) leaves the leader for each follower, and a lighter \
                       MsgAppendResponse comes back. On this LAN each takes a millisecond or two, so the ring \
                       draws them in slow motion (the faded dots; the clock stays true). Click a MsgAppend dot \
                       to read it in the inspector: its index is the entry's, its commit is the leader's \
                       commit index when it was sent.",
                setup: vec![],
                goal: Goal::All(vec![
                    Goal::Ran { pattern: "put greeting again", ok: true },
                    Goal::KeyOnAll { key: "greeting", value: "again" },
                ]),
                waiting: "Waiting for you to run `put greeting again` and follow its MsgAppend…",
                explain: "That was the whole of log replication: the leader appended the entry and sent it in a \
                          MsgAppend (index and log term of the entry before it, so the follower can check its \
                          log matches); each follower wrote it to its WAL and answered with a \
                          MsgAppendResponse naming the index it now has. With one response back the leader \
                          had a quorum (itself and one follower), committed the entry and answered `OK`; the \
                          next MsgAppend or MsgHeartbeat carried the new commit index, and the followers \
                          applied it too. Uncheck Slow motion under the ring to see how little of it is ever \
                          truly in flight.",
                visitor: vec![Do::Ctl("put greeting again")],
            },
            Step {
                text: "Kill one follower: press Kill on a card that is not the leader.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Down(1), Goal::LeaderElected]),
                waiting: "Waiting for you to kill a follower…",
                explain: "The leader noticed nothing dramatic: it keeps sending to the dead follower and keeps \
                          committing with the one that is left, because 2 of 3 is still a quorum.",
                visitor: vec![Do::KillFollower],
            },
            Step {
                text: "Write again with one member down: `put greeting still-here`.",
                setup: vec![],
                goal: Goal::Ran { pattern: "put greeting still-here", ok: true },
                waiting: "Waiting for you to run `put greeting still-here`…",
                explain: "The write committed with the leader and one follower: a 3-member cluster tolerates one \
                          failure. The stopped member will catch up from the leader's log when it returns.",
                visitor: vec![Do::Ctl("put greeting still-here")],
            },
            Step {
                text: "Now kill the other follower, then try `put greeting lost`. Only one member of three is \
                       left: no quorum.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Down(2), Goal::Ran { pattern: "put greeting lost", ok: false }]),
                waiting: "Waiting for you to kill the second follower and run `put greeting lost`…",
                explain: "The write failed after etcdctl's 5 s `--command-timeout`: a lone member cannot commit \
                          anything. With CheckQuorum the old leader stepped down after an election timeout \
                          without hearing from a quorum, so the cluster has no leader at all and reads that \
                          need one (linearizable, the default) fail too.",
                visitor: vec![Do::KillFollower, Do::Ctl("put greeting lost")],
            },
            Step {
                text: "Restart one stopped member (Restart on its card), then read the key: `get greeting`.",
                setup: vec![],
                goal: Goal::All(vec![Goal::LeaderElected, Goal::Ran { pattern: "get greeting", ok: true }]),
                waiting: "Waiting for you to restart a member and run `get greeting`…",
                explain: "Two members are a quorum again, so they elected a leader and serve reads. Look at the \
                          value: a write that timed out is not necessarily lost. If its entry reached the \
                          leader's log, it commits once a quorum returns; etcd only tells the client the outcome \
                          is unknown. Clients such as Kubernetes retry with compare-and-swap for this reason.",
                visitor: vec![Do::RestartOne, Do::Ctl("get greeting")],
            },
        ],
    }
}
