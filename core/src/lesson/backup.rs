//! Backup and restore: `snapshot save`, `snapshot restore` into a new data dir, and a new cluster from it.

use super::{ctl, Do, Goal, Lesson, Step};
use crate::playground::action::Action;

/// The restore command for a one-member cluster named etcd1, as etcd's disaster-recovery guide writes it.
const RESTORE: &str = "snapshot restore backup.db --name etcd1 --initial-cluster etcd1=http://10.0.0.1:2380 \
                       --initial-cluster-token restored --initial-advertise-peer-urls http://10.0.0.1:2380 \
                       --data-dir etcd1.etcd";

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "backup-restore",
        title: "Backup and restore",
        summary: "Save a snapshot, lose what came after it, and restore it as a new cluster.",
        members: 3,
        steps: vec![
            Step {
                text: "The cluster holds an application's configuration under /app. Back it up: `snapshot save \
                       backup.db --endpoints=etcd1`. A snapshot is taken from one member, so etcdctl wants \
                       exactly one endpoint.",
                setup: vec![ctl("put /app/config v1"), ctl("put /app/feature on")],
                goal: Goal::Ran { pattern: "snapshot save backup.db", ok: true },
                waiting: "Waiting for you to run `snapshot save backup.db --endpoints=etcd1`…",
                explain:
                    "The member streamed its whole backend, and etcdctl wrote it to backup.db with an integrity hash \
                          hash at the end (the Files panel lists it). Take these regularly, from a healthy \
                          member, and keep them off the etcd hosts.",
                visitor: vec![Do::Ctl("snapshot save backup.db --endpoints=etcd1")],
            },
            Step {
                text: "Check the file: `snapshot status backup.db -w table`.",
                setup: vec![],
                goal: Goal::Ran { pattern: "snapshot status backup.db", ok: true },
                waiting: "Waiting for you to run `snapshot status backup.db -w table`…",
                explain: "HASH, REVISION, TOTAL KEYS and TOTAL SIZE: the revision is the store's at the moment \
                          of the save. Everything after it is not in the file.",
                visitor: vec![Do::Ctl("snapshot status backup.db -w table")],
            },
            Step {
                text: "Keep working after the backup: `put /app/after-backup lost`. This write is not in \
                       backup.db.",
                setup: vec![],
                goal: Goal::Ran { pattern: "put /app/after-backup", ok: true },
                waiting: "Waiting for you to run `put /app/after-backup lost`…",
                explain: "The live cluster has moved past the snapshot's revision. A restore will go back to the \
                          snapshot: anything written since is lost, which is why the backup interval is your \
                          recovery point objective.",
                visitor: vec![Do::Ctl("put /app/after-backup lost")],
            },
            Step {
                text: "Disaster strikes; restore the snapshot into a new data dir for a one-member cluster: \
                       `snapshot restore backup.db --name etcd1 --initial-cluster \
                       etcd1=http://10.0.0.1:2380 --initial-cluster-token restored \
                       --initial-advertise-peer-urls http://10.0.0.1:2380 --data-dir etcd1.etcd`.",
                setup: vec![],
                goal: Goal::RestoredDir,
                waiting: "Waiting for you to run `snapshot restore …`…",
                explain: "The restore wrote a fresh data dir: a new member ID and a new cluster ID derived from \
                          the new `--initial-cluster` and token, and the keyspace of the snapshot. It is a new \
                          cluster, not the old one rewound, so old members cannot rejoin it.",
                visitor: vec![Do::Ctl(RESTORE)],
            },
            Step {
                text: "Start etcd1 from it: in the Files panel, press Start next to the data dir etcd1.etcd. \
                       Then read the data back: `get /app --prefix`.",
                setup: vec![],
                goal: Goal::All(vec![Goal::RestoredRunning, Goal::Ran { pattern: "get /app --prefix", ok: true }]),
                waiting: "Waiting for you to start etcd1 from etcd1.etcd and run `get /app --prefix`…",
                explain: "The restored cluster runs with a new cluster ID (`endpoint status -w json` shows its \
                          `cluster_id`), /app/config and /app/feature are back, and /app/after-backup is gone. Its \
                          revision continues from the snapshot's, below the lost cluster's last one, so clients that \
                          saw later revisions (Kubernetes' watch caches) must start over: restart the API servers \
                          after a restore.",
                visitor: vec![
                    Do::Act(Action::Start {
                        member: "etcd1".to_string(),
                        client_url: None,
                        data_dir: Some("etcd1.etcd".to_string()),
                    }),
                    Do::Ctl("get /app --prefix"),
                ],
            },
        ],
    }
}
