package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator"
	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/atomicfile"
	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/trainer"
	"github.com/dxtrain/dxtrain/trainer/device"
)

func newDevCommand() *cobra.Command {
	var (
		dataDir  string
		httpAddr string
		agents   int
		devices  string
		python   string
		maxCkpt  int64
		plain    bool
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the whole system in one process: a one-server coordinator, N agents, local storage",
		Long: `Run an embedded cluster for development and demos: a single-server coordinator
(in-memory Raft), --agents worker agents on this machine's CPU, and a local object
store under --data-dir. Like a real cluster it runs with mutual TLS: it makes a CA
and certificates under <data-dir>/tls (a server's, one per agent, and a user's). It
bootstraps the ACLs, writes the admin token to <data-dir>/token (mode 0600) and the
settings a shell needs to <data-dir>/env; use it with:

  . .dxtrain/dev/env
  dxtrain run experiments/wdbc-mlp.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), devOptions{dataDir: dataDir, httpAddr: httpAddr, agents: agents, devices: devices, python: python, maxCheckpointBytes: maxCkpt, plaintext: plain})
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", ".dxtrain/dev", "directory of the object store and the token file")
	f.StringVar(&httpAddr, "http-addr", "127.0.0.1:4646", "HTTP API listen address")
	f.IntVar(&agents, "agents", 2, "number of worker agents")
	f.StringVar(&devices, "devices", "cpu", "the agents' devices: cpu, or auto (GPUs through NVML where there is a driver; give one agent per GPU set)")
	f.StringVar(&python, "python", "python3", "the Python interpreter of runtime: torch ranks")
	f.Int64Var(&maxCkpt, "max-checkpoint-bytes", trainer.DefaultMaxCheckpointBytes, "largest torch checkpoint the agents accept")
	f.BoolVar(&plain, "insecure-plaintext", false, "run without TLS (tokens, specs and gradients in the clear on loopback)")
	return cmd
}

// devOptions are dxtrain dev's flags.
type devOptions struct {
	dataDir, httpAddr  string
	agents             int
	devices, python    string
	maxCheckpointBytes int64
	plaintext          bool
}

func runDev(ctx context.Context, o devOptions) error {
	dataDir, httpAddr, agents := o.dataDir, o.httpAddr, o.agents
	if agents < 1 {
		return fmt.Errorf("--agents %d: need at least one", agents)
	}
	if o.devices != "cpu" && o.devices != "auto" {
		return fmt.Errorf("--devices %q: want cpu or auto", o.devices)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	store, kekFile, err := devStore(ctx, dataDir)
	if err != nil {
		return err
	}
	cfg := coordinator.DefaultConfig()
	cfg.NodeID, cfg.InMemory, cfg.Bootstrap = "dev", true, true
	cfg.RaftAddr, cfg.HTTPAddr = "127.0.0.1:0", httpAddr
	cfg.NodeHeartbeatTimeout = 5 * time.Second
	cfg.Logger = log.With("component", "coordinator")
	cfg.Store = store // trusts download released models through the coordinator
	var certs *devPKI
	var user *pki.Source
	if o.plaintext {
		cfg.InsecurePlaintext = true
	} else {
		if certs, err = newDevPKI(dataDir); err != nil {
			return err
		}
		if cfg.TLS, err = certs.issue(pki.RoleServer, cfg.NodeID); err != nil {
			return err
		}
		if user, err = certs.load(pki.RoleClient, "dev-user"); err != nil {
			return err
		}
	}
	srv, err := coordinator.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Run(ctx) }()

	addr := srv.HTTPAddr()
	admin, agentToken, err := bootstrapDevACL(ctx, addr, apiOptions(user))
	if err != nil {
		return err
	}
	for i := 1; i <= agents; i++ {
		id := fmt.Sprintf("dev-agent-%d", i)
		cfg := trainer.DefaultAgentConfig()
		if o.plaintext {
			cfg.InsecurePlaintext = true
		} else {
			if cfg.TLS, err = certs.issue(pki.RoleAgent, id); err != nil {
				return err
			}
			if cfg.Security, err = pki.Load(cfg.TLS); err != nil {
				return err
			}
		}
		api, err := client.New([]string{addr}, agentToken, apiOptions(cfg.Security)...)
		if err != nil {
			return err
		}
		devices, err := devDevices(ctx, o.devices, log)
		if err != nil {
			return err
		}
		cfg.NodeID, cfg.API, cfg.Store, cfg.Devices, cfg.Logger = id, api, store, devices, log.With("component", "agent")
		cfg.WorkDir, cfg.Python, cfg.MaxCheckpointBytes = filepath.Join(dataDir, "agents", id), o.python, o.maxCheckpointBytes
		cfg.CPUs = max(1, runtime.NumCPU()/agents) // the agents share this machine's cores
		a, err := trainer.NewAgent(cfg)
		if err != nil {
			return err
		}
		go func() {
			if err := a.Run(ctx); err != nil {
				log.Error("agent stopped", "error", err)
			}
		}()
	}
	// The token and env files say the cluster is ready: every agent has registered,
	// so a gang as wide as the dev cluster is not refused as wider than the cluster.
	if err := waitRegistered(ctx, srv, agents); err != nil {
		return err
	}
	tokenPath := filepath.Join(dataDir, "token")
	if err := atomicfile.Write(tokenPath, []byte(admin+"\n")); err != nil { // 0600, whole or absent
		return fmt.Errorf("admin token: %w", err)
	}
	envPath, err := writeDevEnv(dataDir, addr, tokenPath, user, kekFile)
	if err != nil {
		return err
	}
	encrypted := "encrypted at rest under " + kekFile
	if kekFile == "" {
		encrypted = "encrypted at rest under the key in the environment"
	}
	fmt.Printf("dxtrain dev: coordinator on %s (tls: %s), %d agents, object store %s (%s)\n", addr, srv.TLSStatus(), agents, store, encrypted)
	fmt.Printf("  . %s   # DXTRAIN_ADDR, DXTRAIN_TOKEN, the TLS settings and the store's key\n", envPath)
	select {
	case err := <-srvDone:
		return err
	case <-ctx.Done():
		cancel()
		if err := <-srvDone; err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
}

// devDevices is a dev agent's device collector: the CPU, or with auto whatever
// device.New finds (NVML GPUs where there is a driver).
func devDevices(ctx context.Context, kind string, log *slog.Logger) (device.Collector, error) {
	if kind == "cpu" {
		return device.NewCPU(device.DefaultConfig())
	}
	cfg := device.DefaultConfig()
	cfg.Logger = log
	return device.New(ctx, cfg)
}

// bootstrapDevACL waits for the dev server to lead, creates the admin token and an
// agent token for the embedded agents.
func bootstrapDevACL(ctx context.Context, addr string, opts []client.Option) (admin, agent string, err error) {
	anon, err := client.New([]string{addr}, "", opts...)
	if err != nil {
		return "", "", err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := anon.ACLBootstrap(ctx)
		if err == nil {
			admin = resp.SecretID
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", "", fmt.Errorf("bootstrap ACLs on the dev server: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, err := anon.WithToken(admin).CreateToken(ctx, "dev-agents", structs.RoleAgent)
	if err != nil {
		return "", "", fmt.Errorf("create the agents' token: %w", err)
	}
	return admin, tok.SecretID, nil
}

// writeDevEnv writes <data-dir>/env, the exports a shell sources to use the dev
// cluster (mode 0600: it names the token file and the user's key).
func writeDevEnv(dataDir, addr, tokenPath string, user *pki.Source, kekFile string) (string, error) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	var b strings.Builder
	fmt.Fprintf(&b, "export DXTRAIN_ADDR=%s\n", addr)
	fmt.Fprintf(&b, "export DXTRAIN_TOKEN=\"$(cat %s)\"\n", abs(tokenPath))
	if user != nil {
		f := user.Files()
		fmt.Fprintf(&b, "export DXTRAIN_CACERT=%s DXTRAIN_CLIENT_CERT=%s DXTRAIN_CLIENT_KEY=%s\n", abs(f.CA), abs(f.Cert), abs(f.Key))
	} else {
		b.WriteString("unset DXTRAIN_CACERT DXTRAIN_CLIENT_CERT DXTRAIN_CLIENT_KEY\n")
	}
	if kekFile != "" {
		fmt.Fprintf(&b, "export DXTRAIN_STORE_KEK_FILE=%s\n", abs(kekFile))
	}
	// Whole or absent (and 0600): a shell or a test that finds the file as it appears
	// must not source half of it (an integration test once read it empty).
	path := filepath.Join(dataDir, "env")
	if err := atomicfile.Write(path, []byte(b.String())); err != nil {
		return "", err
	}
	return path, nil
}

// waitRegistered waits until n nodes are registered with the dev server.
func waitRegistered(ctx context.Context, srv *coordinator.Server, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.State().Nodes()) < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("dxtrain dev: %d of %d agents registered within 30s", len(srv.State().Nodes()), n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
