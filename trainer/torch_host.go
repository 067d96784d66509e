package trainer

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// maxONNXBytes bounds a model a torch script hands over.
const maxONNXBytes = 2 << 30

// torchHost is what a torch attempt's ranks reach over the channel: reports become
// progress, checkpoints are uploaded, verified and committed through the ledger with
// the run's lineage, and the exported model is checked in ONNX Runtime and recorded.
type torchHost struct {
	api         *client.Client
	store       storage.Store
	ledger      clusterLedger
	as          structs.Assignment
	spec        *experiments.Spec
	world       int
	threads     int // each rank's OMP_NUM_THREADS, recorded in the manifests
	datasetHash string
	maxBytes    int64
	reporter    *progressReporter
	log         *slog.Logger
	updates     *attemptUpdates // the newest record: its stop request goes to the ranks
	stopTold    atomic.Bool     // the ranks have been told to stop (logged once)

	mu        sync.Mutex
	parent    string        // manifest SHA of the last checkpoint committed or resumed from
	lastStep  int64         // step of that checkpoint (-1: none)
	stoppedAt map[int]int64 // rank → the step it said it stopped at, on request
}

// report forwards rank 0's metrics (the ranks of a data-parallel run are replicas).
func (h *torchHost) report(rank int, step int64, metrics map[string]float64) {
	if rank != 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reporter.reportMetrics(step, metrics)
}

// checkpoint uploads dir's files, then commits them: the call returns once the
// checkpoint exists, so the script may delete its copy.
func (h *torchHost) checkpoint(ctx context.Context, step int64, dir string, metrics map[string]float64) (id, manifestSHA string, err error) {
	h.mu.Lock()
	parent := h.parent
	h.mu.Unlock()
	st := &checkpoint.FilesState{
		Experiment: h.as.Experiment.ID, Step: step, Parent: parent, WorldSize: h.world, Threads: h.threads, Metrics: maps.Clone(metrics),
		DatasetHash: h.datasetHash, SpecHash: h.as.Experiment.SpecHash, CodeVersion: version.String(),
		CodeBundle: h.as.Experiment.CodeBundle, Seed: h.spec.Seed, Dir: dir, MaxBytes: h.maxBytes,
	}
	m, sha, err := checkpoint.SaveFiles(ctx, h.store, st, time.Now())
	if err != nil {
		return "", "", err
	}
	id, err = h.ledger.commit(ctx, checkpoint.RecordOf(m, sha))
	if err != nil {
		return "", "", err
	}
	h.mu.Lock()
	h.parent, h.lastStep = sha, step
	h.mu.Unlock()
	h.log.Info("checkpoint committed", "step", step, "checkpoint", id, "files", len(m.Blobs))
	return id, sha, nil
}

// onnx checks the script's exported model against its own outputs in ONNX Runtime,
// uploads it and records it on the experiment.
func (h *torchHost) onnx(ctx context.Context, path, inputs, outputs string) (string, float64, error) {
	model, err := readLimited(path, maxONNXBytes)
	if err != nil {
		return "", 0, err
	}
	in, err := readLimited(inputs, onnx.MaxSampleBytes)
	if err != nil {
		return "", 0, fmt.Errorf("sample inputs: %w", err)
	}
	out, err := readLimited(outputs, onnx.MaxSampleBytes)
	if err != nil {
		return "", 0, fmt.Errorf("sample outputs: %w", err)
	}
	diff, err := onnx.CheckSamples(model, in, out)
	if err != nil {
		return "", diff, onnx.Refused("ONNX model", err)
	}
	var hashes [3]string
	for i, blob := range [][]byte{model, in, out} { // the samples let a release check the model again
		if hashes[i], err = storage.PutBlobVerified(ctx, h.store, blob); err != nil {
			return "", 0, fmt.Errorf("upload the ONNX model and its samples: %w", err)
		}
	}
	sha := hashes[0]
	h.mu.Lock()
	step := max(h.lastStep, 0)
	h.mu.Unlock()
	_, err = h.api.RecordArtifact(ctx, structs.ArtifactArgs{ExperimentID: h.as.Experiment.ID, AttemptID: h.as.Attempt.ID,
		Artifact: structs.Artifact{Name: "model.onnx", SHA256: sha, Size: int64(len(model)), Step: step, MaxDiff: diff,
			SampleInputs: hashes[1], SampleOutputs: hashes[2]}})
	if err != nil {
		return "", 0, fmt.Errorf("record the ONNX model: %w", err)
	}
	h.log.Info("onnx model recorded", "sha256", sha, "max_abs_diff", diff)
	return sha, diff, nil
}

// readLimited reads a file the script handed over, refusing one over limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, the limit is %d", path, info.Size(), limit)
	}
	return os.ReadFile(path)
}
