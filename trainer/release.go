package trainer

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Release errors. (They belong in an errors.go; this package has none yet.)
var (
	// ErrSuspectCheckpoint means the checkpoint was written after a device fault.
	ErrSuspectCheckpoint = errors.New("checkpoint is suspect (written after a device fault) and cannot be released")
	// ErrVersionRace means other releases of the same name kept taking the version the
	// statement was signed for.
	ErrVersionRace = errors.New("the registry assigned another version than the one signed")
)

// releaseAttempts bounds how often Release re-signs after losing a version race.
const releaseAttempts = 3

// ReleaseConfig is what a validator approves: one committed checkpoint of an
// experiment, released under Name, signed with PrivateKey.
type ReleaseConfig struct {
	API          *client.Client
	Store        storage.Store // where the checkpoints are and the release files go
	Resolve      DatasetResolver
	ExperimentID string
	Step         int64
	Name         string
	PrivateKey   ed25519.PrivateKey
	Approver     string // who approves, as the statement names them
	// IntendedUse, IntendedUsers and Limitations go on the card; empty ones get
	// conservative defaults derived from the dataset (decision support, evaluated on
	// the held-out split only).
	IntendedUse   string
	IntendedUsers string
	Limitations   []string
	// DatasetDescription describes the training data (never patient data); empty
	// derives one from the spec and the split sizes.
	DatasetDescription string
	// Threshold is the decision threshold of the card's evaluation (0: 0.5).
	Threshold float64
	// Now stamps the card and the statement; nil means time.Now.
	Now func() time.Time
}

// Validate names the first missing or malformed field.
func (c *ReleaseConfig) Validate() error {
	switch {
	case c.API == nil:
		return fmt.Errorf("release: no coordinator client")
	case c.Store == nil:
		return fmt.Errorf("release: no object store")
	case c.ExperimentID == "":
		return fmt.Errorf("release: experiment ID is empty")
	case c.Step <= 0:
		return fmt.Errorf("release: step %d: give the step of a committed checkpoint", c.Step)
	case c.Name == "":
		return fmt.Errorf("release: model name is empty")
	case len(c.PrivateKey) != ed25519.PrivateKeySize:
		return fmt.Errorf("release: private key has %d bytes, want %d", len(c.PrivateKey), ed25519.PrivateKeySize)
	case c.Approver == "":
		return fmt.Errorf("release: approver is empty")
	case c.Threshold < 0 || c.Threshold > 1 || math.IsNaN(c.Threshold):
		return fmt.Errorf("release: threshold %g, want (0, 1]", c.Threshold)
	}
	return nil
}

// releaseInput is the approved checkpoint, loaded, scored and exported once; only the
// card (and so the ONNX metadata) depends on the version.
type releaseInput struct {
	cfg        *ReleaseConfig
	spec       *experiments.Spec
	cp         structs.Checkpoint
	data       *loop.Data
	export     exportInput
	meta       map[string]string // the metadata props every export carries
	evaluation []byte            // the clinical report on the test split, JSON
	summary    map[string]float64
}

