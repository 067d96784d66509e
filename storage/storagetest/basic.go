package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

func testPutGetStat(t *testing.T, s storage.Store) {
	cases := []struct {
		name string
		key  string
		data []byte
		size func(n int) int64
	}{
		{"empty", "empty", nil, known},
		{"small", "a/small.bin", []byte("hello, store"), known},
		{"unknown size", "a/b/c/unknown.bin", randomBytes(1, 100_000), func(int) int64 { return -1 }},
		{"unicode key", "ünïcode/ключ data.txt", []byte("x"), known},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().Add(-time.Minute)
			if err := s.Put(t.Context(), tc.key, bytes.NewReader(tc.data), tc.size(len(tc.data))); err != nil {
				t.Fatalf("Put(%q): %v", tc.key, err)
			}
			if got := get(t, s, tc.key); !bytes.Equal(got, tc.data) {
				t.Fatalf("Get(%q): got %d bytes, want the %d put", tc.key, len(got), len(tc.data))
			}
			info, err := s.Stat(t.Context(), tc.key)
			if err != nil {
				t.Fatalf("Stat(%q): %v", tc.key, err)
			}
			if info.Key != tc.key || info.Size != int64(len(tc.data)) {
				t.Fatalf("Stat(%q) = %+v, want key %q size %d", tc.key, info, tc.key, len(tc.data))
			}
			if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Minute)) {
				t.Fatalf("Stat(%q).ModTime = %v, want about now", tc.key, info.ModTime)
			}
			if err := s.Delete(t.Context(), tc.key); err != nil {
				t.Fatalf("Delete(%q): %v", tc.key, err)
			}
			_, err = s.Stat(t.Context(), tc.key)
			wantErr(t, "Stat after Delete", err, storage.ErrNotFound)
		})
	}
}

func known(n int) int64 { return int64(n) }

func testOverwrite(t *testing.T, s storage.Store) {
	put(t, s, "k/obj", randomBytes(2, 50_000))
	second := []byte("short replacement")
	put(t, s, "k/obj", second)
	if got := get(t, s, "k/obj"); !bytes.Equal(got, second) {
		t.Fatalf("after overwrite Get = %q, want %q", got, second)
	}
	info, err := s.Stat(t.Context(), "k/obj")
	if err != nil || info.Size != int64(len(second)) {
		t.Fatalf("after overwrite Stat = %+v, %v; want size %d", info, err, len(second))
	}
	list, err := s.List(t.Context(), "k/")
	if err != nil || len(list) != 1 {
		t.Fatalf("after overwrite List = %+v, %v; want exactly one object", list, err)
	}
}

func testMissing(t *testing.T, s storage.Store) {
	put(t, s, "present/x", []byte("x"))
	for _, key := range []string{"absent", "present/absent", "present/x/deeper", "present"} {
		t.Run(key, func(t *testing.T) {
			_, err := s.Get(t.Context(), key)
			wantErr(t, "Get", err, storage.ErrNotFound)
			if err != nil && !strings.Contains(err.Error(), key) {
				t.Fatalf("Get(%q) error %q does not name the key", key, err)
			}
			_, err = s.Stat(t.Context(), key)
			wantErr(t, "Stat", err, storage.ErrNotFound)
			if err := s.Delete(t.Context(), key); err != nil {
				t.Fatalf("Delete of missing %q: %v, want nil", key, err)
			}
		})
	}
	list, err := s.List(t.Context(), "nothing-here/")
	if err != nil || len(list) != 0 {
		t.Fatalf("List of empty prefix = %+v, %v; want none", list, err)
	}
	if _, err := storage.GetBlob(t.Context(), s, storage.Digest([]byte("never stored"))); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetBlob of a missing blob: %v, want ErrNotFound", err)
	}
}

