package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/kernels"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer"
)

func newTrainCommand() *cobra.Command {
	var (
		dataDir string
		outDir  string
		resume  bool
		threads int
	)
	cmd := &cobra.Command{
		Use:   "train SPEC.yaml",
		Short: "Train one experiment in this process, checkpoint it and export it to ONNX",
		Long: `Train one experiment in this process, without a cluster.

Checkpoints go to the local object store under --data-dir; the ONNX model and a
summary go to --out (default: <data-dir>/runs/<experiment>). With --resume the run
continues from the latest committed checkpoint and ends bit-identical to a run that
never stopped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kernels.SetThreads(threads)
			return trainHere(cmd.Context(), args[0], dataDir, outDir, resume)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", ".dxtrain", "directory of the local object store and runs")
	cmd.Flags().StringVar(&outDir, "out", "", "directory for model.onnx and summary.json")
	cmd.Flags().BoolVar(&resume, "resume", false, "continue from the latest committed checkpoint")
	cmd.Flags().IntVar(&threads, "threads", 0, "threads of the compute kernels (0: GOMAXPROCS); fewer than the cores leaves batch prefetching and checkpoint writing a core of their own, which a small model gains from")
	return cmd
}

// trainHere trains the spec at specPath in this process against the local object
// store under dataDir and prints the run's summary.
func trainHere(ctx context.Context, specPath, dataDir, outDir string, resume bool) error {
	source, err := os.ReadFile(specPath)
	if err != nil {
		return fmt.Errorf("load spec: %w", err)
	}
	spec, err := experiments.Parse(source, specPath)
	if err != nil {
		return err
	}
	cfg, err := storage.ConfigFromEnv()
	if err != nil {
		return err
	}
	store, err := openLocalStore(ctx, filepath.Join(dataDir, "store"), cfg)
	if err != nil {
		return err
	}
	if outDir == "" {
		outDir = filepath.Join(dataDir, "runs", spec.Name)
	}
	bar := newProgressBar(os.Stdout)
	res, err := trainer.TrainLocal(ctx, trainer.LocalConfig{
		Spec: spec, SpecSource: source, Store: store, Resume: resume, OutDir: outDir, Progress: bar.update, Report: os.Stderr,
	})
	bar.clear()
	if err != nil {
		return err
	}
	t := res.Train
	fmt.Printf("\n%s: %d steps, %.0f samples/s (training %.0f samples/s; validation %.1fs, checkpoints %.1fs)\n",
		spec.Name, t.Steps, t.SamplesPerSec, t.TrainSamplesPerSec, t.ValidationTime.Seconds(), t.CheckpointTime.Seconds())
	fmt.Printf("  test      accuracy %.4f  AUROC %.4f  (n=%d)\n", t.Test.Accuracy, t.Test.AUROC, t.Test.N)
	fmt.Printf("  checkpoints committed: %d\n", len(t.Checkpoints))
	if res.ONNXPath != "" {
		fmt.Printf("  ONNX model %s\n  ONNX Runtime matches the Go forward pass on the test split: max |diff| %.2g\n", res.ONNXPath, res.ONNXMaxDiff)
	}
	fmt.Printf("  summary    %s\n", res.SummaryPath)
	return nil
}
