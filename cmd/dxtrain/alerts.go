package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// newAlertsCommand: what the cluster flagged for people to look at (a checkpoint a
// resume refused), and acknowledging it.
func newAlertsCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "alerts", Short: "List and acknowledge alerts (refused checkpoints)"}
	cluster.register(cmd)
	cmd.AddCommand(alertsLs(&cluster), alertsAck(&cluster))
	return cmd
}

func alertsLs(cluster *clusterFlags) *cobra.Command {
	var experiment string
	var onlyOpen, asJSON bool
	cmd := &cobra.Command{
		Use: "ls", Short: "List alerts, oldest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			alerts, err := api.Alerts(cmd.Context(), experiment, onlyOpen)
			if err != nil {
				return err
			}
			if asJSON {
				if alerts == nil {
					alerts = []structs.Alert{}
				}
				return printJSON(alerts)
			}
			tw := newTable()
			fmt.Fprintln(tw, "ID\tTIME\tKIND\tEXPERIMENT\tSTEP\tCHECKPOINT\tBLOB\tOPEN\tREASON")
			for _, a := range alerts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%v\t%s\n", a.ID, unixTime(a.Time), a.Kind, a.ExperimentID, a.Step,
					orDash(a.CheckpointID), orDash(shortHash(a.BlobHash)), a.Open(), a.Reason)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&experiment, "experiment", "", "only the alerts of this experiment ID")
	cmd.Flags().BoolVar(&onlyOpen, "open", false, "only alerts nobody has acknowledged")
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func alertsAck(cluster *clusterFlags) *cobra.Command {
	return &cobra.Command{
		Use: "ack ID", Short: "Acknowledge an alert (validator)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			idx, err := api.AckAlert(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Printf("alert %s acknowledged (index %d)\n", args[0], idx)
			return nil
		},
	}
}

// shortHash keeps enough of a SHA-256 to find the blob.
func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
