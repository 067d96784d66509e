package main

import (
	"errors"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator"
	"github.com/dxtrain/dxtrain/storage"
	_ "github.com/dxtrain/dxtrain/storage/s3" // s3:// store URLs
)

func newServerCommand() *cobra.Command {
	var configPath string
	var tlsf tlsFlags
	cfg := coordinator.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a coordinator server (one of 3 or 5 Raft peers)",
		Long: `Run a coordinator server. Three or five servers replicate the cluster's state with
Raft; any minority may fail. Start the first with --bootstrap and the others with
--join pointing at any running server. Flags override the --config file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath != "" {
				fileCfg, err := coordinator.Load(configPath)
				if err != nil {
					return err
				}
				cfg = overrideChanged(cmd, fileCfg, cfg)
			}
			tlsf.apply(cmd, &cfg.TLS, &cfg.InsecurePlaintext)
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			if cfg.StoreURL != "" { // released models are streamed from it; the leader's GC sweeps it
				s3cfg, err := storage.ConfigFromEnv()
				if err != nil {
					return err
				}
				if cfg.Store, err = storage.Open(cmd.Context(), cfg.StoreURL, s3cfg); err != nil {
					return err
				}
			}
			if err := errors.Join(cfg.Validate(), cfg.ValidateTransport()); err != nil {
				return err
			}
			srv, err := coordinator.New(cfg)
			if err != nil {
				return err
			}
			cfg.Logger.Info("coordinator started", "node_id", cfg.NodeID, "http", srv.HTTPAddr(), "raft", srv.RaftAddr(), "tls", srv.TLSStatus())
			if !cfg.InsecurePlaintext {
				reloadOnHangup(cmd.Context(), cfg.Logger, "tls certificates", srv.ReloadTLS)
			}
			return srv.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "YAML config file (see coordinator.Config)")
	f.StringVar(&cfg.NodeID, "node-id", cfg.NodeID, "this server's Raft ID, unique and stable")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the Raft log and snapshots")
	f.StringVar(&cfg.RaftAddr, "raft-addr", cfg.RaftAddr, "Raft TCP listen address")
	f.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "HTTP API listen address")
	f.BoolVar(&cfg.Bootstrap, "bootstrap", false, "form a new cluster if this server has no state")
	f.StringSliceVar(&cfg.Join, "join", nil, "HTTP addresses of servers to join through")
	f.StringVar(&cfg.JoinToken, "join-token", os.Getenv("DXTRAIN_JOIN_TOKEN"), "secret shared by servers for joining ($DXTRAIN_JOIN_TOKEN)")
	f.StringVar(&cfg.StoreURL, "store", os.Getenv("DXTRAIN_STORE"), "object store URL, for model downloads and blob GC ($DXTRAIN_STORE)")
	f.DurationVar(&cfg.GCGrace, "gc-grace", cfg.GCGrace, "age before an unreferenced blob is swept")
	tlsf.register(cmd, "server")
	f.DurationVar(&cfg.NodeHeartbeatTimeout, "node-heartbeat-timeout", cfg.NodeHeartbeatTimeout, "silence after which an agent's node is marked down")
	return cmd
}

// overrideChanged starts from the file's config and takes each value given explicitly
// on the command line from the flags.
func overrideChanged(cmd *cobra.Command, file, flags coordinator.Config) coordinator.Config {
	changed := cmd.Flags().Changed
	if changed("node-id") {
		file.NodeID = flags.NodeID
	}
	if changed("data-dir") {
		file.DataDir = flags.DataDir
	}
	if changed("raft-addr") {
		file.RaftAddr = flags.RaftAddr
	}
	if changed("http-addr") {
		file.HTTPAddr = flags.HTTPAddr
	}
	if changed("bootstrap") {
		file.Bootstrap = flags.Bootstrap
	}
	if changed("join") {
		file.Join = flags.Join
	}
	if changed("join-token") || file.JoinToken == "" {
		file.JoinToken = flags.JoinToken
	}
	if changed("store") || file.StoreURL == "" {
		file.StoreURL = flags.StoreURL
	}
	if changed("gc-grace") {
		file.GCGrace = flags.GCGrace
	}
	if changed("node-heartbeat-timeout") {
		file.NodeHeartbeatTimeout = flags.NodeHeartbeatTimeout
	}
	return file
}
