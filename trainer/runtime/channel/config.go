package channel

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"
)

// Defaults applied by Listen to zero fields.
const (
	// DefaultHelloTimeout bounds the time from connecting to a valid hello, so a
	// stray connection cannot hold a slot.
	DefaultHelloTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds writing one answer; a rank that stops reading is
	// disconnected rather than blocking the server.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultKeepAlive is how often a rank is touched while the Handler works for it
	// (a checkpoint upload can outlast the silence timeout; the rank is waiting on
	// the agent then, not hung).
	DefaultKeepAlive = time.Second
	// minSecretLen keeps a secret guessable by nobody; the agent uses 64 hex characters.
	minSecretLen = 32
)

// Config describes the channel of one attempt on this node.
type Config struct {
	// Dir is where the socket's private directory is made, normally the attempt's
	// work directory. When the socket path would not fit in sun_path, or Dir is
	// empty, os.TempDir() is used instead.
	Dir string
	// Secret is DXTRAIN_SECRET; a hello must carry exactly this.
	Secret string
	// Ranks are the ranks running on this node; a hello for any other is refused.
	Ranks []int
	// WorkDir is DXTRAIN_WORK_DIR; ONNX paths must lie under it.
	WorkDir string
	// Info answers a rank's hello. Its CheckpointDir is also the directory the
	// rank's checkpoints must lie under.
	Info func(rank int) (HelloInfo, error)
	// Handler carries out reports, checkpoints and ONNX requests.
	Handler Handler
	// Stop, when set, says whether the attempt has been asked to checkpoint now and
	// stop; the answers to report and ping carry it, so every rank hears of it at
	// its next message. Nil never asks. It is called once per such answer.
	Stop func() (StopRequest, bool)
	// Stopped, when set, is told that a rank stopped on request after checkpointing
	// step (op "stopped"). Nil ignores it; the rank's answer is the same.
	Stopped func(rank int, step int64)
	// Touch is called with the rank for every message it sends, and periodically
	// while the Handler is busy on its behalf. May be nil.
	Touch func(rank int)
	// HelloTimeout, WriteTimeout and KeepAlive default to the constants above.
	HelloTimeout time.Duration
	WriteTimeout time.Duration
	KeepAlive    time.Duration
	// Logger receives connection events; nil means slog.Default().
	Logger *slog.Logger
}

// Validate reports every violated requirement, each naming the field; the error
// wraps ErrInvalidConfig.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Secret) < minSecretLen {
		bad("Secret is %d characters, under %d", len(c.Secret), minSecretLen)
	}
	if len(c.Ranks) == 0 {
		bad("Ranks is empty")
	}
	seen := map[int]bool{}
	for _, r := range c.Ranks {
		if r < 0 {
			bad("rank %d is negative", r)
		}
		if seen[r] {
			bad("rank %d appears twice", r)
		}
		seen[r] = true
	}
	if !filepath.IsAbs(c.WorkDir) {
		bad("WorkDir %q is not an absolute path", c.WorkDir)
	}
	if c.Info == nil {
		bad("Info is nil")
	}
	if c.Handler == nil {
		bad("Handler is nil")
	}
	if c.HelloTimeout < 0 || c.WriteTimeout < 0 || c.KeepAlive < 0 {
		bad("HelloTimeout, WriteTimeout and KeepAlive must not be negative")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.HelloTimeout == 0 {
		c.HelloTimeout = DefaultHelloTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.Touch == nil {
		c.Touch = func(int) {}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
