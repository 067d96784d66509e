package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func newStatusCommand() *cobra.Command {
	var cluster clusterFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the coordinator cluster: leader, peers, Raft indexes",
		Args:  cobra.NoArgs,
		RunE: cluster.run(func(ctx context.Context, api *client.Client, _ []string) error {
			st, err := api.Status(ctx)
			if err != nil || asJSON {
				return orJSON(st, err)
			}
			fmt.Printf("answered by %s  leader %s (%s)  last index %d  applied %d  open alerts %d\n",
				st.ServerID, st.LeaderID, st.LeaderHTTPAddr, st.LastIndex, st.AppliedIndex, st.OpenAlerts)
			fmt.Printf("tls: %s\n", st.TLS)
			return printPeers(st.Peers)
		}),
	}
	cluster.register(cmd)
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func newOperatorCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "operator", Short: "Operate the coordinator's Raft peers"}
	cluster.register(cmd)
	var asJSON bool
	peers := &cobra.Command{
		Use: "peers", Short: "List the Raft peers", Args: cobra.NoArgs,
		RunE: cluster.run(func(ctx context.Context, api *client.Client, _ []string) error {
			ps, err := api.Peers(ctx)
			if err != nil || asJSON {
				return orJSON(ps, err)
			}
			return printPeers(ps)
		}),
	}
	addJSONFlag(peers, &asJSON)
	remove := &cobra.Command{
		Use: "remove-peer ID", Short: "Remove a server from the Raft configuration (for a server that is gone for good)", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			idx, err := api.RemovePeer(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Printf("peer %s removed (index %d)\n", args[0], idx)
			return nil
		}),
	}
	cmd.AddCommand(peers, remove)
	return cmd
}

func printPeers(peers []structs.Peer) error {
	tw := newTable()
	fmt.Fprintln(tw, "ID\tRAFT\tHTTP\tVOTER\tLEADER")
	for _, p := range peers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\n", p.ID, p.RaftAddr, p.HTTPAddr, p.Voter, p.Leader)
	}
	return tw.Flush()
}

// orJSON ends a read subcommand whose fetch failed (err) or whose user asked for
// --json (err nil): it returns the error, or prints v as JSON.
func orJSON(v any, err error) error {
	if err != nil {
		return err
	}
	return printJSON(v)
}
