package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// validatorFlags are the cluster flags plus the object store the checkpoints live in.
type validatorFlags struct {
	clusterFlags
	storeURL string
}

func (f *validatorFlags) register(cmd *cobra.Command) {
	f.clusterFlags.register(cmd)
	cmd.PersistentFlags().StringVar(&f.storeURL, "store", envOr("DXTRAIN_STORE", ""), "object store URL: file:///path or s3://bucket/prefix ($DXTRAIN_STORE)")
}

func (f *validatorFlags) store(ctx context.Context) (storage.Store, error) {
	if f.storeURL == "" {
		return nil, fmt.Errorf("no object store: give --store or set DXTRAIN_STORE")
	}
	cfg, err := storage.ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return storage.Open(ctx, f.storeURL, cfg)
}

func newCheckpointsCommand() *cobra.Command {
	var flags validatorFlags
	cmd := &cobra.Command{Use: "checkpoints", Short: "The validator's tools: list, verify, replay, evaluate and pin checkpoints"}
	flags.register(cmd)
	cmd.AddCommand(checkpointsLs(&flags), checkpointsVerify(&flags), checkpointsReplay(&flags),
		checkpointsEvaluate(&flags), checkpointsPin(&flags, true), checkpointsPin(&flags, false))
	return cmd
}

