package device

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestCPUCollectorOnThisMachine reads this host's real /proc.
func TestCPUCollectorOnThisMachine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the cpu collector reads /proc only on linux")
	}
	c, err := NewCPU(DefaultConfig())
	if err != nil {
		t.Fatalf("NewCPU: %v", err)
	}
	defer c.Close()
	if c.Kind() != KindCPU {
		t.Errorf("Kind() = %q", c.Kind())
	}
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		t.Fatalf("sysinfo: %v", err)
	}
	ram := uint64(si.Totalram) * uint64(si.Unit)

	devs, err := c.Inventory(t.Context())
	if err != nil || len(devs) != 1 {
		t.Fatalf("Inventory = %v, %v; want one device", devs, err)
	}
	d := devs[0]
	if d.Kind != DeviceCPU || d.Cores != runtime.NumCPU() || d.Index != 0 || d.Name == "" {
		t.Errorf("device %+v: want kind cpu, %d cores, index 0, a name", d, runtime.NumCPU())
	}
	// MemTotal and sysinfo's totalram come from the same kernel counter.
	if d.MemoryTotalBytes != ram {
		t.Errorf("MemoryTotalBytes = %d, sysinfo says %d", d.MemoryTotalBytes, ram)
	}
	if !strings.HasPrefix(d.UUID, "CPU-") || len(d.UUID) != len("CPU-")+36 {
		t.Errorf("UUID %q, want CPU-<8-4-4-4-12 hex>", d.UUID)
	}

	samples, err := c.Sample(t.Context())
	if err != nil || len(samples) != 1 {
		t.Fatalf("Sample = %v, %v; want one sample", samples, err)
	}
	s := samples[0]
	if s.Health.State != Healthy || s.UUID != d.UUID || s.Kind != DeviceCPU {
		t.Errorf("sample %+v: want healthy, uuid %s, kind cpu", s, d.UUID)
	}
	if s.MemoryUsedBytes == 0 || s.MemoryUsedBytes > s.MemoryTotalBytes {
		t.Errorf("MemoryUsedBytes %d outside (0, %d]", s.MemoryUsedBytes, s.MemoryTotalBytes)
	}
	if s.LoadAverage1 < 0 {
		t.Errorf("LoadAverage1 = %v", s.LoadAverage1)
	}

	again, err := NewCPU(DefaultConfig())
	if err != nil {
		t.Fatalf("second NewCPU: %v", err)
	}
	if again.dev.UUID != d.UUID {
		t.Errorf("UUID not stable: %s then %s", d.UUID, again.dev.UUID)
	}
	if err := c.ResetHealth(d.UUID); err != nil {
		t.Errorf("ResetHealth(own uuid) = %v", err)
	}
	if err := c.ResetHealth("GPU-other"); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("ResetHealth(other) = %v, want ErrUnknownDevice", err)
	}
	c.Close()
	if _, err := c.Sample(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Sample after Close = %v, want ErrClosed", err)
	}
}

// TestCPUCollectorProcFailures points the collector at a fake /proc.
func TestCPUCollectorProcFailures(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the cpu collector reads /proc only on linux")
	}
	tests := []struct {
		name       string
		files      map[string]string
		wantState  HealthState
		wantReason string
	}{
		{"good fake proc", map[string]string{"meminfo": sampleMeminfo, "loadavg": "1.50 1 1 1/1 1\n"}, Healthy, ""},
		{"corrupt meminfo", map[string]string{"meminfo": "MemTotal: many\n", "loadavg": "1 1 1 1/1 1\n"}, Degraded, "meminfo line 1"},
		{"missing loadavg", map[string]string{"meminfo": sampleMeminfo}, Degraded, "read load average"},
		{"no proc at all", nil, Degraded, "read memory info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg := DefaultConfig()
			cfg.ProcRoot = root
			c, err := NewCPU(cfg)
			if err != nil {
				t.Fatalf("NewCPU: %v", err)
			}
			samples, err := c.Sample(t.Context())
			if err != nil {
				t.Fatalf("Sample: %v", err)
			}
			h := samples[0].Health
			if h.State != tt.wantState || !strings.Contains(strings.Join(h.Reasons, "; "), tt.wantReason) {
				t.Errorf("health %+v, want %s mentioning %q", h, tt.wantState, tt.wantReason)
			}
			if tt.wantState == Healthy && (samples[0].LoadAverage1 != 1.5 || samples[0].MemoryTotalBytes != 16318356*1024) {
				t.Errorf("sample %+v does not reflect the fake proc", samples[0])
			}
		})
	}
}
