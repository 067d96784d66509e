package fsm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"github.com/dxtrain/dxtrain/coordinator/state"
)

// Snapshot record kinds. A snapshot is a stream of JSON objects {"kind", "value"},
// one per stored object, so a large store never has to be one giant value.
const (
	kindIndex      = "index"
	kindACLBoot    = "acl_bootstrap"
	kindNode       = "node"
	kindExperiment = "experiment"
	kindAttempt    = "attempt"
	kindCheckpoint = "checkpoint"
	kindDataset    = "dataset"
	kindToken      = "acl_token"
	kindAudit      = "audit"
	kindMember     = "server_member"
	kindModel      = "model_version"
	kindAlert      = "alert"
	kindReport     = "site_report"
	kindProject    = "project"
	kindPriority   = "priority_class"
)

type record struct {
	Kind  string          `json:"kind"`
	Value json.RawMessage `json:"value"`
}

type snapshot struct{ store *state.Store }

// Persist writes one record per object; on any error it cancels the sink so Raft
// discards the partial snapshot.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	w := bufio.NewWriter(sink)
	if err := writeStore(w, s.store); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	if err := w.Flush(); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: flush: %w", err)
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot; the copy is garbage collected.
func (s *snapshot) Release() {}

func writeStore(w io.Writer, st *state.Store) error {
	enc := json.NewEncoder(w)
	put := func(kind string, v any) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", kind, err)
		}
		return enc.Encode(record{Kind: kind, Value: raw})
	}
	var err error
	add := func(kind string, v any) {
		if err == nil {
			err = put(kind, v)
		}
	}
	add(kindIndex, st.LatestIndex())
	add(kindACLBoot, st.ACLBootstrapIndex())
	for _, v := range st.Nodes() {
		add(kindNode, v)
	}
	for _, v := range st.Experiments() {
		add(kindExperiment, v)
	}
	for _, v := range st.Attempts("") {
		add(kindAttempt, v)
	}
	for _, v := range st.Checkpoints("") {
		add(kindCheckpoint, v)
	}
	for _, v := range st.Datasets() {
		add(kindDataset, v)
	}
	for _, v := range st.Tokens() {
		add(kindToken, v)
	}
	for _, v := range st.Members() {
		add(kindMember, v)
	}
	for _, v := range st.AllModelVersions() {
		add(kindModel, v)
	}
	for _, v := range st.Alerts("") {
		add(kindAlert, v)
	}
	for _, v := range st.AllReports() {
		add(kindReport, v)
	}
	for _, v := range st.CreatedProjects() {
		add(kindProject, v)
	}
	for _, v := range st.DefinedPriorityClasses() {
		add(kindPriority, v)
	}
	for _, v := range st.Audit(0, 0) {
		add(kindAudit, v)
	}
	return err
}

// readSnapshot builds a fresh store from a snapshot stream.
func readSnapshot(r io.Reader) (*state.Store, error) {
	st := state.New()
	dec := json.NewDecoder(r)
	for n := 0; ; n++ {
		var rec record
		if err := dec.Decode(&rec); errors.Is(err, io.EOF) {
			return st, nil
		} else if err != nil {
			return nil, fmt.Errorf("record %d: %w", n, err)
		}
		if err := restoreRecord(st, rec); err != nil {
			return nil, fmt.Errorf("record %d (%s): %w", n, rec.Kind, err)
		}
	}
}

func restoreRecord(st *state.Store, rec record) error {
	switch rec.Kind {
	case kindIndex:
		return restoreInto(rec.Value, st.RestoreIndex)
	case kindACLBoot:
		return restoreInto(rec.Value, st.RestoreACLBootstrap)
	case kindNode:
		return restoreInto(rec.Value, st.RestoreNode)
	case kindExperiment:
		return restoreInto(rec.Value, st.RestoreExperiment)
	case kindAttempt:
		return restoreInto(rec.Value, st.RestoreAttempt)
	case kindCheckpoint:
		return restoreInto(rec.Value, st.RestoreCheckpoint)
	case kindDataset:
		return restoreInto(rec.Value, st.RestoreDataset)
	case kindToken:
		return restoreInto(rec.Value, st.RestoreToken)
	case kindMember:
		return restoreInto(rec.Value, st.RestoreMember)
	case kindModel:
		return restoreInto(rec.Value, st.RestoreModelVersion)
	case kindAlert:
		return restoreInto(rec.Value, st.RestoreAlert)
	case kindAudit:
		return restoreInto(rec.Value, st.RestoreAudit)
	case kindReport:
		return restoreInto(rec.Value, st.RestoreReport)
	case kindProject:
		return restoreInto(rec.Value, st.RestoreProject)
	case kindPriority:
		return restoreInto(rec.Value, st.RestorePriorityClass)
	}
	return fmt.Errorf("unknown snapshot record kind %q", rec.Kind)
}

// restoreInto decodes raw into T and hands it to fn. A null value is refused: every
// record kind is an object or a number, and a nil record would crash the store.
func restoreInto[T any](raw json.RawMessage, fn func(T)) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || len(bytes.TrimSpace(raw)) == 0 {
		return errors.New("value is null or missing")
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	fn(v)
	return nil
}
