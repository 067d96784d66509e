package gang

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogsCapped(t *testing.T) {
	checkGoroutines(t)
	const lines = 2000
	cfg := newConfig(t, fmt.Sprintf(`i=0; while [ $i -lt %d ]; do echo "line $i of a chatty rank"; i=$((i+1)); done; echo "no newline" >&2; printf partial`, lines))
	cfg.LogMaxBytes = 8 << 10
	cfg.TailLines = 5
	g, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	cur, err := os.ReadFile(filepath.Join(cfg.LogDir, "rank-0.log"))
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join(cfg.LogDir, "rank-0.log.1"))
	if err != nil {
		t.Fatalf("no rotated log: %v", err)
	}
	for name, b := range map[string][]byte{"rank-0.log": cur, "rank-0.log.1": old} {
		if int64(len(b)) > cfg.LogMaxBytes {
			t.Errorf("%s is %d bytes, over the cap of %d", name, len(b), cfg.LogMaxBytes)
		}
	}
	var want strings.Builder
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&want, "line %d of a chatty rank\n", i)
	}
	want.WriteString("no newline\npartial")
	if got := string(old) + string(cur); !strings.HasSuffix(want.String(), got) || len(got) < int(cfg.LogMaxBytes) {
		t.Fatalf("the two files (%d bytes) are not the last bytes the rank wrote", len(got))
	}
	tail := g.Tail(0)
	wantTail := []string{"line 1997 of a chatty rank", "line 1998 of a chatty rank", "line 1999 of a chatty rank", "no newline", "partial"}
	if strings.Join(tail, "|") != strings.Join(wantTail, "|") {
		t.Fatalf("Tail = %q, want %q", tail, wantTail)
	}
}

func TestLogSinkTail(t *testing.T) {
	cases := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"empty", nil, nil},
		{"split writes", []string{"hel", "lo\nwor", "ld\n"}, []string{"hello", "world"}},
		{"partial last line", []string{"a\nb"}, []string{"a", "b"}},
		{"wraps", []string{"1\n2\n3\n4\n5\n"}, []string{"3", "4", "5"}},
		{"wraps with partial", []string{"1\n2\n3\n4"}, []string{"2", "3", "4"}},
		{"carriage return", []string{"progress\r\n"}, []string{"progress"}},
		{"empty lines", []string{"\n\n"}, []string{"", ""}},
		{"long line cut", []string{strings.Repeat("x", maxTailLine+10) + "\nend\n"}, []string{strings.Repeat("x", maxTailLine) + " …(cut)", "end"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := openLog(filepath.Join(t.TempDir(), "r.log"), 1<<20, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.writes {
				if n, err := s.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := s.tail(); strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("tail = %q, want %q", got, tc.want)
			}
			if err := s.close(); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(s.path)
			if string(b) != strings.Join(tc.writes, "") {
				t.Fatalf("file holds %q, want everything written", b)
			}
		})
	}
}

func TestLogSinkWriteErrorKeepsTail(t *testing.T) {
	dir := t.TempDir()
	s, err := openLog(filepath.Join(dir, "r.log"), 4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte(strings.Repeat("a", 4000) + "\n"))
	// Rotation cannot rename into a directory that is gone.
	os.RemoveAll(dir)
	if n, err := s.Write([]byte(strings.Repeat("b", 200) + "\nlast\n")); n != 201+5 || err != nil {
		t.Fatalf("Write after a disk error = %d, %v; want it to swallow the error", n, err)
	}
	if got := s.tail(); got[len(got)-1] != "last" {
		t.Fatalf("tail = %q, want it to keep receiving lines", got)
	}
	if err := s.close(); err == nil || !strings.Contains(err.Error(), "rotate") {
		t.Fatalf("close = %v, want the rotation error", err)
	}
}
