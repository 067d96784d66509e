package gang

import (
	"os"
	"slices"
	"strconv"
	"strings"
)

// RankEnv is what one rank of a torch run is told through its environment: torchrun's
// variables and dxtrain's channel (python/PROTOCOL.md). The agent sets it for training
// and the validator for a replay, so a replayed rank sees what the trained one saw.
type RankEnv struct {
	Rank, LocalRank, WorldSize, LocalWorldSize, GroupRank int
	MasterAddr, MasterPort                                string
	// VisibleDevices is CUDA_VISIBLE_DEVICES: the rank's one GPU, "" on the CPU.
	VisibleDevices string
	// Threads is OMP_NUM_THREADS, the rank's intra-op threads (at least 1).
	Threads int
	// PythonPath is PYTHONPATH: the dxtrain package, then the code bundle.
	PythonPath                  []string
	Socket, Secret              string
	Experiment, Attempt, Marker string
	Device                      string // "cpu" or "gpu"
	Seed                        uint64
	WorkDir                     string
}

// passedEnv are the launcher's own variables a rank inherits: what Python, CUDA and
// the C library need to start. Everything else a rank sees is set by Environ.
var passedEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "LD_LIBRARY_PATH", "TZ"}

// Environ is the rank's whole environment, sorted: the launcher's passed variables,
// then each of extra in order (the node's NCCL tuning, the spec's env), then the
// variables dxtrain owns, which always win. DXTRAIN_DETERMINISTIC=1 makes the Python
// side choose deterministic kernels (warning, not failing, where an op has none) and
// CUBLAS_WORKSPACE_CONFIG, unless given, lets cuBLAS be deterministic: a run must be
// replayable by a validator.
func (e RankEnv) Environ(extra ...map[string]string) []string {
	env := map[string]string{"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	for _, m := range extra {
		for k, v := range m {
			env[k] = v
		}
	}
	owned := map[string]string{
		"RANK":                    strconv.Itoa(e.Rank),
		"LOCAL_RANK":              strconv.Itoa(e.LocalRank),
		"WORLD_SIZE":              strconv.Itoa(e.WorldSize),
		"LOCAL_WORLD_SIZE":        strconv.Itoa(e.LocalWorldSize),
		"GROUP_RANK":              strconv.Itoa(e.GroupRank),
		"ROLE_RANK":               strconv.Itoa(e.Rank),
		"MASTER_ADDR":             e.MasterAddr,
		"MASTER_PORT":             e.MasterPort,
		"CUDA_VISIBLE_DEVICES":    e.VisibleDevices,
		"OMP_NUM_THREADS":         strconv.Itoa(max(1, e.Threads)),
		"PYTHONPATH":              strings.Join(e.PythonPath, string(os.PathListSeparator)),
		"PYTHONUNBUFFERED":        "1",
		"PYTHONDONTWRITEBYTECODE": "1",
		"DXTRAIN_SOCKET":          e.Socket,
		"DXTRAIN_SECRET":          e.Secret,
		"DXTRAIN_ATTEMPT_ID":      e.Attempt,
		MarkerEnv:                 e.Marker,
		"DXTRAIN_EXPERIMENT_ID":   e.Experiment,
		"DXTRAIN_DEVICE":          e.Device,
		"DXTRAIN_SEED":            strconv.FormatUint(e.Seed, 10),
		"DXTRAIN_WORK_DIR":        e.WorkDir,
		"DXTRAIN_DETERMINISTIC":   "1",
	}
	for k, v := range owned {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
