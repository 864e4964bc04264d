//! Production sizing: what a fifth member buys (a second failure) and what it costs (a third ack).

use super::{Do, Goal, Lesson, Step};

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "sizing",
        title: "Production sizing: 3 vs 5 members",
        summary: "Lose two members of five and keep writing; lose a third and stop.",
        members: 5,
        steps: vec![
            Step {
                text: "This cluster has 5 members, so its quorum is floor(5/2)+1 = 3. Kill two members: press \
                       Kill on any two cards.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Down(2), Goal::LeaderElected]),
                waiting: "Waiting for you to kill two members…",
                explain: "Three members are left, exactly a quorum. A 3-member cluster (quorum 2) could only \
                          have lost one.",
                visitor: vec![Do::KillFollower, Do::KillFollower],
            },
            Step {
                text: "Write with two members down: `put sized ok`.",
                setup: vec![],
                goal: Goal::Ran { pattern: "put sized ok", ok: true },
                waiting: "Waiting for you to run `put sized ok`…",
                explain: "It committed with 3 acknowledgements. That is the price of five members: every write \
                          waits for the third-fastest member's fsync instead of the second, and the leader \
                          sends every entry to four followers. Five is the usual choice when two failures (or \
                          one failure during maintenance) must be survived.",
                visitor: vec![Do::Ctl("put sized ok")],
            },
            Step {
                text: "Kill a third member, then try `put sized lost`.",
                setup: vec![],
                goal: Goal::All(vec![Goal::Down(3), Goal::Ran { pattern: "put sized lost", ok: false }]),
                waiting: "Waiting for you to kill a third member and run `put sized lost`…",
                explain: "Two of five cannot commit: the write timed out. Quorum is about members in the \
                          configuration, not members alive, so losing three of five is as fatal as losing two \
                          of three.",
                visitor: vec![Do::KillFollower, Do::Ctl("put sized lost")],
            },
            Step {
                text: "Restart one member (Restart on its card) and wait for a leader.",
                setup: vec![],
                goal: Goal::All(vec![Goal::AtMostDown(2), Goal::LeaderElected]),
                waiting: "Waiting for you to restart a member…",
                explain: "Three members are a quorum again. Sizing rules: use an odd number (4 members tolerate \
                          one failure, like 3, but need 3 acks); 3 for most clusters, 5 for higher availability; \
                          more rarely helps, since every write waits for a majority. Keep members in separate \
                          failure domains, on low-latency links.",
                visitor: vec![Do::RestartOne],
            },
        ],
    }
}
