package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/trainer"
)

// agentFlags are the agent's command-line settings. A flag given on the command line
// wins over the --config file, which wins over trainer.DefaultAgentConfig.
type agentFlags struct {
	config      string
	storeURL    string
	metricsAddr string
	// settings, copied into trainer.AgentConfig where given
	nodeID, name, address string
	workDir, logAddr      string
	python                string
	cpus                  int
	ncclEnv               []string
	maxCkpt               int64
	tls                   tlsFlags
}

func (a *agentFlags) register(cmd *cobra.Command) {
	def := trainer.DefaultAgentConfig()
	hostname, _ := os.Hostname()
	f := cmd.Flags()
	f.StringVar(&a.config, "config", "", "agent config file (YAML; the flags below override it)")
	f.StringVar(&a.storeURL, "store", envOr("DXTRAIN_STORE", ""), "object store URL: file:///path or s3://bucket/prefix ($DXTRAIN_STORE)")
	f.StringVar(&a.metricsAddr, "metrics-addr", "", "serve Prometheus /metrics (devices, training) on this address")
	f.StringVar(&a.nodeID, "node-id", hostname, "this node's ID, unique and stable")
	f.StringVar(&a.name, "name", "", "a human-readable node name (default: the node ID)")
	f.StringVar(&a.address, "address", def.Address, "host:port other ranks reach this node on")
	f.StringVar(&a.workDir, "work-dir", "", "attempts' work directories and the ranks' logs (default: a directory under $TMPDIR)")
	f.StringVar(&a.logAddr, "log-addr", def.LogAddress, "serve the ranks' logs to `dxtrain logs` here (\"\" serves none)")
	f.StringVar(&a.python, "python", def.Python, "the Python interpreter torch ranks run")
	f.IntVar(&a.cpus, "cpus", def.CPUs, "cores this agent's ranks share")
	f.StringArrayVar(&a.ncclEnv, "nccl-env", nil, "NCCL_NAME=value set for every rank (repeatable)")
	f.Int64Var(&a.maxCkpt, "max-checkpoint-bytes", def.MaxCheckpointBytes, "largest torch checkpoint accepted")
	a.tls.register(cmd, "agent")
}

// settings returns the agent's validated settings: the defaults, then the --config
// file, then the flags given on the command line.
func (a *agentFlags) settings(cmd *cobra.Command) (trainer.AgentConfig, error) {
	cfg := trainer.DefaultAgentConfig()
	if a.config != "" {
		var err error
		if cfg, err = trainer.LoadAgentConfig(a.config); err != nil {
			return trainer.AgentConfig{}, err
		}
	}
	given := cmd.Flags().Changed
	if given("node-id") || cfg.NodeID == "" {
		cfg.NodeID = a.nodeID
	}
	for _, s := range []struct {
		flag  string
		apply func()
	}{
		{"name", func() { cfg.Name = a.name }},
		{"address", func() { cfg.Address = a.address }},
		{"work-dir", func() { cfg.WorkDir = a.workDir }},
		{"log-addr", func() { cfg.LogAddress = a.logAddr }},
		{"python", func() { cfg.Python = a.python }},
		{"cpus", func() { cfg.CPUs = a.cpus }},
		{"max-checkpoint-bytes", func() { cfg.MaxCheckpointBytes = a.maxCkpt }},
	} {
		if given(s.flag) {
			s.apply()
		}
	}
	a.tls.apply(cmd, &cfg.TLS, &cfg.InsecurePlaintext)
	for _, kv := range a.ncclEnv {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return trainer.AgentConfig{}, fmt.Errorf("--nccl-env %q: want NCCL_NAME=value", kv)
		}
		if cfg.NCCLEnv == nil {
			cfg.NCCLEnv = map[string]string{}
		}
		cfg.NCCLEnv[k] = v
	}
	return cfg, errors.Join(cfg.Validate(), cfg.ValidateTransport())
}
