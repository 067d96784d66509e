package device

import (
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics exports the latest device samples to Prometheus. GPU gauges use dcgm-exporter's
// names, units and labels (gpu, UUID, modelName), so existing DCGM dashboards and alerts
// work on dxtrain agents unchanged. It is a prometheus.Collector that reports the snapshot
// from the last Observe, so a device that disappears stops being reported.
type Metrics struct {
	mu      sync.Mutex
	samples []Sample
	// lastXID and xids outlive single samples: a sample only carries the XIDs since the
	// one before, but DCGM_FI_DEV_XID_ERRORS holds the last XID seen and the counter grows.
	lastXID map[string]uint64
	xids    map[string]map[uint64]uint64
}

var gpuLabels = []string{"gpu", "UUID", "modelName"}

// gpuGauges are the dcgm-exporter fields dxtrain fills, each from one Sample field.
var gpuGauges = []struct {
	desc  *prometheus.Desc
	value func(s *Sample) float64
}{
	{gpuDesc("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %)."), func(s *Sample) float64 { return float64(s.UtilizationGPU) }},
	{gpuDesc("DCGM_FI_DEV_MEM_COPY_UTIL", "Memory utilization (in %)."), func(s *Sample) float64 { return float64(s.UtilizationMemory) }},
	{gpuDesc("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB)."), func(s *Sample) float64 { return float64(s.MemoryUsedBytes) / (1 << 20) }},
	{gpuDesc("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB)."), func(s *Sample) float64 {
		return float64(s.MemoryTotalBytes-min(s.MemoryUsedBytes, s.MemoryTotalBytes)) / (1 << 20)
	}},
	{gpuDesc("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C)."), func(s *Sample) float64 { return float64(s.TemperatureC) }},
	{gpuDesc("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W)."), func(s *Sample) float64 { return s.PowerWatts }},
	{gpuDesc("DCGM_FI_DEV_SM_CLOCK", "SM clock frequency (in MHz)."), func(s *Sample) float64 { return float64(s.SMClockMHz) }},
	{gpuDesc("DCGM_FI_DEV_MEM_CLOCK", "Memory clock frequency (in MHz)."), func(s *Sample) float64 { return float64(s.MemClockMHz) }},
	{gpuDesc("DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", "Current clock throttle reasons (NVML bitmask)."), func(s *Sample) float64 { return float64(s.ThrottleMask) }},
	{gpuDesc("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", "Total number of single-bit volatile ECC errors."), func(s *Sample) float64 { return float64(s.ECCSingleBit) }},
	{gpuDesc("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "Total number of double-bit volatile ECC errors."), func(s *Sample) float64 { return float64(s.ECCDoubleBit) }},
	{gpuDesc("DCGM_FI_DEV_RETIRED_SBE", "Total number of retired pages due to single-bit errors."), func(s *Sample) float64 { return float64(s.RetiredPagesSingleBit) }},
	{gpuDesc("DCGM_FI_DEV_RETIRED_DBE", "Total number of retired pages due to double-bit errors."), func(s *Sample) float64 { return float64(s.RetiredPagesDoubleBit) }},
	{gpuDesc("DCGM_FI_DEV_RETIRED_PENDING", "Whether pages are pending retirement (1 = yes)."), func(s *Sample) float64 { return boolValue(s.RetiredPagesPending) }},
	{gpuDesc("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "Number of remapped rows for correctable errors."), func(s *Sample) float64 { return float64(s.RemappedRowsCorrectable) }},
	{gpuDesc("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "Number of remapped rows for uncorrectable errors."), func(s *Sample) float64 { return float64(s.RemappedRowsUncorrectable) }},
	{gpuDesc("DCGM_FI_DEV_ROW_REMAP_PENDING", "Whether a row remap is pending (1 = yes)."), func(s *Sample) float64 { return boolValue(s.RowRemapPending) }},
	{gpuDesc("DCGM_FI_DEV_ROW_REMAP_FAILURE", "Whether row remapping has failed (1 = yes)."), func(s *Sample) float64 { return boolValue(s.RowRemapFailure) }},
}

var (
	xidLastDesc  = gpuDesc("DCGM_FI_DEV_XID_ERRORS", "Value of the last XID error encountered.")
	xidTotalDesc = prometheus.NewDesc("dxtrain_device_xid_errors_total",
		"XID errors seen by the dxtrain agent, by XID code.", append(slices.Clone(gpuLabels), "xid"), nil)
	healthDesc = prometheus.NewDesc("dxtrain_device_health",
		"Device health: 0 healthy, 1 degraded, 2 unhealthy.", []string{"device", "UUID", "modelName", "kind"}, nil)
	cpuLoadDesc = prometheus.NewDesc("dxtrain_cpu_load1",
		"One-minute load average of a CPU device.", []string{"UUID", "modelName"}, nil)
	cpuMemUsedDesc = prometheus.NewDesc("dxtrain_cpu_memory_used_bytes",
		"Memory in use on a CPU device's host (total minus available).", []string{"UUID", "modelName"}, nil)
	cpuMemTotalDesc = prometheus.NewDesc("dxtrain_cpu_memory_total_bytes",
		"Memory installed on a CPU device's host.", []string{"UUID", "modelName"}, nil)
)

func gpuDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, gpuLabels, nil)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// healthValues are the dxtrain_device_health values; unknown states export as unhealthy.
var healthValues = map[HealthState]float64{Healthy: 0, Degraded: 1, Unhealthy: 2}

// NewMetrics builds Metrics and registers it with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{lastXID: make(map[string]uint64), xids: make(map[string]map[uint64]uint64)}
	if err := reg.Register(m); err != nil {
		return nil, fmt.Errorf("register device metrics: %w", err)
	}
	return m, nil
}

// Observe replaces the exported snapshot with samples and counts their XIDs.
func (m *Metrics) Observe(samples []Sample) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples = slices.Clone(samples)
	for _, s := range samples {
		for _, x := range s.XIDs {
			m.lastXID[s.UUID] = x
			if m.xids[s.UUID] == nil {
				m.xids[s.UUID] = make(map[uint64]uint64)
			}
			m.xids[s.UUID][x]++
		}
	}
}

// Describe sends every metric description.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range gpuGauges {
		ch <- g.desc
	}
	for _, d := range []*prometheus.Desc{xidLastDesc, xidTotalDesc, healthDesc, cpuLoadDesc, cpuMemUsedDesc, cpuMemTotalDesc} {
		ch <- d
	}
}

// Collect sends the metrics of the last observed samples.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.samples {
		s := &m.samples[i]
		index := strconv.Itoa(s.Index)
		health, ok := healthValues[s.Health.State]
		if !ok {
			health = healthValues[Unhealthy]
		}
		ch <- prometheus.MustNewConstMetric(healthDesc, prometheus.GaugeValue, health, index, s.UUID, s.Name, s.Kind)
		if s.Kind == DeviceCPU {
			ch <- prometheus.MustNewConstMetric(cpuLoadDesc, prometheus.GaugeValue, s.LoadAverage1, s.UUID, s.Name)
			ch <- prometheus.MustNewConstMetric(cpuMemUsedDesc, prometheus.GaugeValue, float64(s.MemoryUsedBytes), s.UUID, s.Name)
			ch <- prometheus.MustNewConstMetric(cpuMemTotalDesc, prometheus.GaugeValue, float64(s.MemoryTotalBytes), s.UUID, s.Name)
			continue
		}
		for _, g := range gpuGauges {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, g.value(s), index, s.UUID, s.Name)
		}
		ch <- prometheus.MustNewConstMetric(xidLastDesc, prometheus.GaugeValue, float64(m.lastXID[s.UUID]), index, s.UUID, s.Name)
		for x, n := range m.xids[s.UUID] {
			ch <- prometheus.MustNewConstMetric(xidTotalDesc, prometheus.CounterValue, float64(n), index, s.UUID, s.Name, strconv.FormatUint(x, 10))
		}
	}
}
