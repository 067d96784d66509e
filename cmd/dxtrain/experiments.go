package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func newExperimentsCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "experiments", Short: "List, show and cancel experiments"}
	cluster.register(cmd)

	var lsJSON bool
	var status string
	ls := &cobra.Command{
		Use: "ls", Short: "List experiments", Args: cobra.NoArgs,
		RunE: cluster.run(func(ctx context.Context, api *client.Client, _ []string) error {
			return listExperiments(ctx, api, status, lsJSON)
		}),
	}
	ls.Flags().StringVar(&status, "status", "", "only experiments with this status")
	addJSONFlag(ls, &lsJSON)

	var showJSON bool
	show := &cobra.Command{
		Use: "show ID", Short: "Show one experiment and its attempts", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			return showExperiment(ctx, api, args[0], showJSON)
		}),
	}
	addJSONFlag(show, &showJSON)

	cancel := &cobra.Command{
		Use: "cancel ID", Short: "Cancel an experiment", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			idx, err := api.CancelExperiment(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Printf("experiment %s cancelled (index %d)\n", args[0], idx)
			return nil
		}),
	}
	cmd.AddCommand(ls, show, cancel)
	return cmd
}

func listExperiments(ctx context.Context, api *client.Client, status string, asJSON bool) error {
	exps, err := api.Experiments(ctx, status)
	if err != nil || asJSON {
		return orJSON(exps, err)
	}
	tw := newTable()
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tSTEP\tLOSS\tRESTARTS\tCREATED")
	for _, e := range exps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.4f\t%d\t%s\n", e.ID, e.Name, e.Status, e.Progress.Step, e.Progress.Loss, e.Restarts, unixTime(e.CreatedAt))
	}
	return tw.Flush()
}

// experimentView is what `experiments show` prints: the experiment, its attempts, and
// the alerts that explain a resume that fell back past a refused checkpoint.
type experimentView struct {
	Experiment *structs.Experiment `json:"experiment"`
	Attempts   []structs.Attempt   `json:"attempts"`
	Alerts     []structs.Alert     `json:"alerts"`
	// Queue is why a pending experiment waits, from the leader's last pass.
	Queue *structs.QueueEntry `json:"queue,omitempty"`
}

func showExperiment(ctx context.Context, api *client.Client, id string, asJSON bool) error {
	var v experimentView
	var err error
	if v.Experiment, err = api.Experiment(ctx, id); err != nil {
		return err
	}
	if v.Attempts, err = api.Attempts(ctx, id); err != nil {
		return err
	}
	// A token without read access to alerts (an agent's) still sees everything else;
	// any other failure is the user's to see.
	if v.Alerts, err = api.Alerts(ctx, v.Experiment.ID, false); errors.Is(err, structs.ErrPermissionDenied) {
		v.Alerts = nil
	} else if err != nil {
		return err
	}
	if v.Experiment.Status == structs.ExperimentPending {
		if v.Queue, err = queueEntry(ctx, api, id); err != nil {
			return err
		}
	}
	if asJSON {
		return printJSON(v)
	}
	return printExperiment(v)
}

func printExperiment(v experimentView) error {
	e := v.Experiment
	fmt.Printf("%s  %s  %s %s\n  spec %s  restarts %d  step %d", e.ID, e.Name, e.Status, e.StatusReason,
		shortID(e.SpecHash), e.Restarts, e.Progress.Step)
	if !e.Spec.IsTorch() { // a torch script reports its own loss and rate among its metrics
		fmt.Printf("  loss %.4f  %.0f samples/s", e.Progress.Loss, e.Progress.SamplesPerSec)
	}
	fmt.Println()
	fmt.Printf("  project %s  priority %s", orDefault(e.Spec.Project, structs.DefaultProject), orDefault(e.Spec.Priority, structs.DefaultPriority))
	if e.Spec.TimeLimit != "" {
		fmt.Printf("  time limit %s", e.Spec.TimeLimit)
	}
	if n := len(e.Preemptions); n > 0 {
		fmt.Printf("  preempted %d time(s)", n)
	}
	fmt.Println()
	if q := v.Queue; q != nil {
		fmt.Printf("  queue position %d: %s  (expected start %s)\n", q.Position, q.Reason, expectedStart(q.EstimatedStart))
	}
	for _, a := range v.Attempts {
		if a.Status == structs.AttemptRunning && a.Stop != nil {
			fmt.Printf("  attempt %d is checkpointing to stop (%s: %s), at the latest by %s\n", a.Number, a.Stop.Reason, a.Stop.Detail, unixTime(a.Stop.Deadline))
		}
	}
	if len(e.Progress.Metrics) > 0 {
		fmt.Printf("  latest: %s\n", formatMetrics(e.Progress.Metrics))
	}
	if e.CodeBundle != "" {
		fmt.Printf("  runtime torch  code bundle %s\n", e.CodeBundle)
	}
	for _, a := range e.Artifacts {
		fmt.Printf("  artifact %s  sha256 %s  %d bytes  step %d  ONNX Runtime max |diff| %.2g\n", a.Name, a.SHA256, a.Size, a.Step, a.MaxDiff)
	}
	if err := printSeries(e.Series, 12); err != nil {
		return err
	}
	tw := newTable()
	fmt.Fprintln(tw, "ATTEMPT\t#\tSTATUS\tRANKS\tRESUME FROM\tRESUMED FROM\tREASON")
	for _, a := range v.Attempts {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\n", a.ID, a.Number, a.Status, len(a.Ranks),
			orDash(resumedFrom(a, v.Alerts)), orDash(shortID(a.ResumedFrom)), a.EndReason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(v.Alerts) == 0 {
		return nil
	}
	fmt.Println()
	tw = newTable()
	fmt.Fprintln(tw, "ALERT\tKIND\tSTEP\tBLOB\tACKED\tREASON")
	for _, al := range v.Alerts {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%t\t%s\n", al.ID, al.Kind, al.Step, shortID(al.BlobHash), al.AckedAt != 0, al.Reason)
	}
	return tw.Flush()
}

// resumedFrom names the checkpoint the coordinator told an attempt to resume from (it
// chose it without reading its blobs), and says so when the agent refused it (an alert
// of that attempt on that checkpoint); RESUMED FROM then shows where it really began.
func resumedFrom(a structs.Attempt, alerts []structs.Alert) string {
	if a.ResumeFrom == "" {
		return ""
	}
	for _, al := range alerts {
		if al.Kind == structs.AlertCheckpointRefused && al.AttemptID == a.ID && al.CheckpointID == a.ResumeFrom {
			return shortID(a.ResumeFrom) + " (refused, fell back: alert " + shortID(al.ID) + ")"
		}
	}
	return shortID(a.ResumeFrom)
}
