package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
	"github.com/dxtrain/dxtrain/validator"
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

// storeOnly says whether the command reads a run from the object store alone (the
// ledger `dxtrain train` keeps there): --store given and no coordinator address,
// neither --addr nor $DXTRAIN_ADDR.
func (f *validatorFlags) storeOnly(cmd *cobra.Command) bool {
	return f.storeURL != "" && !cmd.Flags().Changed("addr") && os.Getenv("DXTRAIN_ADDR") == ""
}

// open is the validator's session on one experiment, from the coordinator or, with
// --store alone, from the store; withStore says whether the command reads checkpoints
// (and so needs the store) or the ledger alone.
func (f *validatorFlags) open(cmd *cobra.Command, experiment string, withStore bool) (*validator.Session, error) {
	ctx := cmd.Context()
	if f.storeOnly(cmd) {
		store, err := f.store(ctx)
		if err != nil {
			return nil, err
		}
		return validator.OpenStore(ctx, store, experiment)
	}
	api, err := f.client()
	if err != nil {
		return nil, err
	}
	var store storage.Store
	if withStore {
		if store, err = f.store(ctx); err != nil {
			return nil, err
		}
	}
	return validator.OpenCluster(ctx, api, store, experiment)
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
			v, err := flags.open(cmd, args[0], false)
			if err != nil {
				return err
			}
			return printCheckpoints(v.Checkpoints, asJSON)
		},
	}
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func printCheckpoints(cps []structs.Checkpoint, asJSON bool) error {
	if asJSON {
		return printJSON(cps)
	}
	tw := newTable()
	fmt.Fprintln(tw, "STEP\tEPOCH\tWORLD\tCREATED\tVAL_AUROC\tVAL_LOSS\tPINNED\tSUSPECT\tREFUSED\tMANIFEST")
	for _, c := range cps {
		refused := "-"
		if c.Refused != nil {
			refused = "REFUSED"
			if c.Refused.AlertID != "" {
				refused += " (alert " + c.Refused.AlertID + ")"
			}
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%.4f\t%.4f\t%v\t%v\t%s\t%s\n", c.Step, c.Epoch, c.WorldSize, unixTime(c.CreatedAt),
			c.Metrics["val_auroc"], c.Metrics["val_loss"], c.Pinned, c.Suspect, refused, c.ManifestHash)
	}
	return tw.Flush()
}

func checkpointsVerify(flags *validatorFlags) *cobra.Command {
	var step int64
	cmd := &cobra.Command{
		Use:   "verify EXPERIMENT [--step STEP]",
		Short: "Re-hash every blob of each checkpoint (or one) against its manifest",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := flags.open(cmd, args[0], true)
			if err != nil {
				return err
			}
			return verifyCheckpoints(cmd.Context(), v, step)
		},
	}
	cmd.Flags().Int64Var(&step, "step", 0, "verify only the checkpoint at this step")
	return cmd
}

// verifyCheckpoints re-hashes every blob of each checkpoint. A checkpoint a resume
// refused fails even when its bytes hash right now (a retrained checkpoint may have
// re-uploaded the damaged blob): the record says it was damaged once.
func verifyCheckpoints(ctx context.Context, v *validator.Session, step int64) error {
	failed, refused := 0, 0
	for _, c := range v.Checkpoints {
		if step > 0 && c.Step != step {
			continue
		}
		name := fmt.Sprintf("step %d (%.12s)", c.Step, c.ManifestHash)
		_, err := checkpoint.Verify(ctx, v.Store, c.ManifestHash)
		switch {
		case c.Refused != nil:
			refused++
			now := "its blobs verify now"
			if err != nil {
				now = "its blobs still fail: " + err.Error()
			}
			fmt.Printf("%s: REFUSED by a resume%s: %s; %s\n", name, alertRef(c.Refused), c.Refused.Reason, now)
		case err != nil:
			failed++
			fmt.Printf("%s: FAILED: %v\n", name, err)
		default:
			fmt.Printf("%s: ok (%d blobs)\n", name, len(c.BlobHashes))
		}
	}
	if failed+refused > 0 {
		return fmt.Errorf("%d checkpoint(s) failed verification, %d were refused by a resume", failed, refused)
	}
	return nil
}

