package validator

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Session is one experiment as a validator sees it: the spec it was submitted with,
// its committed checkpoints, the store that holds them and where its dataset's name
// resolves.
type Session struct {
	Experiment  string // as the validator named it
	Spec        *experiments.Spec
	Store       storage.Store // nil for commands that read the ledger only
	Datasets    loop.DatasetResolver
	Checkpoints []structs.Checkpoint // the ledger, oldest step first
	// Artifacts are the files the run recorded besides checkpoints: a torch run's ONNX
	// exports, each at the step of the checkpoint it was exported with.
	Artifacts []structs.Artifact
	// API is the cluster the session reads; nil for a store-only session.
	API *client.Client

	last *checkpoint.Loaded // the checkpoint load read most recently
}

// OpenCluster reads the experiment's spec and checkpoint ledger from the coordinator.
func OpenCluster(ctx context.Context, api *client.Client, store storage.Store, experiment string) (*Session, error) {
	exp, err := api.Experiment(ctx, experiment)
	if err != nil {
		return nil, err
	}
	spec, err := experiments.Parse([]byte(exp.SpecYAML), exp.Name+".yaml")
	if err != nil {
		return nil, err
	}
	cps, err := api.Checkpoints(ctx, exp.ID)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(cps, func(a, b structs.Checkpoint) int {
		if c := compareSteps(a.Step, b.Step); c != 0 {
			return c
		}
		return compareSteps(int64(a.CreateIndex), int64(b.CreateIndex))
	})
	return &Session{Experiment: experiment, Spec: spec, Store: store, Datasets: api.DatasetManifest, Checkpoints: cps,
		Artifacts: exp.Artifacts, API: api}, nil
}

func compareSteps(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Resolve finds a committed checkpoint by its identity, the manifest hash: ref is a
// hash prefix (at least 6 hex digits, "sha256:" optional), or a step where only one
// checkpoint has it. A resume that fell back past a refused checkpoint commits its
// step again; such a step is ambiguous and the error lists the candidates.
func (s *Session) Resolve(ref string) (structs.Checkpoint, error) {
	ref = strings.TrimSpace(ref)
	step, stepErr := strconv.ParseInt(ref, 10, 64)
	atStep := func() (structs.Checkpoint, error) {
		return s.pick(s.where(func(c structs.Checkpoint) bool { return c.Step == step }), fmt.Sprintf("at step %d", step))
	}
	prefix := strings.ToLower(strings.TrimPrefix(ref, "sha256:"))
	if stepErr == nil && len(ref) < 6 {
		return atStep()
	}
	if len(prefix) < 6 || !isHex(prefix) {
		return structs.Checkpoint{}, fmt.Errorf("checkpoint %q: give a step or at least 6 hex digits of a manifest hash", ref)
	}
	matches := s.where(func(c structs.Checkpoint) bool { return strings.HasPrefix(c.ManifestHash, prefix) })
	if len(matches) == 0 && stepErr == nil { // all digits and no such hash: a step after all
		return atStep()
	}
	return s.pick(matches, "with manifest "+prefix)
}

// At is Resolve of a step.
func (s *Session) At(step int64) (structs.Checkpoint, error) {
	return s.Resolve(strconv.FormatInt(step, 10))
}

func (s *Session) where(keep func(structs.Checkpoint) bool) []structs.Checkpoint {
	var out []structs.Checkpoint
	for _, c := range s.Checkpoints {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// pick is the one candidate, or an error naming none or all of them.
func (s *Session) pick(candidates []structs.Checkpoint, what string) (structs.Checkpoint, error) {
	switch len(candidates) {
	case 1:
		return candidates[0], nil
	case 0:
		return structs.Checkpoint{}, fmt.Errorf("experiment %s has no committed checkpoint %s", s.Experiment, what)
	}
	var names []string
	for _, c := range candidates {
		names = append(names, Describe(c))
	}
	return structs.Checkpoint{}, fmt.Errorf("experiment %s has %d committed checkpoints %s: %s; name one by its manifest hash",
		s.Experiment, len(candidates), what, strings.Join(names, ", "))
}

// Describe names a checkpoint for people: its step, short manifest hash and refusal.
func Describe(c structs.Checkpoint) string {
	d := fmt.Sprintf("step %d (%.12s)", c.Step, c.ManifestHash)
	if c.Refused != nil {
		d += " refused"
	}
	return d
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return s != ""
}

// load reads a committed checkpoint, verifying every blob. The checkpoint last loaded
// is kept: replay's links chain, so each one's target is the next one's start and is
// read (and hashed) from the store once.
func (s *Session) load(ctx context.Context, c structs.Checkpoint) (*checkpoint.Loaded, error) {
	if s.last != nil && s.last.ManifestSHA == c.ManifestHash {
		return s.last, nil
	}
	l, err := checkpoint.Load(ctx, s.Store, c.ManifestHash)
	if err != nil {
		return nil, err
	}
	s.last = l
	return l, nil
}

// OpenStore reads the experiment from the store alone: the ledger and the refusals a
// `dxtrain train` run keeps there, and the spec source it keeps beside them (the one
// that wrote the newest checkpoint, checked against its hash). Datasets resolve in the
// store's own registry.
func OpenStore(ctx context.Context, store storage.Store, experiment string) (*Session, error) {
	ledger := checkpoint.StoreLedger{Store: store}
	records, err := ledger.All(ctx, experiment)
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("experiment %s: the store holds no committed checkpoint of it: %w", experiment, structs.ErrNotFound)
	}
	refused, err := ledger.Refusals(ctx, experiment)
	if err != nil {
		return nil, err
	}
	newest := records[len(records)-1]
	m, err := checkpoint.LoadManifest(ctx, store, newest.ManifestSHA)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: checkpoint at step %d: %w", experiment, newest.Step, err)
	}
	source, err := checkpoint.LoadSpec(ctx, store, m.SpecHash)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", experiment, err)
	}
	spec, err := experiments.Parse(source, experiment+".yaml")
	if err != nil {
		return nil, fmt.Errorf("experiment %s: stored spec: %w", experiment, err)
	}
	if spec.Hash() != m.SpecHash {
		return nil, fmt.Errorf("experiment %s: the stored spec hashes to %.12s, the checkpoints name %.12s: %w", experiment, spec.Hash(), m.SpecHash, storage.ErrCorrupt)
	}
	s := &Session{Experiment: experiment, Spec: spec, Store: store, Datasets: ingest.NewLocalRegistry(store).ManifestOf}
	for _, r := range records {
		c := structs.Checkpoint{ExperimentID: experiment, Step: r.Step, Epoch: r.Epoch, ManifestHash: r.ManifestSHA,
			BlobHashes: r.Blobs, Metrics: r.Metrics, WorldSize: r.WorldSize, CreatedAt: r.Created.UnixNano()}
		if ref, ok := refused[r.ManifestSHA]; ok {
			c.Refused = &structs.CheckpointRefusal{BlobHash: ref.Blob, Reason: ref.Reason, Time: ref.Time.UnixNano()}
		}
		s.Checkpoints = append(s.Checkpoints, c)
	}
	return s, nil
}
