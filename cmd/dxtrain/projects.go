package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func newQueueCommand() *cobra.Command {
	var cluster clusterFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use: "queue", Short: "Show pending experiments in the order the scheduler will place them, why each waits and when it should start", Args: cobra.NoArgs,
		RunE: cluster.run(func(ctx context.Context, api *client.Client, _ []string) error {
			q, err := api.Queue(ctx)
			if err != nil || asJSON {
				return orJSON(q, err)
			}
			tw := newTable()
			fmt.Fprintln(tw, "POS\tEXPERIMENT\tNAME\tPROJECT\tPRIORITY\tWAITING\tEXPECTED START\tREASON")
			for _, e := range q.Entries {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Position, e.ExperimentID, e.Name, e.Project, e.Priority,
					waited(e.QueuedAt), expectedStart(e.EstimatedStart), e.Reason)
			}
			return tw.Flush()
		}),
	}
	cluster.register(cmd)
	addJSONFlag(cmd, &asJSON)
	return cmd
}

// queueEntry is the experiment's entry in the leader's last pass, or nil.
func queueEntry(ctx context.Context, api *client.Client, id string) (*structs.QueueEntry, error) {
	q, err := api.Queue(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range q.Entries {
		if e.ExperimentID == id {
			return &e, nil
		}
	}
	return nil, nil
}

func waited(since int64) string {
	if since == 0 {
		return "-"
	}
	return time.Since(time.Unix(0, since)).Round(time.Second).String()
}

func expectedStart(ns int64) string {
	if ns == 0 {
		return "unknown"
	}
	return unixTime(ns)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func newProjectsCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "projects", Short: "List, show and set projects: quotas, borrowing limits, fair-share weights and members"}
	cluster.register(cmd)

	var lsJSON bool
	ls := &cobra.Command{
		Use: "ls", Short: "List projects with their use against quota", Args: cobra.NoArgs,
		RunE: cluster.run(func(ctx context.Context, api *client.Client, _ []string) error {
			ps, err := api.Projects(ctx)
			if err != nil || lsJSON {
				return orJSON(ps, err)
			}
			tw := newTable()
			fmt.Fprintln(tw, "PROJECT\tWEIGHT\tIN USE / QUOTA (LIMIT)\tRUNNING\tPENDING\tMEMBERS")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\t%g\t%s\t%d\t%d\t%s\n", p.Name, p.Weight, useAgainstQuota(p), p.Running, p.Pending, members(p.Project))
			}
			return tw.Flush()
		}),
	}
	addJSONFlag(ls, &lsJSON)

	var showJSON bool
	show := &cobra.Command{
		Use: "show NAME", Short: "Show a project: use against quota, decayed usage, notes", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			p, err := api.Project(ctx, args[0])
			if err != nil || showJSON {
				return orJSON(p, err)
			}
			fmt.Printf("project %s  weight %g  members %s\n  in use / quota (limit): %s\n  running %d  pending %d\n",
				p.Name, p.Weight, members(p.Project), useAgainstQuota(*p), p.Running, p.Pending)
			for _, k := range slices.Sorted(maps.Keys(p.Usage)) {
				fmt.Printf("  fair-share usage %s: %.0f device-seconds (decayed)\n", k, p.Usage[k])
			}
			for _, n := range p.Notes {
				fmt.Printf("  note: %s\n", n)
			}
			return nil
		}),
	}
	addJSONFlag(show, &showJSON)

	var quota, borrow, memberIDs []string
	var weight float64
	set := &cobra.Command{
		Use: "set NAME", Short: "Create or replace a project (admin)", Args: cobra.ExactArgs(1),
		Example: "  dxtrain projects set radiology --quota gpu=16 --borrow gpu=8 --weight 2 --member <accessor-id>",
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			req := structs.ProjectSetRequest{Members: memberIDs, Weight: weight}
			var err error
			if req.Quota, err = deviceCounts("--quota", quota); err != nil {
				return err
			}
			if req.BorrowLimit, err = deviceCounts("--borrow", borrow); err != nil {
				return err
			}
			out, err := api.SetProject(ctx, args[0], req)
			if err != nil {
				return err
			}
			fmt.Printf("project %s set (index %d)\n", args[0], out.Index)
			for _, n := range out.Notes {
				fmt.Printf("note: %s\n", n)
			}
			return nil
		}),
	}
	set.Flags().StringSliceVar(&quota, "quota", nil, "guaranteed devices per kind, KIND=N (repeatable)")
	set.Flags().StringSliceVar(&borrow, "borrow", nil, "most devices per kind above the quota, KIND=N; a kind not given may borrow without limit")
	set.Flags().StringSliceVar(&memberIDs, "member", nil, "accessor ID of a member token (repeatable)")
	set.Flags().Float64Var(&weight, "weight", 1, "fair-share weight")

	del := &cobra.Command{
		Use: "delete NAME", Short: "Delete a project no live experiment belongs to (admin)", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			idx, err := api.DeleteProject(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Printf("project %s deleted (index %d)\n", args[0], idx)
			return nil
		}),
	}
	cmd.AddCommand(ls, show, set, del)
	return cmd
}

func newPrioritiesCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "priorities", Short: "List and set priority classes"}
	cluster.register(cmd)
	var asJSON bool
	ls := &cobra.Command{
		Use: "ls", Short: "List priority classes, highest first", Args: cobra.NoArgs,
		RunE: cluster.run(func(ctx context.Context, api *client.Client, _ []string) error {
			cs, err := api.PriorityClasses(ctx)
			if err != nil || asJSON {
				return orJSON(cs, err)
			}
			tw := newTable()
			fmt.Fprintln(tw, "CLASS\tVALUE\tROLES\tDESCRIPTION")
			for _, c := range cs {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", c.Name, c.Value, orDash(strings.Join(c.Roles, ",")), c.Description)
			}
			return tw.Flush()
		}),
	}
	addJSONFlag(ls, &asJSON)
	var req structs.PriorityClassSetRequest
	set := &cobra.Command{
		Use: "set NAME", Short: "Create or replace a priority class (admin); the first replaces the built-in set, which is kept", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			idx, err := api.SetPriorityClass(ctx, args[0], req)
			if err != nil {
				return err
			}
			fmt.Printf("priority class %s set (index %d)\n", args[0], idx)
			return nil
		}),
	}
	set.Flags().IntVar(&req.Value, "value", 0, "priority value: higher goes first and may preempt lower")
	set.Flags().StringSliceVar(&req.Roles, "roles", nil, "roles that may submit at this class (default: any that may submit)")
	set.Flags().StringVar(&req.Description, "description", "", "what the class is for")
	cmd.AddCommand(ls, set)
	return cmd
}

// deviceCounts parses KIND=N flags.
func deviceCounts(flag string, vals []string) (map[string]int, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]int{}
	for _, v := range vals {
		kind, n, ok := strings.Cut(v, "=")
		count, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s %q: want KIND=N, for example gpu=8", flag, v)
		}
		out[kind] = count
	}
	return out, nil
}

// useAgainstQuota prints "gpu 6/8 (12)" per kind in use or in quota.
func useAgainstQuota(p structs.ProjectStatus) string {
	kinds := map[string]bool{}
	for k := range p.InUse {
		kinds[k] = true
	}
	for k := range p.Quota {
		kinds[k] = true
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		limit := "no limit"
		if l := p.Limit(k); l >= 0 {
			limit = strconv.Itoa(l)
		}
		parts = append(parts, fmt.Sprintf("%s %d/%d (%s)", k, p.InUse[k], p.Quota[k], limit))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func members(p structs.Project) string {
	if len(p.Members) == 0 {
		if p.Name == structs.DefaultProject {
			return "everyone"
		}
		return "-"
	}
	return strings.Join(p.Members, ",")
}
