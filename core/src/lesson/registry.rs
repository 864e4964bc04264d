//! The /registry data model: how Kubernetes lays its objects out in etcd's flat keyspace.

use super::{ctl, Do, Goal, Lesson, Step};

/// Kubernetes-like objects the lesson preloads: key and a short JSON stand-in for the object (the API
/// server really stores protobuf, with a `k8s\0` prefix).
const OBJECTS: [(&str, &str); 6] = [
    ("/registry/namespaces/default", r#"{"kind":"Namespace","metadata":{"name":"default"}}"#),
    ("/registry/pods/default/web-1", r#"{"kind":"Pod","metadata":{"name":"web-1","namespace":"default"}}"#),
    ("/registry/pods/default/web-2", r#"{"kind":"Pod","metadata":{"name":"web-2","namespace":"default"}}"#),
    (
        "/registry/pods/kube-system/coredns-7db6d8ff4d-x2v9k",
        r#"{"kind":"Pod","metadata":{"name":"coredns-7db6d8ff4d-x2v9k","namespace":"kube-system"}}"#,
    ),
    ("/registry/deployments/default/web", r#"{"kind":"Deployment","metadata":{"name":"web","namespace":"default"}}"#),
    (
        "/registry/services/specs/default/kubernetes",
        r#"{"kind":"Service","metadata":{"name":"kubernetes","namespace":"default"}}"#,
    ),
];

fn preload() -> Vec<crate::playground::action::Action> {
    OBJECTS.iter().map(|(key, value)| ctl(&format!("put {key} '{value}'"))).collect()
}

pub(super) fn lesson() -> Lesson {
    Lesson {
        id: "registry",
        title: "The /registry data model",
        summary: "List, read and delete Kubernetes objects the way the API server stores them.",
        members: 3,
        steps: vec![
            Step {
                text: "This cluster now holds a few Kubernetes objects, written the way kube-apiserver writes \
                       them: one key per object, `/registry/<resource>/<namespace>/<name>`. etcd has no tables \
                       or directories, only sorted keys, so a \"list pods\" is a range read over a prefix. List \
                       the pods: `get /registry/pods --prefix --keys-only`.",
                setup: preload(),
                goal: Goal::Ran { pattern: "get /registry/pods --prefix --keys-only", ok: true },
                waiting: "Waiting for you to run `get /registry/pods --prefix --keys-only`…",
                explain: "`--prefix` turned the key into the range [/registry/pods, /registry/podt): every pod in \
                          every namespace, in key order. `kubectl get pods -A` is this range read (paginated \
                          with `--limit`), and `kubectl get pods -n default` narrows the prefix to \
                          `/registry/pods/default/`.",
                visitor: vec![Do::Ctl("get /registry/pods --prefix --keys-only")],
            },
            Step {
                text: "Read one object with its metadata: `get /registry/pods/default/web-1 -w json`.",
                setup: vec![],
                goal: Goal::Ran { pattern: "get /registry/pods/default/web-1", ok: true },
                waiting: "Waiting for you to run `get /registry/pods/default/web-1 -w json`…",
                explain: "Besides the value (base64 in JSON output), etcd returns `create_revision`, \
                          `mod_revision` and `version`. Kubernetes' `metadata.resourceVersion` is the \
                          `mod_revision`, and an update is a transaction that succeeds only if the `mod_revision` \
                          is still the one the client read: optimistic concurrency.",
                visitor: vec![Do::Ctl("get /registry/pods/default/web-1 -w json")],
            },
            Step {
                text: "Everything Kubernetes stores sits under one prefix. List every object: `get /registry \
                       --prefix --keys-only`.",
                setup: vec![],
                goal: Goal::Ran { pattern: "get /registry --prefix --keys-only", ok: true },
                waiting: "Waiting for you to run `get /registry --prefix --keys-only`…",
                explain: "Namespaces, pods, deployments and services, sorted by key. Counting keys per resource \
                          prefix is the quickest way to find what is filling a large etcd.",
                visitor: vec![Do::Ctl("get /registry --prefix --keys-only")],
            },
            Step {
                text: "Delete a pod as the API server does once its finalizers are done: `del \
                       /registry/pods/default/web-2`.",
                setup: vec![],
                goal: Goal::All(vec![
                    Goal::Ran { pattern: "del /registry/pods/default/web-2", ok: true },
                    Goal::KeyGone { key: "/registry/pods/default/web-2" },
                ]),
                waiting: "Waiting for you to run `del /registry/pods/default/web-2`…",
                explain: "etcdctl printed 1, the number of keys deleted. Never edit /registry by hand in a real \
                          cluster: the API server caches objects and their resourceVersions, and controllers \
                          would not see a change made behind its back until they relist.",
                visitor: vec![Do::Ctl("del /registry/pods/default/web-2")],
            },
        ],
    }
}
