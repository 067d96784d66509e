package device

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

func TestDefaultsValidate(t *testing.T) {
	t.Parallel()
	if err := DefaultThresholds().Validate(); err != nil {
		t.Errorf("DefaultThresholds().Validate() = %v", err)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
}

func TestThresholdsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Thresholds)
		want   []string // substrings, one per expected violation
	}{
		{"zero max temperature", func(th *Thresholds) { th.MaxTemperatureC = 0 }, []string{"max_temperature_c is 0"}},
		{"critical not above max", func(th *Thresholds) { th.CriticalTemperatureC = 85 }, []string{"critical_temperature_c is 85"}},
		{"critical absurd", func(th *Thresholds) { th.CriticalTemperatureC = 400 }, []string{"critical_temperature_c is 400"}},
		{"xid zero", func(th *Thresholds) { th.FatalXIDs = []uint64{48, 0} }, []string{"fatal_xids[1] is 0"}},
		{"unknown throttle reason", func(th *Thresholds) { th.DegradingThrottleReasons = []string{"too_hot"} },
			[]string{`degrading_throttle_reasons[0] is "too_hot"`}},
		{"two violations at once", func(th *Thresholds) { th.MaxTemperatureC, th.FatalXIDs = -1, []uint64{0} },
			[]string{"max_temperature_c is -1", "fatal_xids[0] is 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := DefaultThresholds()
			tt.modify(&th)
			err := th.Validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"event wait too short", func(c *Config) { c.EventWait = time.Microsecond }, "event_wait is 1µs"},
		{"event wait too long", func(c *Config) { c.EventWait = time.Minute }, "event_wait is 1m0s"},
		{"no events per sample", func(c *Config) { c.MaxEventsPerSample = 0 }, "max_events_per_sample is 0"},
		{"no proc root", func(c *Config) { c.ProcRoot = "" }, "proc_root is empty"},
		{"bad thresholds", func(c *Config) { c.Thresholds.MaxTemperatureC = 0 }, "thresholds: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.modify(&cfg)
			if err := cfg.Validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want ErrInvalidConfig mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDecodeThrottleReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mask uint64
		want []string
	}{
		{0, nil},
		{nvml.ClocksThrottleReasonGpuIdle, []string{ThrottleGPUIdle}},
		{nvml.ClocksThrottleReasonSwPowerCap | nvml.ClocksThrottleReasonHwPowerBrakeSlowdown,
			[]string{ThrottleSWPowerCap, ThrottleHWPowerBrakeSlowdown}},
		{nvml.ClocksThrottleReasonHwSlowdown | nvml.ClocksThrottleReasonHwThermalSlowdown | nvml.ClocksThrottleReasonSwThermalSlowdown,
			[]string{ThrottleHWSlowdown, ThrottleSWThermalSlowdown, ThrottleHWThermalSlowdown}},
		{nvml.ClocksEventReasonAll, throttleNames()},
		{1<<20 | nvml.ClocksThrottleReasonSyncBoost, []string{ThrottleSyncBoost, "unknown_0x100000"}},
	}
	for _, tt := range tests {
		if got := DecodeThrottleReasons(tt.mask); !slices.Equal(got, tt.want) {
			t.Errorf("DecodeThrottleReasons(%#x) = %v, want %v", tt.mask, got, tt.want)
		}
	}
}

func TestHealthJudge(t *testing.T) {
	t.Parallel()
	th := DefaultThresholds()
	th.FatalXIDs = []uint64{79}
	th.MaxTemperatureC, th.CriticalTemperatureC = 70, 80
	tests := []struct {
		name   string
		sample Sample
		f      faults
		want   Health
	}{
		{"healthy", Sample{TemperatureC: 69, ThrottleReasons: []string{ThrottleGPUIdle}}, faults{}, Health{State: Healthy}},
		{"configured temperature limit", Sample{TemperatureC: 70}, faults{},
			Health{State: Degraded, Reasons: []string{"temperature 70 C at or above the limit of 70 C"}}},
		{"configured fatal xids replace the defaults", Sample{XIDs: []uint64{48}}, faults{}, Health{State: Healthy}},
		{"unhealthy reasons come before degraded ones",
			Sample{XIDs: []uint64{79}, TemperatureC: 75, ThrottleReasons: []string{ThrottleHWSlowdown}},
			faults{degraded: []string{"gpu 0: nvml GetPowerUsage failed: ERROR_UNKNOWN"}},
			Health{State: Unhealthy, Reasons: []string{
				"fatal xid 79 (gpu has fallen off the bus)",
				"temperature 75 C at or above the limit of 70 C",
				"clocks throttled: [hw_slowdown]",
				"gpu 0: nvml GetPowerUsage failed: ERROR_UNKNOWN",
			}}},
		{"retired pages pending", Sample{RetiredPagesPending: true}, faults{},
			Health{State: Degraded, Reasons: []string{"retired pages pending: reset the gpu to retire them"}}},
		{"lost", Sample{}, faults{lost: "gpu 0 lost: nvml GetUUID: ERROR_GPU_IS_LOST"},
			Health{State: Unhealthy, Reasons: []string{"gpu 0 lost: nvml GetUUID: ERROR_GPU_IS_LOST"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newHealthJudge(th)
			tt.sample.UUID = "GPU-x"
			got := j.judge(&tt.sample, tt.f)
			if got.State != tt.want.State || !slices.Equal(got.Reasons, tt.want.Reasons) {
				t.Errorf("judge = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestHealthStickyPerDevice checks that one device's fatal condition never leaks to another.
func TestHealthStickyPerDevice(t *testing.T) {
	t.Parallel()
	j := newHealthJudge(DefaultThresholds())
	j.judge(&Sample{UUID: "GPU-a", XIDs: []uint64{48}}, faults{})
	j.judge(&Sample{UUID: "GPU-a", XIDs: []uint64{48}}, faults{})
	if got := j.judge(&Sample{UUID: "GPU-a"}, faults{}); got.State != Unhealthy || len(got.Reasons) != 1 {
		t.Errorf("GPU-a = %+v, want unhealthy with one reason (repeats must not pile up)", got)
	}
	if got := j.judge(&Sample{UUID: "GPU-b"}, faults{}); got.State != Healthy {
		t.Errorf("GPU-b = %+v, want healthy", got)
	}
}

// TestDegradingXIDsRecover: an XID the policy calls degrading degrades the device (no
// cordon) and the device recovers by itself once none was seen for RecoverAfter; an
// XID in neither list changes nothing; a fatal one stays.
func TestDegradingXIDsRecover(t *testing.T) {
	t.Parallel()
	th := DefaultThresholds()
	th.DegradingXIDs, th.RecoverAfter = []uint64{13, 31}, time.Minute
	j := newHealthJudge(th)
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	j.now = func() time.Time { return now }
	at := func(d time.Duration, xids ...uint64) Health {
		now = now.Add(d)
		return j.judge(&Sample{UUID: "GPU-a", XIDs: xids}, faults{})
	}
	if h := at(0, 43); h.State != Healthy {
		t.Fatalf("an XID in neither list: %+v", h)
	}
	if h := at(time.Second, 13); h.State != Degraded || len(h.Reasons) != 1 || !strings.Contains(h.Reasons[0], "xid 13 (graphics engine exception) seen 0s ago") {
		t.Fatalf("a degrading XID: %+v", h)
	}
	if h := at(40*time.Second, 31); h.State != Degraded || len(h.Reasons) != 2 {
		t.Fatalf("two degrading XIDs within a minute: %+v", h)
	}
	if h := at(30 * time.Second); h.State != Degraded || len(h.Reasons) != 1 || !strings.Contains(h.Reasons[0], "xid 31") {
		t.Fatalf("xid 13 a minute old, xid 31 not: %+v", h)
	}
	if h := at(time.Minute); h.State != Healthy {
		t.Fatalf("a minute without a degrading XID: %+v", h)
	}
	if h := at(time.Second, 79); h.State != Unhealthy {
		t.Fatalf("a fatal XID: %+v", h)
	}
	if h := at(time.Hour); h.State != Unhealthy {
		t.Fatalf("a fatal XID recovered by itself: %+v", h)
	}
}

func TestDegradingXIDsValidate(t *testing.T) {
	t.Parallel()
	th := DefaultThresholds()
	th.DegradingXIDs, th.RecoverAfter = []uint64{79, 0}, 0
	err := th.Validate()
	for _, want := range []string{"degrading_xids[0]: xid 79 is also in fatal_xids", "degrading_xids[1] is 0", "recover_after"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to say %q", err, want)
		}
	}
}
