package device

import "context"

// Collector kinds, as returned by Collector.Kind.
const (
	KindNVML = "nvml"
	KindCPU  = "cpu"
)

// Device kinds, as set in Device.Kind and Sample.Kind.
const (
	DeviceGPU = "gpu"
	DeviceCPU = "cpu"
)

// Collector lists a host's devices and samples their telemetry and health.
// Implementations are safe for concurrent use.
type Collector interface {
	// Kind says which implementation this is: KindNVML or KindCPU.
	Kind() string
	// Inventory lists the devices found when the collector started, in index order.
	Inventory(ctx context.Context) ([]Device, error)
	// Sample reads every inventoried device once. A device that cannot be read still gets
	// a Sample, whose Health says why; the error is for the collector itself failing.
	Sample(ctx context.Context) ([]Sample, error)
	// ResetHealth forgets the sticky fatal conditions of one device (the operator repaired
	// or uncordoned it); its next Sample is judged afresh. It returns ErrUnknownDevice for
	// a UUID the collector never reported.
	ResetHealth(uuid string) error
	// Close releases the collector's resources (NVML handle, event set). It is idempotent.
	Close() error
}

// Device is one schedulable device: a GPU, or the host's CPUs taken together.
type Device struct {
	Index            int    `json:"index"`
	UUID             string `json:"uuid"`
	Name             string `json:"name"`
	Kind             string `json:"kind"` // DeviceGPU or DeviceCPU
	MemoryTotalBytes uint64 `json:"memory_total_bytes"`
	MIGEnabled       bool   `json:"mig_enabled,omitempty"`
	Cores            int    `json:"cores,omitempty"` // logical CPUs; CPU devices only
}

// Sample is one reading of one device. Fields a device does not support are zero.
type Sample struct {
	Index int    `json:"index"`
	UUID  string `json:"uuid"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`

	UtilizationGPU    int     `json:"utilization_gpu"`    // percent of time a kernel ran
	UtilizationMemory int     `json:"utilization_memory"` // percent of time memory was read or written
	MemoryUsedBytes   uint64  `json:"memory_used_bytes"`
	MemoryTotalBytes  uint64  `json:"memory_total_bytes"`
	TemperatureC      int     `json:"temperature_c"`
	PowerWatts        float64 `json:"power_watts"`
	SMClockMHz        int     `json:"sm_clock_mhz"`
	MemClockMHz       int     `json:"mem_clock_mhz"`

	// ThrottleMask is NVML's raw clock throttle bitmask; ThrottleReasons decodes it.
	ThrottleMask    uint64   `json:"throttle_mask"`
	ThrottleReasons []string `json:"throttle_reasons,omitempty"`

	// ECC error counts since the driver last loaded (NVML's volatile counters).
	ECCSingleBit uint64 `json:"ecc_single_bit"`
	ECCDoubleBit uint64 `json:"ecc_double_bit"`

	// Page retirement (Volta and older) and row remapping (Ampere and newer).
	RetiredPagesSingleBit     int  `json:"retired_pages_single_bit"`
	RetiredPagesDoubleBit     int  `json:"retired_pages_double_bit"`
	RetiredPagesPending       bool `json:"retired_pages_pending"`
	RemappedRowsCorrectable   int  `json:"remapped_rows_correctable"`
	RemappedRowsUncorrectable int  `json:"remapped_rows_uncorrectable"`
	RowRemapPending           bool `json:"row_remap_pending"`
	RowRemapFailure           bool `json:"row_remap_failure"`

	// XIDs are the XID error codes the driver reported since the previous Sample.
	XIDs []uint64 `json:"xids,omitempty"`

	// LoadAverage1 is the one-minute load average; CPU devices only.
	LoadAverage1 float64 `json:"load_average_1,omitempty"`

	Health Health `json:"health"`
}
