package checkpoint

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

// crashChildEnv makes TestCrashHookChild write checkpoints into the named directory.
const crashChildEnv = "DXTRAIN_TEST_CRASH_CHILD_STORE"

// TestCrashHookChild is the process the crash test kills; it does nothing unless the
// parent test started it.
func TestCrashHookChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("child process of TestCrashHookKillsWriter only")
	}
	store, err := storage.NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(store, StoreLedger{Store: store}, nil)
	for step := int64(10); step <= 30; step += 10 {
		if err := w.Submit(t.Context(), testState(t, step)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// Kill -9 the writing process at each phase of its second checkpoint: it dies by
// SIGKILL, the hook really ran at that phase, and resume (Latest) picks the last
// committed checkpoint — never the partial one.
func TestCrashHookKillsWriter(t *testing.T) {
	tests := []struct {
		phase      string
		wantLatest int64 // step Latest resumes from
		partial    bool  // a temporary file of the interrupted upload is left
	}{
		{CrashMidBlob, 10, true},
		{CrashBeforeCommit, 10, false},
		{CrashDuringCommit, 20, false},
	}
	for _, tc := range tests {
		t.Run(tc.phase, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashHookChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, CrashEnv+"="+tc.phase, CrashAtEnv+"=2")
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child ended with %v, want killed by SIGKILL; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), "SIGKILL at "+tc.phase+" of the checkpoint at step 20") {
				t.Fatalf("the hook did not fire at %s of step 20; output:\n%s", tc.phase, out)
			}
			store, err := storage.NewFileStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			l, err := Latest(t.Context(), StoreLedger{Store: store}, store, "exp", nil)
			if err != nil {
				t.Fatal(err)
			}
			if l.Manifest.Cursor.Step != tc.wantLatest {
				t.Fatalf("resume picks step %d, want %d", l.Manifest.Cursor.Step, tc.wantLatest)
			}
			temps, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*", storage.TempPrefix+"*"))
			if (len(temps) > 0) != tc.partial {
				t.Fatalf("temporary files %v; want some: %v", temps, tc.partial)
			}
			if tc.partial {
				n, err := store.SweepTemp(t.Context(), 0)
				if err != nil || n != len(temps) {
					t.Fatalf("sweep temp: %d, %v; want %d", n, err, len(temps))
				}
			}
		})
	}
}

func TestCrashHookNext(t *testing.T) {
	h := &crashHook{phase: CrashBeforeCommit, at: 3}
	var got []string
	for range 4 {
		got = append(got, h.next())
	}
	if strings.Join(got, ",") != ",,before-commit," {
		t.Fatalf("phases per checkpoint %q, want only the third to crash", got)
	}
	if (&crashHook{}).next() != "" {
		t.Fatal("the zero hook crashes")
	}
	t.Setenv(CrashEnv, "bogus")
	t.Setenv(CrashAtEnv, "x")
	if h := loadCrashHook(); h.phase != "" || h.at != 2 {
		t.Fatalf("bad env gave phase %q at %d, want disabled, default 2", h.phase, h.at)
	}
}

// FuzzCrashHookEnv: any environment gives a hook that is disabled or names a known
// phase, and crashes at a checkpoint number of at least 1.
func FuzzCrashHookEnv(f *testing.F) {
	for _, s := range [][2]string{{"", ""}, {"mid-blob", "3"}, {"before-commit", "0"}, {"during-commit", "-1"}, {"x", "99999999999999999999"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, phase, at string) {
		t.Setenv(CrashEnv, phase)
		t.Setenv(CrashAtEnv, at)
		h := loadCrashHook()
		switch h.phase {
		case "", CrashMidBlob, CrashBeforeCommit, CrashDuringCommit:
		default:
			t.Fatalf("phase %q accepted", h.phase)
		}
		if h.at < 1 {
			t.Fatalf("crash at checkpoint %d", h.at)
		}
	})
}
