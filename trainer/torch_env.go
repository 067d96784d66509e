package trainer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/trainer/runtime/gang"
)

// gangID names this node's share of an attempt: the marker of its processes.
func (a *Agent) gangID(as structs.Assignment) string { return as.Attempt.ID + "@" + a.cfg.NodeID }

// torchWorld is where one agent's processes sit in a torch attempt's world.
type torchWorld struct {
	groupRank  int // the attempt rank (worker) this agent runs
	groups     int // workers in the attempt
	localWorld int // processes per worker: the spec's devices_per_worker
	rendezvous string
	devices    []string // the scheduler's devices for this worker, one per process
}

func (w torchWorld) size() int                    { return w.groups * w.localWorld }
func (w torchWorld) globalRank(localRank int) int { return w.groupRank*w.localWorld + localRank }

// torchEnv is the environment of one rank's process, as torchrun would set it plus
// dxtrain's channel to the agent. The spec's allow-listed env comes after the agent's
// NCCL settings and before the variables dxtrain owns, which always win.
func (a *Agent) torchEnv(spec *experiments.Spec, as structs.Assignment, w torchWorld, localRank int, work *torchWorkDir, secret string) ([]string, error) {
	host, port, err := splitRendezvous(w.rendezvous)
	if err != nil {
		return nil, err
	}
	visible := ""
	if spec.Workers.Device == "gpu" {
		if localRank >= len(w.devices) {
			return nil, fmt.Errorf("attempt %s: worker %d was given %d devices for %d processes", as.Attempt.ID, w.groupRank, len(w.devices), w.localWorld)
		}
		visible = w.devices[localRank]
	}
	re := gang.RankEnv{Rank: w.globalRank(localRank), LocalRank: localRank, WorldSize: w.size(), LocalWorldSize: w.localWorld,
		GroupRank: w.groupRank, MasterAddr: host, MasterPort: port, VisibleDevices: visible, Threads: a.rankThreads(w),
		PythonPath: []string{work.python, work.code}, Socket: work.socket, Secret: secret,
		Experiment: as.Experiment.ID, Attempt: as.Attempt.ID, Marker: a.gangID(as), Device: spec.Workers.Device,
		Seed: spec.Seed, WorkDir: work.root}
	return re.Environ(a.cfg.NCCLEnv, spec.Env), nil
}

// rankThreads is each local rank's share of the agent's cores: its intra-op threads,
// which the checkpoints record so that a replay uses as many.
func (a *Agent) rankThreads(w torchWorld) int { return max(1, a.cfg.CPUs/w.localWorld) }

func splitRendezvous(addr string) (host, port string, err error) {
	i := strings.LastIndexByte(addr, ':')
	if i <= 0 || i == len(addr)-1 {
		return "", "", fmt.Errorf("rendezvous %q is not host:port", addr)
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:], nil
}

// torchWorkDir is one attempt's directory on this node.
type torchWorkDir struct {
	root        string // <work root>/attempts/<attempt>
	code        string // the unpacked code bundle; the ranks' working directory
	data        string // the staged dataset
	resume      string // the checkpoint resumed from, if any
	checkpoints string // where the script stages checkpoints
	python      string // the dxtrain package (PYTHONPATH)
	socket      string // the channel's Unix socket
	logs        string // <work root>/logs/<experiment>/<attempt>: kept after the attempt
}

func newTorchWorkDir(root string, as structs.Assignment) (*torchWorkDir, error) {
	dir := filepath.Join(root, "attempts", as.Attempt.ID)
	w := &torchWorkDir{root: dir, code: filepath.Join(dir, "code"), data: filepath.Join(dir, "data"),
		resume: filepath.Join(dir, "resume"), checkpoints: filepath.Join(dir, "checkpoints"),
		python: filepath.Join(dir, "python"), socket: filepath.Join(dir, "agent.sock"),
		logs: filepath.Dir(logPath(filepath.Join(root, "logs"), as.Experiment.ID, as.Attempt.ID, 0))}
	if err := os.RemoveAll(dir); err != nil { // a leftover of this attempt from a crashed agent
		return nil, err
	}
	for _, d := range []string{dir, w.checkpoints, w.python, w.logs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("attempt %s: work directory: %w", as.Attempt.ID, err)
		}
	}
	return w, nil
}
