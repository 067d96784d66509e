package gang

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MarkerEnv is the environment variable whose value, the gang's ID, marks every
// process of the gang: the sweep kills whatever carries it when the gang ends. The ID
// must be unique to this node's share of the attempt (the agent uses attempt@node):
// several agents may share a machine (dxtrain dev, tests), and one agent's sweep must
// never reach another's ranks of the same attempt.
const MarkerEnv = "DXTRAIN_GANG_ID"

// Defaults; Start applies them to zero fields except KillGrace, where zero means
// "SIGKILL at once".
const (
	DefaultLogMaxBytes = 64 << 20
	DefaultTailLines   = 50
	DefaultKillGrace   = 1 * time.Second
	DefaultReapTimeout = 3 * time.Second
	// MaxKillGrace keeps SIGTERM's grace short: a failed gang must be gone within
	// about five seconds, and torch ranks blocked in a collective ignore SIGTERM's
	// purpose anyway (they cannot finish a step without the dead peer).
	MaxKillGrace = 3 * time.Second
	// minLogMaxBytes keeps rotation from thrashing.
	minLogMaxBytes = 4 << 10
	maxAttemptID   = 256
)

// Process is one rank to launch.
type Process struct {
	// Rank is the rank's global RANK. It names the log file (rank-<Rank>.log), the
	// errors, and the argument of Touch.
	Rank int
	// Argv is the command line; Argv[0] is the program, best an absolute path (a bare
	// name is looked up in the agent's PATH, not in Env's).
	Argv []string
	// Dir is the working directory; empty means the agent's.
	Dir string
	// Env is the whole environment of the process; nothing of the agent's is
	// inherited. It must set MarkerEnv to the Config's AttemptID (the gang's ID).
	Env []string
}

// Config describes one attempt's ranks on this node.
type Config struct {
	// AttemptID identifies this gang: the attempt's share on this node, unique on the
	// machine (see MarkerEnv). Every Process's Env must carry MarkerEnv=AttemptID so
	// that the sweep can find its processes.
	AttemptID string
	// Processes are the local ranks.
	Processes []Process
	// LogDir receives rank-<N>.log for every rank (created if missing).
	LogDir string
	// LogMaxBytes caps each log file; past it the file is renamed to
	// rank-<N>.log.1 (replacing an older one) and a new one started, so a rank's logs
	// never take more than twice this. 0 means DefaultLogMaxBytes.
	LogMaxBytes int64
	// TailLines is how many of a rank's last lines are kept in memory for failure
	// messages. 0 means DefaultTailLines.
	TailLines int
	// SilenceTimeout fails the gang with ErrSilent when a running rank has not been
	// touched (Gang.Touch) for this long, counted from launch. 0 disables the watchdog.
	SilenceTimeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL when the gang is ended; 0
	// sends SIGKILL at once. At most MaxKillGrace.
	KillGrace time.Duration
	// ReapTimeout bounds the wait, after the kill, for every process of the gang to be
	// gone and its output drained. 0 means DefaultReapTimeout.
	ReapTimeout time.Duration
	// Logger receives the gang's events; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns a Config with every default filled in; the caller adds the
// attempt, the processes, the log directory and the silence timeout.
func DefaultConfig() Config {
	return Config{
		LogMaxBytes: DefaultLogMaxBytes,
		TailLines:   DefaultTailLines,
		KillGrace:   DefaultKillGrace,
		ReapTimeout: DefaultReapTimeout,
	}
}

// withDefaults returns c with zero fields (other than KillGrace) defaulted.
func (c Config) withDefaults() Config {
	if c.LogMaxBytes == 0 {
		c.LogMaxBytes = DefaultLogMaxBytes
	}
	if c.TailLines == 0 {
		c.TailLines = DefaultTailLines
	}
	if c.ReapTimeout == 0 {
		c.ReapTimeout = DefaultReapTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports every violated limit, each naming the field; the error wraps
// ErrInvalidConfig.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case c.AttemptID == "":
		bad("AttemptID is empty")
	case len(c.AttemptID) > maxAttemptID:
		bad("AttemptID is %d bytes, over %d", len(c.AttemptID), maxAttemptID)
	case strings.ContainsRune(c.AttemptID, 0):
		bad("AttemptID contains a NUL byte")
	}
	if len(c.Processes) == 0 {
		bad("Processes is empty")
	}
	if c.LogDir == "" {
		bad("LogDir is empty")
	}
	if c.LogMaxBytes != 0 && c.LogMaxBytes < minLogMaxBytes {
		bad("LogMaxBytes %d is under %d", c.LogMaxBytes, minLogMaxBytes)
	}
	if c.TailLines < 0 {
		bad("TailLines %d is negative", c.TailLines)
	}
	if c.SilenceTimeout < 0 {
		bad("SilenceTimeout %v is negative", c.SilenceTimeout)
	}
	if c.KillGrace < 0 || c.KillGrace > MaxKillGrace {
		bad("KillGrace %v is outside [0, %v]", c.KillGrace, MaxKillGrace)
	}
	if c.ReapTimeout < 0 {
		bad("ReapTimeout %v is negative", c.ReapTimeout)
	}
	seen := make(map[int]bool, len(c.Processes))
	for i, p := range c.Processes {
		if err := p.validate(c.AttemptID); err != nil {
			bad("Processes[%d]: %v", i, err)
		}
		if seen[p.Rank] {
			bad("Processes[%d]: rank %d appears twice", i, p.Rank)
		}
		seen[p.Rank] = true
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

func (p *Process) validate(attemptID string) error {
	switch {
	case p.Rank < 0:
		return fmt.Errorf("rank %d is negative", p.Rank)
	case len(p.Argv) == 0 || p.Argv[0] == "":
		return fmt.Errorf("rank %d: Argv has no program", p.Rank)
	}
	// exec keeps the last of duplicate variables, so the last one is what the
	// process and the sweep will see.
	value, found := "", false
	for _, kv := range p.Env {
		if v, ok := strings.CutPrefix(kv, MarkerEnv+"="); ok {
			value, found = v, true
		}
	}
	switch {
	case !found:
		return fmt.Errorf("rank %d: Env does not set %s", p.Rank, MarkerEnv)
	case value != attemptID:
		return fmt.Errorf("rank %d: Env sets %s=%q, want the AttemptID %q", p.Rank, MarkerEnv, value, attemptID)
	}
	return nil
}

// LogFile is the path of rank's log under dir.
func LogFile(dir string, rank int) string {
	return filepath.Join(dir, "rank-"+strconv.Itoa(rank)+".log")
}
