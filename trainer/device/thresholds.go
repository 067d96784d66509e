package device

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Thresholds decide when a reading makes a device degraded or unhealthy.
type Thresholds struct {
	// MaxTemperatureC degrades a GPU at or above this core temperature: it still works,
	// but it is close to thermal slowdown and new work should prefer cooler devices.
	MaxTemperatureC int `json:"max_temperature_c" yaml:"max_temperature_c"`
	// CriticalTemperatureC makes a GPU unhealthy at or above this temperature. Data-centre
	// GPUs begin hardware thermal slowdown in the low 90s and shut down near 100 C, so at
	// 95 C the work on it is already crawling and close to being lost. Unlike the fatal
	// conditions this is not sticky: the device is healthy again once it cools down.
	CriticalTemperatureC int `json:"critical_temperature_c" yaml:"critical_temperature_c"`
	// FatalXIDs are the XID codes that make a GPU unhealthy until the operator resets it.
	FatalXIDs []uint64 `json:"fatal_xids" yaml:"fatal_xids"`
	// DegradingXIDs are the XID codes that degrade a GPU (the scheduler prefers others,
	// nothing is cordoned) until none of them has been seen for RecoverAfter; then the
	// GPU is healthy again by itself. XIDs in neither list are reported, not judged.
	DegradingXIDs []uint64 `json:"degrading_xids,omitempty" yaml:"degrading_xids"`
	// RecoverAfter is how long a GPU must go without a degrading XID to be healthy again.
	RecoverAfter time.Duration `json:"recover_after,omitempty" yaml:"recover_after"`
	// DegradingThrottleReasons are the clock throttle reasons (names as in ThrottleReasons)
	// that degrade a GPU. Idle clocks, power caps and application clocks are normal.
	DegradingThrottleReasons []string `json:"degrading_throttle_reasons" yaml:"degrading_throttle_reasons"`
}

// Temperature limits Validate accepts; nothing on a GPU board survives above this.
const maxSaneTemperatureC = 150

// DefaultFatalXIDs returns the XIDs treated as fatal by default.
//
// They are the XIDs that NVIDIA's XID catalog (docs.nvidia.com/deploy/xid-errors, and the
// dynamic page retirement and row remapping guides) attributes to the GPU hardware or its
// firmware and resolves by resetting the GPU, draining the node or servicing the board,
// rather than by restarting the application:
//
//	48  double-bit (uncorrectable) ECC error
//	62  internal micro-controller halt
//	63  ECC page retirement / row-remap recording event: memory went bad and the GPU must be
//	    reset before the remap takes effect
//	64  ECC page retirement / row-remap recording failure
//	74  NVLink error
//	79  GPU has fallen off the bus
//	92  high single-bit ECC error rate
//	94  contained ECC error: NVIDIA's immediate action is only to restart the application,
//	    but the running attempt read corrupted memory, so its checkpoints are suspect and
//	    the device is held until an operator looks
//	95  uncontained ECC error
//	119 GSP RPC timeout
//	120 GSP error
//
// Application-class XIDs (13 graphics engine exception, 31 memory page fault, 43 GPU
// stopped processing, 45 preemptive cleanup) are usually a bug in the program; they are
// reported in Sample.XIDs but do not change health. Newer drivers also emit XID 154 with
// the recovery action the driver wants; add it to FatalXIDs if your drivers send it.
func DefaultFatalXIDs() []uint64 {
	return []uint64{48, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120}
}

// xidDescriptions names the XIDs dxtrain knows, for health reasons a person can read.
var xidDescriptions = map[uint64]string{
	13:  "graphics engine exception",
	31:  "gpu memory page fault",
	43:  "gpu stopped processing",
	45:  "preemptive cleanup",
	48:  "double-bit ecc error",
	62:  "internal micro-controller halt",
	63:  "ecc page retirement or row remap recording event",
	64:  "ecc page retirement or row remap recording failure",
	74:  "nvlink error",
	79:  "gpu has fallen off the bus",
	92:  "high single-bit ecc error rate",
	94:  "contained ecc error",
	95:  "uncontained ecc error",
	119: "gsp rpc timeout",
	120: "gsp error",
}

// DefaultThresholds returns the thresholds dxtrain uses unless configured otherwise.
func DefaultThresholds() Thresholds {
	return Thresholds{
		MaxTemperatureC:      85,
		CriticalTemperatureC: 95,
		FatalXIDs:            DefaultFatalXIDs(),
		RecoverAfter:         10 * time.Minute,
		DegradingThrottleReasons: []string{
			ThrottleHWSlowdown, ThrottleHWThermalSlowdown,
			ThrottleSWThermalSlowdown, ThrottleHWPowerBrakeSlowdown,
		},
	}
}

