package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/runtime/bundle"
)

// openStore opens the object store named by url (--store or $DXTRAIN_STORE).
func openStore(ctx context.Context, url, why string) (storage.Store, error) {
	if url == "" {
		return nil, fmt.Errorf("%s needs the object store: give --store or set DXTRAIN_STORE", why)
	}
	s3cfg, err := storage.ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return storage.Open(ctx, url, s3cfg)
}

// uploadCode packs a torch spec's code directory (code.path, relative to the spec
// file) deterministically, checks the entrypoint is in it and uploads the bundle,
// returning its SHA-256 for the submission.
func uploadCode(ctx context.Context, specPath string, spec *experiments.Spec, storeURL string) (string, error) {
	dir := spec.Code.Path
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(specPath), dir)
	}
	entry := filepath.Join(dir, filepath.FromSlash(spec.Code.Entrypoint))
	if info, err := os.Stat(entry); err != nil || !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s: code.entrypoint %s is not a file in %s", specPath, spec.Code.Entrypoint, dir)
	}
	data, sha, err := bundle.Pack(dir, bundle.DefaultMaxBytes)
	if err != nil {
		return "", fmt.Errorf("%s: pack code.path %s: %w", specPath, dir, err)
	}
	store, err := openStore(ctx, storeURL, "runtime: torch (the code bundle is uploaded to it)")
	if err != nil {
		return "", err
	}
	if _, err := bundle.Upload(ctx, store, data); err != nil {
		return "", fmt.Errorf("upload code bundle: %w", err)
	}
	fmt.Printf("code bundle %s (%d bytes) from %s\n", shortID(sha), len(data), dir)
	return sha, nil
}

// followTorch prints a torch run's reported metrics as they arrive (one line per new
// report, at most one a second) until the experiment ends.
func followTorch(ctx context.Context, api *client.Client, id string) (*structs.Experiment, error) {
	var lastStep int64 = -1
	var lastPrint time.Time
	return watchMetrics(ctx, api, id, func(m *structs.MetricsResponse) {
		p := m.Progress
		if p.Step != lastStep && len(p.Metrics) > 0 && (time.Since(lastPrint) >= time.Second || structs.ExperimentTerminal(m.Status)) {
			lastStep, lastPrint = p.Step, time.Now()
			fmt.Printf("step %6d  %s\n", p.Step, formatMetrics(p.Metrics))
		}
	})
}

// formatMetrics prints metrics in name order, so two calls print the same line.
func formatMetrics(m map[string]float64) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %.4g", k, m[k])
	}
	return strings.Join(parts, "  ")
}

// exportTorch fetches a torch run's ONNX model (the newest one the agent checked and
// recorded), verifies its hash, writes it to dir/model.onnx and loads it into ONNX
// Runtime once more here.
func exportTorch(ctx context.Context, exp *structs.Experiment, storeURL, dir string) error {
	var art *structs.Artifact
	for j := len(exp.Artifacts) - 1; j >= 0; j-- {
		if exp.Artifacts[j].Name == "model.onnx" {
			art = &exp.Artifacts[j]
			break
		}
	}
	if art == nil {
		return fmt.Errorf("experiment %s recorded no ONNX model: the script must call ctx.save_onnx", exp.ID)
	}
	store, err := openStore(ctx, storeURL, "--export")
	if err != nil {
		return err
	}
	data, err := storage.GetBlob(ctx, store, art.SHA256)
	if err != nil {
		return fmt.Errorf("fetch the ONNX model %s: %w", art.SHA256, err)
	}
	sess, err := onnx.Load(data)
	if err != nil {
		return fmt.Errorf("ONNX model %s: %w", art.SHA256, err)
	}
	sess.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("exported %s (sha256 %s, step %d; ONNX Runtime vs PyTorch max |diff| %.2g on the script's samples)\n",
		path, art.SHA256, art.Step, art.MaxDiff)
	return nil
}
