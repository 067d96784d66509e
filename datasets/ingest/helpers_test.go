package ingest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/datasets/synth"
	"github.com/dxtrain/dxtrain/storage"
)

// synthSpecPath is the ingest spec shipped with the synthetic generator.
const synthSpecPath = "../synth/testdata/synth-ingest.yaml"

func newStore(t *testing.T) *storage.FileStore {
	t.Helper()
	s, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeSynthCSV writes n synthetic raw patient records to a temp CSV and
// returns its path and the records.
func writeSynthCSV(t testing.TB, dir string, n int, seed uint64) (string, [][]string) {
	t.Helper()
	header, rows := synth.Generate(n, seed)
	path := filepath.Join(dir, "synth-patients.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.Write(header); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, rows
}

// writeKey writes a 0600 key file of 48 bytes.
func writeKey(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "hmac.key")
	if err := os.WriteFile(path, []byte(strings.Repeat("test-key-0123456", 3)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func keys(t *testing.T, s storage.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range infos {
		out = append(out, i.Key)
	}
	return out
}

// identifyingValues are the direct identifiers of the synthetic records:
// NHS numbers (as written and as digits), names, dates of birth, postcodes.
func identifyingValues(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[0], strings.ReplaceAll(r[0], " ", ""), r[1], r[2], r[3], r[6])
	}
	return out
}

// assertNoLeak fails if any identifying value appears as a whole word in
// any of the texts.
func assertNoLeak(t *testing.T, values []string, texts ...string) {
	t.Helper()
	if n := leaked(values, texts...); n > 0 {
		t.Errorf("%d identifying values of the synthetic data appear in an error or report", n)
	}
}

// leaked counts the distinct values found as whole words in the texts.
func leaked(values []string, texts ...string) int {
	all := strings.Join(texts, "\n")
	seen := map[string]bool{}
	n := 0
	for _, v := range values {
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(v) + `\b`).MatchString(all) {
			n++
		}
	}
	return n
}

// TestLeakCheckDetects shows the check can fail: planted values are found.
func TestLeakCheckDetects(t *testing.T) {
	t.Parallel()
	_, rows := synth.Generate(20, 1)
	values := identifyingValues(rows)
	if n := leaked(values, "gate: row 3 holds "+rows[3][0]+" and "+rows[4][6]); n != 2 {
		t.Fatalf("found %d planted values, want 2", n)
	}
	if n := leaked(values, "column \"crp\" line 12: not a number"); n != 0 {
		t.Fatalf("found %d values in a clean message", n)
	}
}

func reportTexts(t *testing.T, rep *gate.Report) []string {
	t.Helper()
	if rep == nil {
		return nil
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return []string{string(b), rep.Summary()}
}

// failingRegistrar refuses every dataset.
type failingRegistrar struct{ calls int }

var errCommit = errors.New("commit refused by the test registrar")

func (f *failingRegistrar) Registered(context.Context, string) (string, error) { return "", nil }

func (f *failingRegistrar) Register(context.Context, string, string, *shards.Manifest) error {
	f.calls++
	return errCommit
}

// readAll reads an epoch of one rank and returns the row ids it saw.
func readAll(t *testing.T, l *shards.Loader, epoch int) []int64 {
	t.Helper()
	it, err := l.Epoch(epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var rows []int64
	for {
		b, ok, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return rows
		}
		rows = append(rows, b.RowIDs...)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
