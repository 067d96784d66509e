package device

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// NVMLCollector reads NVIDIA GPUs through NVML. Build it with NewNVML.
type NVMLCollector struct {
	lib   nvml.Interface
	cfg   Config
	judge *healthJudge
	// eventReasons is true when the driver has nvmlDeviceGetCurrentClocksEventReasons
	// (r535 and newer); older drivers only have the deprecated throttle-reasons call.
	eventReasons bool

	mu      sync.Mutex
	closed  bool
	devices []Device
	// setup holds, per device UUID, what went wrong when the collector started (a GPU it
	// could not identify, XID events it could not register); it is added to every sample.
	// A GPU with a setup.lost fault is not read at all.
	setup map[string]faults
	// events is the XID event set, nil when the driver does not support event sets.
	events nvml.EventSet
	// eventsFault is set when the event set could not be created: XIDs go unseen.
	eventsFault string
}

var _ Collector = (*NVMLCollector)(nil)

// NewNVML initialises NVML through lib (nvml.New() in production, a go-nvml mock in tests),
// reads the inventory and registers for XID events. It returns an error wrapping
// ErrNoDriver or ErrDriverNotLoaded when the host has no usable NVIDIA driver.
func NewNVML(lib nvml.Interface, cfg Config) (*NVMLCollector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nvml collector config: %w", err)
	}
	switch ret := lib.Init(); ret {
	case nvml.SUCCESS:
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return nil, fmt.Errorf("nvml init: %s: %w", ret, ErrNoDriver)
	case nvml.ERROR_DRIVER_NOT_LOADED:
		return nil, fmt.Errorf("nvml init: %s: %w", ret, ErrDriverNotLoaded)
	default:
		return nil, fmt.Errorf("nvml init: %s", ret)
	}
	c := &NVMLCollector{
		lib:          lib,
		cfg:          cfg,
		judge:        newHealthJudge(cfg.Thresholds),
		eventReasons: lib.Extensions().LookupSymbol("nvmlDeviceGetCurrentClocksEventReasons") == nil,
		setup:        make(map[string]faults),
	}
	count, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		lib.Shutdown()
		return nil, fmt.Errorf("nvml device count: %s", ret)
	}
	handles := make([]nvml.Device, count)
	for i := range count {
		dev, h, f := c.readDevice(i)
		c.devices = append(c.devices, dev)
		handles[i] = h
		if f.lost != "" {
			c.setup[dev.UUID] = faults{lost: f.lost}
		}
		for _, reason := range f.degraded {
			// Static facts only fill Device fields; a failure here is worth a line in the
			// log but not a degraded device for the agent's whole life.
			c.cfg.logger().Warn("could not read a gpu property", "index", i, "reason", reason)
		}
	}
	c.registerEvents(handles)
	return c, nil
}

// Kind returns KindNVML.
func (c *NVMLCollector) Kind() string { return KindNVML }

// Inventory returns the GPUs found at start. A GPU that could not be identified is listed
// with a placeholder UUID ("GPU-unidentified-<index>") and is unhealthy in every sample.
func (c *NVMLCollector) Inventory(ctx context.Context) ([]Device, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	return slices.Clone(c.devices), nil
}

// ResetHealth forgets the fatal conditions recorded for uuid.
func (c *NVMLCollector) ResetHealth(uuid string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.ContainsFunc(c.devices, func(d Device) bool { return d.UUID == uuid }) {
		return fmt.Errorf("reset health of %q: %w", uuid, ErrUnknownDevice)
	}
	c.judge.reset(uuid)
	return nil
}

// Close frees the event set and shuts NVML down.
func (c *NVMLCollector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.events != nil {
		c.events.Free()
		c.events = nil
	}
	if ret := c.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("nvml shutdown: %s", ret)
	}
	return nil
}

// readDevice reads the static facts of GPU i. A GPU whose handle or UUID cannot be read
// gets a placeholder UUID and a "lost" fault, so the scheduler never uses it.
func (c *NVMLCollector) readDevice(i int) (Device, nvml.Device, faults) {
	dev := Device{Index: i, UUID: fmt.Sprintf("GPU-unidentified-%d", i), Kind: DeviceGPU}
	h, ret := c.lib.DeviceGetHandleByIndex(i)
	if ret != nvml.SUCCESS {
		return dev, nil, faults{lost: fmt.Sprintf("gpu %d could not be opened: nvml DeviceGetHandleByIndex: %s", i, ret)}
	}
	uuid, ret := h.GetUUID()
	if ret != nvml.SUCCESS {
		return dev, nil, faults{lost: fmt.Sprintf("gpu %d could not be identified: nvml GetUUID: %s", i, ret)}
	}
	dev.UUID = uuid
	p := probe{index: i}
	if name, ret := h.GetName(); p.ok("GetName", ret) {
		dev.Name = name
	}
	if mem, ret := h.GetMemoryInfo(); p.ok("GetMemoryInfo", ret) {
		dev.MemoryTotalBytes = mem.Total
	}
	if current, _, ret := h.GetMigMode(); p.ok("GetMigMode", ret) {
		dev.MIGEnabled = current == nvml.DEVICE_MIG_ENABLE
	}
	return dev, h, p.f
}

// registerEvents creates the XID event set and registers every GPU with it. Drivers or
// GPUs without event support are silently skipped; other failures degrade the devices
// concerned, because their XIDs would go unseen.
func (c *NVMLCollector) registerEvents(handles []nvml.Device) {
	set, ret := c.lib.EventSetCreate()
	switch ret {
	case nvml.SUCCESS:
		c.events = set
	case nvml.ERROR_NOT_SUPPORTED:
		return
	default:
		c.eventsFault = fmt.Sprintf("xid events unseen: nvml EventSetCreate: %s", ret)
		return
	}
	for i, h := range handles {
		if h == nil {
			continue
		}
		uuid := c.devices[i].UUID
		p := probe{index: i, f: c.setup[uuid]}
		p.ok("RegisterEvents for xid events", h.RegisterEvents(nvml.EventTypeXidCriticalError, set))
		if p.f.lost != "" || len(p.f.degraded) > 0 {
			c.setup[uuid] = p.f
		}
	}
}

// probe classifies the NVML return codes met while reading one GPU.
type probe struct {
	index int
	f     faults
}

// ok reports whether ret carries a usable value. Not-supported is ignored (the field stays
// zero); a lost GPU, or one that needs a reset, is recorded as lost; anything else is a
// degraded reason naming the call and the GPU.
func (p *probe) ok(call string, ret nvml.Return) bool {
	switch ret {
	case nvml.SUCCESS:
		return true
	case nvml.ERROR_NOT_SUPPORTED:
		return false
	case nvml.ERROR_GPU_IS_LOST, nvml.ERROR_GPU_NOT_FOUND, nvml.ERROR_RESET_REQUIRED:
		if p.f.lost == "" {
			p.f.lost = fmt.Sprintf("gpu %d lost: nvml %s: %s", p.index, call, ret)
		}
		return false
	default:
		p.f.degraded = append(p.f.degraded, fmt.Sprintf("gpu %d: nvml %s failed: %s", p.index, call, ret))
		return false
	}
}
