package fsm

import (
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// FuzzRestore feeds arbitrary snapshot streams: restore must fail cleanly, never panic.
func FuzzRestore(f *testing.F) {
	f.Add(`{"kind":"node","value":{"id":"n1","devices":[]}}` + "\n")
	f.Add(`{"kind":"index","value":7}{"kind":"audit","value":{"index":3}}`)
	f.Add(`{"kind":"acl_token","value":{"accessor_id":"a","secret_hash":"h","roles":["admin"]}}`)
	f.Add(`{"kind":"model_version","value":{"name":"m","version":2}}{"kind":"model_version","value":{"name":"m","version":2}}`)
	f.Add(`{"kind":"alert","value":{"id":"x","kind":"checkpoint_refused"}}`)
	f.Add(`{"kind":"checkpoint","value":null}`)
	f.Add(`{"kind":"alert"}`)
	f.Fuzz(func(t *testing.T, in string) {
		_ = New(nil).Restore(nopCloser{strings.NewReader(in)})
	})
}

// FuzzApply feeds arbitrary bodies to every known command: Apply returns an error
// value for garbage and never panics.
func FuzzApply(f *testing.F) {
	f.Add(uint8(structs.NodeRegisterRequestType), []byte(`{"node":{"id":"n"}}`))
	f.Add(uint8(structs.AttemptCreateRequestType), []byte(`{"attempt":{"id":"a","ranks":[{"rank":0}]}}`))
	f.Add(uint8(structs.CheckpointCommitRequestType), []byte(`{"checkpoint":{"id":"c"}}`))
	f.Add(uint8(structs.ModelReleaseRequestType), []byte(`{"version":{"name":"m","version":1}}`))
	f.Add(uint8(structs.ModelRevokeRequestType), []byte(`{"name":"m","version":0,"reason":"x"}`))
	f.Add(uint8(structs.DeviceUnhealthyRequestType), []byte(`{"node_id":"n","device_id":"g0","fault_since":1}`))
	f.Add(uint8(structs.DeviceUncordonRequestType), []byte(`{"node_id":"n","device_id":"g0"}`))
	f.Add(uint8(structs.AlertRecordRequestType), []byte(`{"alert":{"id":"x","kind":"checkpoint_refused","experiment_id":"e"}}`))
	f.Add(uint8(structs.AlertAckRequestType), []byte(`{"alert_id":"x","acked_by":"a"}`))
	f.Fuzz(func(t *testing.T, mt uint8, body []byte) {
		fsm := New(nil)
		if _, ok := fsm.registry[structs.MessageType(mt)]; !ok {
			return
		}
		data := append([]byte{mt}, body...)
		_ = fsm.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: data})
	})
}