func testInvalidKeys(t *testing.T, s storage.Store) {
	bad := []string{"", "/abs", "a/../b", "..", "../escape", "a//b", "a/", "./a", "a\\b",
		"a\x00b", "dir/" + storage.TempPrefix + "x", strings.Repeat("k", storage.MaxKeyLen+1)}
	for _, key := range bad {
		t.Run(strings.ToValidUTF8(key, "?"), func(t *testing.T) {
			ctx := t.Context()
			wantErr(t, "Put", s.Put(ctx, key, strings.NewReader("x"), 1), storage.ErrInvalidKey)
			_, err := s.Get(ctx, key)
			wantErr(t, "Get", err, storage.ErrInvalidKey)
			_, err = s.Stat(ctx, key)
			wantErr(t, "Stat", err, storage.ErrInvalidKey)
			wantErr(t, "Delete", s.Delete(ctx, key), storage.ErrInvalidKey)
		})
	}
	for _, prefix := range []string{"/abs", "a//", "../", "a/../"} {
		_, err := s.List(t.Context(), prefix)
		wantErr(t, "List("+prefix+")", err, storage.ErrInvalidKey)
	}
	list, err := s.List(t.Context(), "")
	if err != nil || len(list) != 0 {
		t.Fatalf("after refused writes List = %+v, %v; want nothing stored", list, err)
	}
}

func testSizeMismatch(t *testing.T, s storage.Store) {
	cases := []struct {
		name string
		data []byte
		size int64
	}{
		{"reader shorter than size", []byte("abc"), 10},
		{"reader longer than size", []byte("abcdefghij"), 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := "mismatch/" + strings.ReplaceAll(tc.name, " ", "-")
			if err := s.Put(t.Context(), key, io.NopCloser(bytes.NewReader(tc.data)), tc.size); err == nil {
				t.Fatalf("Put with %d bytes declared as %d: no error", len(tc.data), tc.size)
			}
			_, err := s.Stat(t.Context(), key)
			wantErr(t, "Stat after a refused Put", err, storage.ErrNotFound)
		})
	}
}

func testCanceledPut(t *testing.T, s storage.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Put(ctx, "canceled", strings.NewReader("x"), 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a canceled context: %v, want context.Canceled", err)
	}
	_, err := s.Stat(t.Context(), "canceled")
	wantErr(t, "Stat after a canceled Put", err, storage.ErrNotFound)
}

func testListPrefix(t *testing.T, s storage.Store) {
	// Byte order puts "a-b" (0x2d) before "a/…" (0x2f) before "a0"; a walk of directories
	// in name order would not, so this catches an unsorted List.
	keys := []string{"b", "a0", "a/z", "a/b/c", "a/b/a", "a-b", "ab", "a/b0", "c/d/e/f"}
	for i, k := range keys {
		put(t, s, k, bytes.Repeat([]byte{'x'}, i+1))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-b", "a/b/a", "a/b/c", "a/b0", "a/z", "a0", "ab", "b", "c/d/e/f"}},
		{"a", []string{"a-b", "a/b/a", "a/b/c", "a/b0", "a/z", "a0", "ab"}},
		{"a/", []string{"a/b/a", "a/b/c", "a/b0", "a/z"}},
		{"a/b", []string{"a/b/a", "a/b/c", "a/b0"}},
		{"a/b/", []string{"a/b/a", "a/b/c"}},
		{"c/d/e/f", []string{"c/d/e/f"}},
		{"c/d/e/f/", nil},
		{"zz", nil},
	}
	for _, tc := range cases {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			list, err := s.List(t.Context(), tc.prefix)
			if err != nil {
				t.Fatalf("List(%q): %v", tc.prefix, err)
			}
			var got []string
			for _, o := range list {
				got = append(got, o.Key)
				if want := int64(indexOf(keys, o.Key) + 1); o.Size != want {
					t.Errorf("List(%q): %s has size %d, want %d", tc.prefix, o.Key, o.Size, want)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
		})
	}
}

func indexOf(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}