// Release exports, evaluates, signs, uploads and commits one checkpoint as the next
// version of cfg.Name. The ONNX model is checked against ONNX Runtime on the test
// split, the card carries the clinical report of that split, and the statement binds
// the model, the card, the checkpoint, the dataset and the spec. Nothing is committed
// before all four files are uploaded and re-read by hash.
//
// The leader assigns version numbers, and the statement names one: when a concurrent
// release takes the version this one was signed for, the mismatched version is revoked
// (its statement would contradict the registry) and the release is signed again for
// the next number.
func Release(ctx context.Context, cfg ReleaseConfig) (*structs.ModelVersion, release.Files, error) {
	if err := cfg.Validate(); err != nil {
		return nil, release.Files{}, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	in, err := prepareRelease(ctx, &cfg)
	if err != nil {
		return nil, release.Files{}, err
	}
	for attempt := 1; ; attempt++ {
		next, err := nextVersion(ctx, cfg.API, cfg.Name)
		if err != nil {
			return nil, release.Files{}, err
		}
		files, err := in.seal(next)
		if err != nil {
			return nil, release.Files{}, err
		}
		if err := uploadRelease(ctx, cfg.Store, files); err != nil {
			return nil, release.Files{}, err
		}
		mv, err := cfg.API.ReleaseModel(ctx, in.args(files))
		if err != nil {
			return mv, release.Files{}, fmt.Errorf("release %s@%d: commit: %w", cfg.Name, next, err)
		}
		if mv.Version == next {
			return mv, files, nil
		}
		reason := fmt.Sprintf("its signed statement names version %d: a concurrent release took that number", next)
		if _, err := cfg.API.RevokeModel(ctx, cfg.Name, mv.Version, reason); err != nil {
			return mv, release.Files{}, fmt.Errorf("release %s: %w (signed %d, assigned %d) and revoking %d failed: %w", cfg.Name, ErrVersionRace, next, mv.Version, mv.Version, err)
		}
		if attempt == releaseAttempts {
			return nil, release.Files{}, fmt.Errorf("release %s: %w %d times; the mismatched versions are revoked", cfg.Name, ErrVersionRace, attempt)
		}
	}
}

// nextVersion is the number the leader will assign if nobody releases in between.
func nextVersion(ctx context.Context, api *client.Client, name string) (int, error) {
	vs, err := api.ModelVersions(ctx, name)
	if errors.Is(err, structs.ErrNotFound) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("release %s: list versions: %w", name, err)
	}
	next := len(vs) + 1
	for _, v := range vs {
		next = max(next, v.Version+1)
	}
	return next, nil
}

// prepareRelease loads the checkpoint, checks it against the spec's data, scores it on
// the test split and exports it once through ONNX Runtime's check.
func prepareRelease(ctx context.Context, cfg *ReleaseConfig) (*releaseInput, error) {
	exp, err := cfg.API.Experiment(ctx, cfg.ExperimentID)
	if err != nil {
		return nil, fmt.Errorf("release: experiment %s: %w", cfg.ExperimentID, err)
	}
	spec, err := experiments.Parse([]byte(exp.SpecYAML), exp.Name+".yaml")
	if err != nil {
		return nil, fmt.Errorf("release: experiment %s: %w", exp.ID, err)
	}
	cp, err := findCheckpoint(ctx, cfg.API, exp.ID, cfg.Step)
	if err != nil {
		return nil, err
	}
	return loadRelease(ctx, cfg, spec, cp)
}

// loadRelease is prepareRelease once the spec and the committed checkpoint are known.
func loadRelease(ctx context.Context, cfg *ReleaseConfig, spec *experiments.Spec, cp structs.Checkpoint) (*releaseInput, error) {
	l, err := checkpoint.Load(ctx, cfg.Store, cp.ManifestHash)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	if l.Manifest.SpecHash != spec.Hash() {
		return nil, fmt.Errorf("release: checkpoint at step %d was written by spec %.12s, the experiment's is %.12s", cp.Step, l.Manifest.SpecHash, spec.Hash())
	}
	data, err := LoadData(ctx, spec, cfg.Store, cfg.Resolve, 0, 1)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	if l.Manifest.DatasetHash != data.Hash {
		return nil, fmt.Errorf("release: checkpoint at step %d was trained on dataset %.12s, the spec's is %.12s", cp.Step, l.Manifest.DatasetHash, data.Hash)
	}
	net := l.Manifest.Network
	params := models.InitParams(net, 0) // shapes and names; values come from the checkpoint
	if err := l.RestoreParams(params); err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	test, probs, err := loop.Evaluate(net, params, data.Test)
	if err != nil {
		return nil, fmt.Errorf("release %s: test split: %w", spec.Name, err)
	}
	rep, err := metrics.Report(probs, data.Test.Y, metrics.ReportOptions{ClassNames: data.Classes, Threshold: cfg.Threshold, Subgroups: data.Test.Subgroups})
	if err != nil {
		return nil, fmt.Errorf("release %s at step %d: %w", spec.Name, cp.Step, err)
	}
	evaluation, err := rep.JSON()
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", spec.Name, err)
	}
	in := &releaseInput{cfg: cfg, spec: spec, cp: cp, data: data, evaluation: evaluation, summary: summarise(rep),
		export: exportInput{spec: spec, data: data, net: net, params: params, pre: l.Manifest.Preprocess, test: test, checkpoint: cp.ManifestHash}}
	in.meta = exportMetadata(in.export)
	return in, nil
}

