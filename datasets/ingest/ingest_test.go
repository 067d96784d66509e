package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/datasets/synth"
	"github.com/dxtrain/dxtrain/safetensors"
	"github.com/dxtrain/dxtrain/storage"
)

// naiveSynthSpec declares every synthetic column a feature: the raw data
// goes to the gate untransformed.
func naiveSynthSpec(t *testing.T) *deid.IngestSpec {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: synth-raw\ninput: {path: x.csv, format: csv}\nlabel: {column: sepsis, classes: [\"0\", \"1\"]}\ncolumns:\n")
	for _, h := range synth.Header {
		role := "feature"
		if h == "sepsis" {
			role = "label"
		}
		fmt.Fprintf(&b, "  %s: %s\n", h, role)
	}
	spec, err := deid.ParseIngestSpec([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestRawSynthRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvPath, rows := writeSynthCSV(t, dir, 2000, 1)
	store := newStore(t)
	reg := NewLocalRegistry(store)
	res, err := Ingest(t.Context(), Config{Spec: naiveSynthSpec(t), InputPath: csvPath, Store: store, Registrar: reg, Seed: 1})
	var refused *RefusedError
	if !errors.Is(err, ErrRefused) || !errors.As(err, &refused) {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if res == nil || res.Report != refused.Report || res.Report.Passed || res.Manifest != nil {
		t.Fatal("the result does not carry the failing report alone")
	}
	rules := map[string]bool{}
	for _, f := range res.Report.Findings {
		rules[f.Rule+"/"+f.Column] = true
	}
	for _, want := range []string{"nhs_number/nhs_number", "name/given_name", "name/family_name",
		"date_of_birth/date_of_birth", "postcode/postcode", "identifier_header/nhs_number"} {
		if !rules[want] {
			t.Errorf("no %s finding", want)
		}
	}
	if got := keys(t, store, ""); len(got) != 0 {
		t.Fatalf("a refused dataset left %d objects in the store: %v", len(got), got)
	}
	assertNoLeak(t, identifyingValues(rows), append(reportTexts(t, res.Report), err.Error())...)
	t.Log("\n" + res.Report.Summary())
}

func TestSynthIngest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvPath, rows := writeSynthCSV(t, dir, 2000, 1)
	store := newStore(t)
	reg := NewLocalRegistry(store)
	res, err := Ingest(t.Context(), Config{SpecPath: synthSpecPath, InputPath: csvPath, KeyPath: writeKey(t, dir),
		Store: store, Registrar: reg, Seed: 7, ShardBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if !res.Report.Passed || m.Source.Records != 2000 || m.Split.Train.Records+m.Split.Validation.Records+m.Split.Test.Records != 2000 {
		t.Fatalf("report passed %v, records %d", res.Report.Passed, m.Source.Records)
	}
	if len(m.Split.Train.Shards) < 2 {
		t.Fatalf("%d training shards with 8 KiB shards", len(m.Split.Train.Shards))
	}
	if err := shards.Verify(t.Context(), store, m); err != nil {
		t.Fatal(err)
	}
	rec, got, err := reg.Get(t.Context(), "synth-patients")
	if err != nil || rec.ManifestSHA != res.ManifestSHA || got.Name != m.Name {
		t.Fatalf("registry: %+v, %v", rec, err)
	}
	if len(m.Schema.Features) != 7 || len(m.Stats.Mean) != 7 {
		t.Errorf("features %v", m.Schema.Features)
	}
	var sub []string
	for _, g := range m.Subgroups {
		sub = append(sub, g.Name)
	}
	if !slices.Equal(sub, []string{"sex", "ethnicity", "site"}) {
		t.Errorf("subgroups %v", sub)
	}
	checkShardTensors(t, store, m)

	// Every training record exactly once per epoch across two ranks.
	for epoch := range 2 {
		seen := make([]int, m.Split.Train.Records)
		for rank := range 2 {
			l, err := shards.NewLoader(t.Context(), store, m, shards.PartTrain, shards.LoaderConfig{Rank: rank, World: 2, Seed: 3, BatchSize: 32})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range readAll(t, l, epoch) {
				seen[r]++
			}
		}
		for r, c := range seen {
			if c != 1 {
				t.Fatalf("epoch %d: training record %d seen %d times", epoch, r, c)
			}
		}
	}
	manifestJSON, _ := json.Marshal(m)
	assertNoLeak(t, identifyingValues(rows), string(manifestJSON))
}

// checkShardTensors decodes the first training shard and checks its tensors.
func checkShardTensors(t *testing.T, store storage.Store, m *shards.Manifest) {
	t.Helper()
	ref := m.Split.Train.Shards[0]
	data, err := storage.GetBlob(t.Context(), store, ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tn := range f.Tensors {
		names = append(names, tn.Name)
	}
	want := []string{"features", "labels", "row_ids", "subgroup.ethnicity", "subgroup.sex", "subgroup.site"}
	if !slices.Equal(names, want) {
		t.Fatalf("shard tensors %v, want %v", names, want)
	}
	sex, _ := f.Get("subgroup.sex")
	codes, _ := sex.Int32s()
	if int64(len(codes)) != ref.Records {
		t.Fatalf("%d subgroup codes for %d records", len(codes), ref.Records)
	}
}

func TestWDBCIngest(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	res, err := Ingest(t.Context(), Config{SpecPath: "testdata/wdbc-ingest.yaml", Store: store,
		Registrar: NewLocalRegistry(store), Seed: 1, Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	total := make([]int64, 2)
	var records int64
	for _, name := range shards.PartNames {
		p, _ := m.Split.Part(name)
		records += p.Records
		for c, k := range p.LabelCounts {
			total[c] += k
		}
	}
	if records != 569 || total[0] != 357 || total[1] != 212 {
		t.Fatalf("records %d, benign %d, malignant %d; want 569, 357, 212", records, total[0], total[1])
	}
	if len(m.Schema.Features) != 30 || m.Schema.FeatureLen() != 30 {
		t.Fatalf("%d features", len(m.Schema.Features))
	}
	if err := shards.Verify(t.Context(), store, m); err != nil {
		t.Fatal(err)
	}
	// The same input and seed give the same shards.
	store2 := newStore(t)
	res2, err := Ingest(t.Context(), Config{SpecPath: "testdata/wdbc-ingest.yaml", Store: store2,
		Registrar: NewLocalRegistry(store2), Seed: 1, Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if res2.ManifestSHA != res.ManifestSHA {
		t.Fatal("the same ingest twice gives different manifests")
	}
}

func TestRegistrationFailureSweeps(t *testing.T) {
	t.Parallel()
	t.Run("fresh store", func(t *testing.T) {
		store := newStore(t)
		reg := &failingRegistrar{}
		_, err := Ingest(t.Context(), Config{SpecPath: "testdata/wdbc-ingest.yaml", Store: store, Registrar: reg, Seed: 1, ShardBytes: 4 << 10})
		if !errors.Is(err, ErrRegister) || !errors.Is(err, errCommit) || reg.calls != 1 {
			t.Fatalf("err = %v after %d calls, want the registration failure", err, reg.calls)
		}
		if got := keys(t, store, ""); len(got) != 0 {
			t.Fatalf("%d objects left after a failed registration: %v", len(got), got)
		}
	})
	t.Run("shards shared with a registered dataset stay", func(t *testing.T) {
		store := newStore(t)
		local := NewLocalRegistry(store)
		created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		res, err := Ingest(t.Context(), Config{SpecPath: "testdata/wdbc-ingest.yaml", Store: store, Registrar: local, Seed: 1, Created: created})
		if err != nil {
			t.Fatal(err)
		}
		before := keys(t, store, "")
		_, err = Ingest(t.Context(), Config{SpecPath: "testdata/wdbc-ingest.yaml", Store: store, Registrar: &failingRegistrar{},
			Seed: 1, Created: created.Add(time.Hour)})
		if !errors.Is(err, ErrRegister) {
			t.Fatalf("err = %v", err)
		}
		if after := keys(t, store, ""); !slices.Equal(before, after) {
			t.Fatalf("objects before %v, after %v", before, after)
		}
		if err := shards.Verify(t.Context(), store, res.Manifest); err != nil {
			t.Fatalf("the registered dataset lost shards: %v", err)
		}
	})
}

func TestCorruptShardNamedAfterIngest(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	res, err := Ingest(t.Context(), Config{SpecPath: "testdata/wdbc-ingest.yaml", Store: store, Registrar: NewLocalRegistry(store), Seed: 1, ShardBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	bad := res.Manifest.Split.Train.Shards[1].SHA256
	path := filepath.Join(store.Root(), filepath.FromSlash(storage.BlobKey(bad)))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[100] ^= 1
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := shards.Verify(t.Context(), store, res.Manifest); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("verify: %v, want an error naming %s", err, bad)
	}
	l, err := shards.NewLoader(t.Context(), store, res.Manifest, shards.PartTrain, shards.LoaderConfig{World: 1, BatchSize: 16, ShuffleWindow: 100})
	if err != nil {
		t.Fatal(err)
	}
	it, err := l.Epoch(0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	_, _, err = it.Next()
	if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("loader: %v, want a corrupt-shard error naming %s", err, bad)
	}
}

func TestInputErrorsNameColumnAndLine(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../testdata/wdbc.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	cells := strings.Split(lines[4], ",")
	cells[2] = "zq-not-a-number"
	lines[4] = strings.Join(cells, ",")
	path := filepath.Join(t.TempDir(), "wdbc-bad.csv")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	store := newStore(t)
	_, err = Ingest(t.Context(), Config{SpecPath: "testdata/wdbc-ingest.yaml", InputPath: path, Store: store, Registrar: NewLocalRegistry(store), Seed: 1})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != 5 || ie.Column != "perimeter_mean" || !errors.Is(err, ErrInput) {
		t.Fatalf("err = %v, want line 5 column perimeter_mean", err)
	}
	if strings.Contains(err.Error(), "zq-not") {
		t.Fatal("the error repeats the cell value")
	}
	if got := keys(t, store, ""); len(got) != 0 {
		t.Fatalf("a failed ingest left %v", got)
	}
}

// TestSynthErrorsLeakNothing smuggles values into a feature column of the
// synthetic data: an identifier must be refused by the gate, a non-number
// must fail conversion naming the column and line; neither the error nor
// the report may hold an identifying value.
func TestSynthErrorsLeakNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		value func(row []string) string
		check func(t *testing.T, err error)
	}{
		{"nhs number in a feature", func(row []string) string { return row[0] }, func(t *testing.T, err error) {
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a refusal", err)
			}
			found := false
			for _, f := range re.Report.Findings {
				found = found || f.Column == "crp" && strings.HasPrefix(f.Rule, "nhs_number")
			}
			if !found {
				t.Fatalf("no NHS finding on crp:\n%s", re.Report.Summary())
			}
		}},
		{"text in a feature", func([]string) string { return "not measured" }, func(t *testing.T, err error) {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Column != "crp" || ie.Line != 12 {
				t.Fatalf("err = %v, want column crp line 12", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			header, rows := synth.Generate(2000, 5)
			crp := slices.Index(header, "crp")
			rows[10][crp] = tc.value(rows[10])
			path := filepath.Join(dir, "synth.csv")
			var b strings.Builder
			b.WriteString(strings.Join(header, ",") + "\n")
			for _, r := range rows {
				for i, c := range r {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
				}
				b.WriteByte('\n')
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			store := newStore(t)
			res, err := Ingest(t.Context(), Config{SpecPath: synthSpecPath, InputPath: path, KeyPath: writeKey(t, dir),
				Store: store, Registrar: NewLocalRegistry(store), Seed: 1})
			tc.check(t, err)
			texts := []string{err.Error()}
			if res != nil {
				texts = append(texts, reportTexts(t, res.Report)...)
			}
			assertNoLeak(t, identifyingValues(rows), texts...)
			if got := keys(t, store, ""); len(got) != 0 {
				t.Fatalf("a failed ingest left %v", got)
			}
		})
	}
}

// TestUnreachableRegistryUploadsNothing: a registry that cannot be asked (a coordinator
// that is down) stops the ingest after the gate and before the first upload, so no
// shard is written only to be swept again.
func TestUnreachableRegistryUploadsNothing(t *testing.T) {
	t.Parallel()
	store := &countingStore{Store: newStore(t)}
	reg := &unreachableRegistrar{}
	_, err := Ingest(t.Context(), Config{SpecPath: "testdata/wdbc-ingest.yaml", Store: store, Registrar: reg, Seed: 1})
	if !errors.Is(err, ErrRegister) || !errors.Is(err, errUnreachable) || !strings.Contains(err.Error(), "nothing was uploaded") {
		t.Fatalf("err = %v, want a registry error saying nothing was uploaded", err)
	}
	if store.puts.Load() != 0 || reg.registers != 0 {
		t.Fatalf("%d uploads and %d registrations with an unreachable registry", store.puts.Load(), reg.registers)
	}
}

var errUnreachable = errors.New("dial tcp 127.0.0.1:4646: connection refused")

// unreachableRegistrar cannot be reached.
type unreachableRegistrar struct{ registers int }

func (u *unreachableRegistrar) Registered(context.Context, string) (string, error) {
	return "", errUnreachable
}

func (u *unreachableRegistrar) Register(context.Context, string, string, *shards.Manifest) error {
	u.registers++
	return errUnreachable
}

// countingStore counts the objects written through it.
type countingStore struct {
	storage.Store
	puts atomic.Int64
}

func (c *countingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	c.puts.Add(1)
	return c.Store.Put(ctx, key, r, size)
}
