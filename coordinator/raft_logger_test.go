package coordinator

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestRaftLogsFormatDeferredValues: Raft logs its initial configuration with
// hclog.Fmt; the line must show the servers, not the format string.
func TestRaftLogsFormatDeferredValues(t *testing.T) {
	var buf bytes.Buffer
	log := hclogToSlog(slog.New(slog.NewTextHandler(&buf, nil)))
	log.Info("initial configuration", "servers", hclog.Fmt("%+v", []struct{ ID string }{{"server-1"}}))
	if out := buf.String(); strings.Contains(out, "%+v") || !strings.Contains(out, "ID:server-1") {
		t.Fatalf("raft log line %q", out)
	}
}
