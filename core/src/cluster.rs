//! Cluster membership as etcd bootstraps it: member and cluster IDs are pure functions of the peer URLs and
//! the `--initial-cluster-token`, computed exactly as etcd's `membership.NewMember` and
//! `RaftCluster.genID` do, so a simulated cluster shows the same IDs a real one would.

use sha1::{Digest, Sha1};

/// One member as configured at bootstrap (`--name`, `--initial-advertise-peer-urls`,
/// `--advertise-client-urls`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberConfig {
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
}

/// A member of the running cluster, with its etcd ID. A member added by `member add` has no name
/// until its process starts and publishes it ("unstarted").
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub id: u64,
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
    pub is_learner: bool,
}

/// etcd's member ID: sha1 over the sorted peer URLs followed by the cluster token, first 8 bytes
/// big-endian. (Members added at runtime also hash a timestamp; see [`member_id_at`].)
pub fn member_id(peer_urls: &[String], token: &str) -> u64 {
    member_id_hash(peer_urls, token, None)
}

/// Member ID of a member added at runtime (`member add`), which etcd salts with the Unix time.
pub fn member_id_at(peer_urls: &[String], token: &str, unix_s: u64) -> u64 {
    member_id_hash(peer_urls, token, Some(unix_s))
}

fn member_id_hash(peer_urls: &[String], token: &str, unix_s: Option<u64>) -> u64 {
    let mut urls: Vec<&String> = peer_urls.iter().collect();
    urls.sort();
    let mut hasher = Sha1::new();
    for url in urls {
        hasher.update(url.as_bytes());
    }
    hasher.update(token.as_bytes());
    if let Some(s) = unix_s {
        hasher.update(s.to_string().as_bytes());
    }
    first_u64(&hasher.finalize())
}

/// etcd's cluster ID: sha1 over the sorted member IDs (8 bytes big-endian each), first 8 bytes.
pub fn cluster_id(member_ids: &[u64]) -> u64 {
    let mut ids = member_ids.to_vec();
    ids.sort_unstable();
    let mut hasher = Sha1::new();
    for id in ids {
        hasher.update(id.to_be_bytes());
    }
    first_u64(&hasher.finalize())
}

fn first_u64(digest: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(b)
}

impl Member {
    /// Builds a bootstrap member from its configuration and the cluster token.
    pub fn from_config(cfg: &MemberConfig, token: &str) -> Member {
        Member {
            id: member_id(&cfg.peer_urls, token),
            name: cfg.name.clone(),
            peer_urls: cfg.peer_urls.clone(),
            client_urls: cfg.client_urls.clone(),
            is_learner: false,
        }
    }
}

/// A URL without its `http://` or `https://`: how an endpoint names a member's client URL either way.
pub fn strip_scheme(url: &str) -> &str {
    url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(u: &str) -> Vec<String> {
        vec![u.to_string()]
    }

    /// The IDs recorded from a real etcd 3.4 cluster in ../shared/etcdctl-golden/cluster.json.
    #[test]
    fn ids_match_a_real_cluster() {
        let ids: Vec<u64> = ["23801", "23802", "23803"]
            .iter()
            .map(|p| member_id(&urls(&format!("http://127.0.0.1:{p}")), "golden-cluster"))
            .collect();
        assert_eq!(ids, vec![0x16abfb0b9fd41705, 0x6ddb6086795dfde4, 0x21ae86ed49a718dc]);
        assert_eq!(cluster_id(&ids), 0xe957dbe4ff0386c8);
        let r1 = member_id(&urls("http://127.0.0.1:23811"), "restored-cluster");
        assert_eq!(r1, 0xac28e8269b003a54);
        assert_eq!(cluster_id(&[r1]), 0x6925f03ad3f8e2dc);
    }
}
