// Package nvmltest is a mocked NVIDIA DGX H100 for tests of code that reads GPUs through
// NVML: the device collector, and the agent and coordinator that act on its verdicts.
//
// It exists because the machines dxtrain is built and tested on have no GPU. DESIGN.md
// §4.7 allows exactly one stand-in for NVML — go-nvml's own mocks — so the rig is
// go-nvml's dgxh100 server (identity: index, UUID, name, memory, MIG mode) with the
// telemetry calls the mock leaves unset wired to per-GPU state, and faults injected into
// that state while a collector samples it. Nothing here imitates NVML by hand.
package nvmltest

import (
	"fmt"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// Rig is one mocked DGX H100 (eight H100 SXM5 80GB GPUs) reporting healthy, busy
// readings until a fault is injected. Its methods are safe for concurrent use with each
// other and with the NVML calls a collector makes through Interface.
type Rig struct {
	srv  *server.Server
	gpus []*server.Device

	mu      sync.Mutex
	state   []*gpuState
	events  []nvml.EventData // queued XID events, delivered by the mocked event set
	waitRet nvml.Return      // the event set's Wait answers this instead when not SUCCESS
	calls   Calls
}

// Calls counts the NVML calls that leave nothing in a GPU's readings to check.
type Calls struct {
	EventWaits    int // waits on the mocked event set
	EventSetFrees int // mocked event sets freed
	Shutdowns     int // NVML shut down
}

// gpuState is the telemetry one GPU reports.
type gpuState struct {
	util       nvml.Utilization
	tempC      uint32
	powerMW    uint32
	smMHz      uint32
	memMHz     uint32
	throttle   uint64
	sbe, dbe   uint64
	removed    bool
	remapCorr  int                    // rows remapped for correctable errors
	remapUnc   int                    // rows remapped for uncorrectable errors
	remapPend  bool                   // a remapping waits for the next GPU reset
	remapFail  bool                   // a remapping failed
	registered uint64                 // event types registered through RegisterEvents
	fail       map[string]nvml.Return // call name → code returned instead of a value
}

// healthy is the reading of a working H100 under a training load: hot enough to be
// real, far from every limit, capped by the power limit as busy H100s usually are.
func healthy() *gpuState {
	return &gpuState{
		util: nvml.Utilization{Gpu: 93, Memory: 41}, tempC: 61, powerMW: 512_345,
		smMHz: 1980, memMHz: 2619, throttle: nvml.ClocksThrottleReasonSwPowerCap,
		sbe: 3, fail: map[string]nvml.Return{},
	}
}

// New returns a rig of eight healthy GPUs with fresh random UUIDs, so two rigs never
// share a device ID.
func New() *Rig {
	r := &Rig{srv: dgxh100.New()}
	r.srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) {
		return &mock.EventSet{
			WaitFunc: r.waitEvent,
			FreeFunc: func() nvml.Return {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.calls.EventSetFrees++
				return nvml.SUCCESS
			},
		}, nvml.SUCCESS
	}
	shutdown := r.srv.ShutdownFunc
	r.srv.ShutdownFunc = func() nvml.Return {
		r.mu.Lock()
		r.calls.Shutdowns++
		r.mu.Unlock()
		return shutdown()
	}
	lookup := r.srv.DeviceGetHandleByIndexFunc
	r.srv.DeviceGetHandleByIndexFunc = func(i int) (nvml.Device, nvml.Return) {
		if r.removed(i) {
			return nil, nvml.ERROR_GPU_IS_LOST
		}
		return lookup(i)
	}
	for i, d := range r.srv.Devices {
		gpu := d.(*server.Device)
		gpu.MemoryInfo.Used = 40 << 30
		gpu.MemoryInfo.Free = gpu.MemoryInfo.Total - gpu.MemoryInfo.Used
		r.gpus = append(r.gpus, gpu)
		r.state = append(r.state, healthy())
		r.wire(i, gpu)
	}
	return r
}

// Interface is the NVML library a collector reads the rig through.
func (r *Rig) Interface() nvml.Interface { return r.srv }

// Server is go-nvml's mock itself, for a test that rewires a call the rig does not
// model (Init, DeviceGetCount, EventSetCreate, LookupSymbol, the device list). Change it
// before a collector reads the rig, or while none is reading.
func (r *Rig) Server() *server.Server { return r.srv }

// Device is GPU gpu's go-nvml mock device, for a test that sets what the rig does not
// model (MIG mode, a call rewired or removed), under the same rule as Server.
func (r *Rig) Device(gpu int) *server.Device { return r.gpu(gpu) }

// GPUs is the number of GPUs in the rig.
func (r *Rig) GPUs() int { return len(r.gpus) }

// UUID is GPU gpu's UUID, the device ID a collector reports for it.
func (r *Rig) UUID(gpu int) string { return r.gpu(gpu).UUID }

// InjectDoubleBitECC records one uncorrectable (double-bit) ECC error on GPU gpu: its
// volatile uncorrected ECC count goes up by one, as NVML reports after such an error.
func (r *Rig) InjectDoubleBitECC(gpu int) {
	r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state[gpu].dbe++
}

