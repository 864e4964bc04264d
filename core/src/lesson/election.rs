//! Leader election: how a cluster picks a leader, and what happens when it loses one.

use super::{Do, Goal, Lesson, Step};

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "leader-election",
        title: "Leader election",
        summary: "Watch three members elect a leader, kill it, and see the survivors elect another.",
        members: 3,
        steps: vec![
            Step {
                text: "A new 3-member cluster is booting. Every member starts as a follower and waits for a \
                       leader's heartbeat. This cluster runs etcd's defaults: `--heartbeat-interval=100` and \
                       `--election-timeout=1000` (ms), and each member randomizes its timeout between 1 and 2 \
                       election timeouts so that they rarely time out together. Watch the cards: wait for one \
                       to say leader.",
                setup: vec![],
                goal: Goal::LeaderElected,
                waiting: "Waiting for the members to elect a leader…",
                explain: "The member whose timer ran out first became a pre-candidate (PreVote: it first asks \
                          whether it could win, without raising its term), then a candidate at the next term, \
                          and won votes from a quorum: floor(3/2)+1 = 2 members, its own vote included. It now \
                          sends a heartbeat every 100 ms, which keeps the others' election timers from firing.",
                visitor: vec![],
            },
            Step {
                text: "Kill the leader: press Kill on the card marked leader (or `Kill etcdN`). Its process \
                       stops; its disk keeps the log.",
                setup: vec![],
                goal: Goal::StartLeaderDown,
                waiting: "Waiting for you to kill the leader…",
                explain: "The leader is gone, and so are its heartbeats. The two followers do not know yet: \
                          each waits out its own randomized election timeout (1 to 2 s) before doing anything.",
                visitor: vec![Do::KillLeader],
            },
            Step {
                text: "Watch the two survivors. Without heartbeats, one of them times out, wins a pre-vote, \
                       becomes a candidate at a higher term, and asks the other for its vote.",
                setup: vec![],
                goal: Goal::NewLeader,
                waiting: "Waiting for the survivors to elect a new leader (1-2 s of simulated time)…",
                explain: "A new leader was elected at a higher term with 2 of 3 votes, which is still a quorum. \
                          Writes were unavailable only for the election timeout plus one round of votes: this \
                          is why etcd's leader-changes metric (`etcd_server_leader_changes_seen_total`) is worth \
                          alerting on, and why an etcd cluster has an odd number of members.",
                visitor: vec![],
            },
            Step {
                text: "Bring the old leader back: press Restart on its card. It replays its log from disk and \
                       rejoins.",
                setup: vec![],
                goal: Goal::All(vec![Goal::AtMostDown(0), Goal::SameLeader]),
                waiting: "Waiting for you to restart the stopped member…",
                explain: "The old leader came back as a follower and did not take over: it learned the higher \
                          term from the new leader's first message and stepped in line. PreVote kept its \
                          restart from disrupting anything, and CheckQuorum makes a leader that loses touch with \
                          a quorum step down by itself, so a cluster never keeps two working leaders.",
                visitor: vec![Do::RestartOne],
            },
        ],
    }
}
