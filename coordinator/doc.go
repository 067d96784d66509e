// Package coordinator is dxtrain's control-plane server: a member of the Raft group
// that replicates the cluster's state (nodes and their device cordons, datasets,
// experiments, attempts, the checkpoint ledger, the model registry, alerts such as a
// checkpoint a resume refused, ACL tokens and the audit log), the HTTP API the CLI
// and agents use, Prometheus /metrics, and — on the leader only — heartbeat and
// device-health tracking and scheduling.
//
// Every endpoint follows one path: authenticate → authorise by role → validate →
// forward to the leader if this server is a follower → apply through Raft → reply
// with the Raft index. Bad input is refused before anything is proposed, so it never
// changes the state.
//
// The model registry records only hashes; released files live in the configured
// object store, and downloads are streamed by hash (checked while streaming) or
// redirected to a presigned URL when the store can presign.
package coordinator