// InjectXID queues an XID critical-error event from GPU gpu on the mocked NVML event
// set; the next wait on an event set that GPU is registered with returns it.
func (r *Rig) InjectXID(gpu int, xid uint64) {
	dev := r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, nvml.EventData{Device: dev, EventType: nvml.EventTypeXidCriticalError, EventData: xid})
}

// InjectUnattributableXID queues an XID critical-error event from a device handle that
// is none of the rig's GPUs and whose UUID cannot be read; the next wait returns it.
func (r *Rig) InjectUnattributableXID(xid uint64) {
	dev := &mock.Device{GetUUIDFunc: func() (string, nvml.Return) { return "", nvml.ERROR_UNKNOWN }}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, nvml.EventData{Device: dev, EventType: nvml.EventTypeXidCriticalError, EventData: xid})
}

// FailEventWait makes every wait on the mocked event set return ret instead of an
// event; nvml.SUCCESS restores it.
func (r *Rig) FailEventWait(ret nvml.Return) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waitRet = ret
}

// SetThrottleReasons sets GPU gpu's clock throttle (clocks event) reasons, a mask of
// nvml.ClocksThrottleReason* bits.
func (r *Rig) SetThrottleReasons(gpu int, mask uint64) {
	r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state[gpu].throttle = mask
}

// SetRemappedRows sets what GPU gpu's row remapper reports: rows remapped for
// correctable and uncorrectable errors, a remapping pending the next reset, a failed one.
func (r *Rig) SetRemappedRows(gpu int, corrected, uncorrected int, pending, failed bool) {
	r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state[gpu]
	st.remapCorr, st.remapUnc, st.remapPend, st.remapFail = corrected, uncorrected, pending, failed
}

// SetTemperature sets GPU gpu's core temperature in degrees Celsius.
func (r *Rig) SetTemperature(gpu int, c uint32) {
	r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state[gpu].tempC = c
}

// RemoveGPU makes GPU gpu fall off the bus: looking it up by index, and every call on a
// handle already held, answer ERROR_GPU_IS_LOST.
func (r *Rig) RemoveGPU(gpu int) {
	r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state[gpu].removed = true
}

// FailCall makes the named telemetry call of GPU gpu ("GetTemperature",
// "GetTotalEccErrors", "GetRemappedRows", …) return ret instead of a value; nvml.SUCCESS
// restores it.
func (r *Rig) FailCall(gpu int, call string, ret nvml.Return) {
	r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	if ret == nvml.SUCCESS {
		delete(r.state[gpu].fail, call)
		return
	}
	r.state[gpu].fail[call] = ret
}

// Repair returns GPU gpu to the healthy reading of a freshly reset board: back on the
// bus, cool, no failing calls, and ECC counts cleared (NVML's volatile counters restart
// when the GPU is reset). Its pending XID events are dropped.
func (r *Rig) Repair(gpu int) {
	dev := r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	st := healthy()
	st.sbe, st.registered = 0, r.state[gpu].registered
	r.state[gpu] = st
	kept := r.events[:0]
	for _, ev := range r.events {
		if ev.Device != dev {
			kept = append(kept, ev)
		}
	}
	r.events = kept
}

// Registered is the mask of event types registered on GPU gpu through RegisterEvents.
func (r *Rig) Registered(gpu int) uint64 {
	r.gpu(gpu)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state[gpu].registered
}

// Calls is what the rig has counted so far.
func (r *Rig) Calls() Calls {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// gpu returns GPU i, panicking on an index outside the rig: that is a broken test.
func (r *Rig) gpu(i int) *server.Device {
	if i < 0 || i >= len(r.gpus) {
		panic(fmt.Sprintf("nvmltest: gpu %d outside a rig of %d", i, len(r.gpus)))
	}
	return r.gpus[i]
}

func (r *Rig) removed(i int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return i >= 0 && i < len(r.state) && r.state[i].removed
}

// waitEvent is the event set's Wait: the injected failure, or the oldest queued event of
// a registered GPU or of a handle outside the rig, or ERROR_TIMEOUT when there is none
// (the rig never blocks).
func (r *Rig) waitEvent(uint32) (nvml.EventData, nvml.Return) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls.EventWaits++
	if r.waitRet != nvml.SUCCESS {
		return nvml.EventData{}, r.waitRet
	}
	for len(r.events) > 0 {
		ev := r.events[0]
		r.events = r.events[1:]
		if r.deliverable(ev) {
			return ev, nvml.SUCCESS
		}
	}
	return nvml.EventData{}, nvml.ERROR_TIMEOUT
}

// deliverable reports whether the event set returns ev: an event of one of the rig's
// GPUs only if that GPU registered its type, one of any other handle always.
func (r *Rig) deliverable(ev nvml.EventData) bool {
	for i, g := range r.gpus {
		if g == ev.Device {
			return r.state[i].registered&ev.EventType != 0
		}
	}
	return true
}
