// Package structs holds the coordinator's wire and command types: the records the
// replicated state stores, the requests proposed through Raft, the HTTP request and
// response bodies, the MessageType of every Raft entry and the sentinel errors.
//
// A Raft entry is one MessageType byte followed by the JSON encoding of the request.
// JSON (rather than msgpack) because the experiment spec types already carry JSON
// tags, because encoding/json output is deterministic for structs and sorted maps,
// and because snapshots stay readable when debugging a cluster.
package structs

import (
	"encoding/json"
	"fmt"
)

// MessageType says which command a Raft entry holds. The list is append-only: a
// value, once released, keeps its meaning forever. Types with IgnoreUnknownTypeFlag
// set may be skipped by servers that do not know them (a newer leader proposing an
// optional command to an older follower); any other unknown type is a fatal error.
type MessageType uint8

// Message types. Append only; never renumber.
const (
	NodeRegisterRequestType MessageType = iota
	NodeStatusRequestType
	NodeDrainRequestType
	DatasetRegisterRequestType
	ExperimentSubmitRequestType
	ExperimentCancelRequestType
	ExperimentProgressRequestType
	AttemptCreateRequestType
	AttemptEndRequestType
	CheckpointCommitRequestType
	ACLBootstrapRequestType
	ACLTokenUpsertRequestType
	ACLTokenDeleteRequestType
	ServerMemberUpsertRequestType
	ServerMemberDeleteRequestType
	CheckpointFlagRequestType
	ModelReleaseRequestType
	ModelRevokeRequestType
	DeviceUnhealthyRequestType
	DeviceUncordonRequestType
	CheckpointDeleteRequestType
	AlertRecordRequestType
	AlertAckRequestType
	AttemptRendezvousRequestType
	ExperimentArtifactRequestType
	AttemptResumedRequestType
	SecurityEventsRequestType
	ModelReportSubmitRequestType
	AttemptStopRequestType
	ProjectUpsertRequestType
	ProjectDeleteRequestType
	PriorityClassUpsertRequestType
)

// IgnoreUnknownTypeFlag marks a MessageType a server may skip when it does not know it.
const IgnoreUnknownTypeFlag MessageType = 0x80

var messageTypeNames = map[MessageType]string{
	NodeRegisterRequestType:        "node_register",
	NodeStatusRequestType:          "node_status",
	NodeDrainRequestType:           "node_drain",
	DatasetRegisterRequestType:     "dataset_register",
	ExperimentSubmitRequestType:    "experiment_submit",
	ExperimentCancelRequestType:    "experiment_cancel",
	ExperimentProgressRequestType:  "experiment_progress",
	AttemptCreateRequestType:       "attempt_create",
	AttemptEndRequestType:          "attempt_end",
	CheckpointCommitRequestType:    "checkpoint_commit",
	ACLBootstrapRequestType:        "acl_bootstrap",
	ACLTokenUpsertRequestType:      "acl_token_upsert",
	ACLTokenDeleteRequestType:      "acl_token_delete",
	ServerMemberUpsertRequestType:  "server_member_upsert",
	ServerMemberDeleteRequestType:  "server_member_delete",
	CheckpointFlagRequestType:      "checkpoint_flag",
	ModelReleaseRequestType:        "model_release",
	ModelRevokeRequestType:         "model_revoke",
	DeviceUnhealthyRequestType:     "device_unhealthy",
	DeviceUncordonRequestType:      "device_uncordon",
	CheckpointDeleteRequestType:    "checkpoint_delete",
	AlertRecordRequestType:         "alert_record",
	AlertAckRequestType:            "alert_ack",
	AttemptRendezvousRequestType:   "attempt_rendezvous",
	ExperimentArtifactRequestType:  "experiment_artifact",
	AttemptResumedRequestType:      "attempt_resumed",
	SecurityEventsRequestType:      "security_events",
	ModelReportSubmitRequestType:   "model_report_submit",
	AttemptStopRequestType:         "attempt_stop",
	ProjectUpsertRequestType:       "project_upsert",
	ProjectDeleteRequestType:       "project_delete",
	PriorityClassUpsertRequestType: "priority_class_upsert",
}

// String names the type for logs and audit entries.
func (t MessageType) String() string {
	if n, ok := messageTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("message_type_%d", uint8(t))
}

// Encode returns the Raft entry for a command: the type byte then the JSON of v.
func Encode(t MessageType, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	buf := make([]byte, 0, len(body)+1)
	buf = append(buf, byte(t))
	return append(buf, body...), nil
}

// Decode decodes the body of a Raft entry (without its type byte) into out.
func Decode(body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode command: %w", err)
	}
	return nil
}

// WriteRequest is embedded in every command. The leader fills it before proposing so
// that Apply needs no clock: Timestamp is the leader's wall time in Unix nanoseconds.
// Audit, when set, is appended to the audit log in the same Raft entry as the write,
// with the outcome of the write.
type WriteRequest struct {
	Timestamp int64       `json:"timestamp"`
	Audit     *AuditEntry `json:"audit,omitempty"`
}

// GetWriteRequest lets the FSM reach the embedded WriteRequest of any command.
func (w *WriteRequest) GetWriteRequest() *WriteRequest { return w }
