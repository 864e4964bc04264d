//! The etcd release this playground answers as: etcdctl's `version`, the server's `/version` and
//! `etcd_server_version`, and the cluster version, all from one place.

/// etcd and etcdctl 3.4.23, the reference version.
pub const VERSION: &str = "3.4.23";
/// The API version etcdctl prints and the cluster reports (`etcd_cluster_version`).
pub const API_VERSION: &str = "3.4";
/// The cluster version `/version` reports once the members agree (etcd prints the full semver).
pub const CLUSTER_VERSION: &str = "3.4.0";
