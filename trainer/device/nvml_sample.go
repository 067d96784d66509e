package device

import (
	"context"
	"fmt"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Sample drains pending XID events, then reads every inventoried GPU once.
func (c *NVMLCollector) Sample(ctx context.Context) ([]Sample, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	xids, eventsFault := c.drainEvents(ctx)
	if eventsFault == "" {
		eventsFault = c.eventsFault
	}
	samples := make([]Sample, 0, len(c.devices))
	for _, dev := range c.devices {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sample gpu %d: %w", dev.Index, err)
		}
		setup := c.setup[dev.UUID]
		var s Sample
		var f faults
		if setup.lost != "" {
			s, f = Sample{Index: dev.Index, UUID: dev.UUID, Name: dev.Name, Kind: DeviceGPU}, faults{lost: setup.lost}
		} else {
			s, f = c.sampleDevice(dev)
		}
		s.XIDs = xids[dev.UUID]
		f.degraded = append(f.degraded, setup.degraded...)
		if eventsFault != "" {
			f.degraded = append(f.degraded, eventsFault)
		}
		s.Health = c.judge.judge(&s, f)
		samples = append(samples, s)
	}
	return samples, nil
}

// sampleDevice reads one GPU's telemetry. It looks the GPU up by index again, because a GPU
// that fell off the bus or was hot-removed shows up there first.
func (c *NVMLCollector) sampleDevice(dev Device) (Sample, faults) {
	s := Sample{Index: dev.Index, UUID: dev.UUID, Name: dev.Name, Kind: DeviceGPU, MemoryTotalBytes: dev.MemoryTotalBytes}
	p := probe{index: dev.Index}
	h, ret := c.lib.DeviceGetHandleByIndex(dev.Index)
	switch ret {
	case nvml.SUCCESS:
	case nvml.ERROR_GPU_IS_LOST, nvml.ERROR_GPU_NOT_FOUND, nvml.ERROR_NOT_FOUND, nvml.ERROR_INVALID_ARGUMENT:
		// For a lookup by index, not-found and invalid-argument both mean "no GPU at this
		// index any more": the device disappeared.
		p.f.lost = fmt.Sprintf("gpu %d disappeared: nvml DeviceGetHandleByIndex: %s", dev.Index, ret)
		return s, p.f
	default:
		p.ok("DeviceGetHandleByIndex", ret)
		return s, p.f
	}
	if uuid, ret := h.GetUUID(); p.ok("GetUUID", ret) && uuid != dev.UUID {
		p.f.lost = fmt.Sprintf("gpu %d disappeared: index %d now holds %s", dev.Index, dev.Index, uuid)
		return s, p.f
	}
	for _, read := range c.readers() {
		if p.f.lost != "" {
			break // every further call would fail the same way
		}
		read(h, &s, &p)
	}
	return s, p.f
}

// reader reads one group of fields from a GPU into s, classifying errors through p.
type reader func(h nvml.Device, s *Sample, p *probe)

func (c *NVMLCollector) readers() []reader {
	return []reader{
		readUtilization, readMemory, readTemperature, readPower, readClocks,
		c.readThrottle, readECC, readRetiredPages, readRemappedRows,
	}
}

func readUtilization(h nvml.Device, s *Sample, p *probe) {
	if u, ret := h.GetUtilizationRates(); p.ok("GetUtilizationRates", ret) {
		s.UtilizationGPU, s.UtilizationMemory = int(u.Gpu), int(u.Memory)
	}
}

func readMemory(h nvml.Device, s *Sample, p *probe) {
	if m, ret := h.GetMemoryInfo(); p.ok("GetMemoryInfo", ret) {
		s.MemoryUsedBytes, s.MemoryTotalBytes = m.Used, m.Total
	}
}

func readTemperature(h nvml.Device, s *Sample, p *probe) {
	if t, ret := h.GetTemperature(nvml.TEMPERATURE_GPU); p.ok("GetTemperature", ret) {
		s.TemperatureC = int(t)
	}
}

func readPower(h nvml.Device, s *Sample, p *probe) {
	if mw, ret := h.GetPowerUsage(); p.ok("GetPowerUsage", ret) {
		s.PowerWatts = float64(mw) / 1000
	}
}

