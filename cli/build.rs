//! Compiles the server stubs of etcd's lock and election services (`proto/`): the etcd-client crate
//! generates them too but does not export them. Every message it does export is used as it is, so a
//! response built here is the same type the other services build.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    tonic_prost_build::configure()
        .build_client(false)
        .extern_path(".etcdplay.extern.ResponseHeader", "::etcd_client::proto::PbResponseHeader")
        .extern_path(".etcdplay.extern.KeyValue", "::etcd_client::proto::PbKeyValue")
        .extern_path(".v3lockpb.LockResponse", "::etcd_client::proto::PbLockResponse")
        .extern_path(".v3lockpb.UnlockResponse", "::etcd_client::proto::PbUnlockResponse")
        .extern_path(".v3electionpb.LeaderKey", "::etcd_client::proto::PbLeaderKey")
        .extern_path(".v3electionpb.CampaignResponse", "::etcd_client::proto::PbCampaignResponse")
        .extern_path(".v3electionpb.ProclaimResponse", "::etcd_client::proto::PbProclaimResponse")
        .extern_path(".v3electionpb.LeaderResponse", "::etcd_client::proto::PbLeaderResponse")
        .extern_path(".v3electionpb.ResignResponse", "::etcd_client::proto::PbResignResponse")
        .compile_protos(&["proto/v3lock.proto", "proto/v3election.proto"], &["proto"])?;
    Ok(())
}
