package coordinator

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// FuzzReleaseArgs: any body either validates or is refused with a field error; never
// a panic, and an accepted body has bare, valid digests.
func FuzzReleaseArgs(f *testing.F) {
	f.Add(`{"name":"m","experiment_id":"e","checkpoint_id":"c","onnx_sha256":"` + hash("a") + `","card_sha256":"sha256:` + hash("b") +
		`","statement_sha256":"` + hash("c") + `","signature_sha256":"` + hash("d") + `","approver":"Dr A","approver_key":"0123456789abcdef","metrics":{"auroc":0.9}}`)
	f.Add(`{"name":"m b","approver":"\u0000"}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, body string) {
		var a structs.ModelReleaseArgs
		if json.Unmarshal([]byte(body), &a) != nil {
			return
		}
		err := validateRelease(&a)
		if err != nil {
			if !errors.Is(err, structs.ErrInvalid) {
				t.Fatalf("refusal is not a field error: %v", err)
			}
			return
		}
		for _, h := range []string{a.ONNXSHA256, a.CardSHA256, a.StatementSHA256, a.SignatureSHA256} {
			if len(h) != 64 {
				t.Fatalf("accepted digest %q", h)
			}
		}
	})
}

// FuzzHeartbeatArgs: device statuses validate or are refused with a field error.
func FuzzHeartbeatArgs(f *testing.F) {
	f.Add(`{"node_id":"n1","devices":[{"id":"gpu0","health":"unhealthy","reasons":["xid 79"],"unhealthy_for_ms":1500}]}`)
	f.Add(`{"node_id":"n1","devices":[{"id":"a","health":"healthy"},{"id":"a","health":"healthy"}]}`)
	f.Add(`{"node_id":"n1"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var a structs.HeartbeatArgs
		if json.Unmarshal([]byte(body), &a) != nil {
			return
		}
		if err := validateDeviceStatuses(a.Devices); err != nil && !errors.Is(err, structs.ErrInvalid) {
			t.Fatalf("refusal is not a field error: %v", err)
		}
	})
}

// FuzzAlertArgs: any alert body validates or is refused with a field error; an
// accepted one has a known kind, a bounded UTF-8 reason and valid hashes.
func FuzzAlertArgs(f *testing.F) {
	f.Add(`{"kind":"checkpoint_refused","experiment_id":"e1","attempt_id":"a1","step":40,"checkpoint_id":"c1","manifest_hash":"` +
		hash("m") + `","blob_hash":"` + hash("b") + `","reason":"load checkpoint: params blob: blob corrupt"}`)
	f.Add(`{"kind":"checkpoint_refused","experiment_id":"e1","reason":"\xff"}`)
	f.Add(`{"kind":"disk_full","step":-1}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, body string) {
		var a structs.AlertRecordArgs
		if json.Unmarshal([]byte(body), &a) != nil {
			return
		}
		err := validateAlert(&a)
		if err != nil {
			if !errors.Is(err, structs.ErrInvalid) {
				t.Fatalf("refusal is not a field error: %v", err)
			}
			return
		}
		if !structs.ValidAlertKind(a.Kind) || a.Reason == "" || len(a.Reason) > structs.MaxAlertReasonBytes || a.Step < 0 {
			t.Fatalf("accepted %+v", a)
		}
	})
}
