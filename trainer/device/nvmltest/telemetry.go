package nvmltest

import (
	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// wire sets the go-nvml mock functions of GPU i that a collector calls beyond identity,
// each reading the rig's state under its lock.
func (r *Rig) wire(i int, gpu *server.Device) {
	// read runs f on GPU i's state and returns the code the named call answers: the
	// injected failure, ERROR_GPU_IS_LOST once the GPU is removed, or SUCCESS.
	read := func(call string, f func(st *gpuState)) nvml.Return {
		r.mu.Lock()
		defer r.mu.Unlock()
		st := r.state[i]
		if st.removed {
			return nvml.ERROR_GPU_IS_LOST
		}
		if ret, ok := st.fail[call]; ok {
			return ret
		}
		f(st)
		return nvml.SUCCESS
	}
	uuid := gpu.GetUUIDFunc
	gpu.GetUUIDFunc = func() (string, nvml.Return) {
		if ret := read("GetUUID", func(*gpuState) {}); ret != nvml.SUCCESS {
			return "", ret
		}
		return uuid()
	}
	gpu.GetUtilizationRatesFunc = func() (u nvml.Utilization, ret nvml.Return) {
		ret = read("GetUtilizationRates", func(st *gpuState) { u = st.util })
		return u, ret
	}
	gpu.GetTemperatureFunc = func(nvml.TemperatureSensors) (c uint32, ret nvml.Return) {
		ret = read("GetTemperature", func(st *gpuState) { c = st.tempC })
		return c, ret
	}
	gpu.GetPowerUsageFunc = func() (mw uint32, ret nvml.Return) {
		ret = read("GetPowerUsage", func(st *gpuState) { mw = st.powerMW })
		return mw, ret
	}
	gpu.GetClockInfoFunc = func(c nvml.ClockType) (mhz uint32, ret nvml.Return) {
		ret = read("GetClockInfo", func(st *gpuState) {
			mhz = st.memMHz
			if c == nvml.CLOCK_SM {
				mhz = st.smMHz
			}
		})
		return mhz, ret
	}
	gpu.GetCurrentClocksEventReasonsFunc = func() (mask uint64, ret nvml.Return) {
		ret = read("GetCurrentClocksEventReasons", func(st *gpuState) { mask = st.throttle })
		return mask, ret
	}
	gpu.GetCurrentClocksThrottleReasonsFunc = func() (mask uint64, ret nvml.Return) {
		ret = read("GetCurrentClocksThrottleReasons", func(st *gpuState) { mask = st.throttle })
		return mask, ret
	}
	gpu.GetTotalEccErrorsFunc = func(typ nvml.MemoryErrorType, _ nvml.EccCounterType) (n uint64, ret nvml.Return) {
		ret = read("GetTotalEccErrors", func(st *gpuState) {
			n = st.sbe
			if typ == nvml.MEMORY_ERROR_TYPE_UNCORRECTED {
				n = st.dbe
			}
		})
		return n, ret
	}
	// Hopper replaced page retirement with row remapping, so NVML answers not supported.
	gpu.GetRetiredPagesFunc = func(nvml.PageRetirementCause) ([]uint64, nvml.Return) {
		return nil, nvml.ERROR_NOT_SUPPORTED
	}
	gpu.GetRetiredPagesPendingStatusFunc = func() (nvml.EnableState, nvml.Return) {
		return nvml.FEATURE_DISABLED, nvml.ERROR_NOT_SUPPORTED
	}
	gpu.GetRemappedRowsFunc = func() (corr, unc int, pending, failed bool, ret nvml.Return) {
		ret = read("GetRemappedRows", func(st *gpuState) {
			corr, unc, pending, failed = st.remapCorr, st.remapUnc, st.remapPend, st.remapFail
		})
		return corr, unc, pending, failed, ret
	}
	gpu.RegisterEventsFunc = func(mask uint64, _ nvml.EventSet) nvml.Return {
		return read("RegisterEvents", func(st *gpuState) { st.registered |= mask })
	}
}
