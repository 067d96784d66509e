package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/trainer/loop"
	"github.com/dxtrain/dxtrain/validator"
)

func newRunCommand() *cobra.Command {
	var (
		cluster  clusterFlags
		detach   bool
		exportTo string
		storeURL string
	)
	cmd := &cobra.Command{
		Use:   "run SPEC.yaml",
		Short: "Submit an experiment to the cluster and follow it with a live progress bar",
		Long: `Submit an experiment to the cluster and follow it until it ends (--detach returns at
once with its ID). With --export DIR, the model of the final committed checkpoint is
exported to DIR/model.onnx and checked against ONNX Runtime on the test split; this
reads the checkpoint from the object store (--store or $DXTRAIN_STORE).

A runtime: torch spec's code directory (code.path, relative to the spec file) is packed
deterministically and uploaded to the object store first; the experiment records the
bundle's SHA-256. Its progress lines are the metrics the script reports, and --export
writes the ONNX model the script saved (ctx.save_onnx), checked by the agent against
the script's own outputs in ONNX Runtime.`,
		Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			return runExperiment(ctx, api, runOptions{specPath: args[0], detach: detach, exportTo: exportTo, storeURL: storeURL})
		}),
	}
	cluster.register(cmd)
	cmd.Flags().BoolVar(&detach, "detach", false, "print the experiment ID and return at once")
	cmd.Flags().StringVar(&exportTo, "export", "", "after success, export the final model to this directory")
	cmd.Flags().StringVar(&storeURL, "store", envOr("DXTRAIN_STORE", ""), "object store URL, for --export ($DXTRAIN_STORE)")
	return cmd
}

// runOptions are `dxtrain run`'s arguments.
type runOptions struct {
	specPath string
	detach   bool
	exportTo string // "" exports nothing
	storeURL string
}

// runExperiment submits the spec (a torch spec's code bundle first), follows the
// experiment until it ends and, when asked, exports its final model.
func runExperiment(ctx context.Context, api *client.Client, o runOptions) error {
	yaml, err := os.ReadFile(o.specPath)
	if err != nil {
		return err
	}
	spec, err := experiments.Parse(yaml, o.specPath) // fail here, with lines, before the server does
	if err != nil {
		return err
	}
	code := ""
	if spec.IsTorch() {
		if code, err = uploadCode(ctx, o.specPath, spec, o.storeURL); err != nil {
			return err
		}
	}
	created, err := api.SubmitExperiment(ctx, yaml, code)
	if err != nil {
		return err
	}
	if o.detach {
		fmt.Println(created.ID)
		return nil
	}
	fmt.Printf("experiment %s submitted (%s)\n", created.ID, spec.Name)
	var exp *structs.Experiment
	if spec.IsTorch() {
		exp, err = followTorch(ctx, api, created.ID)
	} else {
		exp, err = follow(ctx, api, created.ID, spec.Training.Epochs)
	}
	if err != nil {
		return err
	}
	if exp.Status != structs.ExperimentSucceeded {
		return fmt.Errorf("experiment %s %s: %s", exp.ID, exp.Status, exp.StatusReason)
	}
	if o.exportTo == "" {
		return nil
	}
	if spec.IsTorch() {
		return exportTorch(ctx, exp, o.storeURL, o.exportTo)
	}
	return exportFinal(ctx, api, exp.ID, o.storeURL, o.exportTo)
}

// follow long-polls the experiment's metrics and draws progress until it ends.
func follow(ctx context.Context, api *client.Client, id string, epochs int) (*structs.Experiment, error) {
	bar := newProgressBar(os.Stdout)
	var lastEpoch = -1
	defer bar.clear()
	return watchMetrics(ctx, api, id, func(m *structs.MetricsResponse) {
		p := m.Progress
		if auc, ok := p.Metrics["val_auroc"]; ok && p.Epoch != lastEpoch {
			lastEpoch = p.Epoch
			bar.update(loop.Progress{Epoch: p.Epoch, Epochs: epochs, Step: p.Step, Validation: &loop.Scores{
				Loss: p.Metrics["val_loss"], Accuracy: p.Metrics["val_accuracy"], AUROC: auc}})
		}
		bar.update(loop.Progress{Step: p.Step, TotalSteps: max(p.Step, 1), Loss: float32(p.Loss), SamplesPerSec: p.SamplesPerSec})
	})
}

// watchMetrics long-polls the experiment's metrics, calling show on each answer, until
// the experiment ends; it then prints how it ended and returns it. A server failing
// over is waited out (the client tries the others); a 4xx ends the watch.
func watchMetrics(ctx context.Context, api *client.Client, id string, show func(*structs.MetricsResponse)) (*structs.Experiment, error) {
	var index uint64
	for {
		m, next, err := api.Metrics(ctx, id, index, 5*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var apiErr *client.APIError
			if errors.As(err, &apiErr) && apiErr.StatusCode < 500 {
				return nil, err
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		index = next
		show(m)
		if structs.ExperimentTerminal(m.Status) {
			exp, err := api.Experiment(ctx, id)
			if err != nil {
				return nil, err
			}
			fmt.Printf("\nexperiment %s %s after %d restarts (step %d)\n", exp.ID, exp.Status, exp.Restarts, exp.Progress.Step)
			return exp, nil
		}
	}
}

func exportFinal(ctx context.Context, api *client.Client, id, storeURL, dir string) error {
	store, err := openStore(ctx, storeURL, "--export")
	if err != nil {
		return err
	}
	cp, err := api.LatestCheckpoint(ctx, id)
	if err != nil {
		return fmt.Errorf("latest checkpoint of %s: %w", id, err)
	}
	v, err := validator.OpenCluster(ctx, api, store, id)
	if err != nil {
		return err
	}
	res, err := v.Export(ctx, cp.ManifestHash, dir)
	if err != nil {
		return err
	}
	t := res.Test
	fmt.Printf("  checkpoint step %d (%s)\n", cp.Step, shortID(cp.ManifestHash))
	fmt.Printf("  test      accuracy %.4f  AUROC %.4f  (n=%d)\n", t.Accuracy, t.AUROC, t.N)
	fmt.Printf("  ONNX model %s\n  ONNX Runtime matches the Go forward pass on the test split: max |diff| %.2g\n", res.Path, res.MaxAbsDiff)
	return nil
}

// joinRoles is for listings.
func joinRoles(r []string) string { return strings.Join(r, ",") }
