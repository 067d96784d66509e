package release

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriteRelease(t *testing.T) {
	f, pub, priv := sealed(t)
	other := testStatement()
	other.Metrics = map[string]float64{"test_auroc": 0.5}
	g, err := Seal(f.ONNX, testCard(), other, priv)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("new directory, then again", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b", "release")
		if err := WriteRelease(dir, f); err != nil {
			t.Fatal(err)
		}
		if err := WriteRelease(dir, f); err != nil {
			t.Fatalf("writing the same release again: %v", err)
		}
		entries, _ := os.ReadDir(filepath.Dir(dir))
		if len(entries) != 1 {
			t.Fatalf("temporary directories left behind: %v", entries)
		}
		if _, err := VerifyDir(dir, pub); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("empty directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := WriteRelease(dir, f); err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyDir(dir, pub); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("different release refused", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "release")
		if err := WriteRelease(dir, f); err != nil {
			t.Fatal(err)
		}
		if err := WriteRelease(dir, g); !errors.Is(err, ErrExists) {
			t.Fatalf("got %v, want ErrExists", err)
		}
		v, err := VerifyDir(dir, pub)
		if err != nil || v.Statement.Metrics["test_auroc"] != 0.991 {
			t.Fatalf("first release changed: %v", err)
		}
	})
	t.Run("other files refused", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteRelease(dir, f); !errors.Is(err, ErrExists) {
			t.Fatalf("got %v, want ErrExists", err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("directory touched: %v", entries)
		}
	})
	t.Run("a file in the way", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "release")
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteRelease(p, f); !errors.Is(err, ErrExists) {
			t.Fatalf("got %v, want ErrExists", err)
		}
	})
	t.Run("inconsistent files refused", func(t *testing.T) {
		bad := f
		bad.ONNX = flip(f.ONNX)
		dir := filepath.Join(t.TempDir(), "release")
		if err := WriteRelease(dir, bad); !errors.Is(err, ErrONNXTampered) {
			t.Fatalf("got %v, want ErrONNXTampered", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("refused release left %s behind", dir)
		}
		missing := f
		missing.Signature = nil
		if err := WriteRelease(dir, missing); !errors.Is(err, ErrMissingFile) {
			t.Fatalf("got %v, want ErrMissingFile", err)
		}
	})
	t.Run("concurrent writers", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "release")
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				rel := f
				if i%2 == 1 {
					rel = g
				}
				errs <- WriteRelease(dir, rel)
			}()
		}
		var ok, exists int
		for range 8 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, ErrExists):
				exists++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 4 || exists != 4 {
			t.Fatalf("%d writers succeeded and %d were refused, want 4 and 4 (one release wins, its twins agree)", ok, exists)
		}
		if _, err := VerifyDir(dir, pub); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(filepath.Dir(dir))
		if len(entries) != 1 {
			t.Fatalf("temporary directories left behind: %d entries", len(entries))
		}
	})
	t.Run("layout", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "release")
		if err := WriteRelease(dir, f); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
			fi, _ := e.Info()
			if fi.Mode().Perm() != 0o644 {
				t.Fatalf("%s mode %04o, want 0644", e.Name(), fi.Mode().Perm())
			}
		}
		if want := []string{"card.json", "model.onnx", "statement.json", "statement.sig"}; !slices.Equal(names, want) {
			t.Fatalf("files %v, want %v", names, want)
		}
	})
}
