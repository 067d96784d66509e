package validator

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/storage"
)

// trainedCheckpoint trains wdbc-logreg locally and returns its spec, store and final
// checkpoint as the ledger would list it.
func trainedCheckpoint(t *testing.T) (*experiments.Spec, storage.Store, structs.Checkpoint) {
	t.Helper()
	spec, err := experiments.Load("../experiments/wdbc-logreg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Dataset.Path = filepath.Join("..", spec.Dataset.Path)
	spec.Export.ONNX = false
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res := trainLocally(t, spec, store)
	return spec, store, structs.Checkpoint{ID: "cp-1", ExperimentID: "exp-1", Step: res.Steps, ManifestHash: res.FinalCheckpoint}
}

// TestSealedReleaseVerifiesAndRuns seals a locally trained checkpoint and checks what a
// trust would: the signature and hashes, the card inside the ONNX metadata, the
// evaluation against an independent EvaluateCheckpoint, ONNX Runtime against the Go
// forward pass, and that the uploaded blobs are the sealed bytes.
func TestSealedReleaseVerifiesAndRuns(t *testing.T) {
	spec, store, cp := trainedCheckpoint(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	cfg := ReleaseConfig{Store: store, Name: "wdbc", PrivateKey: priv, Approver: "Test Approver", Now: func() time.Time { return now }}
	in, err := localSession(spec, store).loadRelease(t.Context(), &cfg, cp)
	if err != nil {
		t.Fatal(err)
	}
	files, err := in.seal(3)
	if err != nil {
		t.Fatal(err)
	}
	v, err := release.VerifyBytes(files, pub)
	if err != nil {
		t.Fatal(err)
	}
	st := v.Statement
	if st.ModelName != "wdbc" || st.ModelVersion != "3" || v.Card.Version != "3" || st.CheckpointManifestSHA256 != cp.ManifestHash || st.SpecSHA256 != spec.Hash() {
		t.Fatalf("statement does not describe wdbc@3 from checkpoint %s: %+v", cp.ManifestHash, st)
	}
	if v.Metadata[release.CardMetadataKey] != string(files.Card) {
		t.Fatal("the ONNX metadata does not carry card.json")
	}
	if len(v.Card.Limitations) == 0 || !strings.Contains(v.Card.Dataset.Description, "wdbc") {
		t.Fatalf("card defaults missing: limitations %q, dataset %q", v.Card.Limitations, v.Card.Dataset.Description)
	}
	// The card carries the training split's distribution: every feature, the prevalence.
	if d := v.Card.Distribution; d == nil || d.Split != "train" || len(d.Features) != len(v.Card.Features) ||
		d.N != in.data.Train.N || math.Abs(d.ClassShares[0]+d.ClassShares[1]-1) > 1e-9 || d.ClassShares[1] < 0.3 || d.ClassShares[1] > 0.45 {
		t.Fatalf("card distribution: %+v", d)
	}
	ev, err := localSession(spec, store).Evaluate(t.Context(), cp.ManifestHash, "test", 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(ev.Report.Overall.Binary.AUROC.Estimate); math.Abs(st.Metrics["test_auroc"]-want) > 1e-12 || st.Metrics["test_n"] != float64(ev.Report.N) {
		t.Fatalf("statement metrics %v, independent evaluation AUROC %g on %d samples", st.Metrics, want, ev.Report.N)
	}
	if err := release.CheckRuntime(v); err != nil {
		t.Fatal(err)
	}
	sess, err := onnx.Load(files.ONNX)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	got, err := sess.Run(in.model.Data.Test.Raw, in.model.Data.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	want, err := models.Infer(in.model.Net, in.model.Params, in.model.Data.Test.X, in.model.Data.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-4 {
			t.Fatalf("test row %d: ONNX Runtime %g, Go %g", i, got[i], want[i])
		}
	}
	if err := uploadRelease(t.Context(), store, files); err != nil {
		t.Fatal(err)
	}
	args := in.args(files)
	for _, f := range []struct {
		sha  string
		data []byte
	}{{args.ONNXSHA256, files.ONNX}, {args.CardSHA256, files.Card}, {args.StatementSHA256, files.Statement}, {args.SignatureSHA256, files.Signature}} {
		blob, err := storage.GetBlob(t.Context(), store, f.sha)
		if err != nil || !bytes.Equal(blob, f.data) {
			t.Fatalf("blob %s: %v (equal: %v)", f.sha, err, bytes.Equal(blob, f.data))
		}
	}
	if args.ApproverKey != v.Fingerprint || args.CheckpointID != cp.ID || args.ExperimentID != cp.ExperimentID {
		t.Fatalf("registry record disagrees with the statement: %+v", args)
	}
}

func TestReleaseRefusesMismatchedInputs(t *testing.T) {
	spec, store, cp := trainedCheckpoint(t)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherSeed := *spec
	otherSeed.Training.Seed++
	cases := []struct {
		name string
		spec *experiments.Spec
		cp   structs.Checkpoint
		want string
	}{
		{"another spec", &otherSeed, cp, "written by spec"},
		{"missing checkpoint", spec, structs.Checkpoint{ID: "x", ExperimentID: "e", Step: 1, ManifestHash: strings.Repeat("ab", 32)}, strings.Repeat("ab", 32)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ReleaseConfig{Store: store, Name: "wdbc", PrivateKey: priv, Approver: "A"}
			_, err := localSession(tc.spec, store).loadRelease(t.Context(), &cfg, tc.cp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestReleaseConfigValidate(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	api, err := client.New([]string{"http://127.0.0.1:1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	good := ReleaseConfig{API: api, Store: store, ExperimentID: "e", Step: 10, Name: "m", PrivateKey: priv, Approver: "A"}
	cases := []struct {
		name   string
		mutate func(*ReleaseConfig)
		want   string
	}{
		{"no client", func(c *ReleaseConfig) { c.API = nil }, "client"},
		{"no name", func(c *ReleaseConfig) { c.Name = "" }, "name"},
		{"no step", func(c *ReleaseConfig) { c.Step = 0 }, "step"},
		{"short key", func(c *ReleaseConfig) { c.PrivateKey = priv[:10] }, "private key"},
		{"no approver", func(c *ReleaseConfig) { c.Approver = "" }, "approver"},
		{"bad threshold", func(c *ReleaseConfig) { c.Threshold = 1.5 }, "threshold"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
