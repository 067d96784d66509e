package validator

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Release errors.
var (
	// ErrSuspectCheckpoint means the checkpoint was written after a device fault.
	ErrSuspectCheckpoint = errors.New("checkpoint is suspect (written after a device fault) and cannot be released")
	// ErrRefusedCheckpoint means a resume found the checkpoint damaged.
	ErrRefusedCheckpoint = errors.New("checkpoint was refused by a resume (a blob did not verify) and cannot be released")
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
	ExperimentID string
	// Step names the checkpoint by its step; Manifest, when set, names it instead by
	// its manifest hash (a prefix of at least 6 hex digits).
	Step       int64
	Manifest   string
	Name       string
	PrivateKey ed25519.PrivateKey
	Approver   string // who approves, as the statement names them
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
	case c.Step <= 0 && c.Manifest == "":
		return fmt.Errorf("release: step %d: give the step or the manifest hash of a committed checkpoint", c.Step)
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
	cfg   *ReleaseConfig
	spec  *experiments.Spec
	cp    structs.Checkpoint
	data  *loop.Data  // the held-out splits the card describes
	model *Model      // a native run's checkpoint, exported by dxtrain
	torch *TorchModel // a torch run's checkpoint with the ONNX model its script exported
	// architecture, runtime, codeBundle and framework go on the card.
	architecture, runtime, codeBundle, framework string
	meta                                         map[string]string // the metadata props every export carries
	evaluation                                   []byte            // the clinical report on the test split, JSON
	summary                                      map[string]float64
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
	s, err := OpenCluster(ctx, cfg.API, cfg.Store, cfg.ExperimentID)
	if err != nil {
		return nil, fmt.Errorf("release: experiment %s: %w", cfg.ExperimentID, err)
	}
	var cp structs.Checkpoint
	if cfg.Manifest != "" {
		cp, err = s.releasableManifest(cfg.Manifest)
	} else {
		cp, err = s.releasable(cfg.Step)
	}
	if err != nil {
		return nil, err
	}
	if s.Spec.IsTorch() {
		return s.loadTorchRelease(ctx, cfg, cp)
	}
	return s.loadRelease(ctx, cfg, cp)
}

// loadRelease is prepareRelease once the session and the committed checkpoint are known.
func (s *Session) loadRelease(ctx context.Context, cfg *ReleaseConfig, cp structs.Checkpoint) (*releaseInput, error) {
	m, err := s.OpenModel(ctx, cp.ManifestHash)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	test, probs, err := loop.Evaluate(m.Net, m.Params, m.Data.Test)
	if err != nil {
		return nil, fmt.Errorf("release %s: test split: %w", s.Spec.Name, err)
	}
	rep, err := m.reportOf(probs, m.Data.Test, cfg.Threshold)
	if err != nil {
		return nil, fmt.Errorf("release %s at step %d: %w", s.Spec.Name, cp.Step, err)
	}
	evaluation, err := rep.JSON()
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", s.Spec.Name, err)
	}
	return &releaseInput{cfg: cfg, spec: s.Spec, cp: cp, data: m.Data, model: m, architecture: m.Net.Architecture,
		evaluation: evaluation, summary: summarise(rep), meta: m.provenance(s, test).Metadata()}, nil
}

// releasable is the committed checkpoint at step, refusing a suspect one and one a
// resume refused (a step written twice after such a refusal names the retrained one).
func (s *Session) releasable(step int64) (structs.Checkpoint, error) {
	var refused *structs.Checkpoint
	for _, c := range s.Checkpoints {
		switch {
		case c.Step != step:
			continue
		case c.Suspect:
			return structs.Checkpoint{}, fmt.Errorf("release: step %d of %s: %w", step, s.Experiment, ErrSuspectCheckpoint)
		case c.Refused != nil:
			refused = &c
			continue
		}
		return c, nil
	}
	if refused != nil {
		return structs.Checkpoint{}, fmt.Errorf("release: step %d of %s: %w: %s", step, s.Experiment, ErrRefusedCheckpoint, refused.Refused.Reason)
	}
	return structs.Checkpoint{}, fmt.Errorf("release: experiment %s has no committed checkpoint at step %d", s.Experiment, step)
}

// releasableManifest is the committed checkpoint with that manifest hash (prefix),
// refusing a suspect or refused one.
func (s *Session) releasableManifest(prefix string) (structs.Checkpoint, error) {
	if !isHex(strings.TrimPrefix(prefix, "sha256:")) {
		return structs.Checkpoint{}, fmt.Errorf("release: manifest %q is not a hex hash prefix", prefix)
	}
	c, err := s.Resolve(prefix)
	switch {
	case err != nil:
		return structs.Checkpoint{}, fmt.Errorf("release: %w", err)
	case c.Suspect:
		return structs.Checkpoint{}, fmt.Errorf("release: %s of %s: %w", Describe(c), s.Experiment, ErrSuspectCheckpoint)
	case c.Refused != nil:
		return structs.Checkpoint{}, fmt.Errorf("release: %s of %s: %w: %s", Describe(c), s.Experiment, ErrRefusedCheckpoint, c.Refused.Reason)
	}
	return c, nil
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
	model, err := in.export(meta)
	if err != nil {
		return release.Files{}, onnx.Refused("release "+in.cfg.Name, err)
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

// export is the released ONNX model with meta (the card among it): a native checkpoint
// exported by dxtrain and checked against ONNX Runtime on the test split, or a torch
// script's exported model with the metadata added and its samples checked again.
func (in *releaseInput) export(meta map[string]string) ([]byte, error) {
	if t := in.torch; t != nil {
		model, err := onnx.WithMetadata(t.ONNX, meta)
		if err != nil {
			return nil, err
		}
		if _, err := onnx.CheckSamples(model, t.SampleInputs, t.SampleOutputs); err != nil {
			return nil, err
		}
		return model, nil
	}
	m := in.model
	model, _, err := onnx.ExportChecked(m.Net, m.Params, &m.Manifest.Preprocess, meta, m.Data.Test.Raw, m.Data.Test.N, in.spec.Export.Tolerance)
	return model, err
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
		if _, err := storage.PutBlobVerified(ctx, store, file.data); err != nil {
			return fmt.Errorf("release: upload %s: %w", file.name, err)
		}
	}
	return nil
}
