package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
)

func newNodesCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "nodes", Short: "List worker nodes and their devices; drain a node; uncordon a repaired device"}
	cluster.register(cmd)

	var lsJSON bool
	ls := &cobra.Command{
		Use: "ls", Short: "List nodes", Args: cobra.NoArgs,
		RunE: cluster.run(func(ctx context.Context, api *client.Client, _ []string) error {
			return listNodes(ctx, api, lsJSON)
		}),
	}
	addJSONFlag(ls, &lsJSON)

	var undo bool
	drain := &cobra.Command{
		Use: "drain ID", Short: "Stop placing new attempts on a node (--undo to return it)", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			if _, err := api.DrainNode(ctx, args[0], !undo); err != nil {
				return err
			}
			fmt.Printf("node %s drain=%v\n", args[0], !undo)
			return nil
		}),
	}
	drain.Flags().BoolVar(&undo, "undo", false, "end the drain")

	var showJSON bool
	show := &cobra.Command{
		Use: "show ID", Short: "Show a node's devices: health, reasons, cordons", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			return showNode(ctx, api, args[0], showJSON)
		}),
	}
	addJSONFlag(show, &showJSON)

	var deviceID string
	uncordon := &cobra.Command{
		Use: "uncordon NODE --device ID", Short: "Return a repaired device to service", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			if _, err := api.UncordonDevice(ctx, args[0], deviceID); err != nil {
				return err
			}
			fmt.Printf("device %s of node %s uncordoned\n", deviceID, args[0])
			return nil
		}),
	}
	uncordon.Flags().StringVar(&deviceID, "device", "", "the device's ID (UUID)")
	cmd.AddCommand(ls, show, drain, uncordon)
	return cmd
}

func listNodes(ctx context.Context, api *client.Client, asJSON bool) error {
	nodes, err := api.Nodes(ctx)
	if err != nil || asJSON {
		return orJSON(nodes, err)
	}
	tw := newTable()
	fmt.Fprintln(tw, "ID\tNAME\tADDRESS\tSTATUS\tDEVICES\tREASON")
	for _, n := range nodes {
		devs := make([]string, len(n.Devices))
		for i, d := range n.Devices {
			devs[i] = fmt.Sprintf("%s %s (%s)", d.Kind, d.Name, d.Health)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.ID, n.Name, n.Address, n.Status, strings.Join(devs, ", "), n.StatusReason)
	}
	return tw.Flush()
}

func showNode(ctx context.Context, api *client.Client, id string, asJSON bool) error {
	n, err := api.Node(ctx, id)
	if err != nil || asJSON {
		return orJSON(n, err)
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
}
