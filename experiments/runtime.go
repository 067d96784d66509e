package experiments

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Runtimes.
const (
	RuntimeNative = "native"
	RuntimeTorch  = "torch"
)

// Torch runtime defaults and limits.
const (
	DefaultSilenceTimeout = 10 * time.Minute
	MinSilenceTimeout     = time.Second
	MaxSilenceTimeout     = 24 * time.Hour
	MaxCodeArgs           = 256
	MaxEnvVars            = 64
)

// CodeSpec is the researcher's code for runtime: torch: a directory, packed into a
// content-addressed bundle by `dxtrain run`, and the script in it each rank runs.
type CodeSpec struct {
	// Path is the code directory, relative to the spec file's directory.
	Path string `yaml:"path" json:"path"`
	// Entrypoint is the script, relative to Path, run with the agent's Python.
	Entrypoint string `yaml:"entrypoint" json:"entrypoint"`
	// Args are passed to the script after its name.
	Args []string `yaml:"args,omitempty" json:"args,omitempty"`
}

// IsTorch reports whether the spec runs the researcher's PyTorch code.
func (s *Spec) IsTorch() bool { return s.Runtime == RuntimeTorch }

// Silence is how long a torch rank may go without a message to its agent before the
// attempt is failed as hung.
func (s *Spec) Silence() time.Duration {
	d, err := time.ParseDuration(s.SilenceTimeout)
	if err != nil || d <= 0 {
		return DefaultSilenceTimeout
	}
	return d
}

// nativeOnly are the fields that mean nothing to a torch run: the script owns the
// model, the optimisation, the checkpoint cadence, the split and the export.
var nativeOnly = []string{"model", "training", "export", "checkpoint.every_steps", "dataset.path",
	"dataset.format", "dataset.label", "dataset.classes", "dataset.features", "dataset.exclude", "dataset.split"}

// torchOnly are the fields only runtime: torch reads.
var torchOnly = []string{"code", "env", "seed", "silence_timeout"}

// runtimeProblems reports fields written for the other runtime, at their lines.
func (s *Spec) runtimeProblems(ix *nodeIndex) []Problem {
	var out []Problem
	if s.Runtime != "" && s.Runtime != RuntimeNative && s.Runtime != RuntimeTorch {
		return []Problem{{Field: "runtime", Line: ix.line("runtime"), Message: fmt.Sprintf("must be %q or %q, got %q", RuntimeNative, RuntimeTorch, s.Runtime)}}
	}
	if s.IsTorch() {
		for _, f := range nativeOnly {
			if ix.present(f) {
				out = append(out, Problem{Field: f, Line: ix.line(f), Message: "applies to runtime: native only; under runtime: torch the script decides it"})
			}
		}
		return out
	}
	for _, f := range torchOnly {
		if ix.present(f) {
			out = append(out, Problem{Field: f, Line: ix.line(f), Message: "applies to runtime: torch only"})
		}
	}
	return out
}

// envName is a conventional environment variable name.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,127}$`)

// ownedEnv are the variables dxtrain sets for every rank; a spec may not override them.
var ownedEnv = []string{"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "ROLE_RANK",
	"MASTER_ADDR", "MASTER_PORT", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "OMP_NUM_THREADS"}

// allowedEnvPrefixes and allowedEnv are what a spec may set: the tuning knobs of
// NCCL and PyTorch, and the few settings determinism needs. Anything else (PATH,
// LD_PRELOAD, PYTHONPATH, proxies) could change what code runs or where data goes.
var (
	allowedEnvPrefixes = []string{"NCCL_", "TORCH_", "PYTORCH_"}
	allowedEnv         = []string{"CUBLAS_WORKSPACE_CONFIG", "PYTHONHASHSEED", "PYTHONWARNINGS", "MKL_NUM_THREADS"}
)

func (v *validator) torch(s *Spec) {
	v.check(s.Dataset.ID != "", "dataset.id", "is required under runtime: torch: the name or hash of an ingested dataset")
	c := s.Code
	if c == nil {
		v.add("code", "is required under runtime: torch: {path, entrypoint, args}")
	} else {
		v.check(c.Path != "", "code.path", "is required: the directory of the training code, relative to the spec file")
		v.check(!strings.ContainsRune(c.Path, 0), "code.path", "contains a NUL byte")
		e := c.Entrypoint
		switch {
		case e == "":
			v.add("code.entrypoint", "is required: the script to run, relative to code.path")
		case path.IsAbs(e) || e != path.Clean(e) || e == ".." || strings.HasPrefix(e, "../") || strings.ContainsAny(e, "\\\x00"):
			v.add("code.entrypoint", "must be a clean relative path inside code.path, got %q", e)
		}
		v.check(len(c.Args) <= MaxCodeArgs, "code.args", "at most %d arguments, got %d", MaxCodeArgs, len(c.Args))
		for i, a := range c.Args {
			v.check(!strings.ContainsRune(a, 0), fmt.Sprintf("code.args[%d]", i), "contains a NUL byte")
		}
	}
	v.check(len(s.Env) <= MaxEnvVars, "env", "at most %d variables, got %d", MaxEnvVars, len(s.Env))
	for _, k := range sortedKeys(s.Env) {
		v.envVar("env."+k, k, s.Env[k])
	}
	if s.SilenceTimeout != "" {
		d, err := time.ParseDuration(s.SilenceTimeout)
		switch {
		case err != nil:
			v.add("silence_timeout", "must be a duration such as 90s or 10m, got %q", s.SilenceTimeout)
		case d < MinSilenceTimeout || d > MaxSilenceTimeout:
			v.add("silence_timeout", "must be in [%s, %s], got %s", MinSilenceTimeout, MaxSilenceTimeout, d)
		}
	}
}

func (v *validator) envVar(field, name, value string) {
	switch {
	case slices.Contains(ownedEnv, name) || strings.HasPrefix(name, "DXTRAIN_"):
		v.add(field, "%s is set by dxtrain for every rank and cannot be overridden", name)
	case !envName.MatchString(name):
		v.add(field, "must be an upper-case variable name (A-Z, 0-9, _)")
	case !slices.Contains(allowedEnv, name) && !hasAnyPrefix(name, allowedEnvPrefixes):
		v.add(field, "%s is not allowed; a spec may set %s* variables and %s", name,
			strings.Join(allowedEnvPrefixes, "*, "), strings.Join(allowedEnv, ", "))
	case strings.ContainsRune(value, 0):
		v.add(field, "value contains a NUL byte")
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
