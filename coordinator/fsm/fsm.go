// Package fsm is the coordinator's raft.FSM: it decodes each committed Raft entry,
// dispatches it through a registry keyed by MessageType to one state-store call, and
// snapshots and restores the store.
package fsm

import (
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/dxtrain/dxtrain/coordinator/state"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// applyFn decodes one command body and makes one state call. It returns the state
// error, which Apply hands back to the proposer as the entry's response.
type applyFn func(s *state.Store, index uint64, body []byte) error

// FSM applies committed commands to a state.Store.
type FSM struct {
	log      *slog.Logger
	registry map[structs.MessageType]applyFn

	mu    sync.RWMutex
	state *state.Store
}

// New returns an FSM over an empty store.
func New(log *slog.Logger) *FSM {
	if log == nil {
		log = slog.Default()
	}
	return &FSM{log: log, registry: registry(), state: state.New()}
}

// State returns the current store. After a restore it is a different store, so
// callers fetch it per request rather than keeping it.
func (f *FSM) State() *state.Store {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.state
}

// Apply implements raft.FSM. The response is nil or the error of the state call.
func (f *FSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand || len(l.Data) == 0 {
		return nil
	}
	t := structs.MessageType(l.Data[0])
	fn, ok := f.registry[t]
	if !ok {
		if t&structs.IgnoreUnknownTypeFlag != 0 {
			f.log.Warn("skipping unknown ignorable message type", "type", uint8(t), "index", l.Index)
			f.State().SetIndex(l.Index)
			return nil
		}
		panic(fmt.Sprintf("fsm: unknown message type %d at index %d", uint8(t), l.Index))
	}
	return fn(f.State(), l.Index, l.Data[1:])
}

// Snapshot implements raft.FSM: it captures a deep copy of the store, which Persist
// writes while applies continue.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &snapshot{store: f.State().Snapshot()}, nil
}

// Restore implements raft.FSM: it builds a fresh store from the snapshot and swaps it
// in, waking every watcher of the old one.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	fresh, err := readSnapshot(rc)
	if err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	f.mu.Lock()
	old := f.state
	f.state = fresh
	f.mu.Unlock()
	old.Abandon()
	return nil
}
