package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/pki"
)

func newLogsCommand() *cobra.Command {
	var (
		cluster clusterFlags
		rank    int
		attempt int
		follow  bool
	)
	cmd := &cobra.Command{
		Use:   "logs EXPERIMENT [--rank N] [--attempt K] [--follow]",
		Short: "Print a torch run's per-rank output, kept on the agents that ran it",
		Long: `Print the stdout and stderr of a runtime: torch experiment's ranks (every rank, each
line prefixed with its rank, or one with --rank). The output stays on the agents that
ran the ranks; this asks each agent directly, showing it your token, which the agent
checks with the coordinator. --attempt picks an attempt by number (default: the latest);
--follow streams until the attempt ends.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := userTLS()
			if err != nil {
				return err
			}
			api, err := cluster.clientWith(src)
			if err != nil {
				return err
			}
			// The agents' log servers speak TLS with their agent certificates
			// when the cluster does.
			scheme, agents := "http", http.DefaultClient
			if src != nil {
				scheme = "https"
				agents = &http.Client{Transport: &http.Transport{TLSClientConfig: src.ClientConfig(pki.RoleAgent)}}
			}
			sources, err := logSources(cmd.Context(), api, args[0], attempt, rank, scheme)
			if err != nil {
				return err
			}
			token := cluster.token
			if token == "" {
				token = os.Getenv("DXTRAIN_TOKEN")
			}
			return streamLogs(cmd.Context(), agents, sources, token, follow, len(sources) > 1)
		},
	}
	cluster.register(cmd)
	cmd.Flags().IntVar(&rank, "rank", -1, "only this global rank (RANK of the process)")
	cmd.Flags().IntVar(&attempt, "attempt", 0, "attempt number (default: the latest)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "stream new output until the attempt ends")
	return cmd
}

// logSource is one rank's log on one agent.
type logSource struct {
	rank int
	url  string
}

// logSources finds where each wanted rank of the attempt ran and the log address of
// that node's agent.
func logSources(ctx context.Context, api *client.Client, expID string, number, rank int, scheme string) ([]logSource, error) {
	exp, err := api.Experiment(ctx, expID)
	if err != nil {
		return nil, err
	}
	if !exp.Spec.IsTorch() {
		return nil, fmt.Errorf("experiment %s runs on the native engine; its agents log to their own output, not per rank", exp.ID)
	}
	attempts, err := api.Attempts(ctx, exp.ID)
	if err != nil {
		return nil, err
	}
	var att *structs.Attempt
	for i := range attempts {
		if number == 0 || attempts[i].Number == number {
			att = &attempts[i]
		}
	}
	if att == nil {
		if number == 0 {
			return nil, fmt.Errorf("experiment %s has not started an attempt yet", exp.ID)
		}
		return nil, fmt.Errorf("experiment %s has no attempt %d", exp.ID, number)
	}
	perWorker := max(exp.Spec.Workers.DevicesPerWorker, 1)
	world := len(att.Ranks) * perWorker
	if rank >= world {
		return nil, fmt.Errorf("attempt %d of %s has ranks 0-%d, not %d", att.Number, exp.ID, world-1, rank)
	}
	var out []logSource
	for r := range world {
		if rank >= 0 && r != rank {
			continue
		}
		node, err := api.Node(ctx, att.Ranks[r/perWorker].NodeID)
		if err != nil {
			return nil, err
		}
		if node.LogAddress == "" {
			return nil, fmt.Errorf("node %s serves no logs (its agent predates dxtrain logs)", node.ID)
		}
		q := url.Values{"experiment": {exp.ID}, "attempt": {att.ID}, "rank": {strconv.Itoa(r)}}
		out = append(out, logSource{rank: r, url: scheme + "://" + node.LogAddress + "/v1/logs?" + q.Encode()})
	}
	return out, nil
}

// streamLogs prints each source, one after another, or all at once when following;
// with several sources each line is prefixed with its rank.
func streamLogs(ctx context.Context, agents *http.Client, sources []logSource, token string, follow, prefix bool) error {
	var mu sync.Mutex // one writer to stdout at a time, whole lines
	get := func(s logSource) error {
		u := s.url
		if follow {
			u += "&follow=true"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := agents.Do(req)
		if err != nil {
			return fmt.Errorf("rank %d: %w", s.rank, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			return fmt.Errorf("rank %d: %s: %s", s.rank, resp.Status, msg)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			mu.Lock()
			if prefix {
				fmt.Printf("[rank %d] ", s.rank)
			}
			fmt.Println(sc.Text())
			mu.Unlock()
		}
		return sc.Err()
	}
	if !follow {
		for _, s := range sources {
			if err := get(s); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make(chan error, len(sources))
	for _, s := range sources {
		go func() { errs <- get(s) }()
	}
	var first error
	for range sources {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
