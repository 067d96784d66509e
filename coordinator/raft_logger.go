package coordinator

import (
	"context"
	"fmt"
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
	s.log.Log(context.Background(), lvl, msg, append([]any{"component", name}, formatArgs(args)...)...)
}

// formatArgs renders hclog's deferred formats (hclog.Fmt, as Raft logs its server
// list with) the way hclog would; slog would print the format and its arguments raw.
func formatArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if f, ok := a.(hclog.Format); ok && len(f) > 0 {
			if layout, ok := f[0].(string); ok {
				a = fmt.Sprintf(layout, f[1:]...)
			}
		}
		out[i] = a
	}
	return out
}
