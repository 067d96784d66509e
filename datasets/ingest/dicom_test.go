package ingest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/safetensors"
	"github.com/dxtrain/dxtrain/storage"
)

// dicomSpec is the ingest spec of a dicomtest corpus: labels from its labels.csv,
// sex as the quasi-identifier (dicomtest alternates it, so 12 patients make two
// groups of 6 ≥ k).
func dicomSpec(t *testing.T, corpus string, extra string) *deid.IngestSpec {
	t.Helper()
	s, err := deid.ParseIngestSpec([]byte(fmt.Sprintf(`name: dicom-test
input: {path: %q, format: dicom}
label: {classes: ["0", "1"]}
k: 5
dicom:
  shape: [1, 16, 16]
  label: {csv: %q, patient_column: patient_id, label_column: label}
  quasi_identifiers: [PatientSex]
  subgroups: [PatientSex]
%s`, corpus, filepath.Join(corpus, "labels.csv"), extra)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeDICOMCorpus writes a dicomtest corpus under dir/corpus.
func writeDICOMCorpus(t *testing.T, dir string, cfg dicomtest.Config) (string, dicomtest.Truth) {
	t.Helper()
	corpus := filepath.Join(dir, "corpus")
	truth, err := dicomtest.Write(corpus, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return corpus, truth
}

// secrets are the strings no output may contain: every identifying value the
// corpus holds, the original UIDs, and the NHS numbers without spaces.
func secrets(truth dicomtest.Truth) []string {
	out := append([]string{}, truth.PHI...)
	out = append(out, truth.UIDs...)
	for id := range truth.Labels {
		out = append(out, id)
	}
	return out
}

// grepSecrets returns the secrets found anywhere in blob (raw bytes: shards,
// manifests, logs, reports, errors).
func grepSecrets(secrets []string, blobs map[string][]byte) []string {
	var found []string
	for name, b := range blobs {
		for _, s := range secrets {
			if len(s) >= 4 && bytes.Contains(b, []byte(s)) {
				found = append(found, fmt.Sprintf("%s holds a secret of %d bytes", name, len(s)))
			}
		}
	}
	return found
}

// storeBlobs reads every file under the store's root.
func storeBlobs(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out["store:"+p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDICOMLeakCheckCanFail(t *testing.T) {
	if got := grepSecrets([]string{"OKONKWO^ADAEZE"}, map[string][]byte{"log": []byte(`{"msg":"x OKONKWO^ADAEZE"}`)}); len(got) != 1 {
		t.Fatalf("planted secret not found: %v", got)
	}
}

// TestDICOMIngestEndToEnd: the raw corpus is refused naming attributes; the
// de-identified corpus is accepted; no identifying string of the corpus reaches
// a shard, the manifest, the report, the log or an error; no patient spans two
// splits.
func TestDICOMIngestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	corpus, truth := writeDICOMCorpus(t, dir, dicomtest.Config{Patients: 12, Seed: 7})
	files := len(truth.Files)
	key := writeKey(t, dir)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	outputs := map[string][]byte{}

	// Raw: refused, naming the tags, counting files.
	rawStore := newStore(t)
	start := time.Now()
	res, err := Ingest(t.Context(), Config{Spec: dicomSpec(t, corpus, ""), Store: rawStore, Registrar: NewLocalRegistry(rawStore),
		DICOMRaw: true, Logger: logger, Seed: 1})
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("raw corpus not refused: %v", err)
	}
	t.Logf("raw corpus of %d files refused in %v:\n%s", files, time.Since(start), res.Report.Summary())
	got := map[string]int{}
	for _, f := range res.Report.Findings {
		got[f.Rule+" "+f.Column] = f.Count
	}
	for _, want := range []string{"name (0010,0010) PatientName", "nhs_number (0010,0020) PatientID", "date_of_birth (0010,0030) PatientBirthDate",
		"postcode (0010,1040) PatientAddress", "phone (0010,2154) PatientTelephoneNumbers", "full_date (0008,0020) StudyDate"} {
		if got[want] != files {
			t.Errorf("raw: %q in %d files, want %d (findings %v)", want, got[want], files, got)
		}
	}
	if keys(t, rawStore, "") != nil {
		t.Errorf("the refused raw ingest uploaded %v", keys(t, rawStore, ""))
	}
	outputs["raw report"], _ = json.Marshal(res.Report)
	outputs["raw summary"] = []byte(res.Report.Summary())
	outputs["raw error"] = []byte(err.Error())

	// De-identified: accepted.
	store := newStore(t)
	start = time.Now()
	res, err = Ingest(t.Context(), Config{Spec: dicomSpec(t, corpus, ""), KeyPath: key, Store: store, Registrar: NewLocalRegistry(store),
		Logger: logger, Seed: 3, Created: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		if res != nil && res.Report != nil {
			t.Log(res.Report.Summary())
		}
		t.Fatalf("de-identified corpus: %v", err)
	}
	t.Logf("de-identified corpus of %d files ingested in %v", files, time.Since(start))
	m := res.Manifest
	if m.Source.Records != int64(files) || m.Schema.FeatureShape[1] != 16 || m.Split.Train.Records+m.Split.Validation.Records+m.Split.Test.Records != int64(files) {
		t.Errorf("manifest: source %+v, shape %v, split %d/%d/%d", m.Source, m.Schema.FeatureShape, m.Split.Train.Records, m.Split.Validation.Records, m.Split.Test.Records)
	}
	outputs["report"], _ = json.Marshal(res.Report)
	outputs["summary"] = []byte(res.Report.Summary())
	outputs["log"] = logs.Bytes()
	for k, v := range storeBlobs(t, store.Root()) {
		outputs[k] = v
	}
	if leaks := grepSecrets(secrets(truth), outputs); len(leaks) > 0 {
		t.Errorf("identifying strings leaked:\n%s", strings.Join(leaks, "\n"))
	}

	// Patients never span splits; the labels follow the labels CSV.
	ps, err := deid.LoadKey(key)
	if err != nil {
		t.Fatal(err)
	}
	labelOf := map[string]int32{}
	for id, l := range truth.Labels {
		labelOf[ps.Pseudonymise(id)] = int32(l)
	}
	partOf := map[string]string{}
	for _, name := range shards.PartNames {
		part, _ := m.Split.Part(name)
		for _, ref := range part.Shards {
			patients, labels := readShardPatients(t, store, ref)
			for i, p := range patients {
				if prev, ok := partOf[p]; ok && prev != name {
					t.Fatalf("patient in %s and %s", prev, name)
				}
				partOf[p] = name
				if l, ok := labelOf[p]; !ok || l != labels[i] {
					t.Errorf("record %d of %s: label %d, the CSV says %d (known %v)", i, name, labels[i], l, ok)
				}
			}
		}
	}
	if len(partOf) != 12 {
		t.Errorf("%d patients in the shards, want 12", len(partOf))
	}
}

// readShardPatients decodes one shard's patient ids (hex) and labels.
func readShardPatients(t *testing.T, s storage.Store, ref shards.ShardRef) ([]string, []int32) {
	t.Helper()
	rc, err := s.Get(t.Context(), storage.BlobKey(ref.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	pt, ok := f.Get(shards.TensorPatients)
	lt, ok2 := f.Get(shards.TensorLabels)
	if !ok || !ok2 {
		t.Fatal("shard without patient ids or labels")
	}
	raw, err := pt.Uint8s()
	if err != nil {
		t.Fatal(err)
	}
	labels, err := lt.Int32s()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := 0; i < len(raw); i += shards.PatientIDBytes {
		out = append(out, hex.EncodeToString(raw[i:i+shards.PatientIDBytes]))
	}
	return out, labels
}

// TestDICOMBurnedInRefused: a file declaring burned-in annotation refuses the
// dataset, and so does an unacknowledged burned-in modality.
func TestDICOMBurnedInRefused(t *testing.T) {
	dir := t.TempDir()
	corpus, truth := writeDICOMCorpus(t, dir, dicomtest.Config{Patients: 12, Seed: 9, BurnedIn: true})
	key := writeKey(t, dir)
	store := newStore(t)
	res, err := Ingest(t.Context(), Config{Spec: dicomSpec(t, corpus, ""), KeyPath: key, Store: store, Registrar: NewLocalRegistry(store), Seed: 1})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("burned-in file not refused: %v", err)
	}
	want := gate.Finding{}
	for _, f := range res.Report.Findings {
		if f.Rule == gate.RuleBurnedInAnnotation {
			want = f
		}
	}
	if want.Count != 1 || want.Column != gate.BurnedInAnnotationColumn {
		t.Errorf("findings %+v", res.Report.Findings)
	}
	// CR is not a burned-in modality by default; listing it without acknowledging refuses.
	res, err = Ingest(t.Context(), Config{Spec: dicomSpec(t, corpus, "  burned_in_modalities: [CR]\n"), KeyPath: key, Store: store, Registrar: NewLocalRegistry(store), Seed: 1})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("unacknowledged modality not refused: %v", err)
	}
	n := 0
	for _, f := range res.Report.Findings {
		if f.Rule == gate.RuleBurnedInModality && f.Column == gate.ModalityColumn {
			n = f.Count
		}
	}
	if n != len(truth.Files) {
		t.Errorf("modality finding counts %d files, want %d: %+v", n, len(truth.Files), res.Report.Findings)
	}
}

// TestDICOMSpecOptions: dates reduced to the year pass the gate (and are checked
// for that form), a kept private tag reaches the gate, labels may come from an
// attribute, and quasi-identifiers too fine for k patients refuse the dataset.
func TestDICOMSpecOptions(t *testing.T) {
	dir := t.TempDir()
	corpus, truth := writeDICOMCorpus(t, dir, dicomtest.Config{Patients: 12, Seed: 11})
	key := writeKey(t, dir)
	ingestWith := func(spec *deid.IngestSpec) (*Result, error) {
		store := newStore(t)
		return Ingest(t.Context(), Config{Spec: spec, KeyPath: key, Store: store, Registrar: NewLocalRegistry(store), Seed: 2})
	}
	t.Run("year dates and a kept private tag", func(t *testing.T) {
		res, err := ingestWith(dicomSpec(t, corpus, "  dates: year\n  keep_private: [\"(0009,1002)\"]\n"))
		if err != nil {
			if res != nil && res.Report != nil {
				t.Log(res.Report.Summary())
			}
			t.Fatal(err)
		}
		if !strings.Contains(res.Manifest.GateNote, "dates: year; 1 private tags kept") {
			t.Errorf("gate note %q", res.Manifest.GateNote)
		}
	})
	t.Run("label from an attribute", func(t *testing.T) {
		spec := dicomSpec(t, corpus, "")
		spec.Label.Classes = []string{"CHEST", "ABDOMEN"}
		spec.DICOM.Label = deid.DICOMLabel{Attribute: "BodyPartExamined"}
		res, err := ingestWith(spec)
		if err != nil {
			t.Fatal(err)
		}
		if c := res.Manifest.Split.Train.LabelCounts; c[0] == 0 || c[1] != 0 {
			t.Errorf("train label counts %v, want every file CHEST", c)
		}
		spec.Label.Classes = []string{"HEAD", "ABDOMEN"}
		_, err = ingestWith(spec)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != 1 || ie.Column != "BodyPartExamined" || strings.Contains(err.Error(), "CHEST") {
			t.Errorf("unknown label: %v", err)
		}
	})
	t.Run("quasi-identifiers too fine", func(t *testing.T) {
		spec := dicomSpec(t, corpus, "")
		spec.DICOM.QuasiIdentifiers = []string{"PatientSex", "PatientAge"}
		res, err := ingestWith(spec)
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("12 patients of distinct ages passed k=5: %v", err)
		}
		var small *gate.Finding
		for i, f := range res.Report.Findings {
			if f.Rule == gate.RuleSmallGroup {
				small = &res.Report.Findings[i]
			}
		}
		if small == nil || small.Column != "PatientSex+PatientAge" || len(res.Report.Findings) != 1 {
			t.Fatalf("findings %+v", res.Report.Findings)
		}
		// groups count patients, not files: 12 patients, 4 files each
		if !strings.Contains(small.Detail, "records") || strings.Contains(small.Detail, "48 records") {
			t.Errorf("small groups counted files: %s", small.Detail)
		}
		js, _ := json.Marshal(res.Report)
		if leaks := grepSecrets(secrets(truth), map[string][]byte{"report": js}); len(leaks) > 0 {
			t.Error(leaks)
		}
	})
	t.Run("a label csv missing a patient", func(t *testing.T) {
		csvPath := filepath.Join(dir, "partial.csv")
		ids := []string{}
		for id := range truth.Labels {
			ids = append(ids, id)
		}
		if err := os.WriteFile(csvPath, []byte("patient_id,label\n"+ids[0]+",1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		spec := dicomSpec(t, corpus, "")
		spec.DICOM.Label.CSV = csvPath
		_, err := ingestWith(spec)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "no row in the label csv") {
			t.Fatalf("missing patient: %v", err)
		}
		if leaks := grepSecrets(secrets(truth), map[string][]byte{"error": []byte(err.Error())}); len(leaks) > 0 {
			t.Error(leaks)
		}
	})
	t.Run("a kept private tag holding the NHS number", func(t *testing.T) {
		// The spec keeps a private tag the site's PACS fills with the patient's NHS
		// number: de-identification keeps it as told, the gate refuses it.
		res, err := ingestWith(dicomSpec(t, corpus, "  keep_private: [\"(0011,1010)\"]\n"))
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("kept NHS numbers passed: %v", err)
		}
		found := false
		for _, f := range res.Report.Findings {
			found = found || (f.Rule == gate.RuleNHSNumber && f.Column == "(0011,1010)" && f.Count > 0)
		}
		if !found {
			t.Errorf("findings %+v", res.Report.Findings)
		}
		js, _ := json.Marshal(res.Report)
		if leaks := grepSecrets(secrets(truth), map[string][]byte{"report": js, "error": []byte(err.Error())}); len(leaks) > 0 {
			t.Error(leaks)
		}
	})
	t.Run("raw applies to dicom only", func(t *testing.T) {
		store := newStore(t)
		_, err := Ingest(t.Context(), Config{SpecPath: synthSpecPath, Store: store, Registrar: NewLocalRegistry(store), DICOMRaw: true})
		if !errors.Is(err, ErrConfig) {
			t.Errorf("raw csv: %v", err)
		}
	})
}

// TestDICOMMalformedFileStopsTheIngest: a truncated DICOM file is an error naming
// the file, holding no identifying string; nothing is uploaded.
func TestDICOMMalformedFileStopsTheIngest(t *testing.T) {
	dir := t.TempDir()
	corpus, truth := writeDICOMCorpus(t, dir, dicomtest.Config{Patients: 6, Seed: 13})
	var victim string
	for rel := range truth.Files {
		if victim == "" || rel < victim {
			victim = rel
		}
	}
	path := filepath.Join(corpus, filepath.FromSlash(victim))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	store := newStore(t)
	_, err = Ingest(t.Context(), Config{Spec: dicomSpec(t, corpus, ""), KeyPath: writeKey(t, dir), Store: store, Registrar: NewLocalRegistry(store)})
	if err == nil || errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), victim) {
		t.Fatalf("truncated file: %v", err)
	}
	if leaks := grepSecrets(secrets(truth), map[string][]byte{"error": []byte(err.Error())}); len(leaks) > 0 {
		t.Error(leaks)
	}
	if k := keys(t, store, ""); k != nil {
		t.Errorf("uploaded %v", k)
	}
}