// Validate reports every threshold outside its allowed range.
func (t Thresholds) Validate() error {
	var errs []error
	if t.MaxTemperatureC <= 0 || t.MaxTemperatureC >= maxSaneTemperatureC {
		errs = append(errs, fmt.Errorf("%w: max_temperature_c is %d, want 1..%d",
			ErrInvalidConfig, t.MaxTemperatureC, maxSaneTemperatureC-1))
	}
	if t.CriticalTemperatureC <= t.MaxTemperatureC || t.CriticalTemperatureC > maxSaneTemperatureC {
		errs = append(errs, fmt.Errorf("%w: critical_temperature_c is %d, want above max_temperature_c (%d) and at most %d",
			ErrInvalidConfig, t.CriticalTemperatureC, t.MaxTemperatureC, maxSaneTemperatureC))
	}
	for i, x := range t.FatalXIDs {
		if x == 0 {
			errs = append(errs, fmt.Errorf("%w: fatal_xids[%d] is 0, XIDs start at 1", ErrInvalidConfig, i))
		}
	}
	for i, x := range t.DegradingXIDs {
		switch {
		case x == 0:
			errs = append(errs, fmt.Errorf("%w: degrading_xids[%d] is 0, XIDs start at 1", ErrInvalidConfig, i))
		case slices.Contains(t.FatalXIDs, x):
			errs = append(errs, fmt.Errorf("%w: degrading_xids[%d]: xid %d is also in fatal_xids", ErrInvalidConfig, i, x))
		}
	}
	if len(t.DegradingXIDs) > 0 && t.RecoverAfter <= 0 {
		errs = append(errs, fmt.Errorf("%w: recover_after is %s, want a positive duration with degrading_xids", ErrInvalidConfig, t.RecoverAfter))
	}
	for i, name := range t.DegradingThrottleReasons {
		if !slices.Contains(throttleNames(), name) {
			errs = append(errs, fmt.Errorf("%w: degrading_throttle_reasons[%d] is %q, want one of %s",
				ErrInvalidConfig, i, name, strings.Join(throttleNames(), ", ")))
		}
	}
	return errors.Join(errs...)
}

// Clock throttle reason names, decoded from NVML's bitmask by DecodeThrottleReasons.
const (
	ThrottleGPUIdle               = "gpu_idle"
	ThrottleApplicationsClocks    = "applications_clocks_setting"
	ThrottleSWPowerCap            = "sw_power_cap"
	ThrottleHWSlowdown            = "hw_slowdown"
	ThrottleSyncBoost             = "sync_boost"
	ThrottleSWThermalSlowdown     = "sw_thermal_slowdown"
	ThrottleHWThermalSlowdown     = "hw_thermal_slowdown"
	ThrottleHWPowerBrakeSlowdown  = "hw_power_brake_slowdown"
	ThrottleDisplayClockSetting   = "display_clock_setting"
	ThrottleBoardLimit            = "board_limit"
	ThrottleReliability           = "reliability"
	throttleUnknownPrefix         = "unknown_"
	throttleReasonBitsUnknownMask = ^uint64(nvml.ClocksEventReasonAll)
)

// throttleBits maps NVML's clock throttle (clock event) reason bits to names, in bit order.
var throttleBits = []struct {
	bit  uint64
	name string
}{
	{nvml.ClocksThrottleReasonGpuIdle, ThrottleGPUIdle},
	{nvml.ClocksThrottleReasonApplicationsClocksSetting, ThrottleApplicationsClocks},
	{nvml.ClocksThrottleReasonSwPowerCap, ThrottleSWPowerCap},
	{nvml.ClocksThrottleReasonHwSlowdown, ThrottleHWSlowdown},
	{nvml.ClocksThrottleReasonSyncBoost, ThrottleSyncBoost},
	{nvml.ClocksThrottleReasonSwThermalSlowdown, ThrottleSWThermalSlowdown},
	{nvml.ClocksThrottleReasonHwThermalSlowdown, ThrottleHWThermalSlowdown},
	{nvml.ClocksThrottleReasonHwPowerBrakeSlowdown, ThrottleHWPowerBrakeSlowdown},
	{nvml.ClocksThrottleReasonDisplayClockSetting, ThrottleDisplayClockSetting},
	{nvml.ClocksEventReasonBoardLimit, ThrottleBoardLimit},
	{nvml.ClocksEventReasonReliability, ThrottleReliability},
}

func throttleNames() []string {
	names := make([]string, len(throttleBits))
	for i, b := range throttleBits {
		names[i] = b.name
	}
	return names
}

// DecodeThrottleReasons turns NVML's clock throttle bitmask into reason names in bit order.
// Bits this version does not know come out as "unknown_0x…" so that nothing is hidden.
func DecodeThrottleReasons(mask uint64) []string {
	var names []string
	for _, b := range throttleBits {
		if mask&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	if rest := mask & throttleReasonBitsUnknownMask; rest != 0 {
		names = append(names, fmt.Sprintf("%s%#x", throttleUnknownPrefix, rest))
	}
	return names
}
