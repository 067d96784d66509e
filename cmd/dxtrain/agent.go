package main

import (
	"errors"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/storage"
	_ "github.com/dxtrain/dxtrain/storage/s3" // s3:// store URLs
	"github.com/dxtrain/dxtrain/trainer"
	"github.com/dxtrain/dxtrain/trainer/device"
)

func newAgentCommand() *cobra.Command {
	var (
		cluster  clusterFlags
		nodeID   string
		name     string
		address  string
		storeURL string
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a worker agent: register this node, heartbeat, train what it is assigned",
		Long: `Run a worker agent. It registers the node and its devices (GPUs through NVML, or the
CPU when there is no NVIDIA driver) with the coordinator, heartbeats to the leader,
follows leader changes, and runs the attempts it is assigned, checkpointing to the
object store. Needs a token with the agent role ($DXTRAIN_TOKEN).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if storeURL == "" {
				return errors.New("no object store: give --store file:///path or s3://bucket/prefix (or set DXTRAIN_STORE)")
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			api, err := cluster.client()
			if err != nil {
				return err
			}
			s3cfg, err := storage.ConfigFromEnv()
			if err != nil {
				return err
			}
			store, err := storage.Open(cmd.Context(), storeURL, s3cfg)
			if err != nil {
				return err
			}
			devCfg := device.DefaultConfig()
			devCfg.Logger = log
			devices, err := device.New(cmd.Context(), devCfg)
			if err != nil {
				return err
			}
			defer devices.Close()
			agent, err := trainer.NewAgent(trainer.AgentConfig{
				NodeID: nodeID, Name: name, Address: address, API: api, Store: store, Devices: devices, Logger: log,
			})
			if err != nil {
				return err
			}
			return agent.Run(cmd.Context())
		},
	}
	cluster.register(cmd)
	hostname, _ := os.Hostname()
	f := cmd.Flags()
	f.StringVar(&nodeID, "node-id", hostname, "this node's ID, unique and stable")
	f.StringVar(&name, "name", hostname, "a human-readable node name")
	f.StringVar(&address, "address", "127.0.0.1:0", "host:port other ranks reach this node on")
	f.StringVar(&storeURL, "store", envOr("DXTRAIN_STORE", ""), "object store URL: file:///path or s3://bucket/prefix ($DXTRAIN_STORE)")
	return cmd
}
