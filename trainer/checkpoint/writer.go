package checkpoint

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

// Writer uploads and commits checkpoints in the background, at most one in flight:
// Submit returns as soon as the previous checkpoint is done, so a slow store slows
// training down (back-pressure) instead of letting copies pile up in memory.
type Writer struct {
	store  storage.Store
	ledger Ledger
	now    func() time.Time

	mu       sync.Mutex
	inflight chan struct{} // closed when the checkpoint in flight is committed or failed
	err      error         // the first failure; every later call returns it
	parent   string        // manifest SHA of the last checkpoint committed or resumed from
	// Committed is called after each commit, from the writer's goroutine.
	committed func(Record)
}

// NewWriter returns a writer committing to ledger. onCommit may be nil.
func NewWriter(store storage.Store, ledger Ledger, onCommit func(Record)) *Writer {
	return &Writer{store: store, ledger: ledger, now: time.Now, committed: onCommit}
}

// SetParent names the checkpoint the run resumed from (its manifest SHA-256), the parent
// of the first checkpoint this Writer commits; each later one's is the one before it.
func (w *Writer) SetParent(manifestSHA string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.parent = manifestSHA
}

// Submit waits for the checkpoint in flight, then starts uploading st. st must be a
// copy the caller no longer mutates, and the Writer takes ownership of it: once the
// checkpoint is written (or has failed), the arrays CloneTensors made for st go back
// to the pool the next CloneTensors draws from, so the caller must not read them
// after Submit either.
func (w *Writer) Submit(ctx context.Context, st *State) error {
	if err := w.Flush(); err != nil {
		return err
	}
	done := make(chan struct{})
	w.mu.Lock()
	w.inflight = done
	w.mu.Unlock()
	go func() {
		defer close(done)
		err := w.write(ctx, st)
		recycle(st) // before done: the next snapshot can reuse these arrays
		if err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = err
			}
			w.mu.Unlock()
		}
	}()
	return nil
}

func (w *Writer) write(ctx context.Context, st *State) error {
	crash, store := testCrash.next(), storage.Store(freshUploads{w.store})
	if crash == CrashMidBlob {
		store = midBlobStore{Store: store, step: st.Cursor.Step}
	}
	w.mu.Lock()
	if st.Parent == "" {
		st.Parent = w.parent
	}
	w.mu.Unlock()
	m, sha, err := Save(ctx, store, st, w.now())
	if err != nil {
		return err
	}
	if crash == CrashBeforeCommit {
		crashNow(crash, st.Cursor.Step)
	}
	r := RecordOf(m, sha)
	if err := w.ledger.Commit(ctx, r); err != nil {
		return fmt.Errorf("checkpoint %s step %d: %w", st.Experiment, st.Cursor.Step, err)
	}
	w.mu.Lock()
	w.parent = sha
	w.mu.Unlock()
	if crash == CrashDuringCommit {
		crashNow(crash, st.Cursor.Step)
	}
	if w.committed != nil {
		w.committed(r)
	}
	return nil
}

// Flush waits for the checkpoint in flight and returns the first error any checkpoint
// met.
func (w *Writer) Flush() error {
	w.mu.Lock()
	done := w.inflight
	w.mu.Unlock()
	if done != nil {
		<-done
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