func readClocks(h nvml.Device, s *Sample, p *probe) {
	if mhz, ret := h.GetClockInfo(nvml.CLOCK_SM); p.ok("GetClockInfo(sm)", ret) {
		s.SMClockMHz = int(mhz)
	}
	if mhz, ret := h.GetClockInfo(nvml.CLOCK_MEM); p.ok("GetClockInfo(mem)", ret) {
		s.MemClockMHz = int(mhz)
	}
}

func (c *NVMLCollector) readThrottle(h nvml.Device, s *Sample, p *probe) {
	var mask uint64
	var ret nvml.Return
	call := "GetCurrentClocksEventReasons"
	if c.eventReasons {
		mask, ret = h.GetCurrentClocksEventReasons()
	} else {
		call = "GetCurrentClocksThrottleReasons"
		mask, ret = h.GetCurrentClocksThrottleReasons()
	}
	if p.ok(call, ret) {
		s.ThrottleMask = mask
		s.ThrottleReasons = DecodeThrottleReasons(mask)
	}
}

func readECC(h nvml.Device, s *Sample, p *probe) {
	if n, ret := h.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_CORRECTED, nvml.VOLATILE_ECC); p.ok("GetTotalEccErrors(corrected)", ret) {
		s.ECCSingleBit = n
	}
	if n, ret := h.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_UNCORRECTED, nvml.VOLATILE_ECC); p.ok("GetTotalEccErrors(uncorrected)", ret) {
		s.ECCDoubleBit = n
	}
}

// readRetiredPages reads dynamic page retirement, which Volta and older GPUs use; newer
// GPUs answer not-supported and use row remapping instead.
func readRetiredPages(h nvml.Device, s *Sample, p *probe) {
	if pages, ret := h.GetRetiredPages(nvml.PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS); p.ok("GetRetiredPages(single-bit)", ret) {
		s.RetiredPagesSingleBit = len(pages)
	}
	if pages, ret := h.GetRetiredPages(nvml.PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR); p.ok("GetRetiredPages(double-bit)", ret) {
		s.RetiredPagesDoubleBit = len(pages)
	}
	if state, ret := h.GetRetiredPagesPendingStatus(); p.ok("GetRetiredPagesPendingStatus", ret) {
		s.RetiredPagesPending = state == nvml.FEATURE_ENABLED
	}
}

// readRemappedRows reads row remapping (Ampere and newer).
func readRemappedRows(h nvml.Device, s *Sample, p *probe) {
	if corr, unc, pending, failed, ret := h.GetRemappedRows(); p.ok("GetRemappedRows", ret) {
		s.RemappedRowsCorrectable, s.RemappedRowsUncorrectable = corr, unc
		s.RowRemapPending, s.RowRemapFailure = pending, failed
	}
}

// drainEvents reads the XID events queued since the last sample, by device UUID. Each wait
// blocks at most cfg.EventWait; draining stops at the first timeout, at
// cfg.MaxEventsPerSample events, or when ctx ends. A failing wait is returned as a reason
// that degrades every GPU, since their XIDs may be missed.
func (c *NVMLCollector) drainEvents(ctx context.Context) (map[string][]uint64, string) {
	if c.events == nil {
		return nil, ""
	}
	waitMS := uint32(c.cfg.EventWait / time.Millisecond)
	xids := make(map[string][]uint64)
	for range c.cfg.MaxEventsPerSample {
		if ctx.Err() != nil {
			break
		}
		ev, ret := c.events.Wait(waitMS)
		switch ret {
		case nvml.SUCCESS:
		case nvml.ERROR_TIMEOUT:
			return xids, ""
		case nvml.ERROR_GPU_IS_LOST:
			// A GPU fell off the bus; the per-device reads find which one.
			return xids, ""
		default:
			return xids, fmt.Sprintf("xid events may be missed: nvml EventSetWait: %s", ret)
		}
		if ev.EventType&nvml.EventTypeXidCriticalError == 0 || ev.Device == nil {
			continue
		}
		uuid, ret := ev.Device.GetUUID()
		if ret != nvml.SUCCESS {
			c.cfg.logger().Warn("xid event from an unidentifiable gpu", "xid", ev.EventData, "nvml", ret.Error())
			continue
		}
		xids[uuid] = append(xids[uuid], ev.EventData)
	}
	return xids, ""
}
