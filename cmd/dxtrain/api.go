package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/pki"
)

// clusterFlags are the flags of every command that talks to the coordinator.
type clusterFlags struct {
	addr  string
	token string
	stale bool
	json  bool
}

func (f *clusterFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.addr, "addr", envOr("DXTRAIN_ADDR", "127.0.0.1:4646"), "coordinator HTTP addresses, comma-separated ($DXTRAIN_ADDR)")
	cmd.PersistentFlags().StringVar(&f.token, "token", "", "ACL token secret (default $DXTRAIN_TOKEN)")
	cmd.PersistentFlags().BoolVar(&f.stale, "stale", false, "let any server answer reads (dashboards)")
}

// client is the API client of a CLI user: TLS from DXTRAIN_CACERT and friends.
func (f *clusterFlags) client() (*client.Client, error) {
	src, err := userTLS()
	if err != nil {
		return nil, err
	}
	return f.clientWith(src)
}

// agentClient is the API client of an agent: its own agent certificate (nil when
// insecure_plaintext), never the user's environment.
func (f *clusterFlags) agentClient(src *pki.Source) (*client.Client, error) { return f.clientWith(src) }

func (f *clusterFlags) clientWith(src *pki.Source) (*client.Client, error) {
	token := f.token
	if token == "" {
		token = os.Getenv("DXTRAIN_TOKEN")
	}
	var addrs []string
	for _, a := range strings.Split(f.addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	c, err := client.New(addrs, token, apiOptions(src)...)
	if err != nil {
		return nil, err
	}
	if f.stale {
		c = c.Stale()
	}
	return c, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func printJSON(v any) error { return jsonEncoder(os.Stdout).Encode(v) }

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc
}

func addJSONFlag(cmd *cobra.Command, into *bool) {
	cmd.Flags().BoolVar(into, "json", false, "print JSON")
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// run adapts a subcommand body that needs the API client to cobra's RunE, so each
// subcommand is one named function of (context, client, arguments).
func (f *clusterFlags) run(body func(ctx context.Context, api *client.Client, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		api, err := f.client()
		if err != nil {
			return err
		}
		return body(cmd.Context(), api, args)
	}
}

func newTable() *tabwriter.Writer { return tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0) }

func unixTime(ns int64) string {
	if ns == 0 {
		return "-"
	}
	return time.Unix(0, ns).UTC().Format(time.DateTime)
}