// findCheckpoint returns the committed checkpoint at step, refusing a suspect one.
func findCheckpoint(ctx context.Context, api *client.Client, experimentID string, step int64) (structs.Checkpoint, error) {
	cps, err := api.Checkpoints(ctx, experimentID)
	if err != nil {
		return structs.Checkpoint{}, fmt.Errorf("release: checkpoints of %s: %w", experimentID, err)
	}
	for _, c := range cps {
		if c.Step != step {
			continue
		}
		if c.Suspect {
			return structs.Checkpoint{}, fmt.Errorf("release: step %d of %s: %w", step, experimentID, ErrSuspectCheckpoint)
		}
		return c, nil
	}
	return structs.Checkpoint{}, fmt.Errorf("release: experiment %s has no committed checkpoint at step %d", experimentID, step)
}

// seal builds the card for version, exports the ONNX model with the card in its
// metadata (checked again against ONNX Runtime) and signs the statement.
func (in *releaseInput) seal(ver int) (release.Files, error) {
	now := in.cfg.Now().UTC().Truncate(time.Second)
	card := in.card(strconv.Itoa(ver), now)
	cardJSON, err := card.Encode()
	if err != nil {
		return release.Files{}, fmt.Errorf("release %s: %w", in.cfg.Name, err)
	}
	meta := make(map[string]string, len(in.meta)+1)
	for k, v := range in.meta {
		meta[k] = v
	}
	meta[release.CardMetadataKey] = string(cardJSON)
	e := in.export
	model, err := onnx.Export(e.net, e.params, &e.pre, meta)
	if err != nil {
		return release.Files{}, fmt.Errorf("release %s: export: %w", in.cfg.Name, err)
	}
	if _, err := onnx.Verify(model, e.net, e.params, &e.pre, in.data.Test.Raw, in.data.Test.N, in.spec.Export.Tolerance); err != nil {
		return release.Files{}, fmt.Errorf("release %s: refused: %w", in.cfg.Name, err)
	}
	st := release.Statement{
		Schema: release.StatementSchema, ModelName: in.cfg.Name, ModelVersion: card.Version,
		CheckpointManifestSHA256: in.cp.ManifestHash, DatasetManifestSHA256: in.data.Hash, SpecSHA256: in.spec.Hash(),
		CodeVersion: card.CodeVersion, Metrics: in.summary, Approver: in.cfg.Approver, CreatedAt: now,
	}
	files, err := release.Seal(model, card, st, in.cfg.PrivateKey)
	if err != nil {
		return release.Files{}, fmt.Errorf("release %s@%d: %w", in.cfg.Name, ver, err)
	}
	return files, nil
}

