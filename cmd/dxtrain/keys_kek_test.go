package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

// dxtrainEnv runs the binary with extra environment variables.
func dxtrainEnv(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestEncryptionAtRestEndToEnd trains WDBC into a store encrypted under a KEK made by
// `keys kek-create`, checks no 16-byte run of any stored object's plaintext (dataset
// shards, checkpoint tensors, manifests) is in the store's files, rotates the KEK with
// `keys rotate-kek`, and resumes under the new KEK; the old KEK and no KEK are refused.
func TestEncryptionAtRestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	oldKEK, newKEK := filepath.Join(dir, "old.kek"), filepath.Join(dir, "new.kek")
	for _, f := range []string{oldKEK, newKEK} {
		out, err := dxtrain(t, "keys", "kek-create", "--out", f)
		if err != nil || !strings.Contains(out, "kek id") {
			t.Fatalf("kek-create: %v\n%s", err, out)
		}
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("kek-create wrote %v, %v; want mode 0600", fi.Mode(), err)
		}
	}
	if out, err := dxtrain(t, "keys", "kek-create", "--out", oldKEK); err == nil || !strings.Contains(out, "already exists") {
		t.Fatalf("kek-create over an existing file: %v\n%s", err, out)
	}

	data := filepath.Join(dir, "data")
	out, err := dxtrainEnv(t, []string{"DXTRAIN_STORE_KEK_FILE=" + oldKEK}, "train", "experiments/wdbc-logreg.yaml", "--data-dir", data)
	if err != nil {
		t.Fatalf("train with encryption at rest: %v\n%s", err, out)
	}
	root := filepath.Join(data, "store")
	old, err := storage.LoadKEKFile(oldKEK)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(t.Context(), "file://"+root, storage.Config{KEK: old, Plaintext: storage.PlaintextRefuse})
	if err != nil {
		t.Fatal(err)
	}
	infos, err := st.List(t.Context(), "")
	if err != nil || len(infos) < 3 {
		t.Fatalf("List of the trained store = %d objects, %v", len(infos), err)
	}
	var raw [][]byte
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, err := os.ReadFile(p)
			raw = append(raw, b)
			return err
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	windows := 0
	for _, info := range infos {
		rc, err := st.Get(t.Context(), info.Key) // refuses plaintext: every object is encrypted
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", info.Key, err)
		}
		for off := 0; off+16 <= len(plain); off += 61 {
			windows++
			for _, b := range raw {
				if bytes.Contains(b, plain[off:off+16]) {
					t.Fatalf("%s: plaintext bytes at offset %d are in the store's files: %q", info.Key, off, plain[off:off+16])
				}
			}
		}
	}
	t.Logf("%d objects, %d plaintext windows, none in the raw files", len(infos), windows)

	out, err = dxtrain(t, "keys", "rotate-kek", "--store", "file://"+root, "--old-kek-file", oldKEK, "--new-kek-file", newKEK)
	if err != nil || !strings.Contains(out, "rewrapped        "+strconv.Itoa(len(infos))) {
		t.Fatalf("rotate-kek: %v\n%s", err, out)
	}
	out, err = dxtrain(t, "keys", "rotate-kek", "--store", "file://"+root, "--old-kek-file", oldKEK, "--new-kek-file", newKEK)
	if err != nil || !strings.Contains(out, "already current  "+strconv.Itoa(len(infos))) {
		t.Fatalf("rotate-kek run again: %v\n%s", err, out)
	}
	resume := []string{"train", "experiments/wdbc-logreg.yaml", "--data-dir", data, "--resume"}
	if out, err := dxtrainEnv(t, []string{"DXTRAIN_STORE_KEK_FILE=" + newKEK}, resume...); err != nil {
		t.Fatalf("resume under the new KEK: %v\n%s", err, out)
	}
	if out, err := dxtrainEnv(t, []string{"DXTRAIN_STORE_KEK_FILE=" + oldKEK}, resume...); err == nil || !strings.Contains(out, "different key-encryption key") {
		t.Fatalf("resume under the old KEK after rotation: %v\n%s", err, out)
	}
	if out, err := dxtrain(t, resume...); err == nil || !strings.Contains(out, "no key-encryption key is configured") {
		t.Fatalf("resume with no KEK: %v\n%s", err, out)
	}
	if err := os.Chmod(newKEK, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := dxtrainEnv(t, []string{"DXTRAIN_STORE_KEK_FILE=" + newKEK}, resume...); err == nil || !strings.Contains(out, "0644") {
		t.Fatalf("a world-readable KEK file: %v\n%s", err, out)
	}
}
