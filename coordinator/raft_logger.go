package coordinator

import (
	"context"
	"io"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// hclogToSlog routes hashicorp/raft's hclog output to slog, so Raft's logs come out
// in the same format as ours.
func hclogToSlog(log *slog.Logger) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{
		Name:   "raft",
		Level:  hclog.Info,
		Output: io.Discard,
	})
	l.RegisterSink(&slogSink{log: log})
	return l
}

type slogSink struct{ log *slog.Logger }

// Accept implements hclog.SinkAdapter.
func (s *slogSink) Accept(name string, level hclog.Level, msg string, args ...any) {
	lvl := slog.LevelInfo
	switch {
	case level <= hclog.Debug:
		lvl = slog.LevelDebug
	case level == hclog.Warn:
		lvl = slog.LevelWarn
	case level >= hclog.Error:
		lvl = slog.LevelError
	}
	s.log.Log(context.Background(), lvl, msg, append([]any{"component", name}, args...)...)
}
