package device

import (
	"sync"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// gpuState is the telemetry one mocked H100 reports. Tests change it between samples.
// The dgxh100 mock provides identity (index, UUID, name, memory, MIG mode); this adds the
// telemetry calls the mock leaves unset, through go-nvml's own mock function fields.
type gpuState struct {
	util       nvml.Utilization
	tempC      uint32
	powerMW    uint32
	smMHz      uint32
	memMHz     uint32
	throttle   uint64
	sbe, dbe   uint64
	remapCorr  int
	remapUnc   int
	remapPend  bool
	remapFail  bool
	registered uint64
	// fail makes the named call return the given code instead of a value.
	fail map[string]nvml.Return
}

// eventQueue feeds the mocked NVML event set.
type eventQueue struct {
	mu      sync.Mutex
	pending []nvml.EventData
	waitRet nvml.Return // returned instead of events when not SUCCESS
	waits   int
	freed   int
}

func (q *eventQueue) push(ev nvml.EventData) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, ev)
}

func (q *eventQueue) wait(uint32) (nvml.EventData, nvml.Return) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.waits++
	if q.waitRet != nvml.SUCCESS {
		return nvml.EventData{}, q.waitRet
	}
	if len(q.pending) == 0 {
		return nvml.EventData{}, nvml.ERROR_TIMEOUT
	}
	ev := q.pending[0]
	q.pending = q.pending[1:]
	return ev, nvml.SUCCESS
}

// h100Rig is a mocked DGX H100 with healthy, idle-but-busy readings.
type h100Rig struct {
	srv       *server.Server
	gpus      []*server.Device
	state     []*gpuState
	events    *eventQueue
	shutdowns int
}

func newH100Rig(t *testing.T) *h100Rig {
	t.Helper()
	r := &h100Rig{srv: dgxh100.New(), events: &eventQueue{waitRet: nvml.SUCCESS}}
	r.srv.ShutdownFunc = func() nvml.Return { r.shutdowns++; return nvml.SUCCESS }
	r.srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) {
		return &mock.EventSet{
			WaitFunc: r.events.wait,
			FreeFunc: func() nvml.Return {
				r.events.mu.Lock()
				defer r.events.mu.Unlock()
				r.events.freed++
				return nvml.SUCCESS
			},
		}, nvml.SUCCESS
	}
	for _, d := range r.srv.Devices {
		gpu := d.(*server.Device)
		st := &gpuState{
			util: nvml.Utilization{Gpu: 93, Memory: 41}, tempC: 61, powerMW: 512_345,
			smMHz: 1980, memMHz: 2619, throttle: nvml.ClocksThrottleReasonSwPowerCap,
			sbe: 3, fail: map[string]nvml.Return{},
		}
		gpu.MemoryInfo.Used = 40 << 30
		gpu.MemoryInfo.Free = gpu.MemoryInfo.Total - gpu.MemoryInfo.Used
		wireTelemetry(gpu, st)
		r.gpus = append(r.gpus, gpu)
		r.state = append(r.state, st)
	}
	return r
}

// wireTelemetry sets the go-nvml mock functions the collector calls beyond identity.
func wireTelemetry(gpu *server.Device, st *gpuState) {
	ret := func(call string) nvml.Return {
		if r, ok := st.fail[call]; ok {
			return r
		}
		return nvml.SUCCESS
	}
	gpu.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) { return st.util, ret("GetUtilizationRates") }
	gpu.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return st.tempC, ret("GetTemperature") }
	gpu.GetPowerUsageFunc = func() (uint32, nvml.Return) { return st.powerMW, ret("GetPowerUsage") }
	gpu.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		if c == nvml.CLOCK_SM {
			return st.smMHz, ret("GetClockInfo")
		}
		return st.memMHz, ret("GetClockInfo")
	}
	gpu.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) {
		return st.throttle, ret("GetCurrentClocksEventReasons")
	}
	gpu.GetCurrentClocksThrottleReasonsFunc = func() (uint64, nvml.Return) {
		return st.throttle, ret("GetCurrentClocksThrottleReasons")
	}
	gpu.GetTotalEccErrorsFunc = func(typ nvml.MemoryErrorType, _ nvml.EccCounterType) (uint64, nvml.Return) {
		if typ == nvml.MEMORY_ERROR_TYPE_UNCORRECTED {
			return st.dbe, ret("GetTotalEccErrors")
		}
		return st.sbe, ret("GetTotalEccErrors")
	}
	// Hopper replaced page retirement with row remapping, so NVML says not supported.
	gpu.GetRetiredPagesFunc = func(nvml.PageRetirementCause) ([]uint64, nvml.Return) { return nil, nvml.ERROR_NOT_SUPPORTED }
	gpu.GetRetiredPagesPendingStatusFunc = func() (nvml.EnableState, nvml.Return) {
		return nvml.FEATURE_DISABLED, nvml.ERROR_NOT_SUPPORTED
	}
	gpu.GetRemappedRowsFunc = func() (int, int, bool, bool, nvml.Return) {
		return st.remapCorr, st.remapUnc, st.remapPend, st.remapFail, ret("GetRemappedRows")
	}
	gpu.RegisterEventsFunc = func(mask uint64, _ nvml.EventSet) nvml.Return {
		st.registered |= mask
		return ret("RegisterEvents")
	}
}

// testConfig is DefaultConfig with a 1 ms event wait, so tests do not idle.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.EventWait = time.Millisecond
	return cfg
}

func (r *h100Rig) collector(t *testing.T) *NVMLCollector {
	t.Helper()
	c, err := NewNVML(r.srv, testConfig())
	if err != nil {
		t.Fatalf("NewNVML: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