func alertRef(r *structs.CheckpointRefusal) string {
	if r.AlertID == "" {
		return ""
	}
	return " (alert " + r.AlertID + ")"
}

// replayOptions are the flags of `checkpoints replay`.
type replayOptions struct {
	from, to string // a step where unique, or a manifest hash prefix
	all      bool
	asJSON   bool
	torch    validator.ReplayOptions
}

func checkpointsReplay(flags *validatorFlags) *cobra.Command {
	var o replayOptions
	cmd := &cobra.Command{
		Use:   "replay EXPERIMENT (--from CHECKPOINT --to CHECKPOINT | --all)",
		Short: "Train from one checkpoint to another's step and compare every tensor bit for bit",
		Long: `Load the checkpoint at --from, train to the step of the checkpoint at --to with the
recorded seed, data order, optimizer state and world size, writing nothing, and compare
the parameters and optimizer state with --to's: bit-identical, or the first tensor that
differs. A data-parallel run is replayed by as many ranks as it had, inside this process
and joined over loopback, so that gradients are summed in the recorded order. Each
manifest names its parent (the checkpoint its training continued from, across restarts),
so --to must descend from --from with one world size on the way; --all replays every
committed checkpoint from its committed parent, the whole retained history link by
link, and counts them: every committed link is replayed, or the command fails naming
each one it could not replay and why. A checkpoint is named by a step where only one
checkpoint has it, or by a prefix of its manifest hash (a resume that fell back past a
refused checkpoint commits that step twice). The dataset file named by the
experiment's spec must be readable here.

A runtime: torch run is replayed by running its script: the recorded code bundle, the
ingested dataset by its hash, the parent checkpoint as ctx.resume(), the recorded world
size as local ranks with the recorded thread count and deterministic kernels — a run
trained on GPUs on this machine's GPUs when it has one per rank, else on the CPU over
gloo (--device chooses) — until rank 0 checkpoints --to's
step; python3 -m dxtrain.compare (--python) then compares every tensor of the
script's state. A run replayed on the device it trained on must replay bit for bit;
one trained on GPUs and replayed on the CPU passes within --tolerance, and the report
says which. The first link of a script that does not replay is flagged: see
python/README.md on what keeps a script replayable.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.all == (cmd.Flags().Changed("from") || cmd.Flags().Changed("to")) {
				return fmt.Errorf("give either --from and --to, or --all")
			}
			v, err := flags.open(cmd, args[0], true)
			if err != nil {
				return err
			}
			return replayCheckpoints(cmd.Context(), v, o)
		},
	}
	cmd.Flags().StringVar(&o.from, "from", "", "the checkpoint to start from: its step, or a prefix of its manifest hash")
	cmd.Flags().StringVar(&o.to, "to", "", "the checkpoint to reach and compare with: its step, or a prefix of its manifest hash")
	cmd.Flags().BoolVar(&o.all, "all", false, "replay every committed checkpoint from its committed parent")
	cmd.Flags().StringVar(&o.torch.Python, "python", "python3", "the interpreter a torch run's replay runs (with torch installed)")
	cmd.Flags().Float64Var(&o.torch.Tolerance, "tolerance", 0, "largest |diff| accepted for a torch run trained on GPUs and replayed on the CPU")
	cmd.Flags().StringVar(&o.torch.Device, "device", "auto", "where a torch run's ranks replay: cpu, gpu (rank r on GPU r), or auto (GPUs for a GPU-trained run when this machine has one per rank)")
	addJSONFlag(cmd, &o.asJSON)
	return cmd
}

func replayCheckpoints(ctx context.Context, v *validator.Session, o replayOptions) error {
	lin, err := v.Lineage(ctx)
	if err != nil {
		return err
	}
	var links []validator.Link
	if o.all {
		if links = lin.Links(); len(links) == 0 {
			return fmt.Errorf("experiment %s has no committed checkpoint whose parent is committed too: nothing to replay", v.Experiment)
		}
	} else {
		link, err := resolveLink(v, lin, o.from, o.to)
		if err != nil {
			return err
		}
		links = []validator.Link{link}
	}
	results, err := v.Replay(ctx, links, o.torch, func(r validator.LinkResult) {
		if rep := r.Report; !o.asJSON && rep != nil && rep.Reproduced() {
			fmt.Printf("replay %s → %s on %s: %s in %s\n", validator.Describe(r.Link.From), validator.Describe(r.Link.To),
				where(rep), agreement(rep), rep.Duration.Round(1e6))
		}
	})
	if err != nil {
		return err
	}
	if err := v.RecordReplays(ctx, results); err != nil {
		fmt.Fprintf(os.Stderr, "warning: the replay ran but its result was not recorded on the cluster: %v\n", err)
	}
	var reports []*loop.ReplayReport
	var failed []string
	for i, r := range results {
		name := fmt.Sprintf("%s → %s", validator.Describe(r.Link.From), validator.Describe(r.Link.To))
		switch rep := r.Report; {
		case r.Err != nil:
			failed = append(failed, fmt.Sprintf("replay %s: not replayed: %v", name, r.Err))
		case !rep.Reproduced():
			failed = append(failed, fmt.Sprintf("replay %s on %s: not reproducible: %s", name, where(rep), difference(rep)))
			if i == 0 && rep.Runtime != "" {
				fmt.Fprintln(os.Stderr, "warning: the first link replayed differs: the script is not replayable as it stands (python/README.md says what keeps a script replayable: seeded samplers and augmentation, no wall-clock-dependent branching, state in the checkpoint)")
			}
		}
		if r.Report != nil {
			reports = append(reports, r.Report)
		}
	}
	if o.asJSON && len(reports) > 0 {
		var out any = reports
		if !o.all {
			out = reports[0]
		}
		if err := printJSON(out); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d links reproduced; the others:\n%s", len(links)-len(failed), len(links), strings.Join(failed, "\n"))
	}
	if o.all && !o.asJSON {
		fmt.Printf("%d of %d links %s, from step %d to step %d\n", len(links), len(links), verdict(results), links[0].From.Step, links[len(links)-1].To.Step)
	}
	return nil
}

// verdict is "bit-identical" when every link was, else says some passed within tolerance.
func verdict(results []validator.LinkResult) string {
	for _, r := range results {
		if r.Report != nil && !r.Report.Identical {
			return "reproduced (some within the tolerance for GPU-trained runs, not bit-identical)"
		}
	}
	return "bit-identical"
}

// where says how a link was replayed: ranks, and for a torch run the runtime and device.
func where(rep *loop.ReplayReport) string {
	if rep.Runtime == "" {
		return ranks(rep.WorldSize)
	}
	return fmt.Sprintf("%s (%s on %s, trained on %s)", ranks(rep.WorldSize), rep.Runtime, rep.Device, rep.TrainedOn)
}

// agreement says how a reproduced link agreed with the record.
func agreement(rep *loop.ReplayReport) string {
	if rep.Identical {
		return fmt.Sprintf("bit-identical (%d tensors)", rep.Tensors)
	}
	return fmt.Sprintf("within tolerance %g (%d tensors, max |diff| %.3g)", rep.Tolerance, rep.Tensors, rep.MaxAbsDiff)
}

// difference names a link's first difference.
func difference(rep *loop.ReplayReport) string {
	d := rep.Difference
	switch {
	case d == nil:
		return "no difference named"
	case rep.Runtime != "":
		return fmt.Sprintf("first difference in %s: %s (max |diff| %.3g; tolerance %g)", d.Tensor, d.Reason, d.MaxAbsDiff, rep.Tolerance)
	}
	return fmt.Sprintf("%s[%d] replayed %v, recorded %v", d.Tensor, d.Index, d.Replayed, d.Recorded)
}

// resolveLink is the link between two named checkpoints, refused unless one run of
// training went from one to the other.
func resolveLink(v *validator.Session, lin *validator.Lineage, from, to string) (validator.Link, error) {
	f, err := v.Resolve(from)
	if err != nil {
		return validator.Link{}, fmt.Errorf("--from: %w", err)
	}
	t, err := v.Resolve(to)
	if err != nil {
		return validator.Link{}, fmt.Errorf("--to: %w", err)
	}
	if err := lin.Check(f, t); err != nil {
		return validator.Link{}, fmt.Errorf("replay %s → %s: %w", validator.Describe(f), validator.Describe(t), err)
	}
	return validator.Link{From: f, To: t}, nil
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
	var ref string
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := flags.client()
			if err != nil {
				return err
			}
			v, err := validator.OpenCluster(cmd.Context(), api, nil, args[0])
			if err != nil {
				return err
			}
			c, err := v.Resolve(ref)
			if err != nil {
				return err
			}
			if _, err := api.FlagCheckpoint(cmd.Context(), c.ID, structs.CheckpointFlagArgs{Pinned: &pin}); err != nil {
				return err
			}
			fmt.Printf("checkpoint at step %d pinned=%v\n", c.Step, pin)
			return nil
		},
	}
	cmd.Flags().StringVar(&ref, "step", "", "the checkpoint: its step, or a prefix of its manifest hash")
	return cmd
}

// evaluateOptions are the flags of `checkpoints evaluate`.
type evaluateOptions struct {
	step      string // a step where unique, or a manifest hash prefix
	split     string
	threshold float64
	asJSON    bool
}

func checkpointsEvaluate(flags *validatorFlags) *cobra.Command {
	var o evaluateOptions
	cmd := &cobra.Command{
		Use:   "evaluate EXPERIMENT --step STEP [--split test]",
		Short: "Evaluate a checkpoint on a held-out split: the clinical report",
		Long: `Run a committed checkpoint on the held-out split and print the clinical report: AUROC
with a 95% confidence interval (DeLong), sensitivity, specificity, PPV, NPV and F1 at
--threshold and at the Youden-optimal threshold, Brier score, expected calibration error
with the reliability curve, and the confusion matrix (one-vs-rest and macro averages for
multi-class). The JSON report is stored beside the checkpoint.

A runtime: torch run's checkpoint is evaluated through the ONNX model its script
exported with it (ctx.save_onnx), in ONNX Runtime on the held-out split of the dataset
the checkpoint names: the report does not depend on PyTorch. A checkpoint exported
with no model is refused, naming the steps that have one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := flags.open(cmd, args[0], true)
			if err != nil {
				return err
			}
			return evaluateCheckpoint(cmd.Context(), v, o)
		},
	}
	cmd.Flags().StringVar(&o.step, "step", "", "the checkpoint: its step, or a prefix of its manifest hash")
	cmd.Flags().StringVar(&o.split, "split", "test", "test or validation")
	cmd.Flags().Float64Var(&o.threshold, "threshold", 0.5, "decision threshold on P(positive)")
	addJSONFlag(cmd, &o.asJSON)
	return cmd
}

func evaluateCheckpoint(ctx context.Context, v *validator.Session, o evaluateOptions) error {
	c, err := v.Resolve(o.step)
	if err != nil {
		return err
	}
	ev, err := v.Evaluate(ctx, c.ManifestHash, o.split, o.threshold)
	if err != nil {
		return err
	}
	if o.asJSON {
		body, err := ev.Report.JSON()
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(append(body, '\n'))
		return err
	}
	fmt.Printf("%s step %d, %s split — stored at %s\n\n%s", v.Spec.Name, c.Step, o.split, ev.Key, ev.Report.Table())
	return nil
}