// card describes the model for the trust; defaults are conservative.
func (in *releaseInput) card(ver string, now time.Time) release.Card {
	cfg, d := in.cfg, in.data
	positive := d.Classes[len(d.Classes)-1]
	c := release.Card{
		Schema: release.CardSchema, Name: cfg.Name, Version: ver, Experiment: in.spec.Name,
		IntendedUse: cfg.IntendedUse, IntendedUsers: cfg.IntendedUsers,
		Dataset:      release.CardDataset{Description: cfg.DatasetDescription, ManifestSHA256: d.Hash},
		Training:     release.CardTraining{SpecSHA256: in.spec.Hash(), Seed: in.spec.Training.Seed},
		Architecture: in.export.net.Architecture, Classes: d.Classes, PositiveClass: positive,
		Features: d.Features, Evaluation: json.RawMessage(in.evaluation), Limitations: cfg.Limitations,
		CreatedAt: now, CodeVersion: version.String(),
	}
	if c.Features == nil {
		c.Features = []string{}
	}
	if c.IntendedUse == "" {
		c.IntendedUse = fmt.Sprintf("Decision support: estimates the probability of class %s from the model's inputs. Not a diagnosis on its own.", positive)
	}
	if c.IntendedUsers == "" {
		c.IntendedUsers = "Clinicians and researchers at trusts that verified this release with the approver's public key."
	}
	if c.Dataset.Description == "" {
		src := in.spec.Dataset.ID
		if src == "" {
			src = filepath.Base(in.spec.Dataset.Path)
		}
		c.Dataset.Description = fmt.Sprintf("%s: %d classes, %d inputs per sample; %d training, %d validation and %d test samples (split by seed %d).",
			src, len(d.Classes), sampleSize(d), d.Train.N, d.Validation.N, d.Test.N, in.spec.Training.Seed)
	}
	if len(c.Limitations) == 0 {
		c.Limitations = []string{
			fmt.Sprintf("Evaluated only on the held-out test split (%d samples) of its training dataset; performance on other populations, sites or devices is unknown.", d.Test.N),
			"Not for use as the sole basis of a diagnosis.",
		}
	}
	return c
}

func sampleSize(d *loop.Data) int {
	n := 1
	for _, s := range d.InputShape {
		n *= s
	}
	if len(d.InputShape) == 0 {
		n = len(d.Features)
	}
	return n
}

// args is the registry record of the sealed files.
func (in *releaseInput) args(f release.Files) structs.ModelReleaseArgs {
	return structs.ModelReleaseArgs{
		Name: in.cfg.Name, ExperimentID: in.cp.ExperimentID, CheckpointID: in.cp.ID,
		ONNXSHA256: storage.Digest(f.ONNX), CardSHA256: storage.Digest(f.Card),
		StatementSHA256: storage.Digest(f.Statement), SignatureSHA256: storage.Digest(f.Signature),
		Approver: in.cfg.Approver, ApproverKey: release.Fingerprint(in.cfg.PrivateKey.Public().(ed25519.PublicKey)),
		Metrics: in.summary,
	}
}

// uploadRelease stores the four files as blobs and re-reads each by hash: the commit
// must never name a file the store does not hold intact.
func uploadRelease(ctx context.Context, store storage.Store, f release.Files) error {
	for _, file := range []struct {
		name string
		data []byte
	}{{release.ONNXFile, f.ONNX}, {release.CardFile, f.Card}, {release.StatementFile, f.Statement}, {release.SignatureFile, f.Signature}} {
		sha, err := storage.PutBlob(ctx, store, file.data)
		if err != nil {
			return fmt.Errorf("release: upload %s: %w", file.name, err)
		}
		n, err := storage.VerifyBlob(ctx, store, sha)
		if err != nil {
			return fmt.Errorf("release: verify uploaded %s: %w", file.name, err)
		}
		if n != int64(len(file.data)) {
			return fmt.Errorf("release: uploaded %s holds %d bytes, want %d", file.name, n, len(file.data))
		}
	}
	return nil
}

// summarise picks the headline test metrics the statement signs and the registry lists.
func summarise(r *metrics.ClinicalReport) map[string]float64 {
	out := map[string]float64{"test_n": float64(r.N)}
	put := func(k string, v metrics.Stat) {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			out[k] = f
		}
	}
	if b := r.Overall.Binary; b != nil {
		if b.AUROC.Computable {
			put("test_auroc", b.AUROC.Estimate)
			put("test_auroc_ci_lower", b.AUROC.Lower)
			put("test_auroc_ci_upper", b.AUROC.Upper)
		}
		p := b.AtThreshold
		for k, v := range map[string]metrics.Stat{"test_sensitivity": p.Sensitivity, "test_specificity": p.Specificity,
			"test_ppv": p.PPV, "test_npv": p.NPV, "test_accuracy": p.Accuracy, "test_brier": b.Brier} {
			put(k, v)
		}
	}
	if m := r.Overall.Multiclass; m != nil {
		put("test_accuracy", m.Accuracy)
		put("test_brier", m.Brier)
		put("test_macro_auroc", m.Macro.AUROC)
	}
	return out
}
