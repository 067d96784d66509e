// Package coordinator is dxtrain's control-plane server: a member of the Raft group
// that replicates the cluster's state (nodes, datasets, experiments, attempts, the
// checkpoint ledger, ACL tokens and the audit log), the HTTP API the CLI and agents
// use, and — on the leader only — heartbeat tracking and scheduling.
//
// Every endpoint follows one path: authenticate → authorise by role → validate →
// forward to the leader if this server is a follower → apply through Raft → reply
// with the Raft index. Bad input is refused before anything is proposed, so it never
// changes the state.
package coordinator
