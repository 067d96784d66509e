package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func newStatusCommand() *cobra.Command {
	var cluster clusterFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the coordinator cluster: leader, peers, Raft indexes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			st, err := api.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(st)
			}
			fmt.Printf("answered by %s  leader %s (%s)  last index %d  applied %d  open alerts %d\n",
				st.ServerID, st.LeaderID, st.LeaderHTTPAddr, st.LastIndex, st.AppliedIndex, st.OpenAlerts)
			tw := newTable()
			fmt.Fprintln(tw, "PEER\tRAFT\tHTTP\tVOTER\tLEADER")
			for _, p := range st.Peers {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\n", p.ID, p.RaftAddr, p.HTTPAddr, p.Voter, p.Leader)
			}
			return tw.Flush()
		},
	}
	cluster.register(cmd)
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func newExperimentsCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "experiments", Short: "List, show and cancel experiments"}
	cluster.register(cmd)

	var asJSON bool
	var status string
	ls := &cobra.Command{
		Use: "ls", Short: "List experiments", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			exps, err := api.Experiments(cmd.Context(), status)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(exps)
			}
			tw := newTable()
			fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tSTEP\tLOSS\tRESTARTS\tCREATED")
			for _, e := range exps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.4f\t%d\t%s\n", e.ID, e.Name, e.Status, e.Progress.Step, e.Progress.Loss, e.Restarts, unixTime(e.CreatedAt))
			}
			return tw.Flush()
		},
	}
	ls.Flags().StringVar(&status, "status", "", "only experiments with this status")
	addJSONFlag(ls, &asJSON)

	var showJSON bool
	show := &cobra.Command{
		Use: "show ID", Short: "Show one experiment and its attempts", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			e, err := api.Experiment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			attempts, err := api.Attempts(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			// Alerts explain a resume that fell back past a refused checkpoint. A token
			// without read access to them (an agent's) still sees everything else.
			alerts, err := api.Alerts(cmd.Context(), e.ID, false)
			if err != nil {
				alerts = nil
			}
			if showJSON {
				return printJSON(map[string]any{"experiment": e, "attempts": attempts, "alerts": alerts})
			}
			fmt.Printf("%s  %s  %s %s\n  spec %s  restarts %d  step %d", e.ID, e.Name, e.Status, e.StatusReason,
				shortID(e.SpecHash), e.Restarts, e.Progress.Step)
			if !e.Spec.IsTorch() { // a torch script reports its own loss and rate among its metrics
				fmt.Printf("  loss %.4f  %.0f samples/s", e.Progress.Loss, e.Progress.SamplesPerSec)
			}
			fmt.Println()
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
			fmt.Fprintln(tw, "ATTEMPT\t#\tSTATUS\tRANKS\tRESUMED FROM\tREASON")
			for _, a := range attempts {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", a.ID, a.Number, a.Status, len(a.Ranks), resumedFrom(a, alerts), a.EndReason)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(alerts) == 0 {
				return nil
			}
			fmt.Println()
			tw = newTable()
			fmt.Fprintln(tw, "ALERT\tKIND\tSTEP\tBLOB\tACKED\tREASON")
			for _, al := range alerts {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%t\t%s\n", al.ID, al.Kind, al.Step, shortID(al.BlobHash), al.AckedAt != 0, al.Reason)
			}
			return tw.Flush()
		},
	}
	addJSONFlag(show, &showJSON)

	cancel := &cobra.Command{
		Use: "cancel ID", Short: "Cancel an experiment", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			idx, err := api.CancelExperiment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Printf("experiment %s cancelled (index %d)\n", args[0], idx)
			return nil
		},
	}
	cmd.AddCommand(ls, show, cancel)
	return cmd
}

func newNodesCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "nodes", Short: "List worker nodes and their devices; drain a node; uncordon a repaired device"}
	cluster.register(cmd)
	var asJSON bool
	ls := &cobra.Command{
		Use: "ls", Short: "List nodes", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			nodes, err := api.Nodes(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(nodes)
			}
			tw := newTable()
			fmt.Fprintln(tw, "ID\tNAME\tADDRESS\tSTATUS\tDEVICES\tREASON")
			for _, n := range nodes {
				devs := ""
				for i, d := range n.Devices {
					if i > 0 {
						devs += ", "
					}
					devs += fmt.Sprintf("%s %s (%s)", d.Kind, d.Name, d.Health)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.ID, n.Name, n.Address, n.Status, devs, n.StatusReason)
			}
			return tw.Flush()
		},
	}
	addJSONFlag(ls, &asJSON)
	var undo bool
	drain := &cobra.Command{
		Use: "drain ID", Short: "Stop placing new attempts on a node (--undo to return it)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			if _, err := api.DrainNode(cmd.Context(), args[0], !undo); err != nil {
				return err
			}
			fmt.Printf("node %s drain=%v\n", args[0], !undo)
			return nil
		},
	}
	drain.Flags().BoolVar(&undo, "undo", false, "end the drain")
	var showJSON bool
	show := &cobra.Command{
		Use: "show ID", Short: "Show a node's devices: health, reasons, cordons", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			n, err := api.Node(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if showJSON {
				return printJSON(n)
			}
			fmt.Printf("%s  %s  %s  status %s (%s)  drain=%v\n", n.ID, n.Name, n.Address, n.Status, n.StatusReason, n.Drain)
			tw := newTable()
			fmt.Fprintln(tw, "DEVICE\tKIND\tNAME\tHEALTH\tCORDONED\tREASONS")
			for _, d := range n.Devices {
				reasons := strings.Join(d.Reasons, "; ")
				if d.Cordoned {
					reasons = strings.TrimPrefix(reasons+"; cordoned: "+d.CordonReason, "; ")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", d.ID, d.Kind, d.Name, d.Health, d.Cordoned, reasons)
			}
			return tw.Flush()
		},
	}
	addJSONFlag(show, &showJSON)
	var deviceID string
	uncordon := &cobra.Command{
		Use: "uncordon NODE --device ID", Short: "Return a repaired device to service", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			if _, err := api.UncordonDevice(cmd.Context(), args[0], deviceID); err != nil {
				return err
			}
			fmt.Printf("device %s of node %s uncordoned\n", deviceID, args[0])
			return nil
		},
	}
	uncordon.Flags().StringVar(&deviceID, "device", "", "the device's ID (UUID)")
	cmd.AddCommand(ls, show, drain, uncordon)
	return cmd
}

func newACLCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "acl", Short: "Bootstrap the ACL system and manage tokens"}
	cluster.register(cmd)
	bootstrap := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the first admin token (works once per cluster)",
		Long:  "Create the first admin token. It works once per cluster; keep the secret it prints safe.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			tok, err := api.ACLBootstrap(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Printf("accessor %s\nsecret   %s\n", tok.AccessorID, tok.SecretID)
			return nil
		},
	}
	var roles []string
	create := &cobra.Command{
		Use: "token-create NAME --role ROLE", Short: "Create a token with roles (admin, researcher, validator, trust, agent)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			tok, err := api.CreateToken(cmd.Context(), args[0], roles...)
			if err != nil {
				return err
			}
			fmt.Printf("accessor %s\nsecret   %s\nroles    %s\n", tok.AccessorID, tok.SecretID, joinRoles(tok.Roles))
			return nil
		},
	}
	create.Flags().StringSliceVar(&roles, "role", nil, "role to grant (repeatable)")
	cmd.AddCommand(bootstrap, create)
	return cmd
}

func newTable() *tabwriter.Writer { return tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0) }

func unixTime(ns int64) string {
	if ns == 0 {
		return "-"
	}
	return time.Unix(0, ns).UTC().Format(time.DateTime)
}

func newOperatorCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "operator", Short: "Operate the coordinator's Raft peers"}
	cluster.register(cmd)
	var asJSON bool
	peers := &cobra.Command{
		Use: "peers", Short: "List the Raft peers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			ps, err := api.Peers(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(ps)
			}
			tw := newTable()
			fmt.Fprintln(tw, "ID\tRAFT\tHTTP\tVOTER\tLEADER")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\n", p.ID, p.RaftAddr, p.HTTPAddr, p.Voter, p.Leader)
			}
			return tw.Flush()
		},
	}
	addJSONFlag(peers, &asJSON)
	remove := &cobra.Command{
		Use: "remove-peer ID", Short: "Remove a server from the Raft configuration (for a server that is gone for good)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := cluster.client()
			if err != nil {
				return err
			}
			idx, err := api.RemovePeer(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Printf("peer %s removed (index %d)\n", args[0], idx)
			return nil
		},
	}
	cmd.AddCommand(peers, remove)
	return cmd
}

// resumedFrom names the checkpoint an attempt was told to resume from, and says so when
// the agent refused it (an alert of that attempt on that checkpoint) and fell back to
// an earlier one: the coordinator chose it without reading its blobs.
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
