package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/storage"
	_ "github.com/dxtrain/dxtrain/storage/s3" // s3:// store URLs
	"github.com/dxtrain/dxtrain/trainer"
	"github.com/dxtrain/dxtrain/trainer/device"
)

func newAgentCommand() *cobra.Command {
	var cluster clusterFlags
	var flags agentFlags
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a worker agent: register this node, heartbeat, train what it is assigned",
		Long: `Run a worker agent. It registers the node and its devices (GPUs through NVML, or the
CPU when there is no NVIDIA driver) with the coordinator, heartbeats to the leader,
follows leader changes, and runs the attempts it is assigned, checkpointing to the
object store. Needs a token with the agent role ($DXTRAIN_TOKEN).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := flags.settings(cmd)
			if err != nil {
				return err
			}
			return runAgent(cmd.Context(), cfg, &cluster, flags.storeURL, flags.metricsAddr)
		},
	}
	cluster.register(cmd)
	flags.register(cmd)
	return cmd
}

// runAgent opens the agent's dependencies (API client, object store, devices, metrics)
// and runs it until ctx ends.
func runAgent(ctx context.Context, cfg trainer.AgentConfig, cluster *clusterFlags, storeURL, metricsAddr string) error {
	if storeURL == "" {
		return errors.New("no object store: give --store file:///path or s3://bucket/prefix (or set DXTRAIN_STORE)")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	if cfg.TLS != (pki.Files{}) {
		if cfg.Security, err = pki.Load(cfg.TLS); err != nil {
			return err
		}
		reloadOnHangup(ctx, log, "tls certificates", cfg.Security.Reload)
	}
	if cfg.API, err = cluster.agentClient(cfg.Security); err != nil {
		return err
	}
	s3cfg, err := storage.ConfigFromEnv()
	if err != nil {
		return err
	}
	if cfg.Store, err = storage.Open(ctx, storeURL, s3cfg); err != nil {
		return err
	}
	devCfg := device.DefaultConfig()
	devCfg.Logger, devCfg.Thresholds = log, cfg.DeviceHealth
	devices, err := device.New(ctx, devCfg)
	if err != nil {
		return err
	}
	defer devices.Close()
	cfg.Devices, cfg.Logger = devices, log
	if metricsAddr != "" {
		if cfg.DeviceMetrics, cfg.TrainingMetrics, err = serveAgentMetrics(ctx, metricsAddr, log); err != nil {
			return err
		}
	}
	agent, err := trainer.NewAgent(cfg)
	if err != nil {
		return err
	}
	return agent.Run(ctx)
}

// serveAgentMetrics serves the agent's Prometheus registry — device gauges named like
// dcgm-exporter's, training gauges, Go runtime — until ctx ends.
func serveAgentMetrics(ctx context.Context, addr string, log *slog.Logger) (*device.Metrics, *trainer.TrainingMetrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	dm, err := device.NewMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	tm, err := trainer.NewTrainingMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "error", err)
		}
	}()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	log.Info("serving metrics", "addr", ln.Addr().String())
	return dm, tm, nil
}
