package device

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/dxtrain/dxtrain/trainer/device/nvmltest"
)

func logConfig(buf *bytes.Buffer) Config {
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return cfg
}

// TestNewOnThisMachine runs the real detection: on a host without an NVIDIA driver (CI,
// this project's build machines) it must pick the CPU collector and say so once, calmly.
func TestNewOnThisMachine(t *testing.T) {
	if lib := nvml.New(); lib.Init() == nvml.SUCCESS {
		lib.Shutdown()
		t.Skip("this host has an NVIDIA driver; the fallback cannot be observed here")
	}
	var logs bytes.Buffer
	c, err := New(t.Context(), logConfig(&logs))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer c.Close()
	if c.Kind() != KindCPU {
		t.Fatalf("Kind() = %q, want %q", c.Kind(), KindCPU)
	}
	out := logs.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "level=INFO") ||
		!strings.Contains(out, `msg="no nvidia driver found; using cpu devices"`) {
		t.Errorf("log = %q, want exactly one info line saying no nvidia driver found", out)
	}
	samples, err := c.Sample(t.Context())
	if err != nil || len(samples) != 1 || samples[0].Kind != DeviceCPU {
		t.Errorf("Sample = %+v, %v; want one cpu sample", samples, err)
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(r *nvmltest.Rig)
		wantKind string
		wantLog  string
		wantErr  string
	}{
		{"gpus present", func(*nvmltest.Rig) {}, KindNVML, `level=INFO msg="using nvidia gpus" gpus=8`, ""},
		{"no driver library", func(r *nvmltest.Rig) {
			r.Server().InitFunc = func() nvml.Return { return nvml.ERROR_LIBRARY_NOT_FOUND }
		}, KindCPU, `level=INFO msg="no nvidia driver found; using cpu devices"`, ""},
		{"driver not loaded", func(r *nvmltest.Rig) {
			r.Server().InitFunc = func() nvml.Return { return nvml.ERROR_DRIVER_NOT_LOADED }
		}, KindCPU, `level=WARN msg="nvidia library found but its kernel driver is not loaded; using cpu devices"`, ""},
		{"driver without gpus", func(r *nvmltest.Rig) { r.Server().Devices = nil },
			KindCPU, `level=INFO msg="nvidia driver found but no gpus; using cpu devices"`, ""},
		{"broken nvml", func(r *nvmltest.Rig) {
			r.Server().InitFunc = func() nvml.Return { return nvml.ERROR_LIB_RM_VERSION_MISMATCH }
		}, "", "", "detect devices: nvml init: ERROR_LIB_RM_VERSION_MISMATCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := nvmltest.New()
			tt.setup(r)
			var logs bytes.Buffer
			c, err := detect(t.Context(), r.Interface(), logConfig(&logs))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("detect error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("detect: %v", err)
			}
			defer c.Close()
			if c.Kind() != tt.wantKind {
				t.Errorf("Kind() = %q, want %q", c.Kind(), tt.wantKind)
			}
			if !strings.Contains(logs.String(), tt.wantLog) || strings.Count(logs.String(), "\n") != 1 {
				t.Errorf("log = %q, want one line containing %q", logs.String(), tt.wantLog)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := detect(ctx, nvmltest.New().Interface(), testConfig()); !errors.Is(err, context.Canceled) {
			t.Errorf("detect on a cancelled context = %v, want context.Canceled", err)
		}
	})
}
