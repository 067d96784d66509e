package device

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config tunes both collectors.
type Config struct {
	// Thresholds decide health; see DefaultThresholds.
	Thresholds Thresholds
	// EventWait is how long each NVML event-set wait may block while Sample drains XID
	// events. Sample waits at least once per call, so this adds to every sample when no
	// event is pending: keep it short.
	EventWait time.Duration
	// MaxEventsPerSample bounds how many XID events one Sample drains, so an event storm
	// cannot stall sampling; the rest are read by the next Sample.
	MaxEventsPerSample int
	// ProcRoot is where the CPU collector reads meminfo, loadavg and cpuinfo.
	ProcRoot string
	// Logger receives the collector's few log lines; nil means slog.Default().
	Logger *slog.Logger
}

// Limits Validate enforces.
const (
	maxEventWait          = time.Second
	maxEventsPerSampleCap = 1 << 16
)

// DefaultConfig returns the configuration dxtrain agents use unless told otherwise.
func DefaultConfig() Config {
	return Config{
		Thresholds:         DefaultThresholds(),
		EventWait:          5 * time.Millisecond,
		MaxEventsPerSample: 256,
		ProcRoot:           "/proc",
	}
}

// Validate reports every setting outside its allowed range.
func (c Config) Validate() error {
	var errs []error
	if err := c.Thresholds.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("thresholds: %w", err))
	}
	if c.EventWait < time.Millisecond || c.EventWait > maxEventWait {
		errs = append(errs, fmt.Errorf("%w: event_wait is %s, want 1ms..%s", ErrInvalidConfig, c.EventWait, maxEventWait))
	}
	if c.MaxEventsPerSample < 1 || c.MaxEventsPerSample > maxEventsPerSampleCap {
		errs = append(errs, fmt.Errorf("%w: max_events_per_sample is %d, want 1..%d",
			ErrInvalidConfig, c.MaxEventsPerSample, maxEventsPerSampleCap))
	}
	if c.ProcRoot == "" {
		errs = append(errs, fmt.Errorf("%w: proc_root is empty", ErrInvalidConfig))
	}
	return errors.Join(errs...)
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
