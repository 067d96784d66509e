package device

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// CPUCollector reports the host's CPUs as one device, for hosts without NVIDIA GPUs.
// Build it with NewCPU.
type CPUCollector struct {
	cfg   Config
	judge *healthJudge
	// readProc is false off Linux, where there is no /proc to read: memory and load stay
	// zero and the device is healthy.
	readProc bool

	mu     sync.Mutex
	closed bool
	dev    Device
}

var _ Collector = (*CPUCollector)(nil)

// machineIDPath names the host; its hash gives the CPU device a stable UUID.
const machineIDPath = "/etc/machine-id"

// NewCPU builds the CPU collector: one device with runtime.NumCPU cores and the memory
// /proc/meminfo reports.
func NewCPU(cfg Config) (*CPUCollector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cpu collector config: %w", err)
	}
	c := &CPUCollector{cfg: cfg, judge: newHealthJudge(cfg.Thresholds), readProc: runtime.GOOS == "linux"}
	c.dev = Device{Index: 0, UUID: cpuUUID(), Name: runtime.GOARCH + " cpu", Kind: DeviceCPU, Cores: runtime.NumCPU()}
	if !c.readProc {
		return c, nil
	}
	if data, err := os.ReadFile(filepath.Join(cfg.ProcRoot, "cpuinfo")); err == nil {
		if model := parseCPUModel(data); model != "" {
			c.dev.Name = model
		}
	}
	if total, _, err := c.readMeminfo(); err == nil {
		c.dev.MemoryTotalBytes = total
	}
	return c, nil
}

// cpuUUID derives a stable, cluster-unique ID from the machine ID (or the host name). It
// is hashed because systemd asks that the machine ID itself not be exposed.
func cpuUUID() string {
	id, err := os.ReadFile(machineIDPath)
	if err != nil || len(strings.TrimSpace(string(id))) == 0 {
		host, _ := os.Hostname()
		id = []byte(host)
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(id))))
	return fmt.Sprintf("CPU-%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

// Kind returns KindCPU.
func (c *CPUCollector) Kind() string { return KindCPU }

// Inventory returns the one CPU device.
func (c *CPUCollector) Inventory(ctx context.Context) ([]Device, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	return []Device{c.dev}, nil
}

// Sample reads memory and load. The CPU device is healthy unless /proc cannot be read;
// then it is degraded, not unhealthy: the CPUs still work, dxtrain just cannot see them.
func (c *CPUCollector) Sample(ctx context.Context) ([]Sample, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sample cpu: %w", err)
	}
	s := Sample{Index: c.dev.Index, UUID: c.dev.UUID, Name: c.dev.Name, Kind: DeviceCPU, MemoryTotalBytes: c.dev.MemoryTotalBytes}
	var f faults
	if c.readProc {
		if total, avail, err := c.readMeminfo(); err != nil {
			f.degraded = append(f.degraded, err.Error())
		} else {
			s.MemoryTotalBytes, s.MemoryUsedBytes = total, total-avail
		}
		if load, err := c.readLoadavg(); err != nil {
			f.degraded = append(f.degraded, err.Error())
		} else {
			s.LoadAverage1 = load
		}
	}
	s.Health = c.judge.judge(&s, f)
	return []Sample{s}, nil
}

func (c *CPUCollector) readMeminfo() (total, available uint64, err error) {
	path := filepath.Join(c.cfg.ProcRoot, "meminfo")
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("read memory info: %w", err)
	}
	total, available, err = parseMeminfo(data)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	return total, available, nil
}

func (c *CPUCollector) readLoadavg() (float64, error) {
	path := filepath.Join(c.cfg.ProcRoot, "loadavg")
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read load average: %w", err)
	}
	load, err := parseLoadavg(data)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return load, nil
}

// ResetHealth accepts the CPU device's UUID; the CPU has no sticky conditions to forget.
func (c *CPUCollector) ResetHealth(uuid string) error {
	if uuid != c.dev.UUID {
		return fmt.Errorf("reset health of %q: %w", uuid, ErrUnknownDevice)
	}
	c.judge.reset(uuid)
	return nil
}

// Close marks the collector closed; it holds no resources.
func (c *CPUCollector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}
