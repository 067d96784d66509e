package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/trainer"
)

// torchFlags are an agent's settings for runtime: torch experiments.
type torchFlags struct {
	workDir string
	logAddr string
	python  string
	cpus    int
	ncclEnv []string
	maxCkpt int64
}

func (t *torchFlags) register(cmd *cobra.Command, logAddr string) {
	f := cmd.Flags()
	f.StringVar(&t.workDir, "work-dir", "", "attempts' work directories and the ranks' logs (default: a directory under $TMPDIR)")
	f.StringVar(&t.logAddr, "log-addr", logAddr, "serve the ranks' logs to `dxtrain logs` here (\"\" serves none)")
	f.StringVar(&t.python, "python", "python3", "the Python interpreter torch ranks run")
	f.IntVar(&t.cpus, "cpus", 0, "cores this agent's ranks share (default: every core)")
	f.StringArrayVar(&t.ncclEnv, "nccl-env", nil, "NCCL_NAME=value set for every rank (repeatable)")
	f.Int64Var(&t.maxCkpt, "max-checkpoint-bytes", trainer.DefaultMaxCheckpointBytes, "largest torch checkpoint accepted")
}

// apply copies the flags into the agent's config.
func (t *torchFlags) apply(cfg *trainer.AgentConfig) error {
	cfg.WorkDir, cfg.LogAddress, cfg.Python, cfg.CPUs, cfg.MaxCheckpointBytes = t.workDir, t.logAddr, t.python, t.cpus, t.maxCkpt
	for _, kv := range t.ncclEnv {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "NCCL_") {
			return fmt.Errorf("--nccl-env %q: want NCCL_NAME=value", kv)
		}
		if cfg.NCCLEnv == nil {
			cfg.NCCLEnv = map[string]string{}
		}
		cfg.NCCLEnv[k] = v
	}
	return nil
}
