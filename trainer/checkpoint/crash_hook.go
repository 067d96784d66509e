package checkpoint

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/dxtrain/dxtrain/storage"
)

// TEST HOOK. The crash-safety tests (test/integration/checkpoint_crash_test.go) kill
// the writing process at a chosen phase of a chosen checkpoint:
//
//	DXTRAIN_CHECKPOINT_CRASH=mid-blob|before-commit|during-commit
//	DXTRAIN_CHECKPOINT_CRASH_AT=N   (the Nth checkpoint this process writes; default 2)
//
// mid-blob: SIGKILL after half of the first tensor blob reached the store; before-commit:
// after every blob and the manifest are uploaded and verified, before the ledger commit;
// during-commit: after the coordinator acknowledged the commit, before the writer
// returns (the acknowledgement is lost with the process). The process SIGKILLs itself
// (kill -9: no deferred code, no flush). Unset, the hook does nothing. The variables
// are read once, at start-up.
const (
	CrashEnv   = "DXTRAIN_CHECKPOINT_CRASH"
	CrashAtEnv = "DXTRAIN_CHECKPOINT_CRASH_AT"

	CrashMidBlob      = "mid-blob"
	CrashBeforeCommit = "before-commit"
	CrashDuringCommit = "during-commit"
)

// crashHook is the parsed test hook; the zero value never crashes.
type crashHook struct {
	phase string
	at    int64
	seen  atomic.Int64 // checkpoints started by this process
}

var testCrash = loadCrashHook()

func loadCrashHook() *crashHook {
	h := &crashHook{phase: os.Getenv(CrashEnv), at: 2}
	switch h.phase {
	case "", CrashMidBlob, CrashBeforeCommit, CrashDuringCommit:
	default:
		fmt.Fprintf(os.Stderr, "checkpoint crash hook: ignoring unknown %s=%q\n", CrashEnv, h.phase)
		h.phase = ""
	}
	if v := os.Getenv(CrashAtEnv); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 1 {
			h.at = n
		}
	}
	return h
}

// next is called once per checkpoint and returns the phase at which this one must
// crash ("" for none).
func (h *crashHook) next() string {
	if h.phase == "" {
		return ""
	}
	if h.seen.Add(1) != h.at {
		return ""
	}
	return h.phase
}

// crashNow kills the process the way kill -9 would.
func crashNow(phase string, step int64) {
	fmt.Fprintf(os.Stderr, "checkpoint crash hook: SIGKILL at %s of the checkpoint at step %d\n", phase, step)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is asynchronous; never return
}

// midBlobStore kills the process half-way through the first tensor blob's upload.
type midBlobStore struct {
	storage.Store
	step int64
}

func (s midBlobStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if size < 2 {
		return s.Store.Put(ctx, key, r, size)
	}
	return s.Store.Put(ctx, key, &dieAfter{r: r, left: size / 2, step: s.step}, size)
}

// dieAfter passes left bytes through, then kills the process on the next read, once
// the store has written what it got.
type dieAfter struct {
	r    io.Reader
	left int64
	step int64
}

func (d *dieAfter) Read(p []byte) (int, error) {
	if d.left <= 0 {
		crashNow(CrashMidBlob, d.step)
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	n, err := d.r.Read(p)
	d.left -= int64(n)
	return n, err
}