func checkpointsLs(flags *validatorFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "ls EXPERIMENT", Short: "List an experiment's committed checkpoints", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := flags.client()
			if err != nil {
				return err
			}
			cps, err := api.Checkpoints(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cps)
			}
			tw := newTable()
			fmt.Fprintln(tw, "STEP\tEPOCH\tWORLD\tCREATED\tVAL_AUROC\tVAL_LOSS\tPINNED\tSUSPECT\tMANIFEST")
			for _, c := range cps {
				fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%.4f\t%.4f\t%v\t%v\t%s\n", c.Step, c.Epoch, c.WorldSize, unixTime(c.CreatedAt),
					c.Metrics["val_auroc"], c.Metrics["val_loss"], c.Pinned, c.Suspect, c.ManifestHash)
			}
			return tw.Flush()
		},
	}
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func checkpointsVerify(flags *validatorFlags) *cobra.Command {
	var step int64
	cmd := &cobra.Command{
		Use:   "verify EXPERIMENT [--step STEP]",
		Short: "Re-hash every blob of each checkpoint (or one) against its manifest",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := flags.client()
			if err != nil {
				return err
			}
			store, err := flags.store(cmd.Context())
			if err != nil {
				return err
			}
			cps, err := api.Checkpoints(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			failed := 0
			for _, c := range cps {
				if step > 0 && c.Step != step {
					continue
				}
				if _, err := checkpoint.Verify(cmd.Context(), store, c.ManifestHash); err != nil {
					failed++
					fmt.Printf("step %d: FAILED: %v\n", c.Step, err)
					continue
				}
				fmt.Printf("step %d: ok (%d blobs)\n", c.Step, len(c.BlobHashes))
			}
			if failed > 0 {
				return fmt.Errorf("%d checkpoint(s) failed verification", failed)
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&step, "step", 0, "verify only the checkpoint at this step")
	return cmd
}

func checkpointsReplay(flags *validatorFlags) *cobra.Command {
	var from, to int64
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "replay EXPERIMENT (--from STEP --to STEP | --all)",
		Short: "Train from one checkpoint to another's step and compare every tensor bit for bit",
		Long: `Load the checkpoint at --from, train to the step of the checkpoint at --to with the
recorded seed, data order, optimizer state and world size, writing nothing, and compare
the parameters and optimizer state with --to's: bit-identical, or the first tensor that
differs. A data-parallel run is replayed by as many ranks as it had, inside this process
and joined over loopback, so that gradients are summed in the recorded order. Each
manifest names its parent (the checkpoint its training continued from, across restarts),
so --to must descend from --from with one world size on the way; --all replays every
committed checkpoint from its committed parent, the whole retained history link by
link. The dataset file named by the experiment's spec must be readable here.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (cmd.Flags().Changed("from") || cmd.Flags().Changed("to")) {
				return fmt.Errorf("give either --from and --to, or --all")
			}
			ctx := cmd.Context()
			v, err := flags.open(ctx, args[0])
			if err != nil {
				return err
			}
			lin, err := v.lineage(ctx)
			if err != nil {
				return err
			}
			pairs := [][2]int64{{from, to}}
			if all {
				if pairs = lin.links(); len(pairs) == 0 {
					return fmt.Errorf("experiment %s has no committed checkpoint whose parent is committed too: nothing to replay", v.id)
				}
			} else if err := lin.check(from, to); err != nil {
				return fmt.Errorf("replay %d → %d: %w", from, to, err)
			}
			data, err := trainer.LoadData(ctx, v.spec, v.store, trainer.ClusterDatasets(v.api), 0, 1)
			if err != nil {
				return err
			}
			var reports []*loop.ReplayReport
			var failed []string
			for _, p := range pairs {
				rep, err := v.replay(ctx, data, p[0], p[1])
				if err != nil {
					return err
				}
				reports = append(reports, rep)
				if !rep.Identical {
					d := rep.Difference
					failed = append(failed, fmt.Sprintf("replay %d → %d on %s: not reproducible: %s[%d] replayed %v, recorded %v",
						rep.FromStep, rep.ToStep, ranks(rep.WorldSize), d.Tensor, d.Index, d.Replayed, d.Recorded))
				} else if !asJSON {
					fmt.Printf("replay %d → %d on %s: bit-identical (%d tensors) in %s\n", rep.FromStep, rep.ToStep, ranks(rep.WorldSize), rep.Tensors, rep.Duration.Round(1e6))
				}
			}
			if asJSON {
				var out any = reports
				if !all {
					out = reports[0]
				}
				if err := printJSON(out); err != nil {
					return err
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d of %d replays differ:\n%s", len(failed), len(reports), strings.Join(failed, "\n"))
			}
			if all && !asJSON {
				fmt.Printf("all %d links from step %d to step %d are bit-identical\n", len(reports), pairs[0][0], pairs[len(pairs)-1][1])
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&from, "from", 0, "step of the checkpoint to start from")
	cmd.Flags().Int64Var(&to, "to", 0, "step of the checkpoint to reach and compare with")
	cmd.Flags().BoolVar(&all, "all", false, "replay every committed checkpoint from its committed parent")
	addJSONFlag(cmd, &asJSON)
	return cmd
}

// replay loads the checkpoints at steps from and to and replays between them. The
// checkpoint last loaded is kept: --all's links chain, so each one's target is the next
// one's start and is read (and hashed) from the store once.
func (v *validatorSession) replay(ctx context.Context, data *loop.Data, from, to int64) (*loop.ReplayReport, error) {
	fromCP, err := v.load(ctx, from)
	if err != nil {
		return nil, err
	}
	toCP, err := v.load(ctx, to)
	if err != nil {
		return nil, err
	}
	return loop.Replay(ctx, v.spec, data, fromCP, toCP)
}

// load reads the committed checkpoint at step, verifying every blob.
func (v *validatorSession) load(ctx context.Context, step int64) (*checkpoint.Loaded, error) {
	c, err := v.at(step)
	if err != nil {
		return nil, err
	}
	if v.last != nil && v.last.ManifestSHA == c.ManifestHash {
		return v.last, nil
	}
	l, err := checkpoint.Load(ctx, v.store, c.ManifestHash)
	if err != nil {
		return nil, err
	}
	v.last = l
	return l, nil
}

func ranks(n int) string {
	if n == 1 {
		return "1 rank"
	}
	return fmt.Sprintf("%d ranks", n)
}

func checkpointsPin(flags *validatorFlags, pin bool) *cobra.Command {
	use, short := "pin EXPERIMENT --step STEP", "Pin a checkpoint: retention never deletes it"
	if !pin {
		use, short = "unpin EXPERIMENT --step STEP", "Unpin a checkpoint"
	}
	var step int64
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := flags.client()
			if err != nil {
				return err
			}
			_, byStep, err := experimentCheckpoints(cmd.Context(), api, args[0])
			if err != nil {
				return err
			}
			c, ok := byStep[step]
			if !ok {
				return fmt.Errorf("experiment %s has no committed checkpoint at step %d", args[0], step)
			}
			if _, err := api.FlagCheckpoint(cmd.Context(), c.ID, structs.CheckpointFlagArgs{Pinned: &pin}); err != nil {
				return err
			}
			fmt.Printf("checkpoint at step %d pinned=%v\n", step, pin)
			return nil
		},
	}
	cmd.Flags().Int64Var(&step, "step", 0, "the checkpoint's step")
	return cmd
}

// experimentCheckpoints fetches the experiment's spec (as submitted) and its committed
// checkpoints by step.
func experimentCheckpoints(ctx context.Context, api *client.Client, id string) (*experiments.Spec, map[int64]structs.Checkpoint, error) {
	exp, err := api.Experiment(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	spec, err := experiments.Parse([]byte(exp.SpecYAML), exp.Name+".yaml")
	if err != nil {
		return nil, nil, err
	}
	cps, err := api.Checkpoints(ctx, exp.ID)
	if err != nil {
		return nil, nil, err
	}
	byStep := make(map[int64]structs.Checkpoint, len(cps))
	for _, c := range cps {
		byStep[c.Step] = c
	}
	return spec, byStep, nil
}

func checkpointsEvaluate(flags *validatorFlags) *cobra.Command {
	var (
		step      int64
		split     string
		threshold float64
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "evaluate EXPERIMENT --step STEP [--split test]",
		Short: "Evaluate a checkpoint on a held-out split: the clinical report",
		Long: `Run a committed checkpoint on the held-out split and print the clinical report: AUROC
with a 95% confidence interval (DeLong), sensitivity, specificity, PPV, NPV and F1 at
--threshold and at the Youden-optimal threshold, Brier score, expected calibration error
with the reliability curve, and the confusion matrix (one-vs-rest and macro averages for
multi-class). The JSON report is stored beside the checkpoint.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			v, err := flags.open(ctx, args[0])
			if err != nil {
				return err
			}
			c, err := v.at(step)
			if err != nil {
				return err
			}
			ev, err := trainer.EvaluateCheckpoint(ctx, v.spec, v.store, trainer.ClusterDatasets(v.api), c.ManifestHash, split, threshold)
			if err != nil {
				return err
			}
			if asJSON {
				body, err := ev.Report.JSON()
				if err != nil {
					return err
				}
				_, err = os.Stdout.Write(append(body, '\n'))
				return err
			}
			fmt.Printf("%s step %d, %s split — stored at %s\n\n%s", v.spec.Name, step, split, ev.Key, ev.Report.Table())
			return nil
		},
	}
	cmd.Flags().Int64Var(&step, "step", 0, "the checkpoint's step")
	cmd.Flags().StringVar(&split, "split", "test", "test or validation")
	cmd.Flags().Float64Var(&threshold, "threshold", 0.5, "decision threshold on P(positive)")
	addJSONFlag(cmd, &asJSON)
	return cmd
}

// validatorSession is what the validator's commands need about one experiment: the
// cluster, the object store, the spec as submitted and the committed checkpoints.
type validatorSession struct {
	api    *client.Client
	store  storage.Store
	id     string
	spec   *experiments.Spec
	byStep map[int64]structs.Checkpoint
	last   *checkpoint.Loaded // the checkpoint load read most recently
}

func (f *validatorFlags) open(ctx context.Context, experiment string) (*validatorSession, error) {
	api, err := f.client()
	if err != nil {
		return nil, err
	}
	store, err := f.store(ctx)
	if err != nil {
		return nil, err
	}
	spec, byStep, err := experimentCheckpoints(ctx, api, experiment)
	if err != nil {
		return nil, err
	}
	return &validatorSession{api: api, store: store, id: experiment, spec: spec, byStep: byStep}, nil
}

// at is the committed checkpoint at step.
func (v *validatorSession) at(step int64) (structs.Checkpoint, error) {
	c, ok := v.byStep[step]
	if !ok {
		return structs.Checkpoint{}, fmt.Errorf("experiment %s has no committed checkpoint at step %d", v.id, step)
	}
	return c, nil
}
